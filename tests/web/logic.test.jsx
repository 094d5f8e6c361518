// The overview's filtering, grouping and ordering; the check editor's labels; the router; the
// chart's alignment of series; the events' wording.
import { describe as suite, it } from 'vitest';
import assert from 'node:assert/strict';
import { buildRows, nodeMatcher } from '../../web/src/pages/overview.jsx';
import { parseLabels, formatLabels } from '../../web/src/ui.jsx';
import { match } from '../../web/src/router.js';
import { align } from '../../web/src/components/chart.jsx';
import { describe } from '../../web/src/pages/events.jsx';

const node = (id, name, status, labels = {}, type = 'vm') => ({
  id,
  name,
  status,
  labels,
  type,
  address: `10.0.0.${id}`,
});
// In name order, as buildRows takes them.
const nodes = [
  node(4, 'cam', 'unknown', {}, 'iot'),
  node(2, 'db-1', 'down', { site: 'hq' }, 'baremetal'),
  node(1, 'web-1', 'up', { site: 'lab' }),
  node(3, 'web-2', 'degraded', { site: 'lab' }),
];
const opts = { q: '', status: [], type: '', group: '', sort: 'status', collapsed: new Set() };

suite('overview rows', () => {
  it('puts problems first, then names', () => {
    assert.deepEqual(
      buildRows(nodes, opts).rows.map((r) => r.node.name),
      ['db-1', 'web-2', 'cam', 'web-1'],
    );
    assert.deepEqual(
      buildRows(nodes, { ...opts, sort: 'name' }).rows.map((r) => r.node.name),
      ['cam', 'db-1', 'web-1', 'web-2'],
    );
  });
  it('counts statuses over the search, before the status filter', () => {
    const { rows, counts } = buildRows(nodes, { ...opts, q: 'web', status: ['up'] });
    assert.deepEqual(
      rows.map((r) => r.node.name),
      ['web-1'],
    );
    assert.deepEqual(counts, { up: 1, down: 0, degraded: 1, unknown: 0 });
  });
  it('groups by a label, the nodes without it last, and collapses groups', () => {
    const g = buildRows(nodes, { ...opts, group: 'label:site' }).rows;
    assert.deepEqual(
      g.map((r) => r.group ?? r.node.name),
      ['hq', 'db-1', 'lab', 'web-2', 'web-1', '', 'cam'],
    );
    assert.deepEqual(g[2], { group: 'lab', size: 2, problems: 1 });
    const c = buildRows(nodes, { ...opts, group: 'label:site', collapsed: new Set(['lab']) }).rows;
    assert.deepEqual(
      c.map((r) => r.group ?? r.node.name),
      ['hq', 'db-1', 'lab', '', 'cam'],
    );
    assert.deepEqual(
      buildRows(nodes, { ...opts, group: 'type', type: 'vm' }).rows.map((r) => r.group ?? r.node.name),
      ['vm', 'web-2', 'web-1'],
    );
  });
  it('matches words against name, address, type and label values, and key=value exactly', () => {
    const names = (q) => nodes.filter(nodeMatcher(q)).map((n) => n.name);
    assert.deepEqual(names('WEB'), ['web-1', 'web-2']);
    assert.deepEqual(names('10.0.0.4'), ['cam']);
    assert.deepEqual(names('iot'), ['cam']);
    assert.deepEqual(names('site=la'), []);
    assert.deepEqual(names('site=lab web-2'), ['web-2']);
    assert.deepEqual(names('hq'), ['db-1']);
  });
});

suite('helpers', () => {
  it('parses and formats labels', () => {
    assert.deepEqual(parseLabels(' a=1, b = x=y ,'), { a: '1', b: 'x=y' });
    assert.deepEqual(parseLabels(''), {});
    assert.equal(parseLabels('oops'), null);
    assert.equal(parseLabels('=v'), null);
    assert.equal(formatLabels({ a: '1', b: '2' }), 'a=1, b=2');
  });
  it('matches routes', () => {
    assert.deepEqual(match('/nodes/:id', '/nodes/42'), { id: '42' });
    assert.deepEqual(match('/nodes/:id', '/nodes/42/'), { id: '42' });
    assert.equal(match('/nodes/:id', '/nodes'), null);
    assert.equal(match('/checks/new', '/checks/7'), null);
  });
  it('aligns series on the union of their timestamps, in seconds, with gaps', () => {
    const out = align(
      [
        { timestamps: [1000, 3000], values: [0.5, 'NaN'] },
        { timestamps: [2000, 3000], values: [1, 2] },
      ],
      1000,
    );
    assert.deepEqual(out, [
      [1, 2, 3],
      [500, null, null],
      [null, 1000, 2000],
    ]);
  });
  it('describes events', () => {
    assert.equal(
      describe({
        kind: 'node.updated',
        data: { node: { name: 'a', status: 'down' }, changed: ['status'], before: { status: 'up' } },
      }),
      'Node a is down (was up)',
    );
    assert.equal(
      describe({ kind: 'check.state_changed', data: { name: 'c', state: 'up', from: 'down', message: '200 OK' } }),
      'Check c is up (was down): 200 OK',
    );
    assert.equal(
      describe({
        kind: 'alert.firing',
        data: {
          alert: {
            rule_name: 'SiteDown',
            state: 'firing',
            labels: { alertname: 'SiteDown', severity: 'critical', node: 'gw', check: 'c' },
          },
        },
      }),
      'Alert SiteDown is firing (node=gw, check=c)',
    );
    assert.equal(
      describe({ kind: 'alert.acked', data: { alert: { rule_name: 'SiteDown' }, comment: 'on it' } }),
      'Alert SiteDown acknowledged: on it',
    );
    assert.equal(
      describe({ kind: 'silence.expired', data: { silence: { matchers: '{a="b"}' } } }),
      'Silence {a="b"} expired',
    );
    assert.equal(describe({ kind: 'something.new', data: {} }), 'Something new');
  });
});

suite('node order', () => {
  it('sorts by name, numbers in numeric order; a status change keeps the order and shows the current node', async () => {
    const live = await import('../../web/src/live.js');
    live.nodes.clear();
    for (const [id, name] of [
      [1, 'node-10'],
      [2, 'node-9'],
      [3, 'Alpha'],
    ])
      live.nodes.set(id, { id, name, status: 'up' });
    assert.deepEqual(
      live.nodesByName().map((n) => n.name),
      ['Alpha', 'node-9', 'node-10'],
    );
    live.nodes.set(2, { id: 2, name: 'node-9', status: 'down' });
    assert.deepEqual(
      live.nodesByName().map((n) => n.status),
      ['up', 'down', 'up'],
    );
  });
});
