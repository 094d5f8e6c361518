// Events published out of id order (committed by different threads) are each handled once; a
// node keeps the newest of its events; a reconnect replays the window below the cursor.
import { describe, it, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { route, calls, sockets, until } from './fake_server.js';
import { start, stop, onEvent, nodes } from '../../web/src/live.js';

const ev = (id, topic, kind, data) => ({
  type: 'event',
  topic: 'events',
  data: { id, topic, kind, at: new Date().toISOString(), data },
});
const nodeEv = (id, status) =>
  ev(id, 'nodes', 'node.updated', { node: { id: 1, name: 'gw', status }, changed: ['status'] });

describe('event order', () => {
  const handled = [];
  let stopHandler;
  beforeAll(async () => {
    route('GET', '/api/v1/events', (req) =>
      req.query.get('after')
        ? [
            { id: 14, topic: 'checks', kind: 'check.created', at: new Date().toISOString(), data: {} },
            { id: 16, topic: 'checks', kind: 'check.created', at: new Date().toISOString(), data: {} },
          ]
        : [{ id: 10 }],
    );
    route('GET', '/api/v1/nodes', [{ id: 1, name: 'gw', status: 'up' }]);
    route('GET', '/api/v1/alerts', []);
    stopHandler = onEvent((e) => handled.push(e.id));
    start();
    await until(() => sockets.length === 1 && sockets[0].sent.length === 1, 'the socket');
    await sockets[0].receive({ type: 'subscribed', topics: ['events'] });
  });
  afterAll(() => {
    stopHandler();
    stop();
  });

  it("handles a late event once, ignores what the snapshot holds, and keeps a node's newest state", async () => {
    const sock = sockets[0];
    await sock.receive(ev(9, 'alerts', 'alert.firing', { alert: { id: 1, state: 'firing' } })); // in the snapshot
    await sock.receive(nodeEv(13, 'down'));
    await sock.receive(ev(12, 'alerts', 'alert.firing', { alert: { id: 2, state: 'firing' } })); // late
    await sock.receive(nodeEv(11, 'up')); // late, and older than the node's state
    await sock.receive(nodeEv(13, 'down')); // again
    assert.deepEqual(handled, [13, 12, 11]);
    assert.equal(nodes.get(1).status, 'down');
  });

  it('replays from below the cursor after a reconnect, skipping what it handled', async () => {
    sockets[0].close();
    await until(() => sockets.length === 2 && sockets[1].sent.length === 1, 'the reconnect', 5000);
    await sockets[1].receive({ type: 'subscribed', topics: ['events'] });
    await until(() => handled.includes(16), 'the catch-up');
    const replay = calls.filter((c) => c.query.get('after'));
    assert.equal(replay[0].query.get('after'), '10'); // the snapshot's cursor: the window starts there
    assert.deepEqual(handled, [13, 12, 11, 14, 16]);
  });
});
