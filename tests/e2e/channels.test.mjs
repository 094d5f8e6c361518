// End-to-end test of notification channels, the outbox and maintenance windows against the real
// binary: a webhook channel created in the UI to a receiver this test runs on loopback, "Send
// test" delivered there, one to a closed port showing the error, its secret masked when opened
// again; the channel attached to an alert rule in the rule editor with an escalation step (the
// server's refusal of its delay shown at the step), the rule's check brought down, the firing
// at the receiver and delivered in the outbox; a one-off maintenance window over the node
// created in the UI, active, its chip on the alert, a rule that fires inside it muted in the
// outbox and never sent, and the chip gone live when the window is deleted. At a desktop and at
// a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test channels.test.mjs
// (see ui.test.mjs for CHROMIUM and TELLTALE_WEB_DIR).
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

const SECRET = 'hook-token-4f1c9a';
const json = (r) => {
  try {
    return JSON.parse(r.body);
  } catch {
    return {};
  }
};

async function flow(name, viewport) {
  const server = await startServer();
  const site = await startPeer(); // the HTTP check watches it; stopped to make the alert fire
  const receiver = await startPeer(); // the webhook's receiver
  const { context, page, problems, shot, noHScroll } = await openPage(name, viewport);
  const nav = (label) =>
    page.locator('nav[aria-label=Alerting]').getByRole('link', { name: label, exact: true }).click();
  const outboxRow = (text) => page.locator('table.outbox tr[data-notification]', { hasText: text });

  try {
    // What the alerting pages work on, made over the API: a node, an HTTP check of it every
    // second, and a rule alerting while that check is down (no channels yet).
    await setupAdmin(server);
    const api = await adminApi(server);
    const node = (await api('POST', '/api/v1/nodes', { name: 'web-1', type: 'vm', address: '127.0.0.1' })).data;
    const check = (
      await api('POST', '/api/v1/checks', {
        name: 'site',
        kind: 'http',
        target: site.url,
        interval: '1s',
        timeout: '900ms',
        node_id: node.id,
      })
    ).data;
    await api('POST', '/api/v1/alert-rules', {
      name: 'SiteDown',
      kind: 'check_state',
      check_id: check.id,
      severity: 'critical',
      interval: '1s',
      annotations: { summary: 'Site check {{ $labels.check }} is down' },
    });
    await logIn(page, server);

    // A webhook channel to the receiver, with a secret and a header; "Send test" reaches it.
    await page.getByRole('link', { name: 'Alerts' }).first().click();
    await nav('Channels');
    await page.getByRole('heading', { name: 'Channels', exact: true }).waitFor();
    await page.getByText('No channels yet').waitFor();
    await page.getByRole('link', { name: 'New channel' }).click();
    await page.getByRole('heading', { name: 'New channel' }).waitFor();
    assert.equal(await page.getByLabel('Kind').inputValue(), 'webhook');
    await page.getByLabel('Name', { exact: true }).fill('ops-hook');
    await page.getByLabel('URL (required)').fill(receiver.url + 'hook');
    await page.getByLabel('Request headers name 1').fill('X-Team');
    await page.getByLabel('Request headers value 1').fill('net');
    await page.getByLabel('Bearer token').fill(SECRET);
    await noHScroll('channel editor');
    await shot('1-channel-new');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByRole('heading', { name: 'Channel ops-hook' }).waitFor();
    const hookId = +new URL(page.url()).pathname.split('/').pop();
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.locator('.run-result', { hasText: 'Delivered.' }).waitFor();
    const testMsg = await receiver.waitFor((r) => json(r).title?.startsWith('[TEST]'), 'test message');
    assert.equal(testMsg.method, 'POST');
    assert.equal(testMsg.url, '/hook');
    assert.equal(testMsg.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(testMsg.headers['x-team'], 'net');
    await noHScroll('test delivered');
    await shot('2-test-delivered');

    // Opened again from the list: the secret reads masked, and the page holds it nowhere.
    await page.getByRole('link', { name: 'Channels', exact: true }).first().click();
    await page.locator(`table.channels tr[data-channel="${hookId}"]`).getByRole('link', { name: 'ops-hook' }).click();
    await page.getByRole('heading', { name: 'Channel ops-hook' }).waitFor();
    assert.equal(await page.getByLabel('Bearer token').inputValue(), '********');
    await page.getByText('Stored; kept unless you change it.').waitFor();
    assert.equal(await page.getByLabel('URL (required)').inputValue(), receiver.url + 'hook');
    assert.ok(!(await page.content()).includes(SECRET), 'the secret is on the page');
    // Saving it unchanged keeps the stored secret: the next test still carries it.
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const tests = receiver.requests.length;
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.locator('.run-result', { hasText: 'Delivered.' }).waitFor();
    assert.equal(receiver.requests.length, tests + 1);
    assert.equal(receiver.requests.at(-1).headers.authorization, `Bearer ${SECRET}`);

    // A channel to a closed port: the test says why it was not delivered.
    await page.getByRole('link', { name: 'Channels', exact: true }).first().click();
    await page.getByRole('link', { name: 'New channel' }).click();
    await page.getByLabel('Name', { exact: true }).fill('dead-hook');
    await page.getByLabel('URL (required)').fill(`http://127.0.0.1:${await closedPort()}/hook`);
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByRole('heading', { name: 'Channel dead-hook' }).waitFor();
    const deadId = +new URL(page.url()).pathname.split('/').pop();
    await page.getByRole('button', { name: 'Send test' }).click();
    const failed = page.locator('.run-result', { hasText: 'Not delivered:' });
    await failed.waitFor();
    assert.match(await failed.innerText(), /connect/i);
    await noHScroll('test failed');
    await shot('3-test-failed');

    // The rule editor attaches ops-hook to SiteDown, and an escalation step to dead-hook: a
    // delay the server refuses shows at the step, then a good one is saved.
    await page.getByRole('link', { name: 'Alerts' }).first().click();
    await nav('Rules');
    await page.getByRole('link', { name: 'SiteDown' }).click();
    await page.getByRole('heading', { name: 'Alert rule SiteDown' }).waitFor();
    const notify = page.locator('fieldset.channel-choice');
    await notify.getByRole('checkbox', { name: /ops-hook/ }).check();
    await page.getByRole('button', { name: 'Add escalation step' }).click();
    const step = page.locator('fieldset.step', { hasText: 'Step 1' });
    await step.getByLabel('After').fill('30s');
    await step.getByRole('checkbox', { name: /dead-hook/ }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await step.locator('#f-escalations-0--after-err').waitFor();
    assert.equal(await step.getByLabel('After').getAttribute('aria-invalid'), 'true');
    await noHScroll('rule editor');
    await shot('3b-escalation-error');
    await step.getByLabel('After').fill('15m');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    assert.equal(await notify.getByRole('checkbox', { name: /ops-hook/ }).isChecked(), true);
    assert.equal(await notify.getByRole('checkbox', { name: /dead-hook/ }).isChecked(), false);
    assert.equal(await step.getByLabel('After').inputValue(), '15m');
    assert.deepEqual((await api('GET', '/api/v1/alert-rules')).data.find((r) => r.name === 'SiteDown').escalations, [
      { after: '15m', channels: [deadId] },
    ]);

    // The site goes down: SiteDown fires, the receiver gets it, the outbox shows it delivered.
    await site.stop();
    const firing = await receiver.waitFor(
      (r) => json(r).event === 'firing' && json(r).alert?.rule === 'SiteDown',
      'SiteDown firing',
      30000,
    );
    const fired = json(firing);
    assert.equal(firing.headers['idempotency-key'], `telltale-${fired.notification_id}`);
    assert.equal(fired.alert.labels.node, 'web-1');
    assert.match(fired.text, /Site check site is down/);
    await page.getByRole('link', { name: 'Alerts' }).first().click();
    await nav('Channels');
    const delivered = page.locator(`table.outbox tr[data-notification="${fired.notification_id}"]`);
    await delivered.locator('.badge', { hasText: 'Delivered' }).waitFor();
    assert.match(await delivered.innerText(), /ops-hook[\s\S]*SiteDown[\s\S]*firing/);
    await noHScroll('outbox');
    await shot('4-outbox');

    // A one-off maintenance window over web-1 from a minute ago: active, and on the alert.
    await nav('Maintenance');
    await page.getByRole('heading', { name: 'Maintenance', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New window' }).click();
    await page.getByLabel('Name', { exact: true }).fill('disk-swap');
    await page.getByLabel('Comment', { exact: true }).fill('new disks in web-1');
    await page.getByLabel('Nodes (names, comma-separated)').fill('web-1');
    const minuteAgo = await page.evaluate(() => {
      const d = new Date(Date.now() - 60e3),
        p = (n) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    });
    await page.getByLabel('From', { exact: true }).fill(minuteAgo);
    await noHScroll('maintenance form');
    await shot('5-maintenance-form');
    await page.getByRole('button', { name: 'Create window' }).click();
    await page.getByText('Window disk-swap created.').waitFor();
    const win = page.locator('table.maintenance tr[data-active="true"]', { hasText: 'disk-swap' });
    await win.locator('.badge', { hasText: 'Active' }).waitFor();
    assert.match(await win.innerText(), /nodes: web-1/);
    await page.locator('#maint-active', { hasText: '1 active now.' }).waitFor();
    await noHScroll('maintenance');
    await shot('6-maintenance');
    await nav('Alerts');
    const alert = page.locator('.alert-item[data-state=firing]', { hasText: 'SiteDown' });
    await alert.locator('.chip.maint', { hasText: 'maintenance: disk-swap' }).waitFor();
    await noHScroll('alerts in maintenance');
    await shot('7-alert-maintenance');

    // A rule on the same node that fires inside the window: muted in the outbox, never sent.
    await api('POST', '/api/v1/alert-rules', {
      name: 'SiteFailing',
      expr: 'probe_success{check="site"} == 0',
      severity: 'warning',
      interval: '1s',
      channels: [hookId],
    });
    await nav('Channels');
    await page.locator('#ob-state').selectOption('muted');
    await outboxRow('SiteFailing').locator('.badge', { hasText: 'Muted' }).waitFor({ timeout: 30000 });
    assert.doesNotMatch(await outboxRow('SiteFailing').innerText(), /sent/);
    assert.equal(await outboxRow('SiteDown').count(), 0, 'the state filter shows only muted notifications');
    assert.ok(!receiver.requests.some((r) => json(r).alert?.rule === 'SiteFailing'), 'a muted alert was sent');
    await noHScroll('outbox muted');
    await shot('8-outbox-muted');

    // The window deleted elsewhere while the alerts page is open: its chips go, no reload.
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    await nav('Alerts');
    await alert.locator('.chip.maint').waitFor();
    const [disk] = (await api('GET', '/api/v1/maintenance')).data;
    await api('DELETE', `/api/v1/maintenance/${disk.id}`);
    await alert.locator('.chip.maint').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'page was reloaded');

    assert.deepEqual(problems, []);
  } catch (e) {
    await shot('failure').catch(() => {});
    e.message += '\n--- server log ---\n' + server.log.slice(-40).join('\n');
    throw e;
  } finally {
    await context.close();
    await site.stop();
    await receiver.stop();
    await server.stop();
  }
}

test('channels and maintenance, desktop', { timeout: 120000 }, () => flow('channels-desktop', DESKTOP));
test('channels and maintenance, phone', { timeout: 120000 }, () => flow('channels-phone', PHONE));
