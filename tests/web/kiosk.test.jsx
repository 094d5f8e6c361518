// The wall screen's links: the admin's settings tab that makes, shows once and revokes them, and
// the wall screen a link opens without a login (polled reads with the link's token; a refused
// link said plainly, with no login form).
import { describe, it, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { route, reset, calls, until } from './fake_server.js';
import { KioskLinks, kioskUrl } from '../../web/src/pages/settings.jsx';
import { KioskLinkPage } from '../../web/src/pages/kiosk.jsx';
import { setKioskToken } from '../../web/src/api.js';
import { Session } from '../../web/src/session.jsx';

const admin = { user: 'root', role: 'admin' };
const TOKEN = 'ttk_' + 'a'.repeat(43);
let root;
const button = (label, scope = root) => [...scope.querySelectorAll('button')].find((b) => b.textContent === label);
beforeEach(() => {
  reset();
  setKioskToken(null);
  document.body.innerHTML = '<div id="root"></div>';
  root = document.getElementById('root');
  globalThis.confirm = () => true;
});
afterEach(() => render(null, root)); // stops a wall screen's polling

describe('wall screen links in the settings', () => {
  it('makes a link and shows its whole address once, lists and revokes', async () => {
    const links = [];
    route('GET', '/api/v1/kiosk-links', () => links);
    route('POST', '/api/v1/kiosk-links', (req) => {
      const l = {
        id: 7,
        name: req.body.name,
        prefix: TOKEN.slice(0, 12),
        created_at: new Date().toISOString(),
        created_by: 'root',
        last_used_at: null,
        revoked_at: null,
      };
      links.unshift(l);
      return { status: 201, json: { success: true, data: { ...l, token: TOKEN } } };
    });
    route('DELETE', '/api/v1/kiosk-links/7', () => {
      links[0].revoked_at = new Date().toISOString();
      return { status: 204, json: {} };
    });
    await act(() =>
      render(
        <Session.Provider value={admin}>
          <KioskLinks />
        </Session.Provider>,
        root,
      ),
    );
    await until(() => root.textContent.includes('No wall screen links yet.'), 'the empty list');
    assert.ok([...root.querySelectorAll('.tabs a')].some((a) => a.textContent === 'Wall screens'));
    const name = root.querySelector('#f-name');
    name.value = 'NOC wall';
    await act(() => name.dispatchEvent(new Event('input', { bubbles: true })));
    await act(() => root.querySelector('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true })));
    await until(() => root.querySelector('#new-kiosk-url'), 'the new address');
    assert.deepEqual(calls.find((c) => c.method === 'POST').body, { name: 'NOC wall' });
    assert.equal(root.querySelector('#new-kiosk-url').textContent, `http://localhost/?kiosk=${TOKEN}`);
    assert.equal(kioskUrl(TOKEN), `http://localhost/?kiosk=${TOKEN}`);
    await until(() => root.querySelector('[data-token="7"]'), 'the listed link');
    const row = root.querySelector('[data-token="7"]');
    assert.match(row.textContent, /NOC wall/);
    assert.ok(!row.textContent.includes(TOKEN), 'the list shows the prefix only');
    await act(() => button('Revoke', row).click());
    await until(() => calls.some((c) => c.method === 'DELETE'), 'the revocation');
    await until(() => root.querySelector('[data-token="7"]')?.textContent.includes('revoked'), 'the revoked state');
  });
});

describe('the wall screen of a link', () => {
  const node = (id, name, status) => ({ id, name, status, type: 'vm', labels: { site: 'lab' } });
  let nodes;
  beforeEach(() => {
    nodes = [node(1, 'gw', 'up'), node(2, 'db', 'up')];
    route('GET', '/api/v1/nodes', () => nodes);
    route('GET', '/api/v1/alerts', {
      status: 200,
      json: { success: true, data: [], pagination: { page: 1, total: 2, total_pages: 2, has_next: true } },
    });
    route('GET', '/api/v1/availability/nodes', {
      1: { heartbeat: 'uuuu', slot_ms: 60000, uptime: { '24h': 1 } },
      2: { heartbeat: 'uudd', slot_ms: 60000, uptime: { '24h': 0.5 } },
    });
  });

  it('shows the nodes with their bars, sends the token, and polls', async () => {
    await act(() => render(<KioskLinkPage token={TOKEN} pollMs={50} />, root));
    await until(() => root.querySelectorAll('.knode').length === 2, 'the nodes');
    assert.equal(root.querySelector('.kiosk-alerts').textContent, '2 alerts firing');
    assert.match(root.querySelector('.kiosk-ok').textContent, /All 2 nodes are up/);
    assert.equal(root.querySelectorAll('.knode .heartbeat').length, 2);
    assert.equal(root.querySelector('[data-node="db"] .kup').textContent, '50.0 %');
    for (const c of calls) assert.equal(c.headers.Authorization, `Kiosk ${TOKEN}`);
    assert.deepEqual(
      new Set(calls.map((c) => c.path)),
      new Set(['/api/v1/nodes', '/api/v1/alerts', '/api/v1/availability/nodes']),
    );
    assert.equal(root.querySelector('form'), null, 'no login form');

    nodes = [node(1, 'gw', 'down'), node(2, 'db', 'up')];
    await until(() => root.querySelector('.tile.s-down'), 'the node going down');
    assert.match(root.querySelector('.tile.s-down').textContent, /gw/);
    assert.equal(root.querySelector('.kcount.s-down .n').textContent, '1');
  });

  it('says plainly that a revoked link is no longer valid, and stops reading', async () => {
    await act(() => render(<KioskLinkPage token={TOKEN} pollMs={50} />, root));
    await until(() => root.querySelectorAll('.knode').length === 2, 'the nodes');
    route('GET', '/api/v1/nodes', {
      status: 401,
      json: {
        success: false,
        error: { code: 'KIOSK_LINK_INVALID', message: 'the kiosk link is unknown or was revoked' },
      },
    });
    await until(() => root.querySelector('.kiosk-invalid'), 'the notice');
    assert.match(root.querySelector('.kiosk-invalid h1').textContent, /no longer valid/);
    assert.equal(root.querySelector('form'), null, 'no login form');
    assert.equal(root.querySelector('.knode'), null);
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls.length, n, 'no more reads');
  });

  it('keeps the last picture, marked, while the server is out of reach', async () => {
    await act(() => render(<KioskLinkPage token={TOKEN} pollMs={50} />, root));
    await until(() => root.querySelectorAll('.knode').length === 2, 'the nodes');
    route('GET', '/api/v1/nodes', { status: 503, json: { success: false, error: { code: 'X', message: 'Busy.' } } });
    await until(() => root.querySelector('.kiosk-stale'), 'the stale mark');
    assert.equal(root.querySelectorAll('.knode').length, 2);
  });
});
