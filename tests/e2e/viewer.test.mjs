// End-to-end test of what a viewer sees against the real binary: every page readable, and none
// of the controls that change things (the API would refuse them with 403), while the admin in
// the same run sees them. At a desktop and at a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test viewer.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, startServer, setupAdmin, adminApi, closedPort, openPage, logIn } from './harness.mjs';

const VIEWER = 'vera',
  VIEWER_PASS = 'viewer-password-for-tests-7';

// The pages and, on each, a control that changes things: [path, heading, control role, name].
const PAGES = (node, check, channel, rule) => [
  [`/`, 'Nodes', 'group', null, 'Add node'],
  [`/nodes/${node}`, 'web-1', 'button', 'Delete node'],
  [`/nodes/${node}`, 'web-1', 'link', 'Add check'],
  [`/checks`, 'Checks', 'link', 'New check'],
  [`/checks/${check}`, 'site', 'button', 'Run now'],
  [`/checks/${check}/edit`, 'Check site', 'button', 'Delete check'],
  [`/alerts`, 'Alerts', 'button', 'Acknowledge'],
  [`/silences`, 'Silences', 'button', 'New silence'],
  [`/maintenance`, 'Maintenance', 'button', 'New window'],
  [`/channels`, 'Channels', 'link', 'New channel'],
  [`/channels/${channel}`, 'Channel hook', 'button', 'Send test'],
  [`/alerts/rules`, 'Alert rules', 'link', 'New rule'],
  [`/alerts/rules/${rule}`, 'Alert rule SiteDown', 'button', 'Delete rule'],
];

async function flow(name, viewport) {
  const server = await startServer();
  const admin = await openPage(name + '-admin', viewport);
  const viewer = await openPage(name + '-viewer', viewport);
  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    await api('POST', '/api/v1/users', { name: VIEWER, role: 'viewer', password: VIEWER_PASS });
    const node = (await api('POST', '/api/v1/nodes', { name: 'web-1', type: 'vm', address: '127.0.0.1' })).data;
    const check = (
      await api('POST', '/api/v1/checks', {
        name: 'site',
        kind: 'tcp',
        target: `127.0.0.1:${await closedPort()}`,
        interval: '1s',
        timeout: '500ms',
        node_id: node.id,
      })
    ).data;
    const rule = (
      await api('POST', '/api/v1/alert-rules', {
        name: 'SiteDown',
        kind: 'check_state',
        check_id: check.id,
        severity: 'critical',
        interval: '1s',
      })
    ).data;
    const channel = (
      await api('POST', '/api/v1/channels', {
        name: 'hook',
        kind: 'webhook',
        config: { url: `http://127.0.0.1:${await closedPort()}/` },
      })
    ).data;
    const pages = PAGES(node.id, check.id, channel.id, rule.id);

    await logIn(admin.page, server);
    await logIn(viewer.page, server, VIEWER, VIEWER_PASS);
    for (const [path, heading, role, control] of pages.map(([p, h, r, n, alt]) => [p, h, r, n ?? alt])) {
      for (const [who, { page }] of [
        ['admin', admin],
        ['viewer', viewer],
      ]) {
        await page.goto(server.base + path);
        if (heading) await page.getByRole('heading', { name: heading, exact: true }).first().waitFor();
        if (path === '/alerts') await page.locator('li', { hasText: 'SiteDown' }).first().waitFor({ timeout: 20000 });
        else await page.waitForLoadState('networkidle');
        const target =
          role === 'group'
            ? page.locator('summary', { hasText: control })
            : page.getByRole(role, { name: control, exact: true });
        if (who === 'admin') await target.first().waitFor();
        else
          assert.equal(
            (await target.count()) > 0 && (await target.first().isVisible()),
            false,
            `${path}: a viewer sees "${control}"`,
          );
      }
    }
    await viewer.page.goto(server.base + `/nodes/${node.id}`);
    await viewer.page.getByRole('heading', { name: 'Charts' }).waitFor();
    await viewer.shot('1-node');
    assert.deepEqual([...admin.problems, ...viewer.problems], []);
  } finally {
    await admin.context.close();
    await viewer.context.close();
    await server.stop();
  }
}

test('a viewer reads every page without the controls that change things, desktop', () =>
  flow('viewer-desktop', DESKTOP));
test('a viewer reads every page without the controls that change things, phone', () => flow('viewer-phone', PHONE));
