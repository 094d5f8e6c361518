// The peer of the UI benchmark: Debian's Prometheus serving its targets page (/classic/targets,
// the server-rendered page Debian's package ships; the React UI is not in the package) with the
// same NODES monitored things as Telltale's overview, one scrape target per node, found by file_sd.
// Every target points at a closed port on 127.0.0.1 and is scraped once an hour, so nothing leaves
// the machine and scrapes cost next to nothing; a target not scraped yet shows UNKNOWN, one that
// has been shows DOWN ("connection refused"), as Telltale's nodes without checks show unknown.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, openSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A port nothing listens on once this returns (the listener is closed at once).
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// items: [{ name, type, address, labels }] as Telltale's nodes were created.
export async function startPrometheus({ bin = 'prometheus', items, logFile, timeoutMs = 60000 }) {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-bench-ui-prometheus-'));
  const port = await freePort();
  const closedPort = await freePort();
  const groups = items.map((it) => ({
    targets: [`127.0.0.1:${closedPort}`],
    labels: { node: it.name, type: it.type, address: it.address, ...it.labels },
  }));
  writeFileSync(join(dir, 'targets.json'), JSON.stringify(groups));
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1h',
    '  scrape_timeout: 5s',
    'scrape_configs:',
    '  - job_name: nodes',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(join(dir, 'targets.json'))}]`,
    '',
  ].join('\n'));
  const log = openSync(logFile, 'w');
  const proc = spawn(bin, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ['ignore', log, log] });
  closeSync(log);
  let exited = null;
  proc.once('exit', (code, sig) => { exited = `exited (${code ?? sig})`; });
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  // Ready, and every target discovered (file_sd is read, then the scrape manager applies it
  // after up to 5 s).
  const t0 = Date.now();
  let active = 0;
  try {
    for (;;) {
      if (exited) throw new Error(`prometheus ${exited}; see ${logFile}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`prometheus: ${active} of ${items.length} targets after ${timeoutMs} ms`);
      try {
        const r = await fetch(`${base}/api/v1/targets?state=active`);
        if (r.ok) active = (await r.json()).data.activeTargets.length;
      } catch { /* not listening yet */ }
      if (active === items.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const version = await fetch(`${base}/api/v1/status/buildinfo`).then((r) => r.json()).then((j) => j.data.version, () => '?');
  return { base, url: `${base}/classic/targets`, version, stop };
}
