// The event log, newest first: live events are prepended, older ones paged with the cursor.
import { useState } from 'preact/hooks';
import { Time, Page } from '../ui.jsx';
import { useResourceList, ListView } from '../components/resource_list.jsx';

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

// The log is paged by its cursor: each page holds the events before the last one shown.
export function Events() {
  const [topic, setTopic] = useState('');
  const list = useResourceList('/api/v1/events', {
    noun: 'events',
    params: { order: 'desc', topic },
    pageParams: (n, items) => ({ limit: 100, before: n > 1 ? items[items.length - 1].id : undefined }),
    onEvent: (e, l) => {
      if (!topic || e.topic === topic) l.setItems((x) => (x ? [e, ...x] : x));
    },
  });
  const topics = (
    <div class="field inline">
      <label for="ev-topic">Topic</label>
      <select id="ev-topic" value={topic} onChange={(e) => setTopic(e.currentTarget.value)}>
        <option value="">All</option>
        <option value="nodes">Nodes</option>
        <option value="checks">Checks</option>
        <option value="alerts">Alerts</option>
      </select>
    </div>
  );
  return (
    <Page id="events-title" title="Events" nav={topics}>
      <ListView list={list} empty="No events yet." more="Older events">
        {(items) => <EventList events={items} />}
      </ListView>
    </Page>
  );
}
