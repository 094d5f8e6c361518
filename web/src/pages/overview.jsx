// Overview of every node: status counts, search, filters, grouping by type or a label,
// a virtualised list (thousands of nodes), the add-node form, and the kiosk view (?kiosk=1,
// pages/kiosk.jsx).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { CanWrite, useCan } from '../session.jsx';
import { get, post } from '../api.js';
import { setQueryParam } from '../router.js';
import { useLive, nodesByName, compareText, firingAlerts } from '../live.js';
import { VirtualList } from '../components/virtual_list.jsx';
import { Badge, Time, STATUSES, useForm, Field, FormAlert, StateCounts, SearchField, conflictAt } from '../ui.jsx';
import { useChoices, nodeType } from '../fields.js';
import { Heartbeat, useAvailability, percent, ms } from '../components/heartbeat.jsx';
import { KioskView } from './kiosk.jsx';
import { NodeFields, nodeLabels } from './node_editor.jsx';
import { UnsentNotice } from './rules.jsx';

const ROW_HEIGHT = 56;
const RANK = { down: 0, degraded: 1, unknown: 2, up: 3 };
const RANK_SORTS = { status: true };

// Words match name, address, type and label values; "key=value" words match a label exactly.
export function nodeMatcher(q) {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return () => true;
  return (n) =>
    words.every((w) => {
      const eq = w.indexOf('=');
      if (eq > 0) return String(n.labels?.[w.slice(0, eq)] ?? '').toLowerCase() === w.slice(eq + 1);
      return (
        n.name.toLowerCase().includes(w) ||
        (n.address || '').toLowerCase().includes(w) ||
        n.type === w ||
        Object.values(n.labels || {}).some((v) => String(v).toLowerCase().includes(w))
      );
    });
}

const groupKey = (n, by) => (by === 'type' ? n.type : by.startsWith('label:') ? (n.labels?.[by.slice(6)] ?? '') : '');

// The orders besides name and problems first: lowest uptime first, slowest first (nodes
// without figures last, in name order).
const BY_FIGURE = {
  uptime: (a) => a?.uptime?.['24h'] ?? Infinity,
  response: (a) => -(a?.latency_ms?.['24h'] ?? -Infinity),
};

// Rows of the list: group headers (when grouping) and nodes, problems first within a group
// unless sorted by name or a figure of `avail` (node id -> summary). `byName`: the nodes sorted
// by name; the work is linear in them but for a sort by figure.
export function buildRows(byName, { q, status, type, group, sort, collapsed, avail }) {
  const matches = nodeMatcher(q);
  const counts = { up: 0, down: 0, degraded: 0, unknown: 0 };
  const ranked = [[], [], [], []]; // by RANK, each still in name order
  for (const n of byName) {
    if (type && n.type !== type) continue;
    if (!matches(n)) continue;
    counts[n.status in counts ? n.status : 'unknown']++;
    if (status.length && !status.includes(n.status)) continue;
    ranked[sort in RANK_SORTS ? (RANK[n.status] ?? 2) : 0].push(n);
  }
  const shown = ranked.flat();
  if (BY_FIGURE[sort]) {
    const key = BY_FIGURE[sort];
    shown.sort((a, b) => key(avail?.[a.id]) - key(avail?.[b.id]) || 0);
  }
  if (!group) return { rows: shown.map((node) => ({ node })), counts, total: shown.length };
  const groups = new Map();
  for (const n of shown) {
    const k = groupKey(n, group);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(n);
  }
  const rows = [];
  for (const k of [...groups.keys()].sort((a, b) => (a === '') - (b === '') || compareText(a, b))) {
    const list = groups.get(k);
    const problems = list.filter((n) => n.status === 'down' || n.status === 'degraded').length;
    rows.push({ group: k, size: list.length, problems });
    if (!collapsed.has(k)) for (const node of list) rows.push({ node });
  }
  return { rows, counts, total: shown.length };
}

// "52.37, 4.89" -> {lat, lon}; undefined when empty, null when malformed (the server checks
// the ranges).
export function parseLatLon(s) {
  if (!s.trim()) return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(s);
  return m ? { lat: +m[1], lon: +m[2] } : null;
}

function AddNode() {
  const form = useForm({ name: '', type: 'vm', address: '', labels: [], location: '' });
  const [done, setDone] = useState('');
  const work = async (v) => {
    const fields = [];
    const labels = nodeLabels(v, fields);
    if (!v.name.trim()) fields.push({ field: 'name', message: 'Required.' });
    const location = parseLatLon(v.location);
    if (location === null)
      fields.push({ field: 'location', message: 'Write latitude, longitude in degrees, e.g. 52.37, 4.89.' });
    if (fields.length) throw { fields };
    try {
      const r = await post('/api/v1/nodes', {
        name: v.name.trim(),
        type: v.type,
        address: v.address.trim(),
        labels,
        ...(location && { location }),
      });
      form.setValues({ name: '', type: v.type, address: '', labels: [], location: '' });
      setDone(`Node ${r.data.name} added.`);
    } catch (err) {
      throw conflictAt(err, 'NODE_EXISTS', 'name');
    }
  };
  return (
    <details class="add">
      <summary>Add node</summary>
      <form
        noValidate
        onSubmit={(e) => {
          setDone('');
          form.submit(e, work);
        }}
      >
        <FormAlert form={form} />
        <div class="grid">
          <NodeFields form={form} />
          <Field form={form} name="location" label="Location (latitude, longitude)">
            <input {...form.bind('location')} placeholder="52.37, 4.89" autocomplete="off" inputMode="decimal" />
          </Field>
        </div>
        <button type="submit" class="primary" disabled={form.busy}>
          Add node
        </button>
        <span class="muted" role="status">
          {' '}
          {done}
        </span>
      </form>
    </details>
  );
}

// The later of the stored last contact and the last up run the summary knows of.
export const lastSeen = (n, a) => (a?.last_up && !(n.last_seen > a.last_up) ? a.last_up : n.last_seen);

function NodeRow({ node: n, avail: a, loaded }) {
  const labels = Object.entries(n.labels || {});
  return (
    <a class="node-row" href={`/nodes/${n.id}`} data-status={n.status}>
      <span class="c-status">
        <Badge status={n.status} />
      </span>
      <span class="c-name">{n.name}</span>
      <span class="c-type">{nodeType(n.type)}</span>
      <span class="c-addr">{n.address}</span>
      <span class="c-labels">
        {labels.map(([k, v]) => (
          <span class="chip">
            {k}={v}
          </span>
        ))}
      </span>
      <span class="c-beats">{loaded && <Heartbeat beats={a?.heartbeat} slotMs={a?.slot_ms} />}</span>
      <span class="c-uptime" title="Uptime over 24 hours">
        {percent(a?.uptime?.['24h'])}
      </span>
      <span class="c-resp" title="Average response over 24 hours">
        {ms(a?.latency_ms?.['24h'])}
      </span>
      <span class="c-seen">
        <Time at={lastSeen(n, a)} />
      </span>
    </a>
  );
}

// The alert rules, read once for those who can attach a channel to them (else none).
function useRules(wanted) {
  const [rules, setRules] = useState([]);
  useEffect(() => {
    if (wanted)
      get('/api/v1/alert-rules?per_page=500').then(
        (r) => setRules(r.data),
        () => {},
      );
  }, [wanted]);
  return rules;
}

export function Overview({ query }) {
  const { nodes, loaded } = useLive();
  const q = query.get('q') || '';
  const status = query.getAll('status');
  const type = query.get('type') || '';
  const group = query.get('group') ?? localStorage.getItem('telltale.group') ?? '';
  const sort = query.get('sort') || 'status';
  const kiosk = query.get('kiosk') === '1';
  const [collapsed, setCollapsed] = useState(() => new Set());
  const types = useChoices('nodes', 'type');
  const avail = useAvailability('nodes');
  const rules = useRules(useCan('operator') && !kiosk);

  const setParam = (name, value) => {
    if (name === 'group') localStorage.setItem('telltale.group', value);
    setQueryParam(name, value);
  };

  const labelKeys = useMemo(() => {
    const keys = new Set();
    for (const n of nodes.values()) for (const k of Object.keys(n.labels || {})) keys.add(k);
    return [...keys].sort();
  }, [nodes.size]);
  const { rows, counts, total } = buildRows(nodesByName(), { q, status, type, group, sort, collapsed, avail });
  useEffect(() => {
    document.title = `Overview · Telltale`;
  }, []);

  if (kiosk)
    return <KioskView size={nodes.size} rows={rows} counts={counts} firing={firingAlerts.size} avail={avail} />;
  const toggleGroup = (k) =>
    setCollapsed((c) => {
      const n = new Set(c);
      n.has(k) ? n.delete(k) : n.add(k);
      return n;
    });
  const renderRow = (r) =>
    r.node ? (
      <NodeRow node={r.node} avail={avail?.[r.node.id]} loaded={!!avail} />
    ) : (
      <button
        type="button"
        class="group-row"
        aria-expanded={collapsed.has(r.group) ? 'false' : 'true'}
        onClick={() => toggleGroup(r.group)}
      >
        <span class="caret" aria-hidden="true">
          {collapsed.has(r.group) ? '▸' : '▾'}
        </span>
        <strong>{(group === 'type' ? nodeType(r.group) : r.group) || `(no ${group.replace('label:', '')})`}</strong>
        <span class="muted">{r.size === 1 ? '1 node' : `${r.size} nodes`}</span>
        {r.problems > 0 && <span class="badge s-down">{r.problems} with problems</span>}
      </button>
    );

  return (
    <section aria-labelledby="nodes-title">
      <div class="head">
        <h1 id="nodes-title" tabIndex={-1}>
          Nodes
        </h1>
        <span class="muted" id="node-count">
          {loaded ? `${nodes.size} total` : 'loading…'}
        </span>
        <a class="kiosk-link" href="/?kiosk=1">
          Wall screen
        </a>
      </div>
      <UnsentNotice rules={rules} />
      <CanWrite role="admin">
        <a class="button" href="/hosts/add" id="add-host">
          Add a host
        </a>
      </CanWrite>
      <CanWrite>
        <a class="button" href="/discover" id="discover">
          Discover an SNMP device
        </a>
        <AddNode />
      </CanWrite>
      <StateCounts states={STATUSES} counts={counts} chosen={status} param="status" label="Filter by status" />
      <form class="filters" role="search" aria-label="Filter nodes" onSubmit={(e) => e.preventDefault()}>
        <SearchField value={q} placeholder="name, address or key=value" />
        <div class="field">
          <label for="f-type-filter">Type</label>
          <select id="f-type-filter" value={type} onChange={(e) => setParam('type', e.currentTarget.value)}>
            <option value="">All types</option>
            {types.map((t) => (
              <option value={t}>{nodeType(t)}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-group">Group by</label>
          <select id="f-group" value={group} onChange={(e) => setParam('group', e.currentTarget.value)}>
            <option value="">No grouping</option>
            <option value="type">Type</option>
            {labelKeys.map((k) => (
              <option value={'label:' + k}>Label {k}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-sort">Sort</label>
          <select id="f-sort" value={sort} onChange={(e) => setParam('sort', e.currentTarget.value)}>
            <option value="status">Problems first</option>
            <option value="name">Name</option>
            <option value="uptime">Lowest uptime</option>
            <option value="response">Slowest response</option>
          </select>
        </div>
      </form>
      {loaded && !nodes.size && <p role="status">No nodes yet. Add the first one above.</p>}
      {loaded && nodes.size > 0 && !total && <p role="status">No nodes match these filters.</p>}
      {total > 0 && (
        <div class="list-head" aria-hidden="true">
          <span class="c-status">Status</span>
          <span class="c-name">Name</span>
          <span class="c-type">Type</span>
          <span class="c-addr">Address</span>
          <span class="c-labels">Labels</span>
          <span class="c-beats">Recent runs</span>
          <span class="c-uptime">Uptime 24 h</span>
          <span class="c-resp">Response</span>
          <span class="c-seen">Last seen</span>
        </div>
      )}
      <VirtualList
        rows={rows}
        rowHeight={ROW_HEIGHT}
        label="Nodes"
        renderRow={renderRow}
        rowKey={(r) => (r.node ? 'n' + r.node.id : 'g' + r.group)}
      />
    </section>
  );
}
