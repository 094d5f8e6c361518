// Nodes list: filters, paging, add form, delete, live updates.
import { h, mount, field, formError, onSubmit, check, announce, confirmDialog } from './dom.js';
import { get, post, del } from './api.js';

const TYPE_OPTS = ['baremetal', 'vm', 'container', 'network', 'iot'].map((t) => [t, t]);
const STATUSES = ['up', 'down', 'degraded', 'unknown'];
const cap = (s) => s[0].toUpperCase() + s.slice(1);
const select = (name, label, options, id) => field(label,
  h('select', { name, id }, options.map((o) => h('option', { value: o[0] }, o[1]))));
const text = (name, label, attrs) => field(label,
  h('input', { name, id: 'n-' + name, autocomplete: 'off', spellcheck: 'false', ...attrs }));

// "k=v, k2=v2" -> {k: "v", k2: "v2"}; null when malformed.
export function parseLabels(s) {
  const out = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i < 1) return null;
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export function nodesView() {
  const state = { page: 1, q: '', type: '', status: '' };
  let seq = 0, reloadTimer, searchTimer;
  const byId = (id) => tbody.querySelector(`tr[data-id="${CSS.escape(String(id))}"]`);

  const addForm = h('form', { novalidate: true }, formError(),
    h('div', { class: 'grid' },
      text('name', 'Name', { required: true }),
      select('type', 'Type', TYPE_OPTS, 'n-type'),
      text('address', 'Address', { placeholder: '10.0.0.5 or host.example' }),
      text('labels', 'Labels (key=value, comma-separated)', { placeholder: 'env=prod, rack=a1' })),
    h('button', { type: 'submit', class: 'primary' }, 'Add node'));

  onSubmit(addForm, async (v) => {
    const labels = parseLabels(v.labels);
    check([['name', v.name.trim(), 'Required.'], ['labels', labels, 'Use key=value pairs separated by commas.']]);
    try {
      const r = await post('/api/v1/nodes', { name: v.name.trim(), type: v.type, address: v.address.trim(), labels });
      addForm.reset();
      addForm.elements.name.focus();
      announce(`Node ${r.data.name} added.`);
      load();
    } catch (err) {
      if (err.code === 'NODE_EXISTS' && !err.fields.length) err.fields = [{ field: 'name', message: err.message }];
      throw err;
    }
  });

  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter nodes' },
    text('q', 'Search', { type: 'search', placeholder: 'name, address or key=value' }),
    select('type', 'Type', [['', 'All types'], ...TYPE_OPTS], 'f-type'),
    select('status', 'Status', [['', 'Any status'], ...STATUSES.map((s) => [s, cap(s)])], 'f-status'));
  const applyFilters = () => {
    clearTimeout(searchTimer);
    Object.assign(state, Object.fromEntries(new FormData(filters)), { page: 1 });
    load();
  };
  filters.addEventListener('submit', (e) => { e.preventDefault(); applyFilters(); });
  filters.addEventListener('change', applyFilters);
  filters.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(applyFilters, 300); });

  const heading = h('h1', { id: 'nodes-title', tabindex: -1 }, 'Nodes');
  const count = h('span', { class: 'muted' });
  const status = h('p', { role: 'status' });
  const showStatus = (text, cls = '') => { status.textContent = text; status.className = cls; };
  const tbody = h('tbody');
  const table = h('table', { 'aria-labelledby': 'nodes-title' },
    h('thead', {}, h('tr', {}, ['Status', 'Name', 'Type', 'Address', 'Labels', 'Last seen', 'Actions'].map((c) =>
      h('th', { scope: 'col', class: c === 'Actions' ? 'visually-hidden' : null }, c)))),
    tbody);
  const turn = (d, label) => h('button', { type: 'button', onclick: () => { state.page += d; load(); } }, label);
  const prev = turn(-1, '← Previous'), next = turn(1, 'Next →');
  const pageInfo = h('span', { class: 'muted' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, pageInfo, next);

  function row(n) {
    const st = STATUSES.includes(n.status) ? n.status : 'unknown';
    const labels = Object.entries(n.labels || {}).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`));
    const td = (label, cls, ...kids) => h('td', { 'data-label': label, class: cls }, ...kids);
    return h('tr', { 'data-id': n.id },
      td(null, 'c-status', h('span', { class: 'badge s-' + st }, cap(st))),
      td(null, 'c-name', h('strong', {}, n.name)),
      td('Type', 'c-type', n.type),
      td('Address', 'c-addr', n.address && h('code', {}, n.address)),
      td('Labels', 'c-labels', labels),
      td('Last seen', 'c-seen', n.last_seen ? h('time', { datetime: n.last_seen }, new Date(n.last_seen).toLocaleString()) : 'never'),
      td(null, 'c-actions', h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${n.name}`, onclick: () => remove(n) }, 'Delete')));
  }

  function query() {
    const p = new URLSearchParams({ page: state.page, per_page: 50 });
    const words = [];
    for (const w of state.q.split(/\s+/).filter(Boolean)) w.includes('=') ? p.append('label', w) : words.push(w);
    if (words.length) p.set('q', words.join(' '));
    for (const k of ['type', 'status']) if (state[k]) p.set(k, state[k]);
    return p;
  }

  async function load() {
    clearTimeout(reloadTimer);
    const my = ++seq;
    try {
      const r = await get('/api/v1/nodes?' + query());
      if (my !== seq) return;
      const pg = r.pagination || { page: 1, total: r.data.length, total_pages: 1 };
      if (!r.data.length && state.page > pg.total_pages && state.page > 1) {
        state.page = Math.max(1, pg.total_pages);
        return load();
      }
      mount(tbody, r.data.map(row));
      table.hidden = !r.data.length;
      showStatus(r.data.length ? '' : state.q || state.type || state.status
        ? 'No nodes match these filters.' : 'No nodes yet. Add the first one above.');
      count.textContent = `${pg.total} total`;
      pageInfo.textContent = `Page ${pg.page} of ${pg.total_pages || 1}`;
      prev.disabled = !pg.has_prev;
      next.disabled = !pg.has_next;
      pager.hidden = pg.total_pages < 2;
    } catch (err) {
      if (my === seq) showStatus(`Could not load nodes: ${err.message}`, 'error');
    }
  }

  async function remove(n) {
    if (!(await confirmDialog(`Delete node “${n.name}”? This cannot be undone.`))) return;
    try {
      await del('/api/v1/nodes/' + encodeURIComponent(n.id));
      announce(`Node ${n.name} deleted.`);
      heading.focus();
      load();
    } catch (err) {
      showStatus(`Could not delete ${n.name}: ${err.message}`, 'error');
    }
  }

  // Live events: patch a visible row in place, otherwise refetch the page (debounced).
  // The node is in data.node, or data.data.node when data is the stored event.
  function onEvent({ topic, data }) {
    if (topic !== 'nodes') return;
    const node = data?.node ?? data?.data?.node;
    const tr = node && byId(node.id);
    if (data?.kind === 'node.updated' && tr && (!state.status || state.status === node.status)) return tr.replaceWith(row(node));
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, 250);
  }

  table.hidden = pager.hidden = true;
  load();
  const el = h('section', { 'aria-labelledby': 'nodes-title' }, h('div', { class: 'head' }, heading, count),
    h('details', { class: 'add' }, h('summary', {}, 'Add node'), addForm), filters, status, table, pager);
  return { el, heading, onEvent, reload: load, destroy() { seq++; clearTimeout(reloadTimer); clearTimeout(searchTimer); } };
}
