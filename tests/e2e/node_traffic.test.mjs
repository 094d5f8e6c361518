// End-to-end test of a network node's interface traffic chart against the real binary: a node
// with an SNMP check that polls interfaces, its interface counters stored through the Prometheus
// import (as the poller stores them: if_in/out_octets_total with node, ifName and ifIndex), the
// node page drawing their bit rate per interface from the PromQL engine, and a new interface's
// counters appearing on the open page without a reload. At a desktop and at a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test node_traffic.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, startServer, setupAdmin, adminApi, closedPort, openPage, logIn } from './harness.mjs';

// Counter lines for one interface: `bytes_per_s` octets a second in, a tenth of it out, one
// sample every 15 s over the `minutes` before now.
function counters(ifName, ifIndex, bytes_per_s, minutes) {
  const now = Date.now(),
    lines = [];
  for (let t = now - minutes * 60e3; t <= now; t += 15e3) {
    const n = (t - (now - minutes * 60e3)) / 1000;
    const labels = `node="sw-1",check="sw-1 snmp",ifName="${ifName}",ifIndex="${ifIndex}"`;
    lines.push(`if_in_octets_total{${labels}} ${Math.round(1e9 + n * bytes_per_s)} ${Math.round(t)}`);
    lines.push(`if_out_octets_total{${labels}} ${Math.round((n * bytes_per_s) / 10)} ${Math.round(t)}`);
  }
  return lines.join('\n') + '\n';
}

async function flow(name, viewport) {
  const server = await startServer();
  const { context, page, problems, shot, noHScroll } = await openPage(name, viewport);
  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    const token = (await api('POST', '/api/v1/tokens', { name: 'import' })).data.token;
    const importText = async (text) => {
      const r = await fetch(server.base + '/api/v1/import/prometheus', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: text,
      });
      assert.ok(r.ok, `import: ${r.status} ${await r.text()}`);
    };
    const node = (await api('POST', '/api/v1/nodes', { name: 'sw-1', type: 'network', address: '127.0.0.1' })).data;
    // The agent is not there (a closed port): the chart reads stored counters, not the poller.
    await api('POST', '/api/v1/checks', {
      name: 'sw-1 snmp',
      kind: 'snmp',
      target: `127.0.0.1:${await closedPort()}`,
      interval: '1m',
      node_id: node.id,
      options: { community: 'public', interfaces: true },
    });
    await importText(counters('eth0', 2, 125000, 20)); // 1 Mbit/s in, 100 kbit/s out

    await logIn(page, server);
    await page.goto(`${server.base}/nodes/${node.id}`);
    const chart = page.locator('figure.chart', { hasText: 'Interface traffic' });
    await chart.locator('.u-legend', { hasText: 'eth0 in' }).waitFor();
    await chart.locator('.u-legend', { hasText: 'eth0 out' }).waitFor();
    // The cursor over the plot's right half shows the rate at that step in the legend. The page
    // may still move (charts above it filling in): the plot is found again until it does.
    const rate = chart.locator('.u-legend', { hasText: '1 Mbit/s' });
    for (let tries = 0; tries < 20 && !(await rate.isVisible()); tries++) {
      await chart.locator('.u-over').scrollIntoViewIfNeeded();
      const box = await chart.locator('.u-over').boundingBox();
      await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
      await rate.waitFor({ timeout: 1000 }).catch(() => {});
    }
    await rate.waitFor();
    await chart.locator('.u-legend', { hasText: '100 kbit/s' }).waitFor();
    await noHScroll('node page');
    await shot('1-traffic');

    // A second interface's counters arrive while the page is open: the chart reads again.
    await importText(counters('eth1', 3, 1250000, 10));
    await chart.locator('.u-legend', { hasText: 'eth1 in' }).waitFor({ timeout: 20000 });
    await shot('2-traffic-live');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
}

test('interface traffic on a node page, desktop', () => flow('traffic-desktop', DESKTOP));
test('interface traffic on a node page, phone', () => flow('traffic-phone', PHONE));
