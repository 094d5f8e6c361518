// The overview's filtering, grouping and ordering; the check editor's labels; the router; the
// chart's alignment of series; the events' wording.
import { describe as suite, it, expect } from 'vitest';
import { buildRows, nodeMatcher } from '../../web/src/pages/overview.jsx';
import { parseLabels, formatLabels } from '../../web/src/ui.jsx';
import { match } from '../../web/src/router.js';
import { align } from '../../web/src/components/chart.jsx';
import { describe } from '../../web/src/pages/events.jsx';

const node = (id, name, status, labels = {}, type = 'vm') => ({ id, name, status, labels, type, address: `10.0.0.${id}` });
// In name order, as buildRows takes them.
const nodes = [
  node(4, 'cam', 'unknown', {}, 'iot'), node(2, 'db-1', 'down', { site: 'hq' }, 'baremetal'),
  node(1, 'web-1', 'up', { site: 'lab' }), node(3, 'web-2', 'degraded', { site: 'lab' }),
];
const opts = { q: '', status: [], type: '', group: '', sort: 'status', collapsed: new Set() };

suite('overview rows', () => {
  it('puts problems first, then names', () => {
    expect(buildRows(nodes, opts).rows.map((r) => r.node.name)).toEqual(['db-1', 'web-2', 'cam', 'web-1']);
    expect(buildRows(nodes, { ...opts, sort: 'name' }).rows.map((r) => r.node.name)).toEqual(['cam', 'db-1', 'web-1', 'web-2']);
  });
  it('counts statuses over the search, before the status filter', () => {
    const { rows, counts } = buildRows(nodes, { ...opts, q: 'web', status: ['up'] });
    expect(rows.map((r) => r.node.name)).toEqual(['web-1']);
    expect(counts).toEqual({ up: 1, down: 0, degraded: 1, unknown: 0 });
  });
  it('groups by a label, the nodes without it last, and collapses groups', () => {
    const g = buildRows(nodes, { ...opts, group: 'label:site' }).rows;
    expect(g.map((r) => r.group ?? r.node.name)).toEqual(['hq', 'db-1', 'lab', 'web-2', 'web-1', '', 'cam']);
    expect(g[2]).toEqual({ group: 'lab', size: 2, problems: 1 });
    const c = buildRows(nodes, { ...opts, group: 'label:site', collapsed: new Set(['lab']) }).rows;
    expect(c.map((r) => r.group ?? r.node.name)).toEqual(['hq', 'db-1', 'lab', '', 'cam']);
    expect(buildRows(nodes, { ...opts, group: 'type', type: 'vm' }).rows.map((r) => r.group ?? r.node.name)).toEqual(['vm', 'web-2', 'web-1']);
  });
  it('matches words against name, address, type and label values, and key=value exactly', () => {
    const names = (q) => nodes.filter(nodeMatcher(q)).map((n) => n.name);
    expect(names('WEB')).toEqual(['web-1', 'web-2']);
    expect(names('10.0.0.4')).toEqual(['cam']);
    expect(names('iot')).toEqual(['cam']);
    expect(names('site=la')).toEqual([]);
    expect(names('site=lab web-2')).toEqual(['web-2']);
    expect(names('hq')).toEqual(['db-1']);
  });
});

suite('helpers', () => {
  it('parses and formats labels', () => {
    expect(parseLabels(' a=1, b = x=y ,')).toEqual({ a: '1', b: 'x=y' });
    expect(parseLabels('')).toEqual({});
    expect(parseLabels('oops')).toBeNull();
    expect(parseLabels('=v')).toBeNull();
    expect(formatLabels({ a: '1', b: '2' })).toBe('a=1, b=2');
  });
  it('matches routes', () => {
    expect(match('/nodes/:id', '/nodes/42')).toEqual({ id: '42' });
    expect(match('/nodes/:id', '/nodes/42/')).toEqual({ id: '42' });
    expect(match('/nodes/:id', '/nodes')).toBeNull();
    expect(match('/checks/new', '/checks/7')).toBeNull();
  });
  it('aligns series on the union of their timestamps, in seconds, with gaps', () => {
    const out = align([{ timestamps: [1000, 3000], values: [0.5, 'NaN'] }, { timestamps: [2000, 3000], values: [1, 2] }], 1000);
    expect(out).toEqual([[1, 2, 3], [500, null, null], [null, 1000, 2000]]);
  });
  it('describes events', () => {
    expect(describe({ kind: 'node.updated', data: { node: { name: 'a', status: 'down' }, changed: ['status'], before: { status: 'up' } } }))
      .toBe('Node a is down (was up)');
    expect(describe({ kind: 'check.state_changed', data: { name: 'c', state: 'up', from: 'down', message: '200 OK' } }))
      .toBe('Check c is up (was down): 200 OK');
    expect(describe({ kind: 'something.new', data: {} })).toBe('something.new');
  });
});

suite('node order', () => {
  it('sorts by name, numbers in numeric order; a status change keeps the order and shows the current node', async () => {
    const live = await import('../../web/src/live.js');
    live.nodes.clear();
    for (const [id, name] of [[1, 'node-10'], [2, 'node-9'], [3, 'Alpha']]) live.nodes.set(id, { id, name, status: 'up' });
    expect(live.nodesByName().map((n) => n.name)).toEqual(['Alpha', 'node-9', 'node-10']);
    live.nodes.set(2, { id: 2, name: 'node-9', status: 'down' });
    expect(live.nodesByName().map((n) => n.status)).toEqual(['up', 'down', 'up']);
  });
});
