// End-to-end test of the first ten minutes of alerting, on a fresh server, at a desktop and at a
// phone width: setup → "where should alerts go?" with a webhook to a receiver this test runs
// (a test message reaches it) → an HTTP check against a local server, tested before saving and
// created with "notify" → up at once → the local server stopped → the built-in CheckDown rule
// and the check's own rule (made by the form, not by hand) fire and the receiver gets both.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test first_alerts.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USER, DESKTOP, PHONE, startServer, adminApi, startPeer, openPage, setUpInPage } from './harness.mjs';

const json = (r) => {
  try {
    return JSON.parse(r.body);
  } catch {
    return {};
  }
};
// A firing notification of rule `alertname` about check `check` (the webhook's default body).
const fired = (alertname, check) => (r) => {
  const b = json(r);
  return b.event === 'firing' && b.alert?.labels?.alertname === alertname && b.alert?.labels?.check === check;
};

async function flow(name, viewport) {
  const server = await startServer();
  const site = await startPeer(); // what the HTTP check watches; stopped to make it fail
  const receiver = await startPeer(); // the webhook's receiver
  const { page, problems, shot, noHScroll } = await openPage(name, viewport);
  try {
    // Setup, and straight on to where alerts should go.
    await page.goto(server.base + '/');
    await page.getByRole('heading', { name: 'Set up Telltale' }).waitFor();
    await setUpInPage(page, server);
    await page.getByRole('heading', { name: 'Where should alerts go?' }).waitFor();
    // The built-in rules it will send: there before anyone wrote one.
    for (const rule of ['CheckDown', 'NodeDown', 'CertificateExpiringSoon', 'PacketLossHigh'])
      await page.locator('.builtin-rules li', { hasText: rule }).waitFor();
    await page.getByLabel('Send alerts by').selectOption('webhook');
    await page.getByLabel('URL (required)').fill(receiver.url + 'hook');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Delivered.').waitFor();
    await receiver.waitFor((r) => json(r).title?.startsWith('[TEST]'), 'the test message');
    await noHScroll('where to send alerts');
    await shot('1-where-to-send');
    await page.getByRole('button', { name: 'Send the built-in alerts here' }).click();
    await page.waitForURL(server.base + '/');

    // A check with notify: tested before saving, then created; up at once although its first
    // slot may be up to 20 s away.
    await page.goto(server.base + '/checks/new');
    await page.getByRole('heading', { name: 'New check' }).waitFor();
    await page.getByLabel('Kind').selectOption('http');
    await page.getByLabel('Name', { exact: true }).fill('site');
    await page.getByLabel('Target').fill(site.url);
    await page.getByLabel('Interval').fill('20s');
    await page.getByLabel('Timeout').fill('2s');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.locator('.run-result', { hasText: /^Up in/ }).waitFor();
    await page.locator('.run-result .metrics', { hasText: 'probe_http_status_code' }).waitFor();
    const notify = page.getByRole('group', { name: 'Notify when it is down' });
    await notify.getByText('creates the alert rule site down').waitFor();
    await notify.getByText('CheckDown covers every check and sends to alerts').waitFor();
    await notify.getByLabel(/alerts/).check();
    await noHScroll('check form');
    await shot('2-check-form');
    const created = Date.now();
    await page.getByRole('button', { name: 'Create check' }).click();
    await page.getByRole('heading', { name: 'site', exact: true }).waitFor(); // the check's page
    await page.locator('.head .badge', { hasText: 'Up' }).waitFor({ timeout: 5000 });
    assert.ok(Date.now() - created < 5000, 'the check was up within 5 s of its creation');
    // The rule behind "notify" is named and linked from the form.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Check site' }).waitFor();
    await page
      .getByRole('group', { name: 'Notify when it is down' })
      .getByRole('link', { name: 'site down' })
      .waitFor();
    await shot('3-check-up');

    // The watched server goes away: both rules fire and the receiver hears of it.
    await site.stop();
    await receiver.waitFor(fired('CheckDown', 'site'), 'CheckDown firing', 60000);
    await receiver.waitFor(fired('site down', 'site'), 'the check’s own rule firing', 60000);
    await page.locator('.head .badge', { hasText: 'Down' }).waitFor();

    // Nobody wrote a rule: the built-in ones and the one the check form made.
    const api = await adminApi(server);
    const rules = (await api('GET', '/api/v1/alert-rules?per_page=100')).data;
    assert.deepEqual(rules.map((r) => [r.name, r.builtin]).sort(), [
      ['CertificateExpiringSoon', 'certificate_expiring'],
      ['CheckDown', 'check_down'],
      ['NodeDown', 'node_down'],
      ['PacketLossHigh', 'packet_loss'],
      ['site down', null],
    ]);
    const audit = (await api('GET', '/api/v1/audit?per_page=100')).data;
    assert.deepEqual(
      audit
        .filter((a) => a.action === 'alert_rule.create')
        .map((a) => a.actor)
        .sort(),
      [USER, 'system', 'system', 'system', 'system'],
    );
    assert.deepEqual(problems, []);
  } finally {
    await page.context().close();
    await site.stop(); // again when the test got that far: a closed server just says so
    await receiver.stop();
    await server.stop();
  }
}

test('first alerts at a desktop width', () => flow('first-alerts-desktop', DESKTOP));
test('first alerts at a phone width', () => flow('first-alerts-phone', PHONE));
