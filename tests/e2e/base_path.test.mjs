// End-to-end test of the UI under a base path behind a real reverse proxy: Debian's nginx on
// loopback passes /tt/ to `telltale serve --base-path /tt --trusted-proxy 127.0.0.1`. Logging in,
// the live link (its WebSocket through nginx), the navigation, a node's page, a reload of a deep
// page and the links' addresses all stay under /tt.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test base_path.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DESKTOP, startServer, setupAdmin, adminApi, openPage, logIn, closedPort } from './harness.mjs';

const NGINX = '/usr/sbin/nginx';
const CONF = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/reverse_proxy/nginx.conf');

// nginx in the foreground on a free loopback port, in front of Telltale's `upstream` port.
async function startNginx(upstream, base) {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-nginx-'));
  const port = await closedPort();
  const conf = readFileSync(CONF, 'utf8')
    .replaceAll('@DIR@', dir)
    .replaceAll('@PORT@', String(port))
    .replaceAll('@UPSTREAM@', String(upstream))
    .replaceAll('@BASE@', base);
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const proc = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: 'ignore',
  });
  const accepting = () =>
    new Promise((ok) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.end();
        ok(true);
      });
      s.on('error', () => ok(false));
    });
  for (let i = 0; i < 100 && !(await accepting()); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    base: `http://127.0.0.1:${port}${base}`,
    stop: async () => {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test(
  'the UI works under a base path behind nginx',
  { skip: !existsSync(NGINX) && 'nginx is not installed' },
  async () => {
    const server = await startServer({ args: ['--base-path', '/tt', '--trusted-proxy', '127.0.0.1'] });
    const proxy = await startNginx(server.base.split(':').pop(), '/tt');
    const { context, page, problems, shot } = await openPage('base-path', DESKTOP);
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const outside = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(proxy.base + '/')) outside.push(r.url());
    });
    try {
      await setupAdmin(server);
      const api = await adminApi(server);
      const node = (await api('POST', '/api/v1/nodes', { name: 'behind-proxy', type: 'vm' })).data;

      await logIn(page, proxy);
      assert.equal(page.url(), proxy.base + '/');
      assert.deepEqual(sockets, [proxy.base.replace('http:', 'ws:') + '/api/v1/ws']);
      await shot('1-overview');

      // The navigation's links carry the prefix (a new tab opens the right page) and move
      // within the page.
      const events = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' });
      assert.equal(await events.getAttribute('href'), '/tt/events');
      await page.evaluate(() => {
        window.__sameDocument = true;
      });
      await events.click();
      await page.getByRole('heading', { name: 'Events' }).waitFor();
      assert.equal(page.url(), proxy.base + '/events');
      assert.equal(await page.evaluate(() => window.__sameDocument), true);

      // A node's page through its row, then a reload of that deep address.
      await page.getByRole('link', { name: 'Overview' }).click();
      await page.locator('main a', { hasText: 'behind-proxy' }).first().click();
      await page.waitForURL(proxy.base + `/nodes/${node.id}`);
      await page.getByRole('heading', { name: 'behind-proxy' }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'behind-proxy' }).waitFor();
      await page.locator('#conn.live').waitFor();
      await shot('2-node');

      // Back and forward go through the history the router wrote.
      await page.goBack();
      await page.waitForURL(proxy.base + '/');
      assert.deepEqual(outside, []);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await proxy.stop();
      await server.stop();
    }
  },
);
