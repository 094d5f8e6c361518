// What the end-to-end tests share: the binary on a fresh data directory, Debian's Chromium, the
// admin's API calls from outside the browser, local peers on loopback, and a page that records
// script and CSP errors, takes screenshots into ./artifacts/ and checks for horizontal scrolling
// at a phone width. The test files (*.test.mjs here) import it; `node --test` runs them all.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(process.env.TELLTALE_BIN || join(HERE, '../../build/telltale'));
const ART = join(HERE, 'artifacts');
export const USER = 'admin';
export const PASS = 'correct-horse-battery-staple-42';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// One Chromium per test file, launched before its tests and closed after them.
let browser;
before(async () => {
  mkdirSync(ART, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
after(async () => {
  await browser?.close();
});

// The binary on a fresh data directory, with `args` besides; restart() stops it and starts it
// again on the same port and data (the second start prints no setup code: the admin exists by
// then).
export async function startServer({ args: extra = [] } = {}) {
  assert.ok(existsSync(BIN), `telltale binary not found at ${BIN}; set TELLTALE_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'telltale-e2e-'));
  const log = [];
  let proc, port, code;
  const spawnServer = (listen, needCode) => {
    const args = ['serve', '--listen', listen, '--data', dir, ...extra];
    if (process.env.TELLTALE_WEB_DIR) args.push('--web-dir', resolve(process.env.TELLTALE_WEB_DIR));
    proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const p = proc;
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('server did not start in 20 s:\n' + log.join('\n'))), 20000);
      p.on('exit', (c) => {
        clearTimeout(timer);
        fail(new Error(`server exited (${c}):\n` + log.join('\n')));
      });
      let listening = false;
      for (const stream of [p.stderr, p.stdout]) {
        createInterface({ input: stream }).on('line', (line) => {
          log.push(line);
          const m = line.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
          if (m) {
            port = m[1];
            listening = true;
          }
          code ??= line.match(/setup code:\s*["']?([^\s"',]+)/)?.[1];
          if (listening && (code || !needCode)) {
            clearTimeout(timer);
            ok();
          }
        });
      }
    });
  };
  const kill = async () => {
    if (proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  };
  const stop = async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await spawnServer('127.0.0.1:0', true);
  } catch (e) {
    await stop();
    throw e;
  }
  const restart = async () => {
    await kill();
    await spawnServer(`127.0.0.1:${port}`, false);
  };
  return { base: `http://127.0.0.1:${port}`, code, log, stop, restart };
}

// The admin's API from outside the browser: logs in (the admin must exist) and returns
// call(method, path, body) -> the answer's JSON, failing the test on an error status.
export async function adminApi(server) {
  const login = await fetch(server.base + '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: USER, password: PASS }),
  });
  assert.ok(login.ok, `login: ${login.status}`);
  const { data } = await login.json();
  const cookie = login.headers.get('set-cookie').split(';')[0];
  return async (method, path, body) => {
    const r = await fetch(server.base + path, {
      method,
      headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': data.csrf_token },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

// The first admin, created through the API with the server's setup code.
export async function setupAdmin(server) {
  const r = await fetch(server.base + '/api/v1/setup', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ setup_code: server.code, username: USER, password: PASS }),
  });
  assert.equal(r.status, 201, `setup: ${r.status} ${await r.text()}`);
}

// A local HTTP server on loopback. Answers each request with respond(req, body) -> {status,
// type, body} (default: 200 "ok") and keeps what it was sent ({method, url, headers, body});
// waitFor(pred) resolves with the first request that satisfies pred. stop() closes it and its
// open connections.
export async function startPeer(respond = () => ({})) {
  const requests = [];
  const waiters = new Set();
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const got = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(got);
      for (const w of waiters)
        if (w.pred(got)) {
          waiters.delete(w);
          w.ok(got);
        }
      const { status = 200, type = 'text/plain', body = 'ok' } = respond(got) || {};
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    });
  });
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  const waitFor = (pred, what = 'a request', timeout_ms = 15000) => {
    const seen = requests.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((ok, fail) => {
      const w = {
        pred,
        ok: (r) => {
          clearTimeout(t);
          ok(r);
        },
      };
      const t = setTimeout(() => {
        waiters.delete(w);
        fail(new Error(`peer: no ${what} in ${timeout_ms} ms`));
      }, timeout_ms);
      waiters.add(w);
    });
  };
  return {
    url: `http://127.0.0.1:${srv.address().port}/`,
    requests,
    waitFor,
    stop: () =>
      new Promise((ok) => {
        srv.close(ok);
        srv.closeAllConnections();
      }),
  };
}

// A loopback port nothing listens on (bound, then closed again).
export async function closedPort() {
  const srv = createServer();
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address();
  await new Promise((ok) => srv.close(ok));
  return port;
}

// A fresh browser context at this viewport. `problems` collects uncaught script errors and
// CSP refusals (a test ends by asserting it is empty); shot(step) saves NAME-STEP.png;
// noHScroll(where) fails when a phone-width page scrolls sideways.
export async function openPage(name, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('console', (m) => {
    if (/Refused to|Content Security Policy/i.test(m.text())) problems.push('csp: ' + m.text());
  });
  const shot = (step) => page.screenshot({ path: join(ART, `${name}-${step}.png`), fullPage: true });
  const noHScroll = async (where) => {
    if (viewport.width > 500) return;
    const { sw, cw } = await page.evaluate(() => ({
      sw: document.documentElement.scrollWidth,
      cw: document.documentElement.clientWidth,
    }));
    assert.ok(sw <= cw, `${name}: horizontal scroll on ${where} (scrollWidth ${sw} > ${cw})`);
  };
  return { context, page, problems, shot, noHScroll };
}

// Creates the first admin through the setup page (the fresh server's first page) and submits it.
export async function setUpInPage(page, server) {
  await page.getByLabel('Setup code').fill(server.code);
  await page.getByLabel('Username').fill(USER);
  await page.getByLabel('Password', { exact: true }).fill(PASS);
  await page.getByLabel('Confirm password').fill(PASS);
  await page.getByRole('button', { name: 'Create administrator' }).click();
}

// Logs in through the login page (as the admin unless told) and waits for the live connection.
export async function logIn(page, server, user = USER, password = PASS) {
  await page.goto(server.base + '/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#who', { hasText: user }).waitFor();
  await page.locator('#conn.live').waitFor();
}
