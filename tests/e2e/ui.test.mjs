// End-to-end test of the web UI against the real binary: setup, login, a node, an HTTP check
// against a server this test runs, its state live on the page, an alert rule for it, the server
// stopped, the check and the node down and the alert firing without a reload, the alert
// acknowledged and silenced; the map, API tokens and the audit log; at a desktop and at a
// phone width.
//   cd tests/e2e && npm ci && TELLTALE_BIN=../../build/telltale node --test
// Needs Debian's chromium at /usr/bin/chromium (override with CHROMIUM). Screenshots go to ./artifacts/.
// The channels, outbox and maintenance windows have their own file, channels.test.mjs.
// TELLTALE_WEB_DIR=../../build/web-dist serves the UI from disk (--web-dir): with
// `node build.mjs --watch --outdir ../build/web-dist` in web/, UI edits need no C++ rebuild.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USER, PASS, DESKTOP, PHONE, startServer, adminApi, startPeer, openPage, setUpInPage } from './harness.mjs';

// A tile server for the map: a 1-pixel PNG for every path.
const PNG_1PX = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const tilePeer = () => startPeer(() => ({ type: 'image/png', body: PNG_1PX }));

async function flow(name, viewport) {
  const server = await startServer();
  const peer = await startPeer();
  const tileServer = await tilePeer();
  const { context, page, problems, shot, noHScroll } = await openPage(name, viewport);
  let socket; // the UI's WebSocket (the newest, after a reconnect)
  page.on('websocket', (ws) => {
    socket = ws;
  });
  const row = (node) =>
    page.locator('main a.node-row', { has: page.locator('.c-name', { hasText: new RegExp(`^${node}$`) }) });
  const checkRow = (check) => page.locator(`main tr[data-check="${check}"]`);

  try {
    // First run: setup form, then logged in as the new admin, live.
    await page.goto(server.base + '/');
    await page.getByRole('heading', { name: 'Set up Telltale' }).waitFor();
    await noHScroll('setup');
    await shot('1-setup');
    await setUpInPage(page, server);
    // The first-run step (first_alerts.test.mjs goes through it); this test counts the alerts of
    // its own rule, so the built-in rules go.
    await page.getByRole('heading', { name: 'Where should alerts go?' }).waitFor();
    await page.getByRole('link', { name: 'Skip for now' }).click();
    const api = await adminApi(server);
    for (const r of (await api('GET', '/api/v1/alert-rules')).data)
      if (r.builtin) await api('DELETE', `/api/v1/alert-rules/${r.id}`);
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
    await page.locator('#who', { hasText: USER }).waitFor();
    await page.locator('#conn.live').waitFor();
    await page.evaluate(() => {
      window.__sameDocument = true;
    });

    // Add a node through the form: a bad label is refused next to its field, then it is added.
    const form = page.locator('details.add form');
    await page.locator('summary', { hasText: 'Add node' }).click();
    await form.getByLabel('Labels value 1').fill('oops');
    await form.getByLabel('Name').fill('web-1');
    await form.getByRole('button', { name: 'Add node' }).click();
    await page.locator('#f-labels-err', { hasText: 'has no name' }).waitFor();
    await form.getByLabel('Type').selectOption('vm');
    await form.getByLabel('Address').fill('127.0.0.1');
    await form.getByLabel('Labels key 1').fill('site');
    await form.getByLabel('Labels value 1').fill('lab');
    await form.getByLabel('Labels key 2').fill('team');
    await form.getByLabel('Labels value 2').fill('core');
    await form.getByLabel('Location').fill('52.37, 4.89');
    await form.getByRole('button', { name: 'Add node' }).click();
    await row('web-1').waitFor();
    assert.match(await row('web-1').innerText(), /Unknown/);
    // The same type and name again: the server's 409 shows next to the name.
    await form.getByLabel('Name').fill('web-1');
    await form.getByRole('button', { name: 'Add node' }).click();
    await page.locator('#f-name-err').waitFor();
    await form.getByLabel('Name').fill('');

    // A node created through the API (not this page) shows up live.
    const status = await page.evaluate(async () => {
      const me = await (await fetch('/api/v1/auth/me')).json();
      const r = await fetch('/api/v1/nodes', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.data.csrf_token },
        body: JSON.stringify({ name: 'db-1', type: 'baremetal', address: '10.0.0.2', labels: { site: 'hq' } }),
      });
      return r.status;
    });
    assert.equal(status, 201);
    await row('db-1').waitFor();

    // The server restarts while the browser is offline: the indicator says so; a node added
    // before the browser is back appears after the reconnect, replayed from the event cursor.
    await context.setOffline(true);
    await server.restart();
    await page.locator('#conn.reconnecting').waitFor();
    await (
      await adminApi(server)
    )('POST', '/api/v1/nodes', { name: 'late-1', type: 'iot', labels: { site: 'hq' } });
    await noHScroll('reconnecting');
    await context.setOffline(false);
    await page.locator('#conn.live').waitFor();
    await row('late-1').waitFor();

    // Keyboard: arrows move between rows, Enter opens one.
    await row('db-1').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    assert.equal(await page.evaluate(() => document.activeElement.closest('[data-index]')?.dataset.index), '0');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.closest('[data-index]')?.dataset.index), '1');

    // Search, grouping by a label.
    await page.getByRole('searchbox', { name: 'Search' }).fill('site=hq');
    await row('web-1').waitFor({ state: 'detached' });
    await row('db-1').waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await page.getByLabel('Group by').selectOption('label:site');
    await page.locator('.group-row', { hasText: 'lab' }).waitFor();
    await noHScroll('overview');
    await shot('2-overview');

    // The node page; an HTTP check on the peer, created in the check editor.
    await row('web-1').click();
    await page.getByRole('heading', { name: 'web-1' }).waitFor();
    await page.getByRole('link', { name: 'Add check' }).click();
    await page.getByRole('heading', { name: 'New check' }).waitFor();
    await page.getByLabel('Kind').selectOption('http');
    await page.getByRole('group', { name: /options/ }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('site');
    await page.getByLabel('Target').fill(peer.url);
    await page.getByLabel('Interval').fill('1s');
    await page.getByLabel('Timeout').fill('900ms');
    await page.getByLabel('Conditions (one a line)').fill('status == 201');
    await page.locator('summary', { hasText: 'Condition help' }).click();
    await page.locator('.facts-table code', { hasText: /^status$/ }).waitFor();
    await page.getByLabel('Interval').fill('0s');
    await page.getByRole('button', { name: 'Create check' }).click();
    await page.locator('#f-interval-err').waitFor(); // the server's 422, next to its field
    await noHScroll('check editor');
    await shot('3-check-editor');
    await page.getByLabel('Interval').fill('1s');
    await page.getByRole('button', { name: 'Create check' }).click();
    await page.getByRole('heading', { name: 'web-1' }).waitFor();
    // status == 201 fails against the peer's 200: down, live.
    await checkRow('site').locator('.badge', { hasText: 'Down' }).waitFor();

    // Edit the condition to one that holds; "Test" answers at once.
    await checkRow('site').getByRole('link', { name: 'site' }).click();
    await page.getByRole('heading', { name: 'site', exact: true }).waitFor(); // the check's page
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Check site' }).waitFor();
    await page.getByLabel('Conditions (one a line)').fill('status == 200');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.locator('.run-result', { hasText: /^Up in/ }).waitFor();
    await page.getByRole('link', { name: 'web-1' }).click();

    // It turns up live, the node with it; the charts have data, and new samples of the node's
    // series keep arriving over the WebSocket.
    const samples = socket.waitForEvent('framereceived', {
      predicate: (f) =>
        String(f.payload).includes('"topic":"series:probe_duration_seconds{node=\\"web-1\\",kind=\\"http\\"}"'),
      timeout: 15000,
    });
    await checkRow('site').locator('.badge', { hasText: 'Up' }).waitFor();
    await page.locator('.node-page .head .badge', { hasText: 'Up' }).waitFor();
    await page.locator('.chart .uplot').first().waitFor();
    await samples;
    await noHScroll('node up');
    await shot('4-node-up');

    // An alert rule for the check, in the rule editor: the expression's current value first.
    await page.getByRole('link', { name: 'Alerts' }).first().click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('heading', { name: 'New alert rule' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('SiteDown');
    await page.getByLabel('Expression').fill('probe_success{check="site"}');
    await page.locator('.preview-box', { hasText: '1 series now' }).waitFor();
    await page.getByLabel('Expression').fill('probe_success{check="site"');
    await page.locator('.preview-box .expr-error pre').waitFor();
    await shot('4a-rule-preview-error');
    await page.getByLabel('Kind').selectOption('check_state');
    await page.getByLabel('Check', { exact: true }).selectOption({ label: 'site' });
    await page.getByLabel('Severity').selectOption('critical');
    await page.getByLabel('Evaluate every').fill('1s');
    await page.getByLabel('Annotations value 1').fill('Site check {{ $labels.check }} is down'); // the name: the default summary
    await noHScroll('rule editor');
    await shot('4b-rule-editor');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { name: 'Alert rule SiteDown' }).waitFor();
    await page.getByRole('link', { name: 'Overview' }).first().click();
    await row('web-1').click();
    await checkRow('site').locator('.badge', { hasText: 'Up' }).waitFor();

    // The peer stops: the check and the node go down without a reload.
    await peer.stop();
    await checkRow('site').locator('.badge', { hasText: 'Down' }).waitFor();
    await page.locator('.node-page .head .badge', { hasText: 'Down' }).waitFor();
    await page.locator('.events li', { hasText: 'Check site is down' }).first().waitFor();
    await page.locator('.node-page .alert-item[data-state=firing]', { hasText: 'SiteDown' }).waitFor();
    await noHScroll('node down');
    await shot('5-node-down');

    // Overview and events log agree; the kiosk view shows the node among the problems.
    await page.getByRole('link', { name: 'Overview' }).first().click();
    await row('web-1').locator('.badge', { hasText: 'Down' }).waitFor();
    await page.getByRole('link', { name: 'Events' }).click();
    await page.locator('.events li', { hasText: 'Node web-1 is down' }).first().waitFor();
    await page.locator('.events li.s-down', { hasText: 'Alert SiteDown is firing (check=site' }).first().waitFor();
    await noHScroll('events');
    await shot('6-events');

    // The alert fired (live on the alerts page); it is acknowledged with a comment, then silenced.
    await page.getByRole('link', { name: 'Alerts' }).first().click();
    const firing = page.locator('.alert-item[data-state=firing]', { hasText: 'SiteDown' });
    await firing.waitFor();
    assert.match(await firing.innerText(), /Site check site is down/);
    await page.locator('#firing-count', { hasText: '1' }).waitFor(); // in the navigation, on every page
    await page.getByLabel('State').selectOption('firing');
    await firing.getByRole('button', { name: 'Acknowledge' }).click();
    await firing.getByLabel('Comment').fill('looking into it');
    await firing.getByRole('button', { name: 'Acknowledge' }).click();
    await firing.locator('.acked', { hasText: `acknowledged by ${USER}` }).waitFor();
    await firing.getByText('“looking into it”').waitFor();
    await noHScroll('alerts');
    await shot('6b-alerts');
    await firing.getByRole('link', { name: 'Silence' }).click();
    await page.getByRole('heading', { name: 'Silences' }).waitFor();
    assert.match(await page.getByLabel('Matchers').inputValue(), /alertname="SiteDown"/);
    await page.getByLabel('Comment').fill('peer under repair');
    await page.getByRole('button', { name: 'Create silence' }).click();
    await page
      .locator('table.silences tr', { hasText: 'peer under repair' })
      .locator('.badge', { hasText: 'Active' })
      .waitFor();
    await noHScroll('silences');
    await page.getByRole('link', { name: 'Alerts', exact: true }).first().click();
    await firing.locator('.chip', { hasText: 'silenced' }).waitFor();

    // The map: web-1 where it was placed, down; a click opens it.
    await page.getByRole('link', { name: 'Map' }).click();
    const marker = page.locator('.marker', { hasText: 'web-1' });
    await marker.locator('circle.m-down').waitFor();
    await noHScroll('map');
    await shot('6c-map');
    // A base map from a tile server of another origin: the tiles load (the page's CSP lets them;
    // a refusal would also land in `problems`).
    await page.locator('summary', { hasText: 'Base map tiles' }).click();
    await page.getByLabel(/Tile URL/).fill(tileServer.url + 'tiles/{z}/{x}/{y}.png');
    await page.getByRole('button', { name: 'Save' }).click();
    // A request reaching the tile server is the proof: a CSP that refused the image would not send it.
    const tile = await tileServer.waitFor(() => true, 'tile request: refused by the CSP?');
    assert.match(tile.url, /^\/tiles\/\d+\/\d+\/\d+\.png$/);
    await marker.click();
    await page.getByRole('heading', { name: 'web-1' }).waitFor();

    // A token, shown once; the audit log has the acknowledgement.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name', { exact: true }).fill('grafana');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#new-token').waitFor();
    await noHScroll('tokens');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('table.audit tr', { hasText: 'alert.ack' }).first().waitFor();
    await noHScroll('audit');
    await shot('6d-audit');
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'page was reloaded');
    await page.goto(server.base + '/?kiosk=1');
    await page.locator('.tile.s-down', { hasText: 'web-1' }).waitFor();
    await page.locator('.kiosk-alerts', { hasText: '1 alert firing' }).waitFor();
    await noHScroll('kiosk');
    await shot('7-kiosk');

    // Logout, a wrong password, then login again.
    await page.goto(server.base + '/');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.form-error').waitFor();
    await noHScroll('login');
    await page.getByLabel('Password').fill(PASS);
    await page.getByRole('button', { name: 'Log in' }).click();
    await row('db-1').waitFor();
    await page.locator('#conn.live').waitFor();

    // Dark mode toggle is remembered across reloads (and the session survives the reload too).
    await page.getByRole('button', { name: 'Dark mode' }).click();
    await page.reload();
    await row('db-1').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await shot('8-dark');
    await page.getByRole('link', { name: 'Alerts' }).first().click();
    await page.locator('.alert-item[data-state=firing]').first().waitFor();
    await shot('9-dark-alerts');

    assert.deepEqual(problems, []);
  } catch (e) {
    await shot('failure').catch(() => {});
    e.message += '\n--- server log ---\n' + server.log.slice(-40).join('\n');
    throw e;
  } finally {
    await context.close();
    await peer.stop();
    await tileServer.stop();
    await server.stop();
  }
}

test('desktop flow', { timeout: 120000 }, () => flow('desktop', DESKTOP));
test('phone flow', { timeout: 120000 }, () => flow('phone', PHONE));
