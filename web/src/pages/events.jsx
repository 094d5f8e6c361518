// The event log, newest first: live events are prepended, older ones paged with the cursor, and
// a search (the server's `q`) narrows both.
import { useEffect, useState } from 'preact/hooks';
import { Time, Page } from '../ui.jsx';
import { useResourceList, ListView } from '../components/resource_list.jsx';

// What each kind is called on the page; a kind not named here reads as its words
// ("inhibit_rule.created": "Inhibit rule created", "agent.container.died": "Agent container died").
const KIND_NAMES = {
  'snmp.trap': 'SNMP trap',
  'snmp.traps_suppressed': 'SNMP traps suppressed',
  'check.state_changed': 'Check state changed',
  'check.flapping_started': 'Check flapping',
  'check.flapping_stopped': 'Check stopped flapping',
  'alert.acked': 'Alert acknowledged',
  'maintenance.created': 'Maintenance window created',
  'maintenance.updated': 'Maintenance window updated',
  'maintenance.deleted': 'Maintenance window deleted',
  'agent.buffer_dropped': 'Agent dropped buffered data',
};
export function kindName(kind) {
  if (KIND_NAMES[kind]) return KIND_NAMES[kind];
  const words = String(kind).replace(/[._]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Whether an event holds the search text as the server's `q` finds it: any case, with '.' and
// '_' read as spaces. For live events, which arrive without asking the server.
const searched = (s) => String(s).toLowerCase().replace(/[._]/g, ' ');
export function eventMatches(e, q) {
  const needle = searched(q.trim());
  if (!needle) return true;
  return searched([e.kind, e.subject, e.actor, JSON.stringify(e.data ?? {})].join(' ')).includes(needle);
}

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
    case 'node_pin.created':
      return `Pinned “${d.pin?.title}”: ${d.pin?.query}`;
    case 'node_pin.deleted':
      return `Unpinned “${d.pin?.title}”`;
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
    case 'snmp.trap':
      return `SNMP trap ${d.trap || d.trap_oid || ''} from ${d.node ? `${d.node} (${d.source})` : d.source}`;
    case 'snmp.traps_suppressed':
      return `${d.suppressed} SNMP traps from ${d.node || d.source} not logged (too many)`;
    default: {
      // Records created, updated or deleted carry themselves: name the record.
      const record = Object.values(d).find((v) => v && typeof v === 'object' && typeof v.name === 'string');
      return kindName(e.kind) + (record ? `: ${record.name}` : e.subject ? `: ${e.subject}` : '');
    }
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
          <span class="what" title={kindName(e.kind)}>
            {describe(e)}
          </span>
          <span class="muted small">{e.actor}</span>
        </li>
      ))}
    </ol>
  );
}

const TOPICS = [
  ['', 'All'],
  ['nodes', 'Nodes'],
  ['checks', 'Checks'],
  ['alerts', 'Alerts'],
  ['snmp', 'SNMP traps'],
];

// The log is paged by its cursor: each page holds the events before the last one shown.
export function Events() {
  const [topic, setTopic] = useState('');
  const [text, setText] = useState('');
  const [q, setQ] = useState(''); // the text, once typing has paused
  useEffect(() => {
    const t = setTimeout(() => setQ(text.trim()), 250);
    return () => clearTimeout(t);
  }, [text]);
  const list = useResourceList('/api/v1/events', {
    noun: 'events',
    params: { order: 'desc', topic, q },
    pageParams: (n, items) => ({ limit: 100, before: n > 1 ? items[items.length - 1].id : undefined }),
    onEvent: (e, l) => {
      if ((!topic || e.topic === topic) && eventMatches(e, q)) l.setItems((x) => (x ? [e, ...x] : x));
    },
  });
  const filters = (
    <form class="filters" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
      <label class="field inline">
        Search
        <input
          id="ev-q"
          type="search"
          value={text}
          placeholder="node, check, kind or text"
          maxLength={200}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <div class="field inline">
        <label for="ev-topic">Topic</label>
        <select id="ev-topic" value={topic} onChange={(e) => setTopic(e.currentTarget.value)}>
          {TOPICS.map(([value, label]) => (
            <option value={value}>{label}</option>
          ))}
        </select>
      </div>
    </form>
  );
  return (
    <Page id="events-title" title="Events" nav={filters}>
      <ListView list={list} empty={q ? 'No events match the search.' : 'No events yet.'} more="Older events">
        {(items) => <EventList events={items} />}
      </ListView>
    </Page>
  );
}
