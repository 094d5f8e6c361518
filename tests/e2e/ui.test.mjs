// End-to-end test of the web UI against the real binary.
//   cd tests/e2e && npm ci && TELLTALE_BIN=../../build/telltale node --test
// Needs Debian's chromium at /usr/bin/chromium (override with CHROMIUM). Screenshots go to ./artifacts/.
// TELLTALE_WEB_DIR=../../web/public serves the UI from disk (--web-dir), so UI edits need no rebuild.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(process.env.TELLTALE_BIN || join(HERE, '../../build/telltale'));
const ART = join(HERE, 'artifacts');
const USER = 'admin';
const PASS = 'correct-horse-battery-staple-42';

let browser;

async function startServer() {
  assert.ok(existsSync(BIN), `telltale binary not found at ${BIN}; set TELLTALE_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'telltale-e2e-'));
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', dir];
  if (process.env.TELLTALE_WEB_DIR) args.push('--web-dir', resolve(process.env.TELLTALE_WEB_DIR));
  const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  let port, code;
  const ready = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('server did not start in 20 s:\n' + log.join('\n'))), 20000);
    proc.on('exit', (c) => { clearTimeout(timer); fail(new Error(`server exited (${c}):\n` + log.join('\n'))); });
    for (const stream of [proc.stderr, proc.stdout]) {
      createInterface({ input: stream }).on('line', (line) => {
        log.push(line);
        port ??= line.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
        code ??= line.match(/setup code:\s*["']?([^\s"',]+)/)?.[1];
        if (port && code) { clearTimeout(timer); ok(); }
      });
    }
  });
  const stop = async () => {
    if (proc.exitCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try { await ready; } catch (e) { await stop(); throw e; }
  return { base: `http://127.0.0.1:${port}`, code, log, stop };
}

before(async () => {
  mkdirSync(ART, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => { await browser?.close(); });

async function flow(name, viewport) {
  const server = await startServer();
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const problems = [];
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (/Refused to|Content Security Policy/i.test(m.text())) problems.push('csp: ' + m.text()); });
  const shot = (step) => page.screenshot({ path: join(ART, `${name}-${step}.png`), fullPage: true });
  const noHScroll = async (where) => {
    if (viewport.width > 500) return;
    const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
    assert.ok(sw <= cw, `${name}: horizontal scroll on ${where} (scrollWidth ${sw} > ${cw})`);
  };
  const row = (node) => page.locator('main tbody tr', { has: page.locator('.c-name', { hasText: node }) });

  try {
    // First run: setup form, then logged in as the new admin.
    await page.goto(server.base + '/');
    await page.getByRole('heading', { name: 'Set up Telltale' }).waitFor();
    await noHScroll('setup');
    await shot('1-setup');
    await page.getByLabel('Setup code').fill(server.code);
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password', { exact: true }).fill(PASS);
    await page.getByLabel('Confirm password').fill(PASS);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
    await page.locator('#who', { hasText: USER }).waitFor();
    await page.locator('#conn.live').waitFor();

    // Add a node through the form.
    const form = page.locator('details.add form');
    await page.locator('summary', { hasText: 'Add node' }).click();
    await form.getByLabel('Labels').fill('oops');
    await form.getByLabel('Name').fill('web-1');
    await form.getByRole('button', { name: 'Add node' }).click();
    await page.locator('#n-labels-err', { hasText: 'key=value' }).waitFor();
    await form.getByLabel('Type').selectOption('vm');
    await form.getByLabel('Address').fill('10.0.0.1');
    await form.getByLabel('Labels').fill('env=prod, team=core');
    await form.getByRole('button', { name: 'Add node' }).click();
    await row('web-1').waitFor();
    assert.match(await row('web-1').innerText(), /env=prod/);
    await noHScroll('nodes with add form');
    await shot('2-added');

    // The same type and name again is refused; the message shows next to the name field.
    await form.getByLabel('Name').fill('web-1');
    await form.getByLabel('Type').selectOption('vm');
    await form.getByRole('button', { name: 'Add node' }).click();
    await page.locator('#n-name-err:not([hidden])').waitFor();
    await form.getByLabel('Name').fill('');

    // A node created through the API (not the UI) shows up live, without a reload.
    await page.evaluate(() => { window.__sameDocument = true; });
    const status = await page.evaluate(async () => {
      const me = await (await fetch('/api/v1/auth/me')).json();
      const r = await fetch('/api/v1/nodes', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.data.csrf_token },
        body: JSON.stringify({ name: 'db-1', type: 'baremetal', address: '10.0.0.2', labels: { role: 'db' } }),
      });
      return r.status;
    });
    assert.equal(status, 201);
    await row('db-1').waitFor();
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'page was reloaded');

    // Search and filters narrow the list.
    await page.getByRole('searchbox', { name: 'Search' }).fill('db');
    await row('web-1').waitFor({ state: 'detached' });
    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await row('web-1').waitFor();

    // Delete with confirmation; Escape cancels.
    const dialog = page.locator('dialog#confirm');
    await row('web-1').getByRole('button', { name: 'Delete web-1' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await row('web-1').getByRole('button', { name: 'Delete web-1' }).click();
    await dialog.waitFor();
    await noHScroll('confirm dialog');
    await shot('3-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await row('web-1').waitFor({ state: 'detached' });
    await row('db-1').waitFor();
    await noHScroll('nodes');
    await shot('4-nodes');

    // Logout, a wrong password, then login again.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Username').fill(USER);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.form-error:not([hidden])').waitFor();
    await noHScroll('login');
    await shot('5-login-error');
    await page.getByLabel('Password').fill(PASS);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
    await row('db-1').waitFor();
    await page.locator('#conn.live').waitFor();

    // Dark mode toggle is remembered across reloads (and the session survives the reload too).
    await page.getByRole('button', { name: 'Dark mode' }).click();
    await page.reload();
    await row('db-1').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await noHScroll('dark');
    await shot('6-dark');

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

test('desktop flow', { timeout: 120000 }, () => flow('desktop', { width: 1280, height: 800 }));
test('phone flow', { timeout: 120000 }, () => flow('phone', { width: 375, height: 740 }));
