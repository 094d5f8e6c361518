// The event log, newest first: live events are prepended, older ones paged with the cursor.
import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../api.js';
import { useEvents } from '../live.js';
import { Time } from '../ui.jsx';

// One line of text for an event.
export function describe(e) {
  const d = e.data || {};
  switch (e.kind) {
    case 'node.created':
      return `Node ${d.node?.name} created`;
    case 'node.deleted':
      return `Node ${d.node?.name} deleted`;
    case 'node.updated':
      if (d.changed?.length === 1 && d.changed[0] === 'status')
        return `Node ${d.node?.name} is ${d.node?.status} (was ${d.before?.status})`;
      return `Node ${d.node?.name} updated: ${(d.changed || []).join(', ')}`;
    case 'check.created':
      return `Check ${d.check?.name} created`;
    case 'check.deleted':
      return `Check ${d.check?.name} deleted`;
    case 'check.updated':
      return `Check ${d.check?.name} updated: ${(d.changed || []).join(', ')}`;
    case 'check.state_changed':
      return `Check ${d.name} is ${d.state} (was ${d.from})${d.message ? ': ' + d.message : ''}`;
    case 'check.flapping_started':
      return `Check ${d.name} is flapping`;
    case 'check.flapping_stopped':
      return `Check ${d.name} stopped flapping`;
    case 'alert.pending':
    case 'alert.firing':
    case 'alert.resolved': {
      const { alertname, severity, ...rest } = d.alert?.labels || {};
      const where = Object.entries(rest)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      return `Alert ${d.alert?.rule_name || alertname} is ${d.alert?.state}${where ? ` (${where})` : ''}`;
    }
    case 'alert.acked':
      return `Alert ${d.alert?.rule_name} acknowledged${d.comment ? ': ' + d.comment : ''}`;
    case 'alert_rule.created':
      return `Alert rule ${d.rule?.name} created`;
    case 'alert_rule.updated':
      return `Alert rule ${d.rule?.name} updated: ${(d.changed || []).join(', ')}`;
    case 'alert_rule.deleted':
      return `Alert rule ${d.rule?.name} deleted`;
    case 'silence.created':
      return `Silence ${d.silence?.matchers} created`;
    case 'silence.expired':
      return `Silence ${d.silence?.matchers} expired`;
    default:
      return e.kind;
  }
}

const TONES = { down: 's-down', firing: 's-down', up: 's-up', resolved: 's-up', degraded: 's-degraded' };
const tone = (e) => {
  const s =
    e.data?.state ??
    (e.data?.changed?.includes('status') ? e.data?.node?.status : null) ??
    (e.kind !== 'alert.acked' ? e.data?.alert?.state : null);
  return TONES[s] || '';
};

export function EventList({ events, empty }) {
  if (!events.length) return <p>{empty}</p>;
  return (
    <ol class="events">
      {events.map((e) => (
        <li key={e.id} class={tone(e)} data-kind={e.kind}>
          <Time at={e.at} />
          <span class="what">{describe(e)}</span>
          <span class="muted small">{e.actor}</span>
        </li>
      ))}
    </ol>
  );
}

export function Events() {
  const [topic, setTopic] = useState('');
  const [events, setEvents] = useState(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState('');
  const load = async (before) => {
    try {
      const r = await get('/api/v1/events' + qs({ order: 'desc', limit: 100, topic, before }));
      setEvents((list) => (before ? [...(list || []), ...r.data] : r.data));
      setMore(r.pagination?.has_next);
    } catch (err) {
      setError(`Could not load events: ${err.message}`);
    }
  };
  useEffect(() => {
    setEvents(null);
    load();
    document.title = 'Events · Telltale';
  }, [topic]);
  useEvents(
    (e) => {
      if (!topic || e.topic === topic) setEvents((list) => (list ? [e, ...list] : list));
    },
    [topic],
  );
  return (
    <section aria-labelledby="events-title">
      <div class="head">
        <h1 id="events-title" tabIndex={-1}>
          Events
        </h1>
        <div class="field inline">
          <label for="ev-topic">Topic</label>
          <select id="ev-topic" value={topic} onChange={(e) => setTopic(e.currentTarget.value)}>
            <option value="">All</option>
            <option value="nodes">Nodes</option>
            <option value="checks">Checks</option>
            <option value="alerts">Alerts</option>
          </select>
        </div>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {events === null ? <p class="loading">Loading…</p> : <EventList events={events} empty="No events yet." />}
      {more && (
        <button type="button" onClick={() => load(events[events.length - 1].id)}>
          Older events
        </button>
      )}
    </section>
  );
}
