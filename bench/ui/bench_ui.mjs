// See run.sh. Starts the real binary on a temporary data directory, adds 5,000 nodes over the
// API, opens the overview in Chromium and measures; then 1,000 push checks on 1,000 of those
// nodes flip up and down, each once a second, for DURATION_S seconds while the overview is open.
// TELLTALE_BIN and TELLTALE_WEB_DIR (with its -sizes.json beside it) as in tests/e2e.
import { spawn } from 'node:child_process';
import { Agent, get as httpGet } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(ROOT, 'tests/e2e/package.json'));
const { chromium } = require('playwright-core');
const NODES = +(process.env.NODES || 5000);
const FLIPPERS = +(process.env.FLIPPERS || 1000);
const DURATION_S = +(process.env.DURATION_S || 10);
const BIN = resolve(process.env.TELLTALE_BIN || join(ROOT, 'build/telltale'));
const WEB_DIR = process.env.TELLTALE_WEB_DIR ? resolve(process.env.TELLTALE_WEB_DIR) : null;
const SIZES = (WEB_DIR || join(ROOT, 'build/web-dist')) + '-sizes.json';
const PUSH_CONNECTIONS = +(process.env.PUSH_CONNECTIONS || 32);

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-bench-ui-'));
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', dir, '--api-rate-limit', '0'];
  if (WEB_DIR) args.push('--web-dir', WEB_DIR);
  const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let port, code;
  await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error('server did not start')), 20000);
    for (const s of [proc.stdout, proc.stderr]) {
      createInterface({ input: s }).on('line', (line) => {
        port ??= line.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
        code ??= line.match(/setup code:\s*["']?([^\s"',]+)/)?.[1];
        if (port && code) { clearTimeout(t); ok(); }
      });
    }
  });
  const stop = async () => {
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await gone;
    rmSync(dir, { recursive: true, force: true });
  };
  return { base: `http://127.0.0.1:${port}`, code, stop };
}

// Runs fn over items with `width` requests in flight.
async function pool(items, width, fn) {
  let i = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (i < items.length) await fn(items[i++]); }));
}

const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const { base } = server;
  const call = async (method, path, body, headers = {}) => {
    const r = await fetch(base + path, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: body && JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return { r, json: text ? JSON.parse(text) : null };
  };
  await call('POST', '/api/v1/setup', { setup_code: server.code, username: 'admin', password: 'bench-password-123456' });
  const login = await call('POST', '/api/v1/auth/login', { username: 'admin', password: 'bench-password-123456' });
  const session = login.r.headers.get('set-cookie').match(/tt_session=([^;]+)/)[1];
  const auth = { Cookie: `tt_session=${session}`, 'X-CSRF-Token': login.json.data.csrf_token };

  let t0 = Date.now();
  const ids = [];
  const types = ['baremetal', 'vm', 'container', 'network', 'iot'];
  await pool([...Array(NODES).keys()], 16, async (i) => {
    const { json } = await call('POST', '/api/v1/nodes', { name: `node-${String(i).padStart(5, '0')}`, type: types[i % 5],
      address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, labels: { site: `site-${i % 25}`, rack: `r${i % 40}` } }, auth);
    ids[i] = json.data.id;
  });
  const createNodesS = (Date.now() - t0) / 1000;
  const pushUrls = [];
  await pool([...Array(FLIPPERS).keys()], 16, async (i) => {
    const { json } = await call('POST', '/api/v1/checks', { name: `hb-${i}`, kind: 'push', interval: '1h', node_id: ids[i] }, auth);
    pushUrls[i] = json.data.push_url;
  });
  // Every flipper up once, so the timed phase below is made of changes only.
  await pool(pushUrls, 16, (u) => call('GET', u + '?status=up'));

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies([{ name: 'tt_session', value: session, url: base }]);
  const page = await context.newPage();
  // Counted in the page (a DevTools listener per frame would add its own cost): WebSocket
  // messages, and the main-thread time of the UI's own code: its message handler, and its
  // animation-frame callbacks with the renders they schedule (Preact renders in a microtask).
  await page.addInitScript(() => {
    const Base = window.WebSocket;
    window.__wsMessages = 0;
    window.__uiMs = 0;
    window.WebSocket = class extends Base {
      set onmessage(fn) {
        super.onmessage = (e) => {
          window.__wsMessages++;
          const t = performance.now();
          try { return fn(e); } finally { window.__uiMs += performance.now() - t; }
        };
      }
    };
    const raf = window.requestAnimationFrame.bind(window);
    window.__raf0 = raf;
    window.requestAnimationFrame = (cb) => raf((ts) => {
      const t = performance.now();
      cb(ts);
      queueMicrotask(() => { window.__uiMs += performance.now() - t; });
    });
  });
  const wsMessages = () => page.evaluate(() => window.__wsMessages);

  // 1. Time to render the overview: navigation start to the first frame that shows every node.
  const renders = [];
  for (let run = 0; run < 3; run++) {
    await page.goto(base + '/?group=');
    const r = await page.evaluate((n) => new Promise((done) => {
      const longTasks = [];
      new PerformanceObserver((l) => longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
      const poll = () => {
        if (document.querySelector('#node-count')?.textContent === `${n} total` && document.querySelector('.vrow')) {
          requestAnimationFrame(() => setTimeout(() => done({
            rendered_ms: performance.now(),
            rows_in_dom: document.querySelectorAll('.vrow').length,
            longest_task_ms: Math.max(0, ...longTasks),
            heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
          })));
        } else requestAnimationFrame(poll);
      };
      poll();
    }), NODES);
    renders.push(r);
  }

  // 2. Live changes: FLIPPERS push checks flip their node between up and down once a second.
  // Heartbeats go over PUSH_CONNECTIONS keep-alive connections with node:http: fetch (undici)
  // costs this process about three times the CPU per request, and beside Chromium on two cores
  // that alone held the driver to ~450 pushes a second.
  const agent = new Agent({ keepAlive: true, maxSockets: PUSH_CONNECTIONS });
  const push = (path) => new Promise((ok, fail) => {
    httpGet(base + path, { agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? ok() : fail(new Error(`GET ${path}: ${res.statusCode}`))));
    }).on('error', fail);
  });
  await page.locator('#conn.live').waitFor();
  await page.evaluate(() => {
    window.__frames = [];
    window.__long = [];
    new PerformanceObserver((l) => window.__long.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; window.__raf = window.__raf0(tick); };
    window.__raf = window.__raf0(tick);
  });
  const framesBefore = await wsMessages();
  const uiMsBefore = await page.evaluate(() => window.__uiMs);
  const latencies = [];
  const burstsMs = [];  // how long each second's pushes took: below 1000, the driver keeps up
  let sent = 0;
  t0 = Date.now();
  for (let s = 0; s < DURATION_S; s++) {
    const second = Date.now();
    await pool(pushUrls, PUSH_CONNECTIONS, async (u) => { await push(u + `?status=${s % 2 ? 'up' : 'down'}`); sent++; });
    burstsMs.push(Date.now() - second);
    const lat = await page.evaluate(() => document.querySelector('#conn .latency')?.textContent);
    if (lat) latencies.push(+lat.replace(/\D+/g, ''));
    const left = 1000 - (Date.now() - second);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  }
  const elapsedS = (Date.now() - t0) / 1000;
  agent.destroy();
  await new Promise((r) => setTimeout(r, 1500));  // the last events arrive
  const live = await page.evaluate(() => {
    cancelAnimationFrame(window.__raf);
    const f = window.__frames.slice(1).sort((a, b) => a - b);
    const q = (p) => f[Math.min(f.length - 1, Math.floor(p * f.length))];
    return { frames: f.length, frame_p50_ms: q(0.5), frame_p95_ms: q(0.95), frame_max_ms: f[f.length - 1],
      long_tasks: window.__long.length, long_task_total_ms: window.__long.reduce((a, b) => a + b, 0) };
  });
  const downShown = await page.evaluate(() => document.querySelector('.count.s-down .n')?.textContent);
  const eventsReceived = (await wsMessages()) - framesBefore;
  const uiMs = (await page.evaluate(() => window.__uiMs)) - uiMsBefore;

  const sizes = JSON.parse(readFileSync(SIZES, 'utf8'));
  const kb = (n) => (n / 1024).toFixed(1) + ' kB';
  const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const cpu = cpus()[0]?.model || 'unknown CPU';
  const chromeVersion = browser.version();
  const out = `# Web UI benchmark

Machine: ${cpus().length} × ${cpu}; Chromium ${chromeVersion} headless (\`--disable-gpu\`), 1280×900;
Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; load average ${loadavg()[0].toFixed(1)} at the end (other
work on the machine slows every number here). Command: \`bash bench/ui/run.sh\`
(\`NODES\`, \`FLIPPERS\`, \`DURATION_S\`, \`PUSH_CONNECTIONS\` change the load).

## Bundle (gzip -9; the budget is ${kb(sizes.budget_gzip_bytes)} of gzipped JS and CSS, enforced by \`web/build.mjs\`)

| file | raw | gzip |
|---|---|---|
${sizes.files.map((f) => `| \`${f.file.replace(/-[A-Z0-9]{8}\./, '-[hash].')}\` | ${kb(f.bytes)} | ${kb(f.gzip_bytes)} |`).join('\n')}
| total | ${kb(sizes.files.reduce((s, f) => s + f.bytes, 0))} | **${kb(sizes.gzip_total_bytes)}** |

## Overview with ${NODES} nodes

${NODES} nodes created over the API in ${createNodesS.toFixed(1)} s (16 in flight). Time from navigation start to
the first frame showing every node (login session, nodes fetched in pages of 500, the list rendered),
median of ${renders.length} loads: **${med(renders.map((r) => r.rendered_ms)).toFixed(0)} ms** (runs: ${renders.map((r) => r.rendered_ms.toFixed(0)).join(', ')} ms).
Rows in the DOM: ${renders[0].rows_in_dom} of ${NODES} (virtualised); longest main-thread task: ${med(renders.map((r) => r.longest_task_ms)).toFixed(0)} ms${renders[0].heap_mb ? `; JS heap ${renders[0].heap_mb.toFixed(1)} MB` : ''}.

## Live status changes

${FLIPPERS} push checks, each on its own node, flipped between up and down once a second for ${DURATION_S} s
(${sent} pushes in ${elapsedS.toFixed(1)} s = ${(sent / elapsedS).toFixed(0)}/s over ${PUSH_CONNECTIONS} keep-alive connections; each second's
${FLIPPERS} took ${med(burstsMs)} ms (median; max ${Math.max(...burstsMs)} ms); each push makes a check event and a node status event), with the
overview of ${NODES} nodes open. WebSocket messages received: ${eventsReceived} (${(eventsReceived / elapsedS).toFixed(0)}/s);
down count shown at the end: ${downShown} (expected ${DURATION_S % 2 ? FLIPPERS : 0}).

| measure | value |
|---|---|
| frames drawn | ${live.frames} (${(live.frames / elapsedS).toFixed(0)}/s) |
| frame interval p50 / p95 / max | ${live.frame_p50_ms.toFixed(1)} / ${live.frame_p95_ms.toFixed(1)} / ${live.frame_max_ms.toFixed(1)} ms |
| main thread in the UI's code (message handling, renders) | ${(uiMs / elapsedS).toFixed(0)} ms per second (${(uiMs / elapsedS / 10).toFixed(1)}%) |
| long tasks (> 50 ms; the browser's own work included) | ${live.long_tasks}, ${live.long_task_total_ms.toFixed(0)} ms in all |
| update latency (event time to applied, sampled each second) | median ${med(latencies) ?? '–'} ms, max ${Math.max(...latencies)} ms |
`;
  writeFileSync(join(ROOT, 'bench/UI_RESULTS.md'), out);
  console.log(out);
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}
