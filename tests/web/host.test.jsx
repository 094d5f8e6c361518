// An agent's host on its node page (live figures from PromQL, containers) and "Add a host" (an
// enrolment token made, the command shown once, the host that registers listed as it does).
import { describe, it, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, calls, sockets, until } from './fake_server.js';
import { start, stop } from '../../web/src/live.js';
import { NodePage } from '../../web/src/pages/node.jsx';
import { AddHost, agentCommand } from '../../web/src/pages/hosts.jsx';
import { bytes, duration, hostCharts } from '../../web/src/pages/host.jsx';
import { Session } from '../../web/src/session.jsx';

const at = () => new Date().toISOString();
const host = {
  id: 1,
  name: 'pi4',
  type: 'baremetal',
  status: 'up',
  labels: {},
  created_at: new Date(Date.now() - 3600e3).toISOString(),
  metadata: {
    agent_version: '0.1.0',
    os: 'Debian GNU/Linux 12 (bookworm)',
    arch: 'aarch64',
  },
};
const vector = (value, metric = {}) => [{ metric, value: [Date.now() / 1000, String(value)] }];
// Instant queries by what they ask for.
function instant(req) {
  const q = req.query.get('query');
  let result = [];
  if (q.includes('mode="idle"')) result = vector(12.5);
  else if (q.startsWith('node_load1')) result = vector(0.42);
  else if (q.includes('MemAvailable')) result = vector(37.5);
  else if (q.includes('mountpoint="/"')) result = vector(61);
  else if (q.includes('thermal_zone')) result = vector(48.3);
  else if (q.includes('boot_time')) result = vector(2 * 86400 + 3 * 3600);
  else if (q.startsWith('container_state'))
    result = [
      {
        metric: { name: 'web', image: 'nginx:1.25', state: 'running' },
        value: [0, '1'],
      },
      {
        metric: { name: 'web', image: 'nginx:1.25', state: 'exited' },
        value: [0, '0'],
      },
    ];
  else if (q.startsWith('rate(container_cpu')) result = vector(0.25, { name: 'web' });
  else if (q.startsWith('container_memory')) result = vector(64 * 1024 * 1024, { name: 'web' });
  return {
    status: 200,
    json: { status: 'success', data: { resultType: 'vector', result } },
  };
}
let root;

beforeAll(async () => {
  route('GET', '/api/v1/events', []);
  route('GET', '/api/v1/nodes', [host]);
  route('GET', '/api/v1/alerts', []);
  route('GET', '/api/v1/checks', []);
  route('GET', '/api/v1/check-kinds', []);
  route('GET', '/api/v1/nodes/1/pins', []);
  // The newest route that matches wins: query_range after query, whose prefix it shares.
  route('GET', '/prometheus/api/v1/query', instant);
  route('GET', '/prometheus/api/v1/query_range', {
    status: 200,
    json: { status: 'success', data: { resultType: 'matrix', result: [] } },
  });
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

describe('an agent’s host', () => {
  it('shows its figures and containers', async () => {
    await act(() => render(<NodePage id={1} />, root));
    await until(() => root.querySelector('#host-title'), 'the host section');
    const tile = (label) => root.querySelector(`[data-tile="${label}"] dd`)?.textContent;
    await until(() => tile('Up for') === '2 d 3 h', 'the figures');
    assert.equal(tile('CPU'), '13%');
    assert.equal(tile('Load (1 min)'), '0.42');
    assert.equal(tile('Memory used'), '38%');
    assert.equal(tile('Root disk used'), '61%');
    assert.equal(tile('Temperature'), '48.3 °C');
    await until(() => root.querySelector('tr[data-container="web"]'), 'the containers');
    assert.deepEqual(
      [...root.querySelectorAll('tr[data-container="web"] td')].map((td) => td.textContent),
      ['web', 'nginx:1.25', 'running', '25%', '64 MiB'],
    );
    // The charts ask PromQL for the node's series alone.
    const asked = calls.filter((c) => c.path === '/prometheus/api/v1/query_range').map((c) => c.query.get('query'));
    assert.ok(asked.length >= 5);
    assert.ok(asked.every((q) => q.includes('node="pi4"')));
    render(null, root);
  });

  it('writes sizes and spans for people', () => {
    assert.equal(bytes(1536), '1.5 KiB');
    assert.equal(bytes(3 * 1024 ** 3), '3 GiB');
    assert.equal(duration(59 * 60), '59 min');
    assert.deepEqual(
      hostCharts(host).map((c) => c.title),
      ['CPU', 'Memory', 'Disk used', 'Network', 'Temperature'],
    );
  });
});

describe('add a host', () => {
  it('makes an enrolment token, shows the command once and the host that registers', async () => {
    const tokens = [];
    route('GET', '/api/v1/enrolment-tokens', () => tokens);
    route('POST', '/api/v1/enrolment-tokens', (req) => {
      const t = {
        id: 7,
        name: req.body.name,
        prefix: 'tte_abcdef',
        created_at: at(),
        uses: 0,
      };
      tokens.push(t);
      return {
        status: 201,
        json: { success: true, data: { ...t, token: 'tte_abcdefSECRET' } },
      };
    });
    await act(() =>
      render(
        <Session.Provider value={{ user: 'root', role: 'admin' }}>
          <AddHost />
        </Session.Provider>,
        root,
      ),
    );
    await until(() => root.querySelector('form'), 'the form');
    await act(() => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    await until(() => root.querySelector('#agent-command'), 'the command');
    assert.equal(root.querySelector('#agent-command').textContent, agentCommand(location.origin, 'tte_abcdefSECRET'));
    assert.equal(
      JSON.stringify(calls.filter((c) => c.method === 'POST').at(-1).body),
      '{"name":"hosts","expires_in":"7d"}',
    );
    await until(() => root.querySelector('tr[data-token="7"]'), 'the token in the list');
    assert.ok(root.querySelector('#waiting-for-host'));
    // The host registers: its node's event arrives.
    const made = { ...host, id: 2, name: 'nas', created_at: at() };
    await act(() =>
      sockets[0].receive({
        type: 'event',
        topic: 'events',
        data: {
          id: 50,
          topic: 'nodes',
          subject: '2',
          kind: 'node.created',
          at: at(),
          data: { node: made },
        },
      }),
    );
    await until(() => root.querySelector('li[data-host="nas"]'), 'the new host');
  });
});
