// End-to-end test of a kiosk link: the admin makes one on the settings page, a browser with no
// session opens its address and sees the wall screen (the nodes and their bars), a node that
// goes down shows within the polling interval, and revoking the link makes the screen say it is
// no longer valid. At a desktop and at a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test kiosk.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, startServer, setupAdmin, adminApi, startPeer, openPage, logIn } from './harness.mjs';

const POLL_MS = 10000; // the wall screen's (pages/kiosk.jsx)

async function flow(name, viewport) {
  const server = await startServer();
  let failing = false;
  const peer = await startPeer(() => (failing ? { status: 503, body: 'maintenance' } : {}));
  const admin = await openPage(name + '-admin', viewport);
  let wall;
  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    const node = (await api('POST', '/api/v1/nodes', { name: 'web-1', type: 'vm' })).data;
    await api('POST', '/api/v1/checks', {
      name: 'site',
      kind: 'http',
      target: peer.url,
      interval: '1s',
      timeout: '500ms',
      node_id: node.id,
    });

    // The admin makes the link; its address is shown once.
    const { page, shot } = admin;
    await logIn(page, server);
    await page.goto(server.base + '/settings/kiosk');
    await page.getByRole('heading', { name: 'Wall screens' }).waitFor();
    await page.getByLabel('Name').fill('NOC wall');
    await page.getByRole('button', { name: 'Create link' }).click();
    const url = (await page.locator('#new-kiosk-url').textContent()).trim();
    assert.match(url, new RegExp(`^${server.base}/\\?kiosk=ttk_[A-Za-z0-9_-]{43}$`));
    const row = page.locator('tr', { hasText: 'NOC wall' });
    await row.waitFor();
    assert.ok(!(await row.textContent()).includes(url.split('=')[1]), 'the list shows no token');
    await shot('1-made');
    await admin.noHScroll('the wall screens settings');

    // A browser with no session opens it: the wall screen, no login, no live link.
    wall = await openPage(name + '-wall', viewport);
    const sockets = [];
    wall.page.on('websocket', (ws) => sockets.push(ws.url()));
    await wall.page.goto(url);
    const bar = wall.page.locator('.knode[data-node="web-1"] svg.heartbeat');
    await bar.waitFor({ timeout: 20000 });
    await wall.page.locator('.kiosk-ok', { hasText: 'All 1 nodes are up.' }).waitFor({ timeout: 20000 });
    assert.match(await wall.page.locator('.knode[data-node="web-1"] .kup').textContent(), /%|–/);
    assert.equal(await wall.page.locator('header.top').count(), 0);
    assert.equal(await wall.page.getByRole('heading', { name: 'Log in' }).count(), 0);
    await wall.shot('2-up');
    await wall.noHScroll('the wall screen');

    // A node going down shows within the polling interval of the server knowing it.
    failing = true;
    const deadline = Date.now() + 20000;
    while ((await api('GET', `/api/v1/nodes/${node.id}`)).data.status !== 'down') {
      assert.ok(Date.now() < deadline, 'the node did not go down');
      await new Promise((r) => setTimeout(r, 200));
    }
    const downAt = Date.now();
    await wall.page.locator('.tile.s-down', { hasText: 'web-1' }).waitFor({ timeout: POLL_MS + 3000 });
    assert.ok(Date.now() - downAt <= POLL_MS + 3000);
    await wall.page.locator('.knode[data-node="web-1"] svg.heartbeat path.hb-d').first().waitFor({ state: 'attached' });
    await wall.shot('3-down');
    await wall.noHScroll('the wall screen with a problem');

    // Revoked: the screen says so at its next read, with no login form.
    page.once('dialog', (d) => d.accept());
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.filter({ hasText: 'revoked' }).waitFor();
    await wall.page
      .getByRole('heading', { name: 'This wall screen link is no longer valid' })
      .waitFor({ timeout: POLL_MS + 3000 });
    assert.equal(await wall.page.locator('.knode').count(), 0);
    assert.equal(await wall.page.getByLabel('Password').count(), 0);
    await wall.shot('4-revoked');
    await wall.noHScroll('the revoked link');
    assert.deepEqual(sockets, [], 'the wall screen opens no WebSocket');
    assert.deepEqual(admin.problems, []);
    assert.deepEqual(wall.problems, []);
  } finally {
    await wall?.context.close();
    await admin.context.close();
    await peer.stop();
    await server.stop();
  }
}

test('a kiosk link shows the wall screen without a login until it is revoked, desktop', () =>
  flow('kiosk-desktop', DESKTOP));
test('a kiosk link shows the wall screen without a login until it is revoked, phone', () => flow('kiosk-phone', PHONE));
