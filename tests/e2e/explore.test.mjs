// End-to-end test of Explore and a node's metrics against the real binary: an IoT node's pushed
// samples (Prometheus text with an API token, as a device would send them) are found by
// completing the metric, its label and value in the query field, drawn and tabled, pinned to the
// node; the node's page shows the pinned chart and lists the pushed series, which draw with one
// click. At a desktop and at a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test explore.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, startServer, setupAdmin, adminApi, openPage, logIn } from './harness.mjs';

async function flow(name, viewport) {
  const server = await startServer();
  const { page, problems, shot, noHScroll } = await openPage(name, viewport);
  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    const node = (await api('POST', '/api/v1/nodes', { name: 'sensor-1', type: 'iot' })).data;
    const { token } = (await api('POST', '/api/v1/tokens', { name: 'device' })).data;
    const push = async (text) => {
      const r = await fetch(server.base + '/api/v1/import/prometheus', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' },
        body: text,
      });
      assert.equal(r.status, 200, await r.text());
    };
    await push('iot_temperature{node="sensor-1",room="lab"} 21.5\niot_humidity{node="sensor-1"} 40\n');

    await logIn(page, server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Explore' }).click();
    await page.getByRole('heading', { name: 'Explore' }).waitFor();
    const field = page.getByRole('combobox', { name: 'PromQL query' });
    const option = (text) => page.getByRole('option', { name: new RegExp('^' + text) });

    // The metric, its label and its value, each completed from the stored series.
    await field.pressSequentially('iot_te');
    await option('iot_temperature').waitFor();
    await shot('1-completion');
    await field.press('ArrowDown');
    assert.equal(await field.getAttribute('aria-activedescendant'), 'explore-option-0');
    await field.press('Enter');
    assert.equal(await field.inputValue(), 'iot_temperature');
    await field.press('{');
    await option('node').waitFor();
    await field.press('Tab');
    assert.equal(await field.inputValue(), 'iot_temperature{node=');
    await option('sensor-1').waitFor();
    await field.press('Tab');
    await field.press('}');
    assert.equal(await field.inputValue(), 'iot_temperature{node="sensor-1"}');
    await field.press('Enter');

    // Drawn and tabled; the address holds the query and range.
    await page.locator('.explore .chart .plot').waitFor();
    const row = page.locator('.explore-result tbody tr', { hasText: 'room="lab"' });
    await row.locator('td.num', { hasText: '21.5' }).waitFor();
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('q'), 'iot_temperature{node="sensor-1"}');
    assert.equal(url.searchParams.get('range'), '1h');
    await page.getByRole('button', { name: '6h' }).click();
    await page.waitForURL(/range=6h/);
    await noHScroll('the explore page');
    await shot('2-result');

    // A query that does not parse says where.
    await field.fill('iot_temperature{node=');
    await field.press('Escape');
    await field.press('Enter');
    await page.locator('.expr-error', { hasText: /At position \d+/ }).waitFor();
    assert.equal(await page.locator('.explore .chart').count(), 0);
    await page.goto(server.base + '/explore?q=' + encodeURIComponent('iot_temperature{node="sensor-1"}'));
    await row.waitFor();

    // Pinned to its node, under a title of one's own.
    await row.getByRole('button', { name: 'Pin to sensor-1' }).click();
    await page.getByLabel('Title of the chart').fill('Lab temperature');
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.locator('.pin-form[role=status]').getByRole('link', { name: 'sensor-1' }).click();
    await page.getByRole('heading', { name: 'sensor-1', exact: true }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/nodes/${node.id}`);

    // The node's page: the pinned chart, and the pushed series listed, drawn with one click.
    const metrics = page.locator('section.node-metrics');
    await metrics.locator('[data-pin="Lab temperature"] .plot').waitFor();
    const humidity = metrics.locator('.series-list li', { hasText: 'iot_humidity{node="sensor-1"}' });
    await humidity.waitFor();
    await metrics.locator('.series-list li', { hasText: 'iot_temperature{node="sensor-1", room="lab"}' }).waitFor();
    await humidity.getByRole('button', { name: 'Draw' }).click();
    await humidity.locator('.plot').waitFor();
    // A series pushed while the page is open is listed without a reload: the section watches
    // the node's pushed series over the WebSocket.
    await push('iot_battery_volts{node="sensor-1"} 3.1\n');
    await metrics.locator('.series-list li', { hasText: 'iot_battery_volts{node="sensor-1"}' }).waitFor();
    await noHScroll('the node page');
    await shot('3-node');
    assert.equal((await api('GET', `/api/v1/nodes/${node.id}/pins`)).data.length, 1);
    await metrics.getByRole('button', { name: 'Unpin Lab temperature' }).click();
    await metrics.locator('[data-pin="Lab temperature"]').waitFor({ state: 'detached' });
    assert.deepEqual((await api('GET', `/api/v1/nodes/${node.id}/pins`)).data, []);
    assert.deepEqual(problems, []);
  } finally {
    await page.context().close();
    await server.stop();
  }
}

test('a pushed metric is found in Explore, drawn and pinned to its node, desktop', () =>
  flow('explore-desktop', DESKTOP));
test('a pushed metric is found in Explore, drawn and pinned to its node, phone', () => flow('explore-phone', PHONE));
