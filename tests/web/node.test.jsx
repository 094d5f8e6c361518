// The lists of the node page against a fake server: its checks (live state, the run's result
// read after a state change, "Test now") and the events of the node and its checks, taken from
// the log's newest and kept current.
import { describe, it, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, calls, sockets, until } from './fake_server.js';
import { start, stop } from '../../web/src/live.js';
import { NodePage, metaRows } from '../../web/src/pages/node.jsx';

const at = () => new Date().toISOString();
const node = { id: 1, name: 'gw', type: 'network', status: 'up', labels: {} };
const check = (extra = {}) => ({
  id: 3,
  name: 'web',
  kind: 'http',
  target: 'http://gw/',
  node_id: 1,
  state: 'up',
  since: at(),
  last_result: { up: true, duration_ms: 12, message: '' },
  ...extra,
});
const ev = (id, topic, subject, kind, data = {}) => ({
  id,
  topic,
  subject: String(subject),
  kind,
  at: at(),
  actor: 'system',
  data,
});
// The log, newest first: the node's and its check's events among others'.
const LOG = [
  ev(40, 'checks', 9, 'check.updated', { check: { name: 'other' }, changed: ['interval'] }),
  ev(39, 'checks', 3, 'check.updated', { check: { name: 'web' }, changed: ['interval'] }),
  ev(38, 'nodes', 2, 'node.updated', { node: { id: 2, name: 'db', status: 'up' }, changed: ['labels'] }),
  ev(37, 'nodes', 1, 'node.updated', { node, changed: ['labels'] }),
];
let root;
const send = (e) => act(() => sockets[0].receive({ type: 'event', topic: 'events', data: e }));

beforeAll(async () => {
  route('GET', '/api/v1/events', (req) => (req.query.get('limit') === '1' ? [LOG[0]] : LOG));
  route('GET', '/api/v1/nodes', [node]);
  route('GET', '/api/v1/alerts', []);
  route('GET', '/api/v1/checks', [check()]);
  route('GET', '/api/v1/nodes/1/pins', []);
  start();
  await until(() => sockets.length === 1, 'the socket');
  await new Promise((r) => setTimeout(r, 5));
  await sockets[0].receive({ type: 'subscribed', topics: ['events'] });
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
});
afterAll(() => {
  render(null, root);
  stop();
});

describe('node page lists', () => {
  it('shows the node’s checks and events, live, and tests a check', async () => {
    await act(() => render(<NodePage id={1} />, root));
    await until(() => root.querySelector('tr[data-check="web"]'), 'the check');
    const read = calls.find((c) => c.path === '/api/v1/checks');
    assert.deepEqual([read.query.get('node'), read.query.get('sort')], ['1', 'name']);
    await until(() => root.querySelectorAll('.events li').length === 2, 'the node’s events');
    assert.deepEqual(
      [...root.querySelectorAll('.events li .what')].map((e) => e.textContent),
      ['Check web updated: interval', 'Node gw updated: labels'],
    );

    // A state change shows at once; the run's result is read after it.
    route(
      'GET',
      '/api/v1/checks/3',
      check({ state: 'down', last_result: { up: false, error: 'timeout', duration_ms: 5000 } }),
    );
    await send(ev(41, 'checks', 3, 'check.state_changed', { id: 3, name: 'web', state: 'down', from: 'up', at: at() }));
    await until(
      () => root.querySelector('tr[data-check="web"] .c-result').textContent.startsWith('timeout'),
      'the run’s result',
    );
    assert.equal(root.querySelector('tr[data-check="web"] .badge').textContent.toLowerCase(), 'down');
    assert.equal(root.querySelector('.events li .what').textContent, 'Check web is down (was up)');
    // Another node's event does not show.
    await send(
      ev(42, 'nodes', 2, 'node.updated', { node: { id: 2, name: 'db', status: 'down' }, changed: ['status'] }),
    );
    assert.equal(root.querySelectorAll('.events li').length, 3);

    route('POST', '/api/v1/checks/3/run', { up: true, duration_ms: 7, message: 'HTTP 200' });
    await act(() => [...root.querySelectorAll('button')].find((b) => b.textContent === 'Test now').click());
    await until(() => root.querySelector('.run-result'), 'the test’s answer');
    assert.equal(root.querySelector('.run-result').textContent, 'Test: up, 7.0 ms — HTTP 200');
  });
});

describe('metaRows', () => {
  it('gives a row per fact, and a row per value of a nested object such as SNMP facts', () => {
    assert.deepEqual(metaRows({ agent_version: '0.1.0', snmp: { descr: 'Linux gw', contact: null, port: 161 } }), [
      ['agent version', 'agent_version', '0.1.0'],
      ['SNMP description', 'descr', 'Linux gw'],
      ['SNMP port', 'port', 161],
    ]);
  });
});
