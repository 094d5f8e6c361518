#!/usr/bin/env python3
"""Memory benchmark of issue 26 (python3 stdlib, gnuplot for the chart), started by
bench/memory/run.sh. Workloads, each with fresh data directories, one after another, RSS of
every process sampled every MEM_SAMPLE_S seconds:

1. idle: `telltale serve` with nothing configured beside Debian's node_exporter and
   blackbox_exporter, idle too;
2. 1,000 ICMP checks at 1 s (one node each) and 10 live browsers on the overview: WebSocket
   clients subscribed as web/src/live.js subscribes, reading every frame, polling the
   availability of the nodes as the overview does. Also bytes written per sample appended, and
   bytes per sample on disk beside VictoriaMetrics holding exactly the samples Telltale stored
   (read back through PromQL, imported into a fresh victoria-metrics);
3. 5,000 HTTP checks at 10 s against a second telltale's /healthz beside blackbox_exporter
   probing the same URLs at the same rate;
4. 10,000 checks of four kinds (ICMP, HTTP, TCP, DNS against a local dnsmasq).

Telltale's /metrics is read every minute (bench/out/memory_metrics.csv) and at the end of each
run (the memory pools and head gauges). Writes bench/MEMORY_RESULTS.md and bench/memory_rss.png.
Environment: MEM_ICMP_MINUTES (15), MEM_HTTP_MINUTES (10), MEM_MIXED_MINUTES (10),
MEM_IDLE_MINUTES (2), MEM_QUICK=1 (every workload 1 minute), MEM_SAMPLE_S (5),
MEM_WORKLOADS (idle,icmp,http,mixed)."""

import csv
import datetime
import http.client
import json
import os
import platform
import re
import selectors
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "checks"))
from procs import (BINARY, HOST, OUT, ROOT, WORK, Telltale, WsClient, blackbox_driver, commands, free_port,  # noqa: E402
                   logger, rss_kib, start, start_blackbox, stop, stop_all, wait_http, write_bytes)
from bench_checks import loopback_targets  # noqa: E402

QUICK = os.environ.get("MEM_QUICK") == "1"


def minutes(name, default):
    return 1.0 if QUICK else float(os.environ.get(name, default))


IDLE_MIN = minutes("MEM_IDLE_MINUTES", 2)
ICMP_MIN = minutes("MEM_ICMP_MINUTES", 15)
HTTP_MIN = minutes("MEM_HTTP_MINUTES", 10)
MIXED_MIN = minutes("MEM_MIXED_MINUTES", 10)
SAMPLE_S = float(os.environ.get("MEM_SAMPLE_S", "5"))
WORKLOADS = os.environ.get("MEM_WORKLOADS", "idle,icmp,http,mixed").split(",")
IDLE_SETTLE_S = 30
BROWSERS = 10
POLL_S = 15  # the overview's availability poll and live.js's ping, both every 15 s
READBACK_WINDOW_MS = 120_000
MIB = 1024
TARGETS = {"idle": 12 * MIB, "icmp": 40 * MIB, "mixed": 64 * MIB}  # KiB
TARGET_WRITE_B = 8.0
TARGET_DISK_RATIO = 0.9
RESULTS = os.path.join(ROOT, "bench", "MEMORY_RESULTS.md")
PNG = os.path.join(ROOT, "bench", "memory_rss.png")
log = logger("bench-memory")

rss_rows = []  # (workload, process, minutes since the workload began, RSS KiB)
metric_rows = []  # (workload, minutes, metric with labels, value)


# ---------------------------------------------------------------- /metrics and /proc

GAUGES = re.compile(r"^(telltale_memory_bytes\{[^}]*\}|telltale_tsdb_head_\w+|telltale_tsdb_samples_appended_total|"
                    r"telltale_ws_\w+|process_resident_memory_bytes) (\S+)$", re.M)


def gauges(tt):
    return {m.group(1): float(m.group(2)) for m in GAUGES.finditer(tt.metrics())}


def memory_status(pid):
    """RSS split as the kernel counts it, and smaps_rollup's Anonymous (KiB)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads"):
                out[k] = int(v.split()[0])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            m = re.match(r"^(Rss|Pss|Anonymous):\s+(\d+) kB", line)
            if m:
                out["rollup_" + m.group(1)] = int(m.group(2))
    return out


def dir_bytes(path):
    return sum(os.lstat(os.path.join(dp, f)).st_size for dp, _, fs in os.walk(path) for f in fs)


def sample(workload, procs, duration_s, tt=None, tick=None):
    """RSS of each process in `procs` (name -> Popen) every SAMPLE_S for duration_s; telltale's
    gauges every minute; tick() each sample (the browsers' work is on their own thread)."""
    t0 = time.time()
    next_metrics = t0
    k = 0
    while True:
        now = time.time()
        for name, p in procs.items():
            if p.poll() is not None:
                raise RuntimeError(f"{workload}: {name} exited with {p.returncode}")
            rss_rows.append((workload, name, (now - t0) / 60, rss_kib(p.pid)))
        if tt is not None and now >= next_metrics and now - t0 < duration_s:  # the end's are finish()'s
            for key, v in gauges(tt).items():
                metric_rows.append((workload, (now - t0) / 60, key, v))
            next_metrics += 60
        if tick:
            tick()
        k += 1
        if now - t0 >= duration_s:
            break
        time.sleep(max(0.0, t0 + k * SAMPLE_S - time.time()))
    return [r[3] for r in rss_rows if r[0] == workload]


def series_of(workload, name):
    return [r[3] for r in rss_rows if r[0] == workload and r[1] == name]


def clean_stop(p, timeout=180):
    """SIGTERM and wait (heads are cut on the way out); the child's whole write_bytes from wait4's
    rusage (ru_oublock counts the same 512-byte units /proc/PID/io's write_bytes is made of)."""
    p.terminate()
    deadline = time.time() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return ru.ru_oublock * 512
        if time.time() > deadline:
            p.kill()
            raise RuntimeError(f"pid {p.pid} did not stop within {timeout} s of SIGTERM")
        time.sleep(0.1)


def finish(tt, R):
    """What every Telltale run records at its end: gauges, memory split, then a clean stop."""
    R["gauges"] = gauges(tt)
    R["mem"] = memory_status(tt.proc.pid)
    for key, v in R["gauges"].items():
        metric_rows.append((R["workload"], R["minutes"], key, v))


# ---------------------------------------------------------------- browsers

class Browsers:
    """BROWSERS overview pages, each from a loopback address of its own: the loads the page makes
    when it opens (web/src/live.js loadNodes, the overview's rule check), a WebSocket subscribed
    to `events`, and every POLL_S the availability of the nodes and a ping. One thread reads
    every socket as frames come, so the server never queues for a slow reader."""

    def __init__(self, tt):
        self.tt = tt
        self.stop_event = threading.Event()
        self.http_bytes = 0
        self.polls = 0
        self.errors = []
        self.clients = []
        for i in range(BROWSERS):
            src = f"127.0.4.{i + 1}"
            c = WsClient(tt.port, tt.token, src)
            c.send_text(json.dumps({"type": "subscribe", "topics": ["events"]}))
            c.source = src
            self.clients.append(c)
            self.get(src, "/api/v1/events?order=desc&limit=1")
            page, pages = 1, 1
            while page <= pages:
                body = self.get(src, f"/api/v1/nodes?sort=name&page={page}&per_page=500")
                pages = json.loads(body).get("pagination", {}).get("pages", 1)
                page += 1
            self.get(src, "/api/v1/alerts?state=firing&page=1&per_page=500")
            self.get(src, "/api/v1/alert-rules?per_page=500")
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def get(self, src, path):
        c = http.client.HTTPConnection(HOST, self.tt.port, timeout=30, source_address=(src, 0))
        c.request("GET", path, headers={"Authorization": "Bearer " + self.tt.token})
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status != 200:
            raise RuntimeError(f"browser GET {path}: HTTP {r.status} {body[:200]!r}")
        self.http_bytes += len(body)
        return body

    def run(self):
        sel = selectors.DefaultSelector()
        for c in self.clients:
            sel.register(c.sock, selectors.EVENT_READ, c)
        next_poll = time.time()
        try:
            while not self.stop_event.is_set():
                for key, _ in sel.select(timeout=0.2):
                    key.data.drain()
                if time.time() >= next_poll:
                    next_poll += POLL_S
                    for c in self.clients:
                        c.send_text('{"type":"ping"}')
                        self.get(c.source, "/api/v1/availability/nodes?slots=50")
                        self.polls += 1
        except Exception as e:  # reported with the results: a browser that broke measures nothing
            self.errors.append(repr(e))
            log(f"browsers: {e!r}")

    def close(self):
        self.stop_event.set()
        self.thread.join(10)
        for c in self.clients:
            c.close()
        return {"frames": sum(c.texts for c in self.clients), "ws_bytes": sum(c.bytes for c in self.clients),
                "http_bytes": self.http_bytes, "polls": self.polls, "errors": self.errors}


# ---------------------------------------------------------------- VictoriaMetrics beside

class VictoriaMetrics:
    def __init__(self, name):
        self.data = os.path.join(WORK, name)
        self.port = free_port()
        self.proc = start(name, ["victoria-metrics", f"-storageDataPath={self.data}",
                                 f"-httpListenAddr={HOST}:{self.port}", "-retentionPeriod=100y", "-loggerLevel=ERROR"])
        wait_http(self.port, "/health")

    def call(self, method, path, body=None):
        c = http.client.HTTPConnection(HOST, self.port, timeout=600)
        c.request(method, path, body)
        r = c.getresponse()
        data = r.read()
        c.close()
        if r.status >= 300:
            raise RuntimeError(f"victoria-metrics {path}: HTTP {r.status} {data[:300]!r}")
        return data.decode()

    def metric_sum(self, text, pattern):
        return sum(float(m.group(1)) for m in re.finditer(pattern + r"\S* (\S+)$", text, re.M))

    def settled_size(self):
        """As bench/tsdb does: flush, merge, then wait until the sizes hold still with no merge
        running; the bytes of storage and index, and the rows it holds."""
        self.call("GET", "/internal/force_flush")
        self.call("GET", "/internal/force_merge")
        prev = None
        for _ in range(120):
            time.sleep(1)
            self.call("GET", "/internal/force_flush")
            m = self.call("GET", "/metrics")
            size = self.metric_sum(m, r'^vm_data_size_bytes\{type="(?:storage|indexdb)/')
            if size == prev and self.metric_sum(m, r'^vm_active_merges\{type="(?:storage|indexdb)/') == 0:
                break
            prev = size
        return size, self.metric_sum(m, r'^vm_rows\{type="storage/')


def read_back(tt, from_ms, to_ms, out_path):
    """Every raw sample Telltale holds in [from_ms, to_ms], through PromQL: an instant query of
    a range selector per metric name and window (both ends inclusive in Telltale's engine), as
    /api/v1/import's JSON lines. Returns the number of samples."""
    names = json.loads(tt.request("GET", "/prometheus/api/v1/label/__name__/values")[1])["data"]
    n = 0
    with open(out_path, "w") as out:
        for name in names:
            a = from_ms
            while a <= to_ms:
                b = min(a + READBACK_WINDOW_MS - 1, to_ms)
                q = urllib.parse.urlencode({"query": f'{{__name__="{name}"}}[{b - a}ms]', "time": f"{b / 1000:.3f}"})
                st, body = tt.request("GET", "/prometheus/api/v1/query?" + q)
                if st != 200:
                    raise RuntimeError(f"read-back {name}: HTTP {st} {body[:300]!r}")
                for s in json.loads(body)["data"]["result"]:
                    ts = [round(float(t) * 1000) for t, _ in s["values"]]
                    vals = [float(v) for _, v in s["values"]]
                    n += len(ts)
                    out.write(json.dumps({"metric": s["metric"], "values": vals, "timestamps": ts}) + "\n")
                a = b + 1
    return n, len(names)


def import_lines(vm, path, batch=8 << 20):
    with open(path, "rb") as f:
        buf = []
        size = 0
        for line in f:
            buf.append(line)
            size += len(line)
            if size >= batch:
                vm.call("POST", "/api/v1/import", b"".join(buf))
                buf, size = [], 0
        if buf:
            vm.call("POST", "/api/v1/import", b"".join(buf))


# ---------------------------------------------------------------- workloads

def run_idle(R):
    tt = Telltale("tt-idle")
    ne_port = free_port()
    ne = start("node-exporter", ["prometheus-node-exporter", f"--web.listen-address={HOST}:{ne_port}"])
    wait_http(ne_port, "/")
    bb, _ = start_blackbox("blackbox-idle")
    log(f"idle: settling {IDLE_SETTLE_S} s, then sampling {IDLE_MIN:g} min")
    time.sleep(IDLE_SETTLE_S)
    sample("idle", {"telltale": tt.proc, "node_exporter": ne, "blackbox_exporter": bb}, IDLE_MIN * 60, tt)
    R.update(workload="idle", minutes=IDLE_MIN)
    finish(tt, R)
    R["peers"] = {"node_exporter": memory_status(ne.pid), "blackbox_exporter": memory_status(bb.pid)}
    for p in (ne, bb):
        stop(p)
    clean_stop(tt.proc)


def run_icmp(R):
    t_start_ms = int(time.time() * 1000)  # every sample of the run is after this
    tt = Telltale("tt-icmp")
    targets = loopback_targets(1000)
    log("icmp: 1,000 nodes and their ICMP checks")
    checks = []
    for i, t in enumerate(targets):
        st, body = tt.request("POST", "/api/v1/nodes", {"name": f"host-{i:04d}", "type": "vm", "address": t})
        if st != 201:
            raise RuntimeError(f"node: HTTP {st} {body[:200]!r}")
        checks.append({"name": f"ping-{i:04d}", "kind": "icmp", "target": t, "interval": "1s", "timeout": "900ms",
                       "node_id": json.loads(body)["data"]["id"], "options": {"packets": 1}})
    tt.create_checks(checks)
    browsers = Browsers(tt)
    w0 = write_bytes(tt.proc.pid)
    a0 = gauges(tt).get("telltale_tsdb_samples_appended_total", 0)
    log(f"icmp: 10 browsers on the overview; sampling {ICMP_MIN:g} min")
    sample("icmp", {"telltale": tt.proc}, ICMP_MIN * 60, tt)
    R.update(workload="icmp", minutes=ICMP_MIN)
    finish(tt, R)
    R["browsers"] = browsers.close()
    # The moment of the stop: what was appended and written until then, and the read-back's end.
    a1 = gauges(tt).get("telltale_tsdb_samples_appended_total", 0)
    w_run = write_bytes(tt.proc.pid) - w0
    t_stop_ms = int(time.time() * 1000)
    w_all = clean_stop(tt.proc) - w0
    R["appended"] = a1 - a0
    R["write_run"], R["write_all"] = w_run, w_all
    R["tt_dir"] = dir_bytes(tt.data)
    empty = Telltale("tt-empty")
    clean_stop(empty.proc)
    R["empty_dir"] = dir_bytes(empty.data)
    # Read back through a restarted server (its checks run again, but only samples up to the
    # stop are read); then exactly those samples into a fresh VictoriaMetrics.
    log("icmp: reading back every sample through PromQL")
    tt.proc = start("tt-icmp-readback", [BINARY, "serve", "--listen", f"{HOST}:{tt.port}", "--data", tt.data,
                                         "--api-rate-limit", "0", "--snmp-trap-listen", "off"])
    wait_http(tt.port, "/healthz")
    lines = os.path.join(WORK, "readback.jsonl")
    R["readback"], R["metric_names"] = read_back(tt, t_start_ms, t_stop_ms, lines)
    stop(tt.proc)
    log(f"icmp: {R['readback']:,} samples read back ({R['appended']:,.0f} appended); importing into VictoriaMetrics")
    vm = VictoriaMetrics("vm-icmp")
    import_lines(vm, lines)
    R["vm_bytes"], R["vm_rows"] = vm.settled_size()
    stop(vm.proc)
    os.remove(lines)


def run_http(R):
    target = Telltale("tt-target")
    urls = [f"http://{HOST}:{target.port}/healthz?i={i}" for i in range(5000)]
    tt = Telltale("tt-http")
    tt.create_checks([{"name": f"http-{i}", "kind": "http", "target": u, "interval": "10s", "timeout": "5s"}
                      for i, u in enumerate(urls)])
    bb, bb_port = start_blackbox("blackbox-http")
    stop_driver = threading.Event()
    blackbox_driver(bb_port, urls, 10.0, stop_driver)
    log(f"http: 5,000 HTTP checks beside blackbox_exporter; sampling {HTTP_MIN:g} min")
    sample("http", {"telltale": tt.proc, "blackbox_exporter": bb}, HTTP_MIN * 60, tt)
    R.update(workload="http", minutes=HTTP_MIN)
    finish(tt, R)
    stop_driver.set()
    R["peers"] = {"blackbox_exporter": memory_status(bb.pid)}
    for p in (bb, target.proc):
        stop(p)
    clean_stop(tt.proc)


def start_dnsmasq():
    """Debian's dnsmasq on loopback answering one name, as tests/integration/probe_peers.py runs it."""
    port = free_port()
    p = start("dnsmasq", ["/usr/sbin/dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts", "--bind-interfaces",
                          "--listen-address=127.0.0.1", f"--port={port}", "--pid-file=", "--log-facility=-",
                          "--host-record=web.tt.test,192.0.2.10", "--local=/tt.test/"])
    time.sleep(0.5)
    return p, port


def run_mixed(R):
    target = Telltale("tt-target-mixed")
    dns, dns_port = start_dnsmasq()
    tt = Telltale("tt-mixed")
    checks = [{"name": f"icmp-{i}", "kind": "icmp", "target": t, "interval": "10s", "timeout": "2s",
               "options": {"packets": 1}} for i, t in enumerate(loopback_targets(4000, base=20))]
    checks += [{"name": f"http-{i}", "kind": "http", "target": f"http://{HOST}:{target.port}/healthz?i={i}",
                "interval": "30s", "timeout": "5s"} for i in range(3000)]
    checks += [{"name": f"tcp-{i}", "kind": "tcp", "target": f"{HOST}:{target.port}", "interval": "30s",
                "timeout": "5s"} for i in range(2000)]
    checks += [{"name": f"dns-{i}", "kind": "dns", "target": "web.tt.test", "interval": "60s", "timeout": "5s",
                "options": {"server": f"{HOST}:{dns_port}", "expected": ["192.0.2.10"]}} for i in range(1000)]
    tt.create_checks(checks)
    log(f"mixed: 10,000 checks (4,000 ICMP, 3,000 HTTP, 2,000 TCP, 1,000 DNS); sampling {MIXED_MIN:g} min")
    sample("mixed", {"telltale": tt.proc}, MIXED_MIN * 60, tt)
    R.update(workload="mixed", minutes=MIXED_MIN)
    finish(tt, R)
    m = tt.metrics()
    R["runs"] = {k: sum(float(v) for v in re.findall(rf'^telltale_check_runs_total\{{kind="{k}",outcome="(?:up|down)"\}} (\S+)$', m, re.M))
                 for k in ("icmp", "http", "tcp", "dns")}
    R["up_runs"] = {k: sum(float(v) for v in re.findall(rf'^telltale_check_runs_total\{{kind="{k}",outcome="up"\}} (\S+)$', m, re.M))
                    for k in ("icmp", "http", "tcp", "dns")}
    for p in (dns, target.proc):
        stop(p)
    clean_stop(tt.proc)


# ---------------------------------------------------------------- chart and report

def chart():
    """One panel per workload, RSS MiB over minutes, a line per process, the target dashed."""
    done = [w for w in ("idle", "icmp", "http", "mixed") if any(r[0] == w for r in rss_rows)]
    titles = {"idle": "idle (after 30 s settle)", "icmp": "1,000 ICMP at 1 s + 10 browsers",
              "http": "5,000 HTTP at 10 s", "mixed": "10,000 checks, 4 kinds"}
    cols = min(len(done), 2)
    rows = (len(done) + 1) // 2
    plot = [f'set terminal pngcairo size {700 * cols},{450 * rows} font "sans,10"', f'set output "{PNG}"',
            f"set multiplot layout {rows},{cols} title \"RSS (MiB), sampled every {SAMPLE_S:g} s\"",
            "set xlabel 'minutes'", "set ylabel 'RSS MiB'", "set grid", "set key bottom right", "set yrange [0:*]"]
    for w in done:
        procs = sorted({r[1] for r in rss_rows if r[0] == w}, key=lambda p: p != "telltale")
        parts = []
        for p in procs:
            path = os.path.join(WORK, f"rss-{w}-{p}.dat")
            with open(path, "w") as f:
                f.writelines(f"{r[2]:.3f} {r[3] / 1024:.2f}\n" for r in rss_rows if r[0] == w and r[1] == p)
            parts.append(f"'{path}' using 1:2 with lines lw 2 title '{p.replace('_', ' ')}'")
        if w in TARGETS:
            parts.append(f"{TARGETS[w] / 1024} with lines dt 2 lc rgb 'red' title 'target'")
        plot += [f"set title '{titles[w]}'", "plot " + ", ".join(parts)]
    plot.append("unset multiplot")
    script = os.path.join(WORK, "rss.gp")
    with open(script, "w") as f:
        f.write("\n".join(plot) + "\n")
    subprocess.run(["gnuplot", script], check=True)


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def verdict(ok):
    return "**PASS**" if ok else "**MISS**"


def pools_table(R):
    g = R["gauges"]
    rows = [f"| `{k}` | {v / 1048576:.2f} MiB |" if k.startswith("telltale_memory_bytes") else f"| `{k}` | {v:,.0f} |"
            for k, v in sorted(g.items()) if not k.startswith("telltale_ws_") or "dropped" in k or k == "telltale_ws_clients"]
    m = R["mem"]
    rows.append(f"| RSS at the end: anonymous / file-backed / shmem (`/proc/PID/status`) | {mib(m['RssAnon'])} / "
                f"{mib(m['RssFile'])} / {mib(m['RssShmem'])} |")
    rows.append(f"| `smaps_rollup` Rss / Anonymous / Pss | {mib(m['rollup_Rss'])} / {mib(m['rollup_Anonymous'])} / "
                f"{mib(m['rollup_Pss'])} |")
    rows.append(f"| VmHWM (peak RSS of the process' life) / threads | {mib(m['VmHWM'])} / {m['Threads']} |")
    return ["| at the end of the run | value |", "|---|---|", *rows]


def rss_summary(w, name):
    s = series_of(w, name)
    return min(s), max(s), s[-1]


def report(runs, wall_s):
    L = []
    w = L.append
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    version = subprocess.run([BINARY, "--version"], capture_output=True, text=True).stdout.strip()

    def pkg(p):
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem_total = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    w("# Telltale memory benchmark (issue 26)")
    w("")
    w(f"Run {now} by `{os.environ.get('MEM_COMMAND', 'bash bench/memory/run.sh')}` in {wall_s / 60:.1f} min"
      f"{' (MEM_QUICK=1: one minute a workload)' if QUICK else ''}. Commit {commit}, binary `{BINARY.replace(ROOT + '/', '')}` "
      f"({version}), {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), {mem_total / 1048576:.1f} GiB RAM. "
      f"Peers: prometheus-node-exporter {pkg('prometheus-node-exporter')}, prometheus-blackbox-exporter "
      f"{pkg('prometheus-blackbox-exporter')}, victoria-metrics {pkg('victoria-metrics')}, dnsmasq {pkg('dnsmasq-base')}.")
    w("")
    w(f"Each workload has fresh data directories and runs alone, one after another. RSS is VmRSS of "
      f"`/proc/PID/status` every {SAMPLE_S:g} s from the moment the checks are created (idle: after a "
      f"{IDLE_SETTLE_S} s settle); telltale's `/metrics` is read every minute (bench/out/memory_metrics.csv) and "
      f"at the end. Everything runs on 127.0.0.0/8.")
    w("")
    w("![RSS over time](memory_rss.png)")
    w("")
    summary = []
    if "idle" in runs:
        R = runs["idle"]
        lo, hi, last = rss_summary("idle", "telltale")
        w("## 1. Idle")
        w("")
        w(f"`telltale serve` on a fresh data directory (one admin and an API token, nothing else), and beside it "
          f"Debian's node_exporter and blackbox_exporter, idle, sampled for {R['minutes']:g} min after {IDLE_SETTLE_S} s.")
        w("")
        w("| process | RSS min | RSS max | RSS at the end | anonymous at the end | file-backed at the end | target |")
        w("|---|---|---|---|---|---|---|")
        w(f"| telltale serve | {mib(lo)} | {mib(hi)} | {mib(last)} | {mib(R['mem']['RssAnon'])} | "
          f"{mib(R['mem']['RssFile'])} | ≤ 12 MiB at every sample {verdict(hi <= TARGETS['idle'])} |")
        for p, m in R["peers"].items():
            plo, phi, plast = rss_summary("idle", p)
            w(f"| {p} | {mib(plo)} | {mib(phi)} | {mib(plast)} | {mib(m['RssAnon'])} | {mib(m['RssFile'])} | |")
        w("")
        summary.append(("idle RSS ≤ 12 MiB", mib(hi), hi <= TARGETS["idle"]))
        L.extend(pools_table(R))
        w("")
    if "icmp" in runs:
        R = runs["icmp"]
        lo, hi, last = rss_summary("icmp", "telltale")
        wb_all = R["write_all"] / max(R["appended"], 1)
        wb_run = R["write_run"] / max(R["appended"], 1)
        tt_b = (R["tt_dir"] - R["empty_dir"]) / max(R["readback"], 1)
        vm_b = R["vm_bytes"] / max(R["readback"], 1)
        ratio = tt_b / vm_b if vm_b else float("nan")
        b = R["browsers"]
        w("## 2. 1,000 ICMP checks at 1 s and 10 browsers on the overview")
        w("")
        w(f"1,000 nodes, each with an ICMP check of its address (127.x.0.y, one packet, every 1 s, timeout 900 ms), "
          f"for {R['minutes']:g} min. {BROWSERS} browsers on the overview from 127.0.4.1–{BROWSERS}: each made the "
          f"page's loads (the newest event, every node, the firing alerts, the alert rules), holds a WebSocket on "
          f"`/api/v1/ws` subscribed to `events` (as web/src/live.js), reads every frame at once, and every {POLL_S} s "
          f"sends live.js's ping and reads `/api/v1/availability/nodes?slots=50` (the overview's heartbeat bars). "
          f"They received {b['frames']:,} WebSocket frames ({b['ws_bytes']:,} bytes) and {b['polls']:,} availability "
          f"answers ({b['http_bytes'] / 1048576:,.1f} MiB of HTTP bodies in all)"
          f"{'; errors: ' + '; '.join(b['errors']) if b['errors'] else ''}.")
        w("")
        w("| measure | value | target | result |")
        w("|---|---|---|---|")
        w(f"| RSS, max over every {SAMPLE_S:g} s sample | {mib(hi)} (min {mib(lo)}, end {mib(last)}) | ≤ 40 MiB | "
          f"{verdict(hi <= TARGETS['icmp'])} |")
        w(f"| bytes written per sample appended | {wb_all:.2f} B ({R['write_all'] / 1048576:,.1f} MiB written for "
          f"{R['appended']:,.0f} samples, the clean stop's cut included; {wb_run:.2f} B without it) | ≤ 8 | "
          f"{verdict(wb_all <= TARGET_WRITE_B)} |")
        w(f"| bytes per sample on disk | {tt_b:.3f} B (data directory after a clean stop, "
          f"{R['tt_dir'] / 1048576:,.2f} MiB, less an empty one's {R['empty_dir'] / 1048576:.2f} MiB) beside "
          f"VictoriaMetrics {vm_b:.3f} B = **{ratio:.2f}×** | ≤ 0.9× | {verdict(ratio <= TARGET_DISK_RATIO)} |")
        w("")
        w(f"Bytes written: `write_bytes` of `/proc/PID/io` from the checks' creation to the end of the run, and "
          f"with the stop (the child's `ru_oublock` from wait4, the same counter). Samples appended: "
          f"`telltale_tsdb_samples_appended_total` over the same span. On disk: after the run the server was "
          f"started again on its data directory and every raw sample up to the stop was read back through "
          f"`/prometheus/api/v1/query` (an instant query of `{{__name__=\"NAME\"}}[{READBACK_WINDOW_MS // 1000}s]` per "
          f"metric name and window; {R['metric_names']} names): {R['readback']:,} samples, imported as JSON lines "
          f"into a fresh victoria-metrics (`/api/v1/import`), flushed and merged (it reports {R['vm_rows']:,.0f} rows); "
          f"its size is `vm_data_size_bytes` of storage and indexdb, {R['vm_bytes'] / 1048576:,.2f} MiB. Telltale's "
          f"directory also holds the nodes, checks, their outcome stretches and events.")
        w("")
        summary += [("1,000 ICMP at 1 s + 10 browsers: RSS ≤ 40 MiB at every sample", mib(hi), hi <= TARGETS["icmp"]),
                    ("bytes written per sample ≤ 8", f"{wb_all:.2f} B", wb_all <= TARGET_WRITE_B),
                    ("bytes per sample on disk ≤ 0.9× VictoriaMetrics", f"{tt_b:.3f} vs {vm_b:.3f} B = {ratio:.2f}×",
                     ratio <= TARGET_DISK_RATIO)]
        L.extend(pools_table(R))
        w("")
    if "http" in runs:
        R = runs["http"]
        lo, hi, last = rss_summary("http", "telltale")
        blo, bhi, blast = rss_summary("http", "blackbox_exporter")
        ok = hi <= bhi
        w("## 3. 5,000 HTTP checks at 10 s beside blackbox_exporter")
        w("")
        w(f"5,000 HTTP checks of a second telltale's `/healthz?i=N` every 10 s; blackbox_exporter's `/probe` for the "
          f"same URLs at the same rate, driven by this script (bench/procs.py blackbox_driver); {R['minutes']:g} min.")
        w("")
        w("| process | RSS min | RSS max | RSS at the end | anonymous at the end | target | result |")
        w("|---|---|---|---|---|---|---|")
        w(f"| telltale | {mib(lo)} | {mib(hi)} | {mib(last)} | {mib(R['mem']['RssAnon'])} | max ≤ 1.0× "
          f"blackbox_exporter's max: {hi / bhi:.2f}× | {verdict(ok)} |")
        w(f"| blackbox_exporter | {mib(blo)} | {mib(bhi)} | {mib(blast)} | "
          f"{mib(R['peers']['blackbox_exporter']['RssAnon'])} | | |")
        w("")
        summary.append(("5,000 HTTP at 10 s: RSS ≤ 1.0× blackbox_exporter", f"{mib(hi)} vs {mib(bhi)} = {hi / bhi:.2f}×",
                        ok))
        L.extend(pools_table(R))
        w("")
    if "mixed" in runs:
        R = runs["mixed"]
        lo, hi, last = rss_summary("mixed", "telltale")
        w("## 4. 10,000 checks of four kinds")
        w("")
        w(f"4,000 ICMP at 10 s (127.20.0.1 on), 3,000 HTTP at 30 s and 2,000 TCP at 30 s against a second "
          f"telltale's port, 1,000 DNS at 60 s against Debian's dnsmasq on loopback (one A record); "
          f"{R['minutes']:g} min. Runs (up of all): " +
          ", ".join(f"{k} {R['up_runs'][k]:,.0f} of {R['runs'][k]:,.0f}" for k in R["runs"]) + ".")
        w("")
        w("| measure | value | target | result |")
        w("|---|---|---|---|")
        w(f"| RSS, max over every sample | {mib(hi)} (min {mib(lo)}, end {mib(last)}) | ≤ 64 MiB | "
          f"{verdict(hi <= TARGETS['mixed'])} |")
        w("")
        summary.append(("10,000 mixed checks: RSS ≤ 64 MiB", mib(hi), hi <= TARGETS["mixed"]))
        L.extend(pools_table(R))
        w("")
    w("## Summary")
    w("")
    w("| target | value | result |")
    w("|---|---|---|")
    for name, val, ok in summary:
        w(f"| {name} | {val} | {verdict(ok)} |")
    w("")
    w("Commands (ports are picked free at run time; $TMP is the run's temporary directory):")
    w("")
    w("```")
    w(f"echo <password> | {BINARY.replace(ROOT + '/', '')} user add bench --role admin --password-stdin --data DIR")
    w(f"{BINARY.replace(ROOT + '/', '')} token create --user bench --data DIR")
    seen = set()
    for c in commands:
        c = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", re.sub(r"--port=\d+", "--port=PORT", c))
        if c not in seen:
            seen.add(c)
            w(c)
    w("```")
    w("")
    with open(RESULTS, "w") as f:
        f.write("\n".join(L))


def main():
    os.makedirs(OUT, exist_ok=True)
    planned = IDLE_SETTLE_S / 60 * ("idle" in WORKLOADS) + sum(
        m for k, m in (("idle", IDLE_MIN), ("icmp", ICMP_MIN), ("http", HTTP_MIN), ("mixed", MIXED_MIN)) if k in WORKLOADS)
    log(f"workloads {','.join(WORKLOADS)}: {planned:.1f} min of sampling, plus set-up and the read-back "
        f"(about {planned * 1.1 + 3:.0f} min in all)")
    t0 = time.time()
    runs = {}
    fns = {"idle": run_idle, "icmp": run_icmp, "http": run_http, "mixed": run_mixed}
    for name in WORKLOADS:
        runs[name] = {}
        fns[name](runs[name])
        lo, hi, last = rss_summary(name, "telltale")
        log(f"{name}: telltale RSS max {mib(hi)}, end {mib(last)}")
        write_outputs(runs, time.time() - t0)  # after each workload, so a run cut short still tells
    log(f"wrote {os.path.relpath(RESULTS, ROOT)} and {os.path.relpath(PNG, ROOT)} in {(time.time() - t0) / 60:.1f} min")


def write_outputs(runs, wall):
    with open(os.path.join(OUT, "memory_rss.csv"), "w", newline="") as f:
        csv.writer(f).writerows([("workload", "process", "minutes", "rss_kib"), *rss_rows])
    with open(os.path.join(OUT, "memory_metrics.csv"), "w", newline="") as f:
        csv.writer(f).writerows([("workload", "minutes", "metric", "value"),
                                 *((a, f"{b:.2f}", c, d) for a, b, c, d in metric_rows)])
    with open(os.path.join(OUT, "memory_runs.json"), "w") as f:
        json.dump(runs, f, indent=1, default=str)
    chart()
    report(runs, wall)


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
