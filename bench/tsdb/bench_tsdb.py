#!/usr/bin/env python3
"""End-to-end time-series benchmark of Telltale beside VictoriaMetrics and Prometheus (python3
stdlib only). Started by bench/tsdb/run.sh, which builds the binaries, generates the synthetic
data (codec_size --prom-dir) and owns the cleanup trap; every process started here is also
written to $TSDB_PIDFILE so that trap can stop it even if this script dies.

Parts: 1. bytes per sample on disk, 2. HTTP ingest samples/s, 3. bytes written per sample in
steady state (/proc/PID/io), 4. query latency. Writes bench/TSDB_RESULTS.md."""

import datetime
import http.client
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.environ["TSDB_WORK"]
PIDFILE = os.environ["TSDB_PIDFILE"]
BINARY = os.environ.get("TSDB_BINARY", os.path.join(ROOT, "build", "telltale"))
BUILD_TYPE = os.environ.get("TSDB_BUILD_TYPE", "")
START_MS = int(os.environ["TSDB_START_MS"])
SCALE = os.environ.get("TSDB_SCALE", "1")
RESULTS = os.environ.get("TSDB_RESULTS", os.path.join(ROOT, "bench", "TSDB_RESULTS.md"))
CODEC_TXT = os.path.join(WORK, "codec.txt")

HOST = "127.0.0.1"
PASSWORD = "bench-password-0123456789"
BATCH_LINES = 20_000          # Prometheus text lines per import request (parts 1-2)
CLASSES = ("ping", "counter", "gauge")
STEADY_SERIES = 1000
STEADY_FAST_TICKS = 8300      # 1 s ticks sent faster than real time: > 8192 (the store's max_chunk_samples), so every head is cut once
STEADY_REAL_S = 60            # then real time, one request per second
Q_RUNS = 5
Q_SERIES = 1000               # part 4: 1,000 series x 24 h at 15 s
Q_STEP_MS = 15_000
LONG_STEP_MS = 10_000         # part 4: 1 series x 30 days at 10 s
TARGET_SIZE_RATIO = 0.9
TARGET_INGEST_RATIO = 1.0
TARGET_WRITE_B = 8.0

procs = []
commands = []


def log(msg):
    print(f"tsdb-bench: {msg}", file=sys.stderr, flush=True)


def record(args):
    shown = []
    for a in args:
        a = a.replace(ROOT + "/", "").replace(WORK, "$TMP")
        shown.append(a if re.fullmatch(r"[\w@%+=:,./$<>{}\"|-]+", a) else "'" + a.replace("'", "'\\''") + "'")
    commands.append(" ".join(shown))


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start(name, args):
    record(args)
    logf = open(os.path.join(WORK, f"{name}.log"), "ab")
    p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=WORK)
    with open(PIDFILE, "a") as f:
        f.write(f"{p.pid}\n")
    procs.append((name, p))
    return p


def stop(p, timeout=60):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise RuntimeError(f"pid {p.pid} did not stop within {timeout}s of SIGTERM")


def wait_http(port, proc, name, path="/", timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see its log in {WORK}")
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer on {port} within {timeout}s")


def dir_bytes(path):
    total = 0
    files = {}
    for dp, _, fns in os.walk(path):
        for fn in fns:
            fp = os.path.join(dp, fn)
            try:
                n = os.lstat(fp).st_size
            except FileNotFoundError:
                continue
            total += n
            files[os.path.relpath(fp, path)] = n
    return total, files


def proc_io(pid):
    out = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k.strip()] = int(v)
    return out


# ---------------------------------------------------------------- servers

class Telltale:
    def __init__(self, name):
        self.name = name
        self.data = os.path.join(WORK, name)
        self.port = free_port()
        show = not any("user add" in c for c in commands)
        if show:
            record(["echo", "<password>", "|", "build/telltale", "user", "add", "admin", "--role", "admin",
                    "--password-stdin", "--data", "DIR"])
            record(["build/telltale", "token", "create", "--user", "admin", "--data", "DIR"])
        subprocess.run([BINARY, "user", "add", "admin", "--role", "admin", "--password-stdin", "--data", self.data],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        out = subprocess.run([BINARY, "token", "create", "--user", "admin", "--data", self.data],
                             text=True, check=True, capture_output=True).stdout
        self.token = out.strip().splitlines()[-1].strip()
        self.start()

    def start(self):
        args = [BINARY, "serve", "--listen", f"{HOST}:{self.port}", "--data", self.data,
                "--api-rate-limit", "0", "--max-body", "67108864", "--log-level", "warn"]
        self.proc = start(self.name, args)
        commands[-1] = commands[-1].replace(self.data.replace(WORK, "$TMP"), "DIR")
        wait_http(self.port, self.proc, self.name, "/healthz")
        self.client = Client(self.port, {"Authorization": f"Bearer {self.token}"})

    def stop(self):
        self.client.close()
        t = time.time()
        stop(self.proc)
        return time.time() - t

    def ingest(self, body):
        st, resp = self.client.post("/api/v1/import/prometheus", body)
        if st != 200:
            raise RuntimeError(f"telltale import: HTTP {st}: {resp[:300]!r}")

    def query(self, params):
        return self.client.get("/api/v1/query_range?" + urllib.parse.urlencode(params))


class VM:
    def __init__(self, name):
        self.name = name
        self.data = os.path.join(WORK, name)
        self.port = free_port()
        self.proc = start(name, ["victoria-metrics", "-storageDataPath", self.data,
                                 "-httpListenAddr", f"{HOST}:{self.port}", "-retentionPeriod", "100y",
                                 "-loggerLevel", "ERROR"])
        commands[-1] = commands[-1].replace(self.data.replace(WORK, "$TMP"), "DIR")
        wait_http(self.port, self.proc, name, "/health")
        self.client = Client(self.port, {})

    def ingest(self, body):
        st, resp = self.client.post("/api/v1/import/prometheus", body)
        if st not in (200, 204):
            raise RuntimeError(f"VM import: HTTP {st}: {resp[:300]!r}")

    def metrics(self):
        _, body = self.client.get("/metrics")
        return body.decode()

    def metric_sum(self, regex, text=None):
        text = text if text is not None else self.metrics()
        s = 0.0
        for line in text.splitlines():
            if re.match(regex, line):
                s += float(line.rsplit(" ", 1)[1])
        return s

    def settle(self):
        """Flushes in-memory parts, merges, and waits until sizes are stable and no merge runs."""
        self.client.get("/internal/force_flush")
        time.sleep(1)
        self.client.get("/internal/force_merge")
        prev = None
        for _ in range(90):
            time.sleep(1)
            self.client.get("/internal/force_flush")
            m = self.metrics()
            size = self.metric_sum(r'^vm_data_size_bytes\{type="(storage|indexdb)/', m)
            active = self.metric_sum(r'^vm_active_merges\{type="(storage|indexdb)/', m)
            if size == prev and active == 0:
                break
            prev = size
        return m

    def stop(self):
        self.client.close()
        stop(self.proc)


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects if the server closed it."""

    def __init__(self, port, headers):
        self.port, self.headers = port, headers
        self.conn = None

    def _req(self, method, path, body=None, headers=None):
        h = dict(self.headers)
        if headers:
            h.update(headers)
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=300)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 1:
                    raise

    def post(self, path, body):
        return self._req("POST", path, body, {"Content-Type": "text/plain"})

    def get(self, path):
        return self._req("GET", path)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---------------------------------------------------------------- data

def batches_of(path, n=BATCH_LINES):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [b"\n".join(lines[i:i + n]) + b"\n" for i in range(0, len(lines), n)], len(lines)


def send_all(server, batches):
    t = time.perf_counter()
    for b in batches:
        server.ingest(b)
    return time.perf_counter() - t


def to_openmetrics(src, dst):
    """Prometheus text with ms timestamps -> OpenMetrics (seconds, '# EOF') for promtool."""
    with open(src, "rb") as f, open(dst, "wb") as out:
        buf = []
        for line in f:
            head, _, ts = line.rstrip(b"\n").rpartition(b" ")
            ms = int(ts)
            buf.append(b"%s %d.%03d\n" % (head, ms // 1000, ms % 1000))
            if len(buf) >= 100_000:
                out.write(b"".join(buf))
                buf.clear()
        out.write(b"".join(buf))
        out.write(b"# EOF\n")


def ping_value(rng, base):
    v = base * (1 + 0.03 * abs(rng.gauss(0, 1)))
    if rng.random() < 0.01:
        v += rng.uniform(0, 3 * base)
    return round(v, 3)


# ---------------------------------------------------------------- part 1+2: size and ingest

def sqlite_breakdown(db_path):
    """Where telltale.db's bytes are: a copy is opened, so the measured files stay untouched."""
    tmp = os.path.join(WORK, "breakdown.db")
    shutil.copyfile(db_path, tmp)
    for ext in ("-wal",):
        if os.path.exists(db_path + ext):
            shutil.copyfile(db_path + ext, tmp + ext)
    con = sqlite3.connect(tmp)
    b = {}
    b["page_size"] = con.execute("PRAGMA page_size").fetchone()[0]
    b["page_count"] = con.execute("PRAGMA page_count").fetchone()[0]
    b["freelist"] = con.execute("PRAGMA freelist_count").fetchone()[0]
    b["chunks_n"], b["chunks_data"] = con.execute(
        "SELECT count(*), coalesce(sum(pack_bytes), 0) FROM chunks").fetchone()
    b["rollups"] = con.execute(
        "SELECT tier, count(*), coalesce(sum(pack_bytes), 0) FROM rollups GROUP BY tier").fetchall()
    b["packs_n"] = con.execute("SELECT count(*) FROM packs").fetchone()[0]
    b["series_n"], b["series_labels"] = con.execute(
        "SELECT count(*), coalesce(sum(length(labels)), 0) FROM series").fetchone()
    try:
        b["dbstat"] = con.execute(
            "SELECT name, count(*), sum(pgsize), sum(payload), sum(unused), "
            "sum(CASE WHEN pagetype = 'overflow' THEN 1 ELSE 0 END) FROM dbstat GROUP BY name "
            "ORDER BY sum(pgsize) DESC").fetchall()
    except sqlite3.Error as e:
        b["dbstat"] = []
        b["dbstat_error"] = str(e)
    con.close()
    os.remove(tmp)
    if os.path.exists(tmp + "-wal"):
        os.remove(tmp + "-wal")
    return b


def part_size_ingest(R):
    R["size"] = {}
    for cls in CLASSES:
        prom = os.path.join(WORK, f"{cls}.prom")
        batches, n = batches_of(prom)
        log(f"{cls}: {n:,} samples in {len(batches)} requests of {BATCH_LINES:,} lines")
        r = {"samples": n, "requests": len(batches), "payload_bytes": sum(len(b) for b in batches)}

        tt = Telltale(f"tt-{cls}")
        r["tt_ingest_s"] = send_all(tt, batches)
        log(f"{cls}: telltale ingested in {r['tt_ingest_s']:.2f}s; SIGTERM")
        r["tt_stop_s"] = tt.stop()
        r["tt_bytes"], r["tt_files"] = dir_bytes(tt.data)
        # The user/token rows are in the same file: the size of a fresh data dir is reported apart.
        r["tt_breakdown"] = sqlite_breakdown(os.path.join(tt.data, "telltale.db"))

        vm = VM(f"vm-{cls}")
        r["vm_ingest_s"] = send_all(vm, batches)
        log(f"{cls}: VM ingested in {r['vm_ingest_s']:.2f}s; flushing and merging")
        m = vm.settle()
        r["vm_rows"] = vm.metric_sum(r'^vm_rows\{type="storage/(small|big|inmemory)"\}', m)
        r["vm_storage"] = vm.metric_sum(r'^vm_data_size_bytes\{type="storage/', m)
        r["vm_index"] = vm.metric_sum(r'^vm_data_size_bytes\{type="indexdb/', m)
        vm.stop()
        r["vm_du"], _ = dir_bytes(vm.data)
        del batches

        om = os.path.join(WORK, f"{cls}.om")
        to_openmetrics(prom, om)
        blocks = os.path.join(WORK, f"prom-{cls}")
        args = ["promtool", "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h", om, blocks]
        t = time.time()
        subprocess.run(args, check=True, capture_output=True, cwd=WORK)
        r["prom_create_s"] = time.time() - t
        if cls == CLASSES[0]:
            record(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h",
                    "$TMP/<class>.om", "$TMP/prom-<class>"])
        r["prom_bytes"], r["prom_files"] = dir_bytes(blocks)
        r["prom_blocks"] = sum(1 for d in os.listdir(blocks) if os.path.isdir(os.path.join(blocks, d)))
        os.remove(om)
        shutil.rmtree(blocks)
        shutil.rmtree(vm.data)
        R["size"][cls] = r
        log(f"{cls}: telltale {r['tt_bytes'] / n:.3f} B/sample, VM {(r['vm_storage'] + r['vm_index']) / n:.3f}, "
            f"Prometheus {r['prom_bytes'] / n:.3f}")
    # Baseline: a data dir with only the admin user and token, stopped the same way.
    base = Telltale("tt-empty")
    base.stop()
    R["empty_dir"], R["empty_files"] = dir_bytes(base.data)


# ---------------------------------------------------------------- part 3: steady-state writes

def part_steady(R):
    tt = Telltale("tt-steady")
    vm = VM("vm-steady")
    servers = (("tt", tt), ("vm", vm))
    rng = random.Random(7)
    bases = [math.exp(rng.uniform(math.log(0.3), math.log(80.0))) for _ in range(STEADY_SERIES)]
    names = [f'ping_rtt{{target="host{i}"}}' for i in range(STEADY_SERIES)]

    def tick_body(t_ms):
        return "".join(f"{names[i]} {ping_value(rng, bases[i])} {t_ms + rng.randint(0, 4)}\n"
                       for i in range(STEADY_SERIES)).encode()

    now_s = int(time.time())
    t0 = (now_s - STEADY_FAST_TICKS - 300) * 1000
    fast = [tick_body(t0 + k * 1000) for k in range(STEADY_FAST_TICKS)]
    for _, srv in servers:
        srv.ingest(fast[0])  # creates the series: a one-off cost, outside the window
    time.sleep(6)
    io0 = {k: proc_io(srv.proc.pid) for k, srv in servers}
    size0 = {k: dir_bytes(srv.data)[0] for k, srv in servers}
    fast_s = {}
    for k, srv in servers:
        fast_s[k] = send_all(srv, fast[1:])
    del fast
    # Telltale's maintenance thread checks every 10 s for heads of 8,192 samples: wait for that
    # cut; VM flushes its in-memory parts within a few seconds.
    log("steady: waiting for the maintenance pass that cuts the full heads into chunks")
    time.sleep(12)
    io1 = {k: proc_io(srv.proc.pid) for k, srv in servers}
    size1 = {k: dir_bytes(srv.data)[0] for k, srv in servers}
    # Real time: one request per second to each server, 1,000 samples each, timestamps = now.
    log(f"steady: {STEADY_REAL_S} s in real time")
    nxt = time.time()
    for _ in range(STEADY_REAL_S):
        body = tick_body(int(time.time() * 1000))
        for _, srv in servers:
            srv.ingest(body)
        nxt += 1
        time.sleep(max(0, nxt - time.time()))
    io2 = {k: proc_io(srv.proc.pid) for k, srv in servers}
    size2 = {k: dir_bytes(srv.data)[0] for k, srv in servers}
    files_live = dir_bytes(tt.data)[1]
    tt.stop()
    vm.stop()
    fast_n = (STEADY_FAST_TICKS - 1) * STEADY_SERIES
    real_n = STEADY_REAL_S * STEADY_SERIES
    all_n = STEADY_FAST_TICKS * STEADY_SERIES + real_n
    log_bytes = sum(v for f, v in files_live.items() if f.startswith("tsdb/"))
    R["steady"] = {"fast_n": fast_n, "real_n": real_n, "all_n": all_n, "log_bytes": log_bytes,
                   "files_live": files_live}
    for k, _ in servers:
        R["steady"][k] = {
            "fast_s": fast_s[k],
            "fast_write": io1[k]["write_bytes"] - io0[k]["write_bytes"], "fast_wchar": io1[k]["wchar"] - io0[k]["wchar"],
            "real_write": io2[k]["write_bytes"] - io1[k]["write_bytes"], "real_wchar": io2[k]["wchar"] - io1[k]["wchar"],
            "fast_grow": size1[k] - size0[k], "real_grow": size2[k] - size1[k],
        }
    s = R["steady"]
    for k, _ in servers:
        log(f"steady {k}: fast {s[k]['fast_write'] / fast_n:.2f} B/sample write_bytes, "
            f"{s[k]['fast_wchar'] / fast_n:.2f} wchar; real time {s[k]['real_write'] / real_n:.2f} / "
            f"{s[k]['real_wchar'] / real_n:.2f}")


# ---------------------------------------------------------------- part 4: query latency

def timed(fn, runs=Q_RUNS):
    times, size, first = [], 0, None
    for i in range(runs + 1):  # run 0 is the first (colder) run, reported apart
        t = time.perf_counter()
        st, body = fn()
        dt = time.perf_counter() - t
        if st != 200:
            raise RuntimeError(f"query: HTTP {st}: {body[:300]!r}")
        if i == 0:
            first = dt
        else:
            times.append(dt)
        size = len(body)
    return {"median_ms": statistics.median(times) * 1000, "first_ms": first * 1000,
            "min_ms": min(times) * 1000, "bytes": size, "body": body}


def part_query(R):
    now_ms = int(time.time()) * 1000
    rng = random.Random(11)
    # 1 series, 30 days at 10 s, ending 5 minutes ago (raw retention is 30 days).
    long_to = now_ms - 300_000
    long_from = long_to - 30 * 86_400_000 + 3_600_000
    lines = []
    t = long_from
    while t <= long_to:
        lines.append(f'ping_rtt_long{{target="far"}} {ping_value(rng, 12.0)} {t + rng.randint(0, 4)}\n')
        t += LONG_STEP_MS
    long_n = len(lines)
    long_batches = ["".join(lines[i:i + BATCH_LINES]).encode() for i in range(0, len(lines), BATCH_LINES)]
    # 1,000 series, 24 h at 15 s.
    day_to = now_ms - 600_000
    day_from = day_to - 86_400_000
    day_batches, buf, day_n = [], [], 0
    for s in range(Q_SERIES):
        base = math.exp(rng.uniform(math.log(0.3), math.log(80.0)))
        t = day_from
        while t <= day_to:
            buf.append(f'ping_rtt{{target="host{s}"}} {ping_value(rng, base)} {t + rng.randint(0, 4)}\n')
            t += Q_STEP_MS
            if len(buf) == BATCH_LINES:
                day_batches.append("".join(buf).encode())
                day_n += len(buf)
                buf = []
    if buf:
        day_batches.append("".join(buf).encode())
        day_n += len(buf)
    log(f"query: ingesting {long_n:,} + {day_n:,} samples")

    tt = Telltale("tt-query")
    vm = VM("vm-query")
    for srv in (tt, vm):
        send_all(srv, long_batches)
        send_all(srv, day_batches)
    # Telltale: restart, so every sample is in SQLite chunks and rollups (the heads are cut on
    # stop) and the queries read them like any data older than the head.
    tt.stop()
    tt.start()
    vm.settle()

    Q = {"long_n": long_n, "day_n": day_n}
    sel_long = 'ping_rtt_long{target="far"}'
    # The 30-day case starts a minute beyond raw retention, so telltale answers it from its 1h
    # rollups; the 29-day case is inside raw retention, where telltale buckets raw samples.
    q_from, q_to = now_ms - 30 * 86_400_000 - 60_000, now_ms
    cases = [
        ("1 series, 30 d, raw samples",
         lambda: tt.query({"match": sel_long, "from": q_from, "to": q_to}),
         lambda: vm.client.get("/api/v1/export?" + urllib.parse.urlencode(
             {"match[]": sel_long, "start": q_from // 1000, "end": q_to // 1000})),
         "`/api/v1/export?match[]=...` (raw samples, JSON lines)"),
        ("1 series, 29 d, step 1h (avg)",
         lambda: tt.query({"match": sel_long, "from": q_to - 29 * 86_400_000, "to": q_to, "step": "1h"}),
         lambda: vm.client.get("/api/v1/query_range?" + urllib.parse.urlencode(
             {"query": f"avg_over_time({sel_long}[1h])", "start": (q_to - 29 * 86_400_000) // 1000,
              "end": q_to // 1000, "step": "1h", "nocache": "1"})),
         "`/api/v1/query_range?query=avg_over_time(...[1h])&step=1h&nocache=1`"),
        ("1 series, 30 d + 1 min, step 1h (avg)",
         lambda: tt.query({"match": sel_long, "from": q_from, "to": q_to, "step": "1h"}),
         lambda: vm.client.get("/api/v1/query_range?" + urllib.parse.urlencode(
             {"query": f"avg_over_time({sel_long}[1h])", "start": q_from // 1000, "end": q_to // 1000,
              "step": "1h", "nocache": "1"})),
         "`/api/v1/query_range?query=avg_over_time(...[1h])&step=1h&nocache=1`"),
        ("1,000 series, 24 h, step 5m (avg)",
         lambda: tt.query({"match": '{__name__="ping_rtt"}', "from": now_ms - 86_400_000, "to": now_ms,
                           "step": "5m"}),
         lambda: vm.client.get("/api/v1/query_range?" + urllib.parse.urlencode(
             {"query": "avg_over_time(ping_rtt[5m])", "start": (now_ms - 86_400_000) // 1000,
              "end": now_ms // 1000, "step": "5m", "nocache": "1"})),
         "`/api/v1/query_range?query=avg_over_time(ping_rtt[5m])&step=5m&nocache=1`"),
    ]
    Q["cases"] = []
    for name, ftt, fvm, vm_how in cases:
        a = timed(ftt)
        b = timed(fvm)
        info = {}
        try:
            j = json.loads(a["body"])
            data = j.get("data", j)
            series = data.get("series", []) if isinstance(data, dict) else []
            info = {"series": len(series), "points": sum(len(s.get("timestamps", [])) for s in series),
                    "tier": data.get("tier", "raw") if isinstance(data, dict) else "?"}
        except (ValueError, AttributeError):
            pass
        a.pop("body")
        b.pop("body")
        Q["cases"].append({"name": name, "tt": a, "vm": b, "vm_how": vm_how, "tt_info": info})
        log(f"query: {name}: telltale {a['median_ms']:.1f} ms, VM {b['median_ms']:.1f} ms, {info}")
    tt.stop()
    vm.stop()
    R["query"] = Q


# ---------------------------------------------------------------- report

def fmt_b(n):
    return f"{n:,.0f}"


def verdict(ok):
    return "**PASS**" if ok else "**MISS**"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    fs = subprocess.run(["df", "-T", WORK], capture_output=True, text=True).stdout.splitlines()[-1].split()[1]
    return f"{cpu}, {os.cpu_count()} CPUs, {mem_kb / 1048576:.1f} GiB RAM, {platform.system()} {platform.release()}, data on {fs}"


def versions():
    out = {}
    for name, args in (("victoria-metrics", ["dpkg-query", "-W", "-f", "victoria-metrics ${Version}", "victoria-metrics"]),
                       ("promtool", ["promtool", "--version"])):
        try:
            p = subprocess.run(args, capture_output=True, text=True, timeout=10)
            text = (p.stdout + p.stderr).strip()
            out[name] = text.splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            out[name] = "?"
    try:
        out["telltale"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                         text=True).stdout.strip() + (" (worktree has uncommitted changes)" if subprocess.run(
            ["git", "-C", ROOT, "status", "--porcelain", "src"], capture_output=True, text=True).stdout.strip() else "")
    except OSError:
        out["telltale"] = "?"
    return out


def write_results(R):
    L = []
    w = L.append
    now = datetime.datetime.now(datetime.timezone.utc)
    v = versions()
    st = os.stat(BINARY)
    v["telltale"] += f", binary built {datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
    w("# Telltale time-series benchmark")
    w("")
    w(f"Run {now:%Y-%m-%d %H:%M} UTC by `bash bench/tsdb/run.sh` (scale {SCALE}) in {R['wall_s']:.0f} s. "
      f"Machine: {machine()}. Telltale {v['telltale']} ({BUILD_TYPE or 'unknown'} build), "
      f"{v['victoria-metrics']}, {v['promtool']}. Everything on 127.0.0.1; each server gets a fresh data directory.")
    w("")
    summary = []

    # Codec alone
    w("## 0. The chunk codec alone (bench/tsdb/codec_size.cpp)")
    w("")
    w("Encoded bytes of the same samples cut into 4,096-sample chunks, no storage around them; encode/decode in "
      "millions of samples per CPU-second of one thread.")
    w("")
    w("```")
    with open(CODEC_TXT) as f:
        w(f.read().rstrip())
    w("```")
    w("")

    # Size
    S = R["size"]
    first_day = datetime.datetime.fromtimestamp(START_MS / 1000, datetime.timezone.utc)
    w("## 1. Bytes per sample on disk")
    w("")
    w(f"Three synthetic classes generated by `codec_size --prom-dir` (deterministic; one day per series from "
      f"{first_day:%Y-%m-%d %H:%M} UTC): **ping** = 1 s RTTs in ms with 3 decimals and scheduling jitter, "
      f"**counter** = 10 s interface octet counters (32-bit wraps, resets, values above 2^53), **gauge** = 15 s "
      f"temperatures, CPU %, disk %, constants and status codes. The same Prometheus text (ms timestamps) is "
      f"POSTed to `/api/v1/import/prometheus` of each server in requests of {BATCH_LINES:,} lines.")
    w("")
    w("- **telltale**: every file in its data directory after SIGTERM (heads are cut into chunks on stop): "
      "`telltale.db` (chunks, rollups, series index, users), `-wal`, `-shm`, `tsdb/*.log`. "
      f"A data directory with only the admin user, stopped the same way, is {fmt_b(R['empty_dir'])} bytes "
      "(the schema: a page per table and index, whatever it holds); the target is judged on the files less that "
      "empty directory, the data, as VM's figure below is its data parts without its fixed files (its `du` "
      "column shows those). The files column keeps it in.")
    w("- **VM**: `vm_data_size_bytes` of storage + indexdb after `/internal/force_flush` and `/internal/force_merge` "
      "with no merge running; `du` = every file under `-storageDataPath` after stop (metadata, caches included).")
    w("- **Prometheus**: `promtool tsdb create-blocks-from openmetrics --max-block-duration=24h`, then every file "
      "of the block directory (chunks, index, meta). The one-day span is day-aligned: " +
      ", ".join(f"{c} {S[c]['prom_blocks']} block(s)" for c in CLASSES) + ".")
    w("")
    w("| class | samples | telltale B/sample (files) | telltale data B/sample (files − empty dir) | VM B/sample | VM du B/sample | Prometheus B/sample | telltale data / VM | telltale data / Prometheus | target ≤ 0.9× VM |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    tot = {"n": 0, "files": 0, "tt": 0, "vm": 0, "prom": 0}
    for cls in CLASSES:
        r = S[cls]
        n = r["samples"]
        files = r["tt_bytes"] / n
        tt, vm, prom = (r["tt_bytes"] - R["empty_dir"]) / n, (r["vm_storage"] + r["vm_index"]) / n, r["prom_bytes"] / n
        ok = tt <= TARGET_SIZE_RATIO * vm
        tot["n"] += n
        tot["files"] += r["tt_bytes"]
        tot["tt"] += r["tt_bytes"] - R["empty_dir"]
        tot["vm"] += r["vm_storage"] + r["vm_index"]
        tot["prom"] += r["prom_bytes"]
        w(f"| {cls} | {n:,} | {files:.3f} | {tt:.3f} | {vm:.3f} | {r['vm_du'] / n:.3f} | {prom:.3f} | {tt / vm:.2f}× | "
          f"{tt / prom:.2f}× | {verdict(ok)} |")
        summary.append((f"bytes/sample on disk, {cls}: telltale data ≤ 0.9× VM",
                        f"{tt:.3f} vs {vm:.3f} B/sample = {tt / vm:.2f}× (files {files:.3f})", ok))
        if abs(r["vm_rows"] - n) > 0:
            w(f"| ^ note | VM reports {r['vm_rows']:,.0f} rows of {n:,} | | | | | | | | |")
    w(f"| all | {tot['n']:,} | {tot['files'] / tot['n']:.3f} | {tot['tt'] / tot['n']:.3f} | {tot['vm'] / tot['n']:.3f} | | "
      f"{tot['prom'] / tot['n']:.3f} | {tot['tt'] / tot['vm']:.2f}× | {tot['tt'] / tot['prom']:.2f}× | |")
    w("")
    w("Where telltale's bytes are (per sample; `dbstat` pages of each b-tree, overflow pages included):")
    w("")
    w("| class | files | chunk blobs | rollup blobs (1m / 1h) | packs table pages | of which overflow pages | unused bytes in packs pages | chunks + rollups index pages | series + index pages | free pages | WAL + log files | files − rollup blobs (vs 0.9× VM) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cls in CLASSES:
        r = S[cls]
        n = r["samples"]
        b = r["tt_breakdown"]
        ps = b["page_size"]
        roll = {t: (c, d) for t, c, d in b["rollups"]}
        r1m = roll.get(60_000, (0, 0))[1]
        r1h = roll.get(3_600_000, (0, 0))[1]
        ds = {row[0]: row for row in b["dbstat"]}
        packs_pages = sum(row[2] for nm, row in ds.items() if nm.startswith("packs"))
        packs_ovf = sum(row[5] for nm, row in ds.items() if nm == "packs")
        packs_unused = sum(row[4] for nm, row in ds.items() if nm.startswith("packs"))
        index_pages = sum(row[2] for nm, row in ds.items() if nm.startswith("chunks") or nm.startswith("rollups"))
        series_pages = sum(row[2] for nm, row in ds.items() if nm.startswith("series") or nm.startswith("sqlite_autoindex_series"))
        side = sum(v for k, v in r["tt_files"].items() if not k.endswith("telltale.db"))
        w(f"| {cls} | {r['tt_bytes'] / n:.3f} | {b['chunks_data'] / n:.3f} ({b['chunks_n']:,} chunks in {b['packs_n']:,} packs) | "
          f"{r1m / n:.3f} / {r1h / n:.3f} | {packs_pages / n:.3f} | {packs_ovf * ps / n:.3f} | {packs_unused / n:.3f} | "
          f"{index_pages / n:.3f} | {series_pages / n:.3f} | {b['freelist'] * ps / n:.3f} | {side / n:.3f} | "
          f"{(r['tt_bytes'] - r1m - r1h) / n:.3f} ({0.9 * (r['vm_storage'] + r['vm_index']) / n:.3f}) |")
    w("")
    w("Files after stop: " + "; ".join(
        f"{cls}: " + ", ".join(f"`{k}` {fmt_b(v)}" for k, v in sorted(S[cls]["tt_files"].items()))
        for cls in CLASSES) + ".")
    w("")
    if any("dbstat_error" in S[c]["tt_breakdown"] for c in CLASSES):
        w("(dbstat was not available in this Python's SQLite: page columns are 0.)")
        w("")

    # Ingest
    w("## 2. Ingest throughput over HTTP")
    w("")
    w(f"The same requests as in part 1, sent sequentially by one Python `http.client` keep-alive connection "
      f"(one request in flight); wall time from the first request to the last response. Telltale answers after "
      f"the batch is in its append log and heads (the samples are two days old, so a request's run of 1,024 or more "
      f"of a series stays plain in its head until the next maintenance pass or the stop cuts it); VM answers "
      f"after parsing into its in-memory buffers.")
    w("")
    w("| class | requests | payload MiB | telltale s | telltale samples/s | VM s | VM samples/s | telltale / VM | target ≥ 1.0× |")
    w("|---|---|---|---|---|---|---|---|---|")
    ttn = vmn = 0.0
    for cls in CLASSES:
        r = S[cls]
        n = r["samples"]
        a, b = n / r["tt_ingest_s"], n / r["vm_ingest_s"]
        ttn += r["tt_ingest_s"]
        vmn += r["vm_ingest_s"]
        w(f"| {cls} | {r['requests']} | {r['payload_bytes'] / 1048576:.1f} | {r['tt_ingest_s']:.2f} | {a:,.0f} | "
          f"{r['vm_ingest_s']:.2f} | {b:,.0f} | {a / b:.2f}× | {verdict(a >= b * TARGET_INGEST_RATIO)} |")
    a, b = tot["n"] / ttn, tot["n"] / vmn
    w(f"| all | | | {ttn:.2f} | {a:,.0f} | {vmn:.2f} | {b:,.0f} | {a / b:.2f}× | {verdict(a >= b * TARGET_INGEST_RATIO)} |")
    summary.append(("HTTP ingest samples/s ≥ 1.0× VM (all classes)", f"{a:,.0f} vs {b:,.0f} = {a / b:.2f}×",
                    a >= b * TARGET_INGEST_RATIO))
    w("")
    w("Telltale stop time after ingest (final cut of the heads into chunks): " +
      ", ".join(f"{c} {S[c]['tt_stop_s']:.1f} s" for c in CLASSES) + ".")
    w("")

    # Steady
    s = R["steady"]
    w("## 3. Bytes written to disk per sample in steady state")
    w("")
    w(f"{STEADY_SERIES:,} ping series (`ping_rtt{{target=...}}`, 3-decimal RTTs); every request carries one sample "
      f"per series (one 1 s tick, {STEADY_SERIES:,} lines). Telltale and VM get the same requests. After a first "
      f"request that creates the series, `/proc/PID/io` of each server is read before and after each window:")
    w("")
    w(f"- **fast**: {STEADY_FAST_TICKS - 1:,} ticks (1 s apart in sample time) sent back to back (telltale "
      f"{s['tt']['fast_s']:.1f} s = {s['fast_n'] / s['tt']['fast_s']:,.0f} samples/s, VM {s['vm']['fast_s']:.1f} s = "
      f"{s['fast_n'] / s['vm']['fast_s']:,.0f} samples/s), then 12 s for telltale's maintenance pass to cut the heads, "
      f"which reach 8,192 samples: the window holds the append log **and** one cut of every head into chunks + "
      f"rollups (WAL frames and the checkpoint), i.e. the whole write path of a sample.")
    w(f"- **real time**: {STEADY_REAL_S} requests, one per second, timestamps = now (telltale: append log only — no "
      f"head fills in 60 s, so its chunk bytes come at a later cut; VM: its periodic part flushes and merges).")
    w("")
    w("| server | window | samples | write_bytes | write_bytes/sample | wchar/sample | data dir growth/sample | target ≤ 8 B/sample |")
    w("|---|---|---|---|---|---|---|---|")
    for k, name in (("tt", "telltale"), ("vm", "VM")):
        for win, n, label in (("fast", s["fast_n"], "fast (log + cut)" if k == "tt" else "fast"),
                              ("real", s["real_n"], "real time 60 s")):
            x = s[k]
            wb = x[f"{win}_write"] / n
            tgt = verdict(wb <= TARGET_WRITE_B) if k == "tt" else ""
            w(f"| {name} | {label} | {n:,} | {fmt_b(x[f'{win}_write'])} | {wb:.2f} | {x[f'{win}_wchar'] / n:.2f} | "
              f"{x[f'{win}_grow'] / n:.2f} | {tgt} |")
    w("")
    w(f"The append log segment left on disk before stop holds {fmt_b(s['log_bytes'])} bytes (segments "
      f"before it were deleted once the cut made them unneeded, so this is not what the log wrote; the real-time "
      f"window, where nothing but the log is written, shows that cost per sample). write_bytes counts pages the process dirtied for the block layer (SQLite's WAL frames and the "
      f"checkpoint copy into telltale.db both count); wchar counts every byte passed to write()/pwrite(). Telltale "
      f"files before stop: " + ", ".join(f"`{k}` {fmt_b(v)}" for k, v in sorted(s["files_live"].items())) + ".")
    w("")
    fw = s["tt"]["fast_write"] / s["fast_n"]
    rw = s["tt"]["real_write"] / s["real_n"]
    summary.append(("bytes written/sample, steady state incl. chunk cut ≤ 8", f"{fw:.2f} B/sample (write_bytes; VM {s['vm']['fast_write'] / s['fast_n']:.2f})", fw <= TARGET_WRITE_B))
    summary.append(("bytes written/sample, real-time 60 s ≤ 8", f"{rw:.2f} B/sample (write_bytes; VM {s['vm']['real_write'] / s['real_n']:.2f})", rw <= TARGET_WRITE_B))

    # Query
    Q = R["query"]
    w("## 4. Query latency")
    w("")
    w(f"Data: `ping_rtt_long{{target=\"far\"}}`, 30 days at 10 s ({Q['long_n']:,} samples), and `ping_rtt{{target=\"hostN\"}}`, "
      f"{Q_SERIES:,} series × 24 h at 15 s ({Q['day_n']:,} samples), imported into both servers. Telltale is then "
      f"restarted (every sample in SQLite chunks + rollups); VM is flushed and merged. Client-side wall time of one "
      f"keep-alive `http.client` request including the JSON body; median of {Q_RUNS} runs after one first run "
      f"(shown apart). VM queries pass `nocache=1`.")
    w("")
    w("| query | telltale median | telltale first | telltale response | VM median | VM first | VM response | telltale / VM | VM request |")
    w("|---|---|---|---|---|---|---|---|---|")
    for c in Q["cases"]:
        a, b, info = c["tt"], c["vm"], c["tt_info"]
        extra = f" ({info.get('series', '?')} series, {info.get('points', 0):,} points, tier {info.get('tier', '?')})" if info else ""
        w(f"| {c['name']} | {a['median_ms']:.1f} ms | {a['first_ms']:.1f} ms | {a['bytes'] / 1024:,.0f} KiB{extra} | "
          f"{b['median_ms']:.1f} ms | {b['first_ms']:.1f} ms | {b['bytes'] / 1024:,.0f} KiB | "
          f"{a['median_ms'] / b['median_ms']:.2f}× | {c['vm_how']} |")
    w("")
    w("Telltale requests: `GET /api/v1/query_range?match=ping_rtt_long{target=\"far\"}&from=<now-30d-1m>&to=<now>` "
      "(raw), the same from now−29 d and from now−30 d−1 min with `&step=1h`, and "
      "`match={__name__=\"ping_rtt\"}&from=<now-24h>&to=<now>&step=5m`. The `tier` column is what telltale reports: "
      "within raw retention (30 days) it buckets raw samples, beyond it it reads the rollup tier. "
      "No latency target was set; shown for comparison.")
    w("")

    # Summary
    w("## Summary against the targets")
    w("")
    w("| target | value | result |")
    w("|---|---|---|")
    for name, val, ok in summary:
        w(f"| {name} | {val} | {verdict(ok)} |")
    w("")
    w("## Commands used")
    w("")
    w("Ports are free ports picked at run time on 127.0.0.1; $TMP is a fresh temporary directory; DIR is a "
      "fresh data directory per server. HTTP requests are made by bench/tsdb/bench_tsdb.py (python3 "
      "`http.client`); `/proc/PID/io` of the telltale process gives write_bytes and wchar.")
    w("")
    w("```")
    w("g++ -std=c++20 -O2 -Isrc bench/tsdb/codec_size.cpp src/tsdb/codec.cpp -o $TMP/codec_size")
    w(f"$TMP/codec_size --scale {SCALE} --start-ms {START_MS} --prom-dir $TMP")
    seen = set()
    for c in commands:
        key = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", c)
        if key not in seen:
            seen.add(key)
            w(key)
    w("POST /api/v1/import/prometheus  (both servers; telltale with 'Authorization: Bearer <token>')")
    w("GET /internal/force_flush, /internal/force_merge, /metrics  (VM)")
    w("```")
    w("")
    with open(RESULTS, "w") as f:
        f.write("\n".join(L))
    log(f"wrote {os.path.relpath(RESULTS, ROOT)}")


def main():
    t = time.time()
    R = {}
    only = os.environ.get("TSDB_PARTS", "size,steady,query").split(",")
    try:
        if "size" in only:
            part_size_ingest(R)
        if "steady" in only:
            part_steady(R)
        if "query" in only:
            part_query(R)
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    R["wall_s"] = time.time() - t + float(os.environ.get("TSDB_PREP_S", "0"))
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(R, f, default=str, indent=1)
    if set(only) >= {"size", "steady", "query"}:
        write_results(R)
    else:
        print(json.dumps(R, default=str, indent=1)[:20000])


if __name__ == "__main__":
    main()
