// End-to-end test of adding a host: the admin opens "Add a host" from the overview, makes the
// command there, and the test runs exactly that command (the real `telltale agent`, reading the
// fixture tree of a Raspberry Pi 4 so its values are known); the host shows up on the page while
// it waits, live, and on the overview, and its node page shows the host's figures (the Pi's SoC
// temperature among them) and charts; a check made there to run on the host goes up. At a desktop
// and at a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test agent.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DESKTOP, PHONE, startServer, setupAdmin, openPage, logIn } from './harness.mjs';

const BIN = resolve(process.env.TELLTALE_BIN || '../../build/telltale');
const FIXTURE = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/collect');

// Splits a shown command line at spaces (it has no quoting: URL and token are plain).
const words = (line) => line.trim().split(/\s+/);

async function flow(name, viewport) {
  const server = await startServer();
  const { context, page, problems, shot, noHScroll } = await openPage(name, viewport);
  const buffer = mkdtempSync(join(tmpdir(), 'telltale-e2e-agent-'));
  let agent = null;
  try {
    await setupAdmin(server);
    await logIn(page, server);
    await page.getByRole('link', { name: 'Add a host' }).click();
    await page.getByRole('heading', { name: 'Add a host' }).waitFor();
    await page.getByRole('button', { name: 'Make the command' }).click();
    const command = await page.locator('#agent-command').textContent();
    const [program, ...args] = words(command);
    assert.equal(program, 'telltale');
    assert.deepEqual(args.slice(0, 3), ['agent', '--hub', server.base]);
    await page.locator('#waiting-for-host').waitFor();
    await noHScroll('add a host');
    await shot('1-command');

    // The command as shown, with what a test needs besides: a buffer of its own, a second's
    // interval, and the fixture tree for the host's files.
    agent = spawn(
      BIN,
      [
        ...args,
        '--buffer-dir',
        buffer,
        '--interval',
        '1s',
        '--procfs',
        join(FIXTURE, 'proc'),
        '--sysfs',
        join(FIXTURE, 'sys'),
        '--rootfs',
        join(FIXTURE, 'rootfs'),
        '--docker-socket',
        '/nonexistent.sock',
      ],
      { stdio: 'ignore' },
    );
    const host = page.locator('li[data-host="raspberrypi"]');
    await host.waitFor({ timeout: 20000 });
    await host.locator('.badge', { hasText: 'Up' }).waitFor({ timeout: 20000 });
    await shot('2-registered');

    await page.getByRole('link', { name: 'Overview' }).click();
    const row = page.locator('main a.node-row', { has: page.locator('.c-name', { hasText: /^raspberrypi$/ }) });
    await row.click();
    await page.getByRole('heading', { name: 'Host' }).waitFor();
    await page.locator('[data-tile="Temperature"] dd', { hasText: '48.3 °C' }).waitFor({ timeout: 20000 });
    await page.locator('[data-tile="Memory used"] dd', { hasText: '%' }).waitFor();
    await page.locator('figure.chart', { hasText: 'Memory' }).locator('.u-legend', { hasText: 'total' }).waitFor({
      timeout: 20000,
    });
    await noHScroll('host page');
    await shot('3-host');

    // A check that the host's agent runs: the hub's port, probed from the host.
    await page.getByRole('link', { name: 'Add check' }).click();
    await page.getByRole('heading', { name: 'New check' }).waitFor();
    await page.getByLabel('Kind').selectOption('tcp');
    await page.getByLabel('Name', { exact: true }).fill('hub-port');
    await page.getByLabel('Target').fill(new URL(server.base).host);
    await page.getByLabel('Interval').fill('1s');
    await page.getByLabel('Runs on').selectOption({ label: 'raspberrypi' });
    await page.getByRole('button', { name: 'Create check' }).click();
    const check = page.locator('main tr[data-check="hub-port"]');
    await check.locator('.muted', { hasText: 'from raspberrypi' }).waitFor();
    await check.locator('.badge', { hasText: 'Up' }).waitFor({ timeout: 20000 });
    await shot('4-check-from-host');
    assert.deepEqual(problems, []);
  } finally {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await gone;
    }
    rmSync(buffer, { recursive: true, force: true });
    await context.close();
    await server.stop();
  }
}

test('add a host, desktop', () => flow('agent-desktop', DESKTOP));
test('add a host, phone', () => flow('agent-phone', PHONE));
