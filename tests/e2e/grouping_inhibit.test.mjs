// End-to-end test of a channel's grouping and of inhibit rules against the real binary: a
// webhook channel created in the UI with grouping switched on from the keyboard, the server's
// refusal of a group wait shown at its field, saved, listed with its grouping and shown again
// when reopened; an inhibit rule created in the UI (the server's refusal of a bad selector at
// its field), listed, one made through the API listed live, and both deleted in the UI, in dark
// mode. At a desktop and at a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test grouping_inhibit.test.mjs
// (see ui.test.mjs for CHROMIUM and TELLTALE_WEB_DIR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, startServer, setupAdmin, adminApi, closedPort, openPage, logIn } from './harness.mjs';

async function flow(name, viewport) {
  const server = await startServer();
  const { context, page, problems, shot, noHScroll } = await openPage(name, viewport);
  const nav = (label) =>
    page.locator('nav[aria-label=Alerting]').getByRole('link', { name: label, exact: true }).click();
  page.on('dialog', (d) => d.accept()); // the delete confirmations

  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    await logIn(page, server);

    // A webhook channel grouped by alertname and node: the checkbox switched on from the
    // keyboard, a group wait above the server's 7 days refused at its field, then saved.
    await page.getByRole('link', { name: 'Alerts' }).first().click();
    await nav('Channels');
    await page.getByRole('link', { name: 'New channel' }).click();
    await page.getByRole('heading', { name: 'New channel' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('grouped-hook');
    await page.getByLabel('URL (required)').fill(`http://127.0.0.1:${await closedPort()}/hook`);
    const groupOn = page.getByLabel('Group notifications');
    assert.equal(await groupOn.isChecked(), false);
    await groupOn.focus();
    await page.keyboard.press('Space');
    assert.equal(await groupOn.isChecked(), true);
    assert.equal(await page.getByLabel('Group by').inputValue(), 'alertname');
    await page.getByLabel('Group by').fill('alertname, node');
    await page.getByLabel('Group wait').fill('9d');
    await page.getByLabel('Repeat interval').fill('1h');
    await page.getByRole('button', { name: 'Create channel' }).click();
    const waitErr = page.locator('#f-grouping-group_wait-err');
    await waitErr.waitFor();
    assert.match(await waitErr.innerText(), /between/);
    assert.equal(await page.getByLabel('Group wait').getAttribute('aria-invalid'), 'true');
    await noHScroll('grouping error');
    await shot('1-grouping-error');
    await page.getByLabel('Group wait').fill('10s');
    await page.getByRole('button', { name: 'Create channel' }).click();
    await page.getByRole('heading', { name: 'Channel grouped-hook' }).waitFor();
    const id = +new URL(page.url()).pathname.split('/').pop();
    assert.deepEqual((await api('GET', `/api/v1/channels/${id}`)).data.grouping, {
      group_by: ['alertname', 'node'],
      group_wait: '10s',
      group_interval: '5m',
      repeat_interval: '1h',
    });

    // Listed with its grouping, and reopened from the list: the form shows what was saved.
    await page.getByRole('link', { name: 'Channels', exact: true }).first().click();
    const row = page.locator(`table.channels tr[data-channel="${id}"]`);
    await row.getByText('by alertname, node · 10s / 5m / 1h').waitFor();
    await noHScroll('channels with grouping');
    await shot('2-channels-grouping');
    await row.getByRole('link', { name: 'grouped-hook' }).click();
    await page.getByRole('heading', { name: 'Channel grouped-hook' }).waitFor();
    assert.equal(await groupOn.isChecked(), true);
    assert.equal(await page.getByLabel('Group by').inputValue(), 'alertname, node');
    assert.equal(await page.getByLabel('Group wait').inputValue(), '10s');
    assert.equal(await page.getByLabel('Group interval').inputValue(), '5m');
    assert.equal(await page.getByLabel('Repeat interval').inputValue(), '1h');
    await noHScroll('channel editor with grouping');
    await shot('3-channel-reopened');

    // Inhibit rules, in dark mode: an empty list, then a rule whose source selector the
    // server refuses at its field, corrected and created.
    await page.getByRole('button', { name: 'Dark mode' }).click();
    await page.getByRole('link', { name: 'Alerts' }).first().click();
    await nav('Inhibit rules');
    await page.getByRole('heading', { name: 'Inhibit rules', exact: true }).waitFor();
    await page.getByText('No inhibit rules').waitFor();
    await page.getByRole('button', { name: 'New inhibit rule' }).click();
    await page.getByLabel('Name', { exact: true }).fill('site-down-mutes-warnings');
    await page.getByLabel('Comment', { exact: true }).fill('one message per outage');
    await page.getByLabel('Source alerts').fill('{alertname="SiteDown"');
    await page.getByLabel('Target alerts').fill('{severity="warning"}');
    await page.getByLabel('Equal labels').fill('node');
    await page.getByRole('button', { name: 'Create inhibit rule' }).click();
    await page.locator('#f-source-err').waitFor();
    assert.equal(await page.getByLabel('Source alerts').getAttribute('aria-invalid'), 'true');
    await noHScroll('inhibit form error');
    await shot('4-inhibit-error');
    await page.getByLabel('Source alerts').fill('{alertname="SiteDown"}');
    await page.getByRole('button', { name: 'Create inhibit rule' }).click();
    await page.getByText('Inhibit rule site-down-mutes-warnings created.').waitFor();
    const [made] = (await api('GET', '/api/v1/inhibit-rules')).data;
    assert.deepEqual(
      { name: made.name, source: made.source, target: made.target, equal: made.equal, created_by: made.created_by },
      {
        name: 'site-down-mutes-warnings',
        source: '{alertname="SiteDown"}',
        target: '{severity="warning"}',
        equal: ['node'],
        created_by: 'admin',
      },
    );
    const listed = page.locator(`table.inhibits tr[data-inhibit="${made.id}"]`);
    assert.match(
      await listed.innerText(),
      /site-down-mutes-warnings[\s\S]*\{alertname="SiteDown"\}[\s\S]*\{severity="warning"\}[\s\S]*node/,
    );

    // One made elsewhere shows without a reload.
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    const other = (
      await api('POST', '/api/v1/inhibit-rules', {
        name: 'core-down',
        source: '{alertname="CoreDown"}',
        target: '{site="lab"}',
        equal: ['site'],
      })
    ).data;
    const otherRow = page.locator(`table.inhibits tr[data-inhibit="${other.id}"]`);
    await otherRow.waitFor();
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'page was reloaded');
    await noHScroll('inhibit rules');
    await shot('5-inhibit-rules-dark');

    // Both deleted in the UI.
    await listed.getByRole('button', { name: 'Delete site-down-mutes-warnings' }).click();
    await listed.waitFor({ state: 'detached' });
    await page.getByText('Inhibit rule site-down-mutes-warnings deleted.').waitFor();
    await otherRow.getByRole('button', { name: 'Delete core-down' }).click();
    await page.getByText('No inhibit rules').waitFor();
    assert.deepEqual((await api('GET', '/api/v1/inhibit-rules')).data, []);
    await shot('6-inhibit-deleted');

    assert.deepEqual(problems, []);
  } catch (e) {
    await shot('failure').catch(() => {});
    e.message += '\n--- server log ---\n' + server.log.slice(-40).join('\n');
    throw e;
  } finally {
    await context.close();
    await server.stop();
  }
}

test('channel grouping and inhibit rules, desktop', { timeout: 120000 }, () =>
  flow('grouping-inhibit-desktop', DESKTOP),
);
test('channel grouping and inhibit rules, phone', { timeout: 120000 }, () => flow('grouping-inhibit-phone', PHONE));
