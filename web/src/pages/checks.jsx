// Every check, with or without a node: live state, heartbeat bar, uptime over 24 hours, 7 and 30
// days, average response, certificate days and last error; filters, search, problems first or
// another order, and pausing, resuming or deleting many at once. Thousands of checks stay light:
// the list is virtualised and filtered here, read again when checks change.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { del, patch } from '../api.js';
import { setQueryParam } from '../router.js';
import { compareText, nodes } from '../live.js';
import { useCan } from '../session.jsx';
import { useResourceList, ListView } from '../components/resource_list.jsx';
import { VirtualList } from '../components/virtual_list.jsx';
import { Heartbeat, useAvailability, percent, ms } from '../components/heartbeat.jsx';
import { Badge, cap, StateCounts, SearchField } from '../ui.jsx';
import { followStateChange } from './node.jsx';

const ROW_HEIGHT = 56;
const STATES = ['down', 'pending', 'paused', 'up'];
const RANK = { down: 0, pending: 1, paused: 2, up: 3 };

// Orders: each a key to sort by (ascending), ties by name.
export const ORDERS = {
  problems: (c) => RANK[c.state] ?? 1,
  name: () => 0,
  uptime: (c, a) => a?.uptime?.['24h'] ?? Infinity,
  response: (c, a) => -(a?.latency_ms?.['24h'] ?? -Infinity),
  cert: (c) => certDays(c) ?? Infinity,
};

export const certDays = (c) => c.last_result?.facts?.cert_days ?? null;

// Words match name, target, kind, node and label values; key=value matches a label.
export function checkMatcher(q) {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  return (c) =>
    words.every((w) => {
      const eq = w.indexOf('=');
      if (eq > 0) return String(c.labels?.[w.slice(0, eq)] ?? '').toLowerCase() === w.slice(eq + 1);
      return [c.name, c.target, c.kind, nodes.get(c.node_id)?.name, ...Object.values(c.labels || {})].some((v) =>
        String(v ?? '')
          .toLowerCase()
          .includes(w),
      );
    });
}

// The rows shown and the counts by state (over the search and kind, before the state filter).
export function filterChecks(items, { q, kind, states, order, avail }) {
  const matches = checkMatcher(q);
  const counts = { down: 0, pending: 0, paused: 0, up: 0 };
  const shown = [];
  for (const c of items) {
    if (kind && c.kind !== kind) continue;
    if (!matches(c)) continue;
    counts[c.state] = (counts[c.state] || 0) + 1;
    if (states.length && !states.includes(c.state)) continue;
    shown.push(c);
  }
  const key = ORDERS[order] || ORDERS.problems;
  const keyed = shown.map((c) => [key(c, avail?.[c.id]), c]);
  keyed.sort((a, b) => a[0] - b[0] || compareText(a[1].name, b[1].name));
  return { rows: keyed.map((k) => k[1]), counts };
}

function CheckRow({ check: c, avail: a, loaded, selected, onSelect, selectable }) {
  const days = certDays(c);
  const error = c.state === 'down' || c.last_result?.error ? c.last_result?.error : '';
  return (
    <div class="check-row" data-status={c.state}>
      {selectable && (
        <input type="checkbox" checked={selected} aria-label={`Select ${c.name}`} onChange={() => onSelect(c.id)} />
      )}
      <span class="c-status">
        <Badge status={c.state} />
      </span>
      <span class="c-name">
        <a href={`/checks/${c.id}`}>{c.name}</a>
        <span class="muted small">
          {c.kind} · {c.target}
          {c.node_id ? ` · ${nodes.get(c.node_id)?.name ?? `node ${c.node_id}`}` : ''}
        </span>
      </span>
      <span class="c-beats">{loaded && <Heartbeat beats={a?.heartbeat} slotMs={a?.slot_ms} />}</span>
      <span class="c-uptime" title="Uptime over 24 hours, 7 and 30 days">
        {percent(a?.uptime?.['24h'])}
        <span class="muted small">
          {percent(a?.uptime?.['7d'])} · {percent(a?.uptime?.['30d'])}
        </span>
      </span>
      <span class="c-resp" title="Average response over 24 hours">
        {ms(a?.latency_ms?.['24h'])}
      </span>
      <span class={'c-cert' + (days != null && days < 14 ? ' warn' : '')}>
        {days == null ? '' : `${Math.floor(days)} d`}
      </span>
      <span class="c-error" title={error || ''}>
        {error}
      </span>
    </div>
  );
}

// Runs fn on every id, a few at a time; returns the messages of those that failed.
async function each(ids, fn) {
  const failed = [];
  const queue = [...ids];
  const worker = async () => {
    for (let id; (id = queue.shift()) !== undefined;) {
      try {
        await fn(id);
      } catch (err) {
        failed.push(err.message);
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return failed;
}

export function Checks({ query }) {
  const q = query.get('q') || '';
  const kind = query.get('kind') || '';
  const states = query.getAll('state');
  const order = query.get('sort') || 'problems';
  const writer = useCan();
  const [selected, setSelected] = useState(() => new Set());
  const [busy, setBusy] = useState('');
  const list = useResourceList('/api/v1/checks', {
    noun: 'checks',
    all: true,
    debounceMs: 1000,
    // A state change is applied to its row alone: with thousands of checks, reading them all
    // again at each would cost megabytes a second. Checks made, changed or deleted read the list.
    onEvent: (e, l) => e.topic === 'checks' && e.kind === 'check.state_changed' && followStateChange(e, l),
    reloadOn: (e) => e.topic === 'checks' && e.kind !== 'check.state_changed' && !e.kind.startsWith('snmp.'),
  });
  const avail = useAvailability('checks');
  useEffect(() => {
    document.title = 'Checks · Telltale';
  }, []);
  const items = list.items || [];
  const kinds = useMemo(() => [...new Set(items.map((c) => c.kind))].sort(), [items]);
  const { rows, counts } = filterChecks(items, { q, kind, states, order, avail });

  const toggle = (id) =>
    setSelected((s) => {
      const n = new Set(s);
      n.has(id) ? n.delete(id) : n.add(id);
      return n;
    });
  const shownSelected = rows.filter((c) => selected.has(c.id));
  const bulk = async (verb, fn) => {
    setBusy(`${verb} ${shownSelected.length}…`);
    const failed = await each(
      shownSelected.map((c) => c.id),
      fn,
    );
    setBusy('');
    setSelected(new Set());
    list.setNotice(failed.length ? '' : `${cap(verb)} ${shownSelected.length} checks.`);
    list.setError(failed.length ? `${failed.length} failed: ${failed[0]}` : '');
    list.reload();
  };
  const remove = () => {
    if (!confirm(`Delete ${shownSelected.length} checks? Their history goes with them.`)) return;
    bulk('deleted', (id) => del(`/api/v1/checks/${id}`));
  };

  return (
    <section aria-labelledby="checks-title">
      <div class="head">
        <h1 id="checks-title" tabIndex={-1}>
          Checks
        </h1>
        <span class="muted" id="check-count">
          {list.items ? `${items.length} total` : 'loading…'}
        </span>
        {writer && (
          <a class="button primary" href="/checks/new">
            New check
          </a>
        )}
      </div>
      <StateCounts states={STATES} counts={counts} chosen={states} param="state" label="Filter by state" />
      <form class="filters" role="search" aria-label="Filter checks" onSubmit={(e) => e.preventDefault()}>
        <SearchField value={q} placeholder="name, target, node or key=value" />
        <div class="field">
          <label for="f-kind">Kind</label>
          <select id="f-kind" value={kind} onChange={(e) => setQueryParam('kind', e.currentTarget.value)}>
            <option value="">All kinds</option>
            {kinds.map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-sort">Sort</label>
          <select id="f-sort" value={order} onChange={(e) => setQueryParam('sort', e.currentTarget.value)}>
            <option value="problems">Problems first</option>
            <option value="name">Name</option>
            <option value="uptime">Lowest uptime</option>
            <option value="response">Slowest response</option>
            <option value="cert">Certificate expiring first</option>
          </select>
        </div>
      </form>
      {writer && rows.length > 0 && (
        <div class="bulk" role="group" aria-label="Selected checks">
          <label>
            <input
              type="checkbox"
              checked={shownSelected.length === rows.length}
              onChange={(e) => setSelected(new Set(e.currentTarget.checked ? rows.map((c) => c.id) : []))}
            />{' '}
            Select all {rows.length} shown
          </label>
          <button
            type="button"
            disabled={!shownSelected.length || !!busy}
            onClick={() => bulk('paused', (id) => patch(`/api/v1/checks/${id}`, { enabled: false }))}
          >
            Pause
          </button>
          <button
            type="button"
            disabled={!shownSelected.length || !!busy}
            onClick={() => bulk('resumed', (id) => patch(`/api/v1/checks/${id}`, { enabled: true }))}
          >
            Resume
          </button>
          <button type="button" class="danger" disabled={!shownSelected.length || !!busy} onClick={remove}>
            Delete
          </button>
          <span role="status" class="muted">
            {busy || (shownSelected.length ? `${shownSelected.length} selected` : '')}
          </span>
        </div>
      )}
      <ListView
        list={list}
        empty={
          <span role="status">
            No checks yet. <a href="/checks/new">Add the first one</a>.
          </span>
        }
      >
        {() => !rows.length && <p role="status">No checks match these filters.</p>}
      </ListView>
      {rows.length > 0 && (
        <div class={'list-head check-head' + (writer ? ' selectable' : '')} aria-hidden="true">
          {writer && <span />}
          <span class="c-status">State</span>
          <span class="c-name">Check</span>
          <span class="c-beats">Recent runs</span>
          <span class="c-uptime">Uptime 24 h · 7 d · 30 d</span>
          <span class="c-resp">Response</span>
          <span class="c-cert">Certificate</span>
          <span class="c-error">Last error</span>
        </div>
      )}
      <VirtualList
        rows={rows}
        rowHeight={ROW_HEIGHT}
        label="Checks"
        rowKey={(c) => c.id}
        renderRow={(c) => (
          <CheckRow
            check={c}
            avail={avail?.[c.id]}
            loaded={!!avail}
            selectable={writer}
            selected={selected.has(c.id)}
            onSelect={toggle}
          />
        )}
      />
    </section>
  );
}
