// End-to-end test of Settings › Configuration against the real binary: a file pasted into the
// page shows its plan, is applied, and a second apply finds nothing to change; a file with an
// error names the field's path and changes nothing; the download is the YAML export.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test configuration.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, startServer, setupAdmin, adminApi, openPage, logIn } from './harness.mjs';

const FILE = `nodes:
  - {name: cfg-gw, type: network, address: 10.30.0.1}
checks:
  - {name: ping cfg-gw, kind: icmp, target: 10.30.0.1, node: cfg-gw, interval: 1h}
`;

async function flow(name, viewport) {
  const server = await startServer();
  const { page, problems, shot, noHScroll } = await openPage(name, viewport);
  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    await logIn(page, server);
    await page.goto(server.base + '/settings/configuration');
    await page.getByRole('heading', { name: 'Configuration' }).waitFor();
    const text = page.getByLabel(/YAML or JSON/);

    await text.fill(FILE.replace('interval: 1h', 'interval: often'));
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByRole('alert').filter({ hasText: 'checks[0].interval' }).waitFor();
    assert.equal((await api('GET', '/api/v1/nodes')).data.length, 0);

    await text.fill(FILE);
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.locator('.plan-create', { hasText: '+ nodes/cfg-gw' }).waitFor();
    await page.locator('.plan-create', { hasText: '+ checks/ping cfg-gw' }).waitFor();
    assert.equal((await api('GET', '/api/v1/nodes')).data.length, 0); // a plan changes nothing
    await shot('1-plan');
    await noHScroll('the plan');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.getByText('Applied:').waitFor();
    const nodes = (await api('GET', '/api/v1/nodes')).data;
    assert.deepEqual(
      nodes.map((n) => n.name),
      ['cfg-gw'],
    );
    const check = (await api('GET', '/api/v1/checks')).data[0];
    assert.equal(check.node_id, nodes[0].id);

    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.locator('.plan-unchanged', { hasText: '= 2 unchanged' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Apply', exact: true }).isDisabled(), true);

    const href = await page.getByRole('link', { name: 'Download the configuration' }).getAttribute('href');
    const download = await page.evaluate(async (u) => (await fetch(u)).text(), href);
    assert.match(download, /name: cfg-gw/);
    assert.match(download, /node: cfg-gw/);
    assert.deepEqual(problems, []);
  } finally {
    await page.context().close();
    await server.stop();
  }
}

test('a file is planned, applied and exported from the settings, desktop', () => flow('config-desktop', DESKTOP));
test('a file is planned, applied and exported from the settings, phone', () => flow('config-phone', PHONE));
