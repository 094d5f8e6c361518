// See run.sh. Starts the real binary on a temporary data directory, adds 5,000 nodes over the
// API, and starts the peer, Debian's Prometheus, with the same 5,000 nodes as scrape targets
// (peer_prometheus.mjs). Then loads Telltale's overview and Prometheus' targets page in turn in
// the same Chromium, LOADS times each, timed the same way. Then 1,000 push checks on 1,000 of
// Telltale's nodes flip up and down, each once a second, for DURATION_S seconds while the overview
// is open (the peer's page does not update live; see the results).
// TELLTALE_BIN and TELLTALE_WEB_DIR (with its -sizes.json beside it) as in tests/e2e; PEER=none
// leaves the peer out, PROMETHEUS names its binary.
import { spawn } from 'node:child_process';
import { Agent, get as httpGet } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { startPrometheus } from './peer_prometheus.mjs';
import { listTiming, loadList } from './timing.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(ROOT, 'tests/e2e/package.json'));
const { chromium } = require('playwright-core');
const NODES = +(process.env.NODES || 5000);
const FLIPPERS = +(process.env.FLIPPERS || 1000);
const CHECKS = Math.max(FLIPPERS, +(process.env.CHECKS || 5000));
const DURATION_S = +(process.env.DURATION_S || 10);
const BIN = resolve(process.env.TELLTALE_BIN || join(ROOT, 'build/telltale'));
const WEB_DIR = process.env.TELLTALE_WEB_DIR ? resolve(process.env.TELLTALE_WEB_DIR) : null;
const SIZES = (WEB_DIR || join(ROOT, 'build/web-dist')) + '-sizes.json';
const PUSH_CONNECTIONS = +(process.env.PUSH_CONNECTIONS || 32);
const LOADS = +(process.env.LOADS || 3);
const PEER = process.env.PEER || 'prometheus';
if (!['prometheus', 'none'].includes(PEER)) throw new Error(`PEER=${PEER}: prometheus or none`);
const OUT = join(ROOT, 'bench/out/ui');

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

// The monitored things, the same for Telltale (nodes) and the peer (scrape targets).
const types = ['baremetal', 'vm', 'container', 'network', 'iot'];
const items = Array.from({ length: NODES }, (_, i) => ({
  name: `node-${String(i).padStart(5, '0')}`, type: types[i % 5],
  address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, labels: { site: `site-${i % 25}`, rack: `r${i % 40}` },
}));

mkdirSync(OUT, { recursive: true });
const server = await startServer();
let peer = null;
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
  await pool([...Array(NODES).keys()], 16, async (i) => {
    const { json } = await call('POST', '/api/v1/nodes', items[i], auth);
    ids[i] = json.data.id;
  });
  const createNodesS = (Date.now() - t0) / 1000;
  const pushUrls = [];
  await pool([...Array(FLIPPERS).keys()], 16, async (i) => {
    const { json } = await call('POST', '/api/v1/checks', { name: `hb-${i}`, kind: 'push', interval: '1h', node_id: ids[i] }, auth);
    pushUrls[i] = json.data.push_url;
  });
  // The checks page lists CHECKS checks: the flippers and more push checks, one per node in turn.
  const restUrls = [];
  await pool([...Array(CHECKS - FLIPPERS).keys()], 16, async (i) => {
    const body = { name: `pc-${i}`, kind: 'push', interval: '1h', node_id: ids[(FLIPPERS + i) % NODES] };
    restUrls[i] = (await call('POST', '/api/v1/checks', body, auth)).json.data.push_url;
  });
  // Every check up once (so each has a stretch, a bar and an uptime; and the timed phase below
  // is made of changes only); one in ten of the rest down once more.
  await pool([...pushUrls, ...restUrls], 16, (u) => call('GET', u + '?status=up'));
  await pool(restUrls.filter((_, i) => i % 10 === 0), 16, (u) => call('GET', u + '?status=down'));
  // Their nodes stay down through the live phase (one check each while CHECKS <= NODES).
  const restDownNodes = new Set(restUrls.flatMap((_, i) => (i % 10 === 0 ? [(FLIPPERS + i) % NODES] : [])));
  const restDown = [...restDownNodes].filter((n) => n >= FLIPPERS).length;

  let peerStartS = null, peerVersion = null;
  if (PEER === 'prometheus') {
    t0 = Date.now();
    peer = await startPrometheus({ bin: process.env.PROMETHEUS || 'prometheus', items, logFile: join(OUT, 'prometheus.log') });
    peerStartS = (Date.now() - t0) / 1000;
    peerVersion = peer.version;
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies([{ name: 'tt_session', value: session, url: base }]);
  const page = await context.newPage();
  await page.addInitScript(listTiming, { kind: 'telltale', n: NODES });
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

  // 1. Time to render the list: Telltale's overview and the peer's page in turn, each in its own
  // browser context (one page, loaded LOADS times, so assets are cached after the first load, as
  // a returning user has them), so a slow moment of the machine falls on both.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  let peerPage = null, peerCdp = null, peerContext = null;
  if (peer) {
    peerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    peerPage = await peerContext.newPage();
    await peerPage.addInitScript(listTiming, { kind: 'prometheus', n: NODES });
    peerCdp = await peerContext.newCDPSession(peerPage);
    await peerCdp.send('Performance.enable');
  }
  // Before the first timed load each page has its renderer process running and has talked to
  // its server once (a health endpoint: nothing of the page is cached by it); then the order
  // alternates from one round to the next, so neither page is always the browser's first.
  await page.goto(base + '/healthz');
  if (peer) await peerPage.goto(peer.base + '/-/healthy');
  const checksPage = await context.newPage();
  await checksPage.addInitScript(listTiming, { kind: 'telltale', n: CHECKS, countId: 'check-count' });
  const checksCdp = await context.newCDPSession(checksPage);
  await checksCdp.send('Performance.enable');
  await checksPage.goto(base + '/healthz');
  const renders = [], peerRenders = [], checkRenders = [];
  let peerStates = null;
  for (let run = 0; run < LOADS; run++) {
    const telltaleLoad = async () => {
      renders.push(await loadList(page, cdp, base + '/?group=', '.vrow'));
      checkRenders.push(await loadList(checksPage, checksCdp, base + '/checks', '.vrow'));
    };
    const peerLoad = async () => { if (peer) peerRenders.push(await loadList(peerPage, peerCdp, peer.url, 'td.state')); };
    if (run % 2) { await peerLoad(); await telltaleLoad(); } else { await telltaleLoad(); await peerLoad(); }
  }
  if (peer) {
    peerStates = await peerPage.evaluate(() => {
      const c = {};
      for (const td of document.querySelectorAll('td.state')) { const k = td.textContent.trim().toLowerCase(); c[k] = (c[k] || 0) + 1; }
      return c;
    });
    await peerContext.close();
    await peer.stop();
    peer = null;
  }
  await cdp.detach();  // the DevTools metrics stay off while the live phase is measured
  await checksCdp.detach();
  await checksPage.close();
  const overviewStates = await page.evaluate(() => [...document.querySelectorAll('.count')].map((e) => e.textContent.trim()).join(', '));

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
  const tm = (k) => med(renders.map((r) => r[k]));
  const pm = (k) => med(peerRenders.map((r) => r[k]));
  const cm = (k) => med(checkRenders.map((r) => r[k]));
  const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×` : '–');
  const ms = (v) => `${v.toFixed(0)} ms`;
  const mb = (v) => `${v.toFixed(1)} MB`;
  const bytes = (v) => (v >= 1048576 ? `${(v / 1048576).toFixed(2)} MB` : kb(v));
  const later = (rs) => med(rs.slice(1).map((r) => r.transferred_bytes));
  const row = (label, k, fmt, bold = false) => {
    const b = (x) => (bold ? `**${x}**` : x);
    return [label, b(fmt(tm(k))), peerRenders.length ? fmt(pm(k)) : '', peerRenders.length ? b(ratio(tm(k), pm(k))) : ''];
  };
  const rows = [
    row('navigation start → page HTML received (Telltale: the app shell; Prometheus: the whole list)', 'html_received_ms', ms),
    row('navigation start → first row shown', 'first_row_ms', ms),
    row('navigation start → whole list shown', 'list_ms', ms, true),
    ['whole list shown, first load (cold cache)', ms(renders[0].list_ms), peerRenders.length ? ms(peerRenders[0].list_ms) : '',
      peerRenders.length ? ratio(renders[0].list_ms, peerRenders[0].list_ms) : ''],
    row('long tasks (> 50 ms) per load', 'long_tasks', (v) => `${v}`),
    row('long tasks per load, total time', 'long_task_total_ms', ms),
    row('longest main-thread task', 'longest_task_ms', ms),
    row('JS heap (after garbage collection)', 'heap_mb', mb),
    row('elements in the document', 'elements', (v) => `${v}`),
    ['bytes transferred, first load (cold cache)', bytes(renders[0].transferred_bytes),
      peerRenders.length ? bytes(peerRenders[0].transferred_bytes) : '', peerRenders.length ? ratio(renders[0].transferred_bytes, peerRenders[0].transferred_bytes) : ''],
    ...(LOADS > 1 ? [['bytes transferred, later loads', bytes(later(renders)), peerRenders.length ? bytes(later(peerRenders)) : '',
      peerRenders.length ? ratio(later(renders), later(peerRenders)) : '']] : []),
  ];
  const checkRows = [
    ['navigation start → first row shown', ms(cm('first_row_ms')), peerRenders.length ? ratio(cm('first_row_ms'), pm('first_row_ms')) : ''],
    ['navigation start → whole list with bars shown', `**${ms(cm('list_ms'))}**`, peerRenders.length ? `**${ratio(cm('list_ms'), pm('list_ms'))}**` : ''],
    ['whole list, first load (cold cache)', ms(checkRenders[0].list_ms), peerRenders.length ? ratio(checkRenders[0].list_ms, peerRenders[0].list_ms) : ''],
    ['long tasks per load, total time', ms(cm('long_task_total_ms')), ''],
    ['JS heap (after garbage collection)', mb(cm('heap_mb')), ''],
    ['elements in the document', `${cm('elements')}`, ''],
    ['bytes transferred, first load (cold cache)', bytes(checkRenders[0].transferred_bytes), ''],
    ...(LOADS > 1 ? [['bytes transferred, later loads', bytes(later(checkRenders)), '']] : []),
  ];
  writeFileSync(join(OUT, 'loads.json'), JSON.stringify({ telltale: renders, checks: checkRenders, prometheus: peerRenders }, null, 1));
  const out = `# Web UI benchmark

Machine: ${cpus().length} × ${cpu}; Chromium ${chromeVersion} headless (\`--disable-gpu\`), 1280×900;
Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; load average ${loadavg()[0].toFixed(1)} at the end (other
work on the machine slows every number here). Command: \`bash bench/ui/run.sh\`
(\`NODES\` for both pages, \`CHECKS\`, \`LOADS\`, and \`FLIPPERS\`, \`DURATION_S\`, \`PUSH_CONNECTIONS\` change the load;
\`PEER=none\` leaves the peer out).

## Bundle (gzip -9; the budget is ${kb(sizes.budget_gzip_bytes)} of gzipped JS and CSS, enforced by \`web/build.mjs\`)

| file | raw | gzip |
|---|---|---|
${sizes.files.map((f) => `| \`${f.file.replace(/-[A-Z0-9]{8}\./, '-[hash].')}\` | ${kb(f.bytes)} | ${kb(f.gzip_bytes)} |`).join('\n')}
| total | ${kb(sizes.files.reduce((s, f) => s + f.bytes, 0))} | **${kb(sizes.gzip_total_bytes)}** |

## Overview with ${NODES} nodes${peerRenders.length ? `, beside Prometheus' targets page with ${NODES} targets` : ''}

${NODES} nodes created over the API in ${createNodesS.toFixed(1)} s (16 in flight); states shown: ${overviewStates}.
${peerRenders.length ? `The peer: Debian's Prometheus ${peerVersion}, its targets page (\`/classic/targets\`, the page Debian's package
serves; its React UI is not in the package), with the same ${NODES} things as file_sd scrape targets labelled with
Telltale's name, type, address, site and rack, all discovered ${peerStartS.toFixed(1)} s after start. They point at a
closed port on 127.0.0.1 and are scraped once an hour (nothing leaves the machine); states shown:
${Object.entries(peerStates).map(([k, v]) => `${v} ${k}`).join(', ')} (a target not scraped yet is unknown, as a Telltale node without checks is).

Why this peer: Prometheus' targets page is, like Telltale's overview, a list of monitored things with a
state each (up, down or unknown, with labels, last scrape and error), and Debian 12's package serves it
whole and offline (its jQuery and Bootstrap are in the package). The other candidates in Debian 12: the
\`prometheus-alertmanager\` package has no web UI (\`/\` is a page saying so; building the Elm UI needs a
download), Prometheus' own React UI is not in Debian's build (only this classic UI under \`/classic/\`),
VictoriaMetrics 1.79's vmui is not in its package (404) and its \`/targets\` page comes without its
stylesheet (404), \`prometheus-blackbox-exporter\`'s page lists its last probes (100 by default), not
monitored things, and netdata's dashboard (not installed here) charts one host's metrics rather than
listing thousands of things.
` : ''}
Each load is timed from navigation start to the frame that first shows the list, taken after that frame's
layout (a ResizeObserver callback; the page's own tasks queued behind it do not count): for Telltale,
the count says ${NODES} total and rows are drawn (login session, nodes fetched in pages of 500, the list
rendered); ${peerRenders.length ? `for Prometheus, all ${NODES} targets' state cells are in the document (the server renders the
HTML, the browser parses it); ` : ''}"first row" is the first frame with any row. Long tasks are counted from
navigation start until the page has loaded and gone a second without one; the JS heap is read after a
garbage collection (DevTools protocol); the DOM lives outside it, hence the element count.
(Results before 2026-12-05 timed the overview alone, to the frame after the one that showed it (rAF,
then a timer), and read \`performance.memory\` without a garbage collection: not comparable with these.)
${peerRenders.length ? `The pages were loaded in turn, ${LOADS} ${LOADS === 1 ? 'time' : 'times'} each (Telltale first in the 1st, 3rd… round, Prometheus first in the
others), each in its own browser context with its assets cached after the first load; medians of the loads.` : `Median of ${LOADS} loads, assets cached after the first.`}

| measure (median) | Telltale overview |${peerRenders.length ? ' Prometheus targets | Telltale / Prometheus |' : ''}
|---|---|${peerRenders.length ? '---|---|' : ''}
${rows.map((r) => `| ${r[0]} | ${r[1]} |${peerRenders.length ? ` ${r[2]} | ${r[3]} |` : ''}`).join('\n')}

Whole list, each load: Telltale ${renders.map((r) => r.list_ms.toFixed(0)).join(', ')} ms${peerRenders.length ? `; Prometheus ${peerRenders.map((r) => r.list_ms.toFixed(0)).join(', ')} ms` : ''}.
Rows in the DOM: Telltale ${renders[0].rows_in_dom} of ${NODES} (virtualised)${peerRenders.length ? `, Prometheus ${peerRenders[0].rows_in_dom} of ${NODES}` : ''}.

## Checks page with ${CHECKS} checks and their heartbeat bars

${CHECKS} push checks (${FLIPPERS} of them the flippers below), each pushed up once and one in ten of the others down
after, so every one has a bar, an uptime and a response. Timed like the overview, to the frame that shows the
count of ${CHECKS} and rows with their bars (the checks are read whole, \`GET /api/v1/checks\`, and the bars and
figures of all of them, \`GET /api/v1/availability/checks\`); loaded right after the overview in each round${peerRenders.length ? `,
and set beside the same run's Prometheus targets page` : ''}; medians of ${LOADS} loads.

| measure (median) | Telltale checks page |${peerRenders.length ? ' Telltale / Prometheus targets |' : ''}
|---|---|${peerRenders.length ? '---|' : ''}
${checkRows.map((r) => `| ${r[0]} | ${r[1]} |${peerRenders.length ? ` ${r[2]} |` : ''}`).join('\n')}

Whole list, each load: ${checkRenders.map((r) => r.list_ms.toFixed(0)).join(', ')} ms.

## Live status changes

${FLIPPERS} push checks, each on its own node, flipped between up and down once a second for ${DURATION_S} s
(${sent} pushes in ${elapsedS.toFixed(1)} s = ${(sent / elapsedS).toFixed(0)}/s over ${PUSH_CONNECTIONS} keep-alive connections; each second's
${FLIPPERS} took ${med(burstsMs)} ms (median; max ${Math.max(...burstsMs)} ms); each push makes a check event and a node status event), with the
overview of ${NODES} nodes open. WebSocket messages received: ${eventsReceived} (${(eventsReceived / elapsedS).toFixed(0)}/s);
down count shown at the end: ${downShown} (expected ${(DURATION_S % 2 ? FLIPPERS : 0) + restDown}: the flippers' last state and the checks set down above).
${peerRenders.length ? `
The peer has no live view to set beside this: Prometheus' targets page shows the states as of its load
and does not update itself (no WebSocket, no polling). Its user sees changes by reloading it, and each
reload costs a load as in the table above (median ${pm('list_ms').toFixed(0)} ms to the whole list, ${pm('long_task_total_ms').toFixed(0)} ms of long tasks), against
the ${(uiMs / elapsedS).toFixed(0)} ms per second Telltale's overview spends here to apply ${FLIPPERS} changes a second.
` : ''}
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
  await peer?.stop();
  await server.stop();
}
