// End-to-end test of the checks list and a check's page against the real binary: a check
// without a node is listed; the heartbeat bar shows its failed runs; filters; pausing and
// resuming many at once; a check's page with its figures, outages and events; the overview's
// bars. At a desktop and at a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test checks.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP,
  PHONE,
  startServer,
  setupAdmin,
  adminApi,
  startPeer,
  closedPort,
  openPage,
  logIn,
} from './harness.mjs';

async function flow(name, viewport) {
  const server = await startServer();
  let failing = false;
  const peer = await startPeer(() => (failing ? { status: 503, body: 'maintenance' } : {}));
  const { page, problems, shot, noHScroll } = await openPage(name, viewport);
  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    const node = (await api('POST', '/api/v1/nodes', { name: 'web-1', type: 'vm' })).data;
    const site = { name: 'site', kind: 'http', target: peer.url, interval: '1s', timeout: '500ms', node_id: node.id };
    const check = (await api('POST', '/api/v1/checks', site)).data;
    // A check without a node: README's first example is one.
    const port = await closedPort();
    await api('POST', '/api/v1/checks', { name: 'lonely', kind: 'tcp', target: `127.0.0.1:${port}`, interval: '1s' });

    await logIn(page, server);
    await page.goto(server.base + '/checks');
    await page.getByRole('heading', { name: 'Checks' }).waitFor();
    await page.locator('#check-count', { hasText: '2 total' }).waitFor();
    const row = (n) => page.locator('.check-row', { has: page.getByRole('link', { name: n, exact: true }) });
    await row('lonely').locator('.badge.s-down').waitFor({ timeout: 20000 });
    await row('site').locator('.badge.s-up').waitFor();

    failing = true;
    await row('site').locator('.badge.s-down').waitFor({ timeout: 20000 });
    failing = false;
    await row('site').locator('.badge.s-up').waitFor({ timeout: 20000 });
    // The bar follows within a poll: a red slot for each failed run.
    await page.reload();
    // (attached: a phone's rows leave the bar out)
    await row('site').locator('svg.heartbeat path.hb-d').first().waitFor({ state: 'attached', timeout: 20000 });
    assert.match(await row('site').locator('svg.heartbeat').getAttribute('aria-label'), /^\d+ of 50 slots down/);
    await shot('1-list');
    await noHScroll('the checks list');

    await page.getByRole('button', { name: /Up$/ }).click();
    await page.locator('#check-count', { hasText: '2 total' }).waitFor();
    assert.equal(await row('lonely').count(), 0);
    await page.getByRole('button', { name: /Up$/ }).click();
    await page.getByLabel('Search').fill('lonely');
    assert.equal(await row('site').count(), 0);
    await page.getByLabel('Search').fill('');

    // Many at once.
    await page.getByLabel(/Select all 2 shown/).check();
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByText('Paused 2 checks.').waitFor();
    await row('site').locator('.badge.s-paused').waitFor();
    assert.deepEqual(
      (await api('GET', '/api/v1/checks')).data.map((c) => c.enabled),
      [false, false],
    );
    await page.getByLabel(/Select all 2 shown/).check();
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.getByText('Resumed 2 checks.').waitFor();

    // The check's own page.
    await row('site').getByRole('link', { name: 'site' }).click();
    await page.getByRole('heading', { name: 'site', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Outages in the last 30 days' }).waitFor();
    await page.locator('table tbody tr', { hasText: '503' }).first().waitFor();
    await page.locator('.figures dd', { hasText: '%' }).first().waitFor();
    await page.locator('.events li[data-kind="check.state_changed"]').first().waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByText(/^Ran now: up/).waitFor();
    await shot('2-check');
    await noHScroll('the check page');
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Check site' }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/checks/${check.id}/edit`);

    // The overview has the node's bar and uptime.
    await page.goto(server.base + '/');
    const nodeRow = page.locator('.node-row', { hasText: 'web-1' });
    await nodeRow.locator('svg.heartbeat').waitFor({ state: 'attached' });
    assert.match(await nodeRow.locator('.c-uptime').textContent(), /%/);
    assert.deepEqual(problems, []);
  } finally {
    await page.context().close();
    await peer.stop();
    await server.stop();
  }
}

test('checks are listed with their bars, filtered, paused in bulk and shown one by one, desktop', () =>
  flow('checks-desktop', DESKTOP));
test('checks are listed with their bars, filtered, paused in bulk and shown one by one, phone', () =>
  flow('checks-phone', PHONE));
