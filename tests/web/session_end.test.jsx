// The session's end as the live link learns it: the server closes the socket with 1008 when
// the credential it was opened with ends (a logout elsewhere, a revoked token, a changed
// password, its expiry). The app, rendered whole, shows the login page with a notice instead
// of reconnecting; a drop for any other reason still reconnects.
import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { route, sockets, until } from './fake_server.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The socket opens (the app's components have mounted by then), subscribes and goes live.
const live = async (sock) => {
  await sleep(20);
  await sock.receive({ type: 'subscribed', topics: ['events'] });
  await until(() => document.querySelector('#conn.live'), 'the live link');
};

describe('a credential the server ends', () => {
  it('goes to the login page instead of reconnecting', async () => {
    route('GET', '/api/v1/setup', { needs_setup: false });
    route('GET', '/api/v1/auth/me', { user: { username: 'ann' }, role: 'admin', csrf_token: 'c' });
    route('GET', '/api/v1/events', [{ id: 10 }]);
    route('GET', '/api/v1/nodes', []);
    route('GET', '/api/v1/alerts', []);
    document.body.innerHTML = '<div id="app"></div>';
    await import('../../web/src/main.jsx');
    await until(() => sockets.length === 1, 'the socket');
    await live(sockets[0]);
    assert.equal(document.querySelector('#who').textContent.includes('ann'), true);

    // A drop that says nothing of the credential: the link comes back (after 0.25 to 0.5 s).
    sockets[0].drop(1006);
    await until(() => sockets.length === 2, 'a reconnect');
    await live(sockets[1]);

    sockets[1].drop(1008);
    await until(() => [...document.querySelectorAll('h1')].some((h) => h.textContent === 'Log in'), 'the login page');
    assert.match(document.querySelector('.notice').textContent, /session has ended/);
    assert.equal(document.querySelector('#who'), null);
    // Longer than the first backoff: no new socket, and none when the network comes back.
    window.dispatchEvent(new Event('online'));
    await sleep(800);
    assert.equal(sockets.length, 2);
  }, 20000); // the whole app's modules load first
});
