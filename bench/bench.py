#!/usr/bin/env python3
"""Telltale benchmark driver (python3 stdlib only). Started by bench/run.sh, which builds the
binary, installs the peers and owns the cleanup trap; every process started here is also written
to $BENCH_PIDFILE so that trap can stop it even if this script dies."""

import datetime
import http.client
import json
import os
import platform
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time

from procs import WsClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.environ["BENCH_WORK"]
PIDFILE = os.environ["BENCH_PIDFILE"]
BINARY = os.environ["BENCH_BINARY"]
BUILD_TYPE = os.environ.get("BENCH_BUILD_TYPE", "")
OUT = os.path.join(ROOT, "bench", "out")
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")

HOST = "127.0.0.1"
IDLE_S = 5
WS_CLIENTS = 100
WS_NODES = 50
LIST_NODES = 100
WRK_ARGS = ["-t2", "-c32", "-d10s", "--latency"]
TARGET_IDLE_RSS_KIB = 12 * 1024      # 12 MiB
TARGET_BINARY_BYTES = 8 * 1024 * 1024  # 8 MiB
PASSWORD = "bench-password-0123456789"

CLK_TCK = os.sysconf("SC_CLK_TCK")
procs = []  # (name, Popen)
commands = []  # shell-style lines shown in RESULTS.md


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def q(args):
    return " ".join(a if re.fullmatch(r"[\w@%+=:,./$-]+", a) or a.startswith("echo <") else "'" + a.replace("'", "'\\''") + "'" for a in args)


def record(args):
    shown = [a.replace(ROOT + "/", "").replace(WORK, "$TMP") for a in args]
    commands.append(q(shown))


# ---------------------------------------------------------------- processes

def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start(name, args, env=None):
    record(args)
    logf = open(os.path.join(OUT, f"{name}.log"), "wb")
    p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         cwd=WORK, env=env)
    with open(PIDFILE, "a") as f:
        f.write(f"{p.pid}\n")
    procs.append((name, p))
    return p


def stop_all():
    for _, p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.time() + 5
    for _, p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_port(port, proc, name, timeout=20):
    """Ready when the port accepts a TCP connection (no HTTP request, so the process stays idle)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see bench/out/{name}.log")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout}s")


# ---------------------------------------------------------------- /proc readers

def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def kib(field):
    return int(field.split()[0])


def mem(pid):
    st = status(pid)
    roll = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            m = re.match(r"^(\w+):\s+(\d+) kB", line)
            if m:
                roll[m.group(1)] = int(m.group(2))
    return {
        "rss": kib(st["VmRSS"]),
        "hwm": kib(st["VmHWM"]),
        "anon": kib(st.get("RssAnon", "0 kB")),
        "file": kib(st.get("RssFile", "0 kB")),
        "threads": int(st["Threads"]),
        "pss": roll.get("Pss", 0),
        "uss": roll.get("Private_Clean", 0) + roll.get("Private_Dirty", 0),
    }


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[11]), int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def smaps_breakdown(pid):
    """Rss/Pss per mapping kind: heap, thread stacks, anonymous, each shared library."""
    groups = {}
    cur = None
    header = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")
    entries = []
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = header.match(line)
            if m:
                cur = {"perms": m.group(3), "path": m.group(4).strip(), "Size": 0, "Rss": 0, "Pss": 0}
                entries.append(cur)
                continue
            m = re.match(r"^(Size|Rss|Pss):\s+(\d+) kB", line)
            if m and cur is not None:
                cur[m.group(1)] = int(m.group(2))
    for e in entries:
        path = e["path"]
        if path == "[heap]":
            kind = "[heap] (main malloc arena)"
        elif path.startswith("[stack"):
            kind = "[stack] (main thread)"
        elif path in ("[vdso]", "[vvar]", "[vsyscall]"):
            kind = "[vdso/vvar]"
        elif path == "":
            if e["perms"].startswith("rw") and e["Size"] == 8192:
                kind = "anon 8 MiB rw (thread stacks)"
            elif e["perms"].startswith("rw"):
                kind = "anon rw (malloc arenas, mmap buffers)"
            else:
                kind = "anon other"
        else:
            kind = os.path.basename(path)
        g = groups.setdefault(kind, {"n": 0, "size": 0, "rss": 0, "pss": 0})
        g["n"] += 1
        g["size"] += e["Size"]
        g["rss"] += e["Rss"]
        g["pss"] += e["Pss"]
    return sorted(groups.items(), key=lambda kv: -kv[1]["rss"])


# ---------------------------------------------------------------- HTTP / WebSocket clients

class Api:
    def __init__(self, port, token):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection(HOST, port, timeout=10)
        self.last = time.time()

    def call(self, method, path, body=None):
        if time.time() - self.last > 2:  # the server closes keep-alive connections idle for 5 s
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        payload = r.read()
        self.last = time.time()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {r.status} {payload[:300]!r}")
        return json.loads(payload) if payload else None

    def create_nodes(self, start, count):
        for i in range(start, start + count):
            self.call("POST", "/api/v1/nodes",
                      {"name": f"bench-node-{i:04d}", "type": "vm", "address": f"192.0.2.{i % 250 + 1}",
                       "labels": {"env": "bench", "rack": f"r{i % 8}"}})

    def close(self):
        self.conn.close()


def drain_all(clients, seconds):
    sel = selectors.DefaultSelector()
    for c in clients:
        sel.register(c.sock, selectors.EVENT_READ, c)
    deadline = time.time() + seconds
    while time.time() < deadline:
        for key, _ in sel.select(timeout=0.1):
            key.data.drain()
    sel.close()


# ---------------------------------------------------------------- wrk

def ss_bytes_received(port):
    """Established sockets with local port `port` (the server side): {peer: bytes_received}."""
    out = subprocess.run(["ss", "-Htni", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True).stdout
    res, peer = {}, None
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            parts = line.split()
            peer = parts[3] if len(parts) >= 4 else None
        elif peer:
            m = re.search(r"bytes_received:(\d+)", line)
            res[peer] = int(m.group(1)) if m else 0
            peer = None
    return res


def server_conns(port):
    """Established TCP sockets whose local port is `port`: {remote address: unread bytes}."""
    out = {}
    for table_path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table_path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local, remote, st, queues = parts[1], parts[2], parts[3], parts[4]
                    if st != "01" or int(local.rsplit(":", 1)[1], 16) != port:
                        continue
                    out[remote] = int(queues.split(":")[1], 16)
        except OSError:
            pass
    return out


def run_wrk(name, url, pid, headers=()):
    args = ["wrk", *WRK_ARGS]
    for h in headers:
        args += ["-H", h]
    args.append(url)
    shown = [a if not a.startswith("Authorization: Bearer ") else "Authorization: Bearer <token>" for a in args]
    record(shown)
    t0 = cpu_ticks(pid)
    w0 = time.time()
    wrk = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=WORK)
    with open(PIDFILE, "a") as f:
        f.write(f"{wrk.pid}\n")
    # Mid-run, which server-side connections are being served: with `ss`, those whose bytes_received
    # grew over 2 s; without it, those not holding an unread request in every one of 20 samples.
    time.sleep(3)
    port = int(re.search(r":(\d+)/", url).group(1))
    if shutil.which("ss"):
        a = ss_bytes_received(port)
        time.sleep(2)
        b = ss_bytes_received(port)
        conns = set(a) & set(b)
        starved = {k for k in conns if b[k] == a[k]}
        conn_method = "ss"
    else:
        samples = []
        for _ in range(20):
            samples.append(server_conns(port))
            time.sleep(0.1)
        conns = set.intersection(*[set(x) for x in samples])
        starved = set.intersection(*[{k for k, rx in x.items() if rx > 0} for x in samples])
        conn_method = "proc"
    out, _ = wrk.communicate(timeout=60)
    wall = time.time() - w0
    t1 = cpu_ticks(pid)
    with open(os.path.join(OUT, f"wrk-{name}.txt"), "w") as f:
        f.write(out)
    res = {"raw": out, "wall": wall, "conns": len(conns), "starved": len(starved), "conn_method": conn_method,
           "cpu_user": (t1[0] - t0[0]) / CLK_TCK, "cpu_sys": (t1[1] - t0[1]) / CLK_TCK}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", out)
    res["requests"] = int(m.group(1)) if m else 0
    res["read"] = m.group(3) if m else "?"
    m = re.search(r"Transfer/sec:\s+(\S+)", out)
    res["transfer"] = m.group(1) if m else "?"
    res["lat"] = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1).strip() if m else "none"
    return res


# ---------------------------------------------------------------- formatting

def mib(k):
    return f"{k / 1024:.2f} MiB"


def ratio(a, b):
    if not b:
        return "n/a"
    r = a / b
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"


def verdict(ok):
    return "**PASS**" if ok else "**MISS**"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def breakdown_table(groups, limit=14):
    rows = []
    rest = {"n": 0, "size": 0, "rss": 0, "pss": 0}
    for i, (kind, g) in enumerate(groups):
        if i < limit:
            rows.append([f"`{kind}`", g["n"], f"{g['size']:,} kB", f"{g['rss']:,} kB", f"{g['pss']:,} kB"])
        else:
            for k in rest:
                rest[k] += g[k]
    if rest["n"]:
        rows.append(["(everything else)", rest["n"], f"{rest['size']:,} kB", f"{rest['rss']:,} kB", f"{rest['pss']:,} kB"])
    return table(["mapping", "count", "virtual size", "Rss", "Pss"], rows)


def wrk_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text or "")
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def pkg_version(p):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True, text=True)
    return r.stdout.strip() or "?"


# ---------------------------------------------------------------- the run

def main():
    t_start = time.time()
    os.makedirs(OUT, exist_ok=True)
    R = {}

    # 1. Binary size ---------------------------------------------------------
    log("binary size")
    stripped = os.path.join(WORK, "telltale.stripped")
    shutil.copy(BINARY, stripped)
    record(["cp", "build/telltale", "$TMP/telltale.stripped"])
    record(["strip", "$TMP/telltale.stripped"])
    subprocess.run(["strip", stripped], check=True)
    R["bin_unstripped"] = os.path.getsize(BINARY)
    R["bin_stripped"] = os.path.getsize(stripped)
    record(["ldd", "build/telltale"])
    ldd = subprocess.run(["ldd", BINARY], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in ldd.splitlines():
        m = re.search(r"(\S+) => (/\S+)", line) or re.search(r"^\s*(/\S+) \(0x", line)
        if not m:
            continue
        path = m.group(2) if m.lastindex == 2 else m.group(1)
        real = os.path.realpath(path)
        pkg = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True).stdout.split(":")[0] or \
            subprocess.run(["dpkg", "-S", real], capture_output=True, text=True).stdout.split(":")[0] or "?"
        libs.append({"name": os.path.basename(path), "real": real, "size": os.path.getsize(real), "pkg": pkg})
    R["libs"] = libs
    base = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2",
            "ld-linux-aarch64.so.1", "libpthread.so.0", "libdl.so.2"}
    R["libs_total"] = sum(l["size"] for l in libs)
    R["libs_nonbase"] = sum(l["size"] for l in libs if l["name"] not in base)
    peers_bin = {n: os.path.getsize(shutil.which(n)) for n in ("victoria-metrics", "prometheus-node-exporter")}

    # 2. Idle RSS: telltale with a fresh data dir, and both peers, started together -----------------
    log("idle memory: starting telltale (fresh data dir), victoria-metrics, node_exporter")
    tt_idle_port, vm_port, ne_port = free_port(), free_port(), free_port()
    tt_idle = start("telltale-idle", [BINARY, "serve", "--listen", f"{HOST}:{tt_idle_port}",
                                      "--data", os.path.join(WORK, "tt-fresh")])
    vm = start("victoria-metrics", ["victoria-metrics", "-httpListenAddr", f"{HOST}:{vm_port}",
                                    "-storageDataPath", os.path.join(WORK, "vm-data")])
    ne = start("node-exporter", ["prometheus-node-exporter", f"--web.listen-address={HOST}:{ne_port}"])
    for name, p, port in (("telltale-idle", tt_idle, tt_idle_port), ("victoria-metrics", vm, vm_port),
                          ("node-exporter", ne, ne_port)):
        wait_port(port, p, name)
    time.sleep(IDLE_S)
    R["idle"] = {"telltale": mem(tt_idle.pid), "victoria-metrics": mem(vm.pid), "node_exporter": mem(ne.pid)}
    R["idle_breakdown"] = smaps_breakdown(tt_idle.pid)
    with open(os.path.join(OUT, "telltale-idle.smaps"), "w") as f, open(f"/proc/{tt_idle.pid}/smaps") as s:
        f.write(s.read())
    tt_idle.send_signal(signal.SIGTERM)
    try:
        tt_idle.wait(timeout=10)
        R["idle_exit"] = tt_idle.returncode
    except subprocess.TimeoutExpired:
        R["idle_exit"] = "did not stop within 10 s of SIGTERM"

    # 3. WebSocket clients -------------------------------------------------
    log("WebSocket: admin, token, server")
    data = os.path.join(WORK, "tt-ws")
    record(["echo <password> |", os.path.relpath(BINARY, ROOT), "user", "add", "admin", "--role", "admin", "--password-stdin", "--data", "DIR"])
    subprocess.run([BINARY, "user", "add", "admin", "--role", "admin", "--password-stdin", "--data", data],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    record([os.path.relpath(BINARY, ROOT), "token", "create", "--user", "admin", "--data", "DIR"])
    out = subprocess.run([BINARY, "token", "create", "--user", "admin", "--data", data],
                         text=True, check=True, capture_output=True).stdout
    token = out.strip().splitlines()[-1].strip()
    tt_port = free_port()
    tt = start("telltale", [BINARY, "serve", "--listen", f"{HOST}:{tt_port}", "--data", data,
                            "--api-rate-limit", "0"])
    wait_port(tt_port, tt, "telltale")
    api = Api(tt_port, token)
    api.call("GET", "/api/v1/nodes?per_page=1")  # warm the auth path once
    time.sleep(IDLE_S)
    R["ws_base"] = mem(tt.pid)

    log(f"WebSocket: {WS_CLIENTS} clients subscribing")
    clients = [WsClient(tt_port, token, f"127.0.3.{1 + i // 50}") for i in range(WS_CLIENTS)]
    for c in clients:
        c.send_text(json.dumps({"type": "subscribe", "topics": ["nodes", "events"]}))
    drain_all(clients, 1.0)
    R["ws_subscribed"] = mem(tt.pid)
    log(f"WebSocket: creating {WS_NODES} nodes")
    api.create_nodes(0, WS_NODES)
    drain_all(clients, 2.0)
    R["ws_loaded"] = mem(tt.pid)
    texts = [c.texts for c in clients]
    R["ws_texts"] = (min(texts), max(texts), sum(texts))
    R["ws_bytes"] = sum(c.bytes for c in clients)
    for c in clients:
        c.close()
    time.sleep(1.0)
    R["ws_after_close"] = mem(tt.pid)

    # 4/5. HTTP throughput and CPU time ------------------------------------------
    total = api.call("GET", "/api/v1/nodes?per_page=1")["pagination"]["total"]
    if total < LIST_NODES:
        api.create_nodes(WS_NODES, LIST_NODES - total)
    R["nodes_total"] = api.call("GET", "/api/v1/nodes?per_page=1")["pagination"]["total"]
    sample = http.client.HTTPConnection(HOST, tt_port, timeout=10)
    sample.request("GET", "/api/v1/nodes?per_page=50", headers={"Authorization": f"Bearer {token}"})
    resp = sample.getresponse()
    R["list_body_bytes"] = len(resp.read())
    sample.close()
    api.close()
    log("wrk: telltale list call")
    R["wrk_tt"] = run_wrk("telltale", f"http://{HOST}:{tt_port}/api/v1/nodes?per_page=50", tt.pid,
                          [f"Authorization: Bearer {token}"])
    R["tt_after_wrk"] = mem(tt.pid)
    log("wrk: node_exporter /metrics")
    R["wrk_ne"] = run_wrk("node-exporter", f"http://{HOST}:{ne_port}/metrics", ne.pid)
    log("wrk: victoria-metrics /api/v1/labels")
    R["wrk_vm"] = run_wrk("victoria-metrics", f"http://{HOST}:{vm_port}/api/v1/labels", vm.pid)
    for name, p in procs:
        if p.poll() is not None and name != "telltale-idle":
            raise RuntimeError(f"{name} died during the run (exit {p.returncode})")

    stop_all()
    R["elapsed"] = time.time() - t_start
    write_results(R, token_len=len(token), peers_bin=peers_bin)


def write_results(R, token_len, peers_bin):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    version = subprocess.run([BINARY, "--version"], capture_output=True, text=True).stdout.strip()
    idle = R["idle"]
    tt_i, vm_i, ne_i = idle["telltale"], idle["victoria-metrics"], idle["node_exporter"]
    bin_ok = R["bin_stripped"] <= TARGET_BINARY_BYTES
    rss_ok = tt_i["rss"] <= TARGET_IDLE_RSS_KIB
    L = []
    L.append("# Telltale benchmark results\n")
    L.append(f"- Date: {now}")
    L.append(f"- Machine: `uname -m` = {platform.machine()}, CPU: {cpu_model()}, {os.cpu_count()} cores, "
             f"kernel {platform.release()}")
    L.append(f"- Telltale: {version or '?'} (git HEAD {git or 'none'}, plus any uncommitted changes in the tree), build type {BUILD_TYPE or '?'}")
    L.append(f"- Peers (Debian packages): victoria-metrics {pkg_version('victoria-metrics')}, "
             f"prometheus-node-exporter {pkg_version('prometheus-node-exporter')}, wrk {pkg_version('wrk')}")
    L.append(f"- Whole run took {R['elapsed']:.0f} s; produced by `bash bench/run.sh` (raw wrk output, logs and "
             "the idle smaps in `bench/out/`)\n")

    L.append("## How to read these numbers\n")
    L.append("- **MiB** = 1024 KiB; the kernel reports memory in KiB (it labels them kB). The targets are read as "
             "12 MiB and 8 MiB.")
    L.append("- **RSS** (VmRSS) counts every resident page, including shared-library pages that other processes "
             "share; **Pss** divides shared pages among the processes mapping them; **USS** (private clean + dirty) "
             "is what would be freed if the process exited. The RSS target is judged on RSS, the strictest of the three. "
             "Pss and USS also depend on what else runs on the machine at the time (other processes mapping libc, "
             "libcrypto, the same binary...), so they move between runs; RSS and **anonymous RSS** (RssAnon: heap, "
             "stacks, private data) do not.")
    L.append("- Telltale links system shared libraries (OpenSSL, SQLite, libuv, libsodium...), so its file "
             "footprint is the binary plus those; the Go peers are static binaries with everything inside.")
    L.append("- Ratios are telltale / peer. For memory and size, below 1 means telltale is smaller; for req/s, "
             "above 1 means telltale served more. The HTTP peers serve **different workloads** (telltale: an "
             "authenticated SQLite-backed JSON list; node_exporter: a full /metrics collection of this host; "
             "victoria-metrics: an empty label list), so those ratios only place the numbers, they do not rank "
             "the programs.")
    L.append("- wrk and the servers share the same 2-core machine, so req/s is bounded by both; single runs, "
             "expect a few percent of noise.\n")

    # 1
    L.append("## 1. Binary size\n")
    L.append(table(["what", "target", "value", "peer value", "ratio", "result"], [
        ["telltale, stripped", "≤ 8 MiB", f"{R['bin_stripped']:,} B ({R['bin_stripped'] / 2**20:.2f} MiB)",
         f"victoria-metrics {peers_bin['victoria-metrics']:,} B ({peers_bin['victoria-metrics'] / 2**20:.2f} MiB)",
         ratio(R["bin_stripped"], peers_bin["victoria-metrics"]), verdict(bin_ok)],
        ["telltale, stripped", "", "", f"node_exporter {peers_bin['prometheus-node-exporter']:,} B "
         f"({peers_bin['prometheus-node-exporter'] / 2**20:.2f} MiB)",
         ratio(R["bin_stripped"], peers_bin["prometheus-node-exporter"]), ""],
        ["telltale, as built (unstripped)", "", f"{R['bin_unstripped']:,} B ({R['bin_unstripped'] / 2**20:.2f} MiB)",
         "", "", ""],
        ["telltale + all linked shared libraries", "", f"{R['bin_stripped'] + R['libs_total']:,} B "
         f"({(R['bin_stripped'] + R['libs_total']) / 2**20:.2f} MiB)", "", "", ""],
    ]))
    L.append("\nShared libraries it links (`ldd build/telltale`), with the size of each file on disk:\n")
    L.append(table(["library", "file", "Debian package", "size"],
                   [[l["name"], f"`{l['real']}`", l["pkg"], f"{l['size']:,} B"] for l in R["libs"]] +
                   [["**total**", "", "", f"**{R['libs_total']:,} B ({R['libs_total'] / 2**20:.2f} MiB)**"],
                    ["total without libc/libm/libstdc++/libgcc/ld.so", "", "",
                     f"{R['libs_nonbase']:,} B ({R['libs_nonbase'] / 2**20:.2f} MiB)"]]))

    # 2
    L.append(f"\n## 2. Idle memory (after {IDLE_S} s idle, fresh data directory, no request made)\n")

    def idle_row(name, m, ref=None, target="", res=""):
        return [name, target, f"{m['rss']:,} KiB ({mib(m['rss'])})", f"{m['anon']:,} KiB", f"{m['pss']:,} KiB",
                f"{m['uss']:,} KiB",
                m["threads"], ratio(tt_i["rss"], m["rss"]) if ref else "",
                ratio(tt_i["pss"], m["pss"]) if ref else "", res]

    L.append(table(["process", "target", "RSS", "anonymous RSS", "Pss", "USS", "threads", "RSS ratio tt/peer", "Pss ratio tt/peer", "result"], [
        idle_row("telltale serve", tt_i, target="RSS ≤ 12 MiB", res=verdict(rss_ok)),
        idle_row("victoria-metrics", vm_i, ref=True),
        idle_row("prometheus-node-exporter", ne_i, ref=True),
    ]))
    L.append(f"\ntelltale idle RSS split: {tt_i['anon']:,} KiB anonymous (heap, stacks) + {tt_i['file']:,} KiB "
             f"file-backed (binary and library code, mostly shared). In decimal megabytes the RSS is "
             f"{tt_i['rss'] * 1024 / 1e6:.2f} MB.")
    if R.get("idle_exit") != 0:
        L.append(f"\nNote: the idle telltale's exit after SIGTERM: {R.get('idle_exit')}.")
    L.append("\nWhere the idle telltale's resident memory is (`/proc/PID/smaps`, grouped; thread stacks are the "
             "8 MiB anonymous rw mappings):\n")
    L.append(breakdown_table(R["idle_breakdown"]))

    # 3
    b, s, ld, ac = R["ws_base"], R["ws_subscribed"], R["ws_loaded"], R["ws_after_close"]
    per_rss = (ld["rss"] - b["rss"]) / WS_CLIENTS
    per_anon = (ld["anon"] - b["anon"]) / WS_CLIENTS
    mn, mx, tot = R["ws_texts"]
    L.append(f"\n## 3. Memory with {WS_CLIENTS} WebSocket clients subscribed to `nodes` and `events`\n")
    L.append(f"A server with one admin and its API token; after {IDLE_S} s idle, {WS_CLIENTS} raw WebSocket "
             f"connections (Bearer token) each send `{{\"type\":\"subscribe\",\"topics\":[\"nodes\",\"events\"]}}`, "
             f"then {WS_NODES} nodes are created over HTTP. Each client received between {mn} and {mx} text frames "
             f"({tot:,} frames, {R['ws_bytes']:,} bytes in all), so the events did flow to every client.\n")
    L.append(table(["state", "RSS", "anonymous RSS", "Pss", "USS", "threads"], [
        ["before the clients (one list call made)", f"{b['rss']:,} KiB ({mib(b['rss'])})", f"{b['anon']:,} KiB", f"{b['pss']:,} KiB", f"{b['uss']:,} KiB", b["threads"]],
        [f"{WS_CLIENTS} clients subscribed", f"{s['rss']:,} KiB ({mib(s['rss'])})", f"{s['anon']:,} KiB", f"{s['pss']:,} KiB", f"{s['uss']:,} KiB", s["threads"]],
        [f"... and {WS_NODES} nodes created (events sent)", f"{ld['rss']:,} KiB ({mib(ld['rss'])})", f"{ld['anon']:,} KiB", f"{ld['pss']:,} KiB", f"{ld['uss']:,} KiB", ld["threads"]],
        ["clients closed, 1 s later", f"{ac['rss']:,} KiB ({mib(ac['rss'])})", f"{ac['anon']:,} KiB", f"{ac['pss']:,} KiB", f"{ac['uss']:,} KiB", ac["threads"]],
    ]))
    L.append(f"\nDelta per client (loaded − before, / {WS_CLIENTS}): **{per_rss:.1f} KiB RSS**, "
             f"**{per_anon:.1f} KiB anonymous RSS** (RssAnon: heap and stacks, which no other process shares). Pss and "
             "USS are not used for the delta: they also move when other processes on the machine map or unmap the "
             "same files. No target; the peers have no comparable WebSocket fan-out.")

    # 4 + 5
    wt, wn, wv = R["wrk_tt"], R["wrk_ne"], R["wrk_vm"]
    L.append("\n## 4. HTTP throughput (wrk -t2 -c32 -d10s --latency)\n")
    L.append(f"telltale: `GET /api/v1/nodes?per_page=50` with a Bearer token, {R['nodes_total']} nodes in the "
             f"database, one response is {R['list_body_bytes']:,} bytes of JSON; server started with "
             "`--api-rate-limit 0`. Peers: node_exporter `GET /metrics` and victoria-metrics "
             "`GET /api/v1/labels` (empty database), the same wrk settings. **Different workloads**: the "
             "ratio only places the numbers.\n")

    def wrow(name, w, ref):
        lat = w["lat"]
        return [name, f"{w['rps']:,.0f}", ratio(wt["rps"], w["rps"]) if ref else "", lat.get("50", "?"),
                lat.get("75", "?"), lat.get("90", "?"), lat.get("99", "?"), w["transfer"],
                w["non2xx"], w["socket_errors"], f"{w['conns'] - w['starved']} of {w['conns']}"]

    L.append(table(["server and endpoint", "req/s", "ratio tt/peer", "p50", "p75", "p90", "p99", "transfer/s",
                    "non-2xx", "socket errors", "connections served mid-run"], [
        wrow("telltale `/api/v1/nodes?per_page=50` (auth)", wt, False),
        wrow("node_exporter `/metrics`", wn, True),
        wrow("victoria-metrics `/api/v1/labels`", wv, True),
    ]))
    p50 = wrk_ms(wt["lat"].get("50", ""))
    tt_cpu_share = (wt["cpu_user"] + wt["cpu_sys"]) / wt["wall"]
    if p50 is not None and 38 <= p50 <= 50 and tt_cpu_share < 0.5:
        L.append(f"\n**Diagnostic:** telltale's median latency is {p50:.1f} ms while the server used only "
                 f"{tt_cpu_share * 100:.0f}% of one core. A floor near 40 ms with an idle CPU is the classic "
                 "Nagle + delayed-ACK stall (response written in more than one send on a socket without "
                 "TCP_NODELAY, the client delaying its ACK by 40 ms). Check that accepted HTTP sockets get "
                 "TCP_NODELAY.")
    if wt["conn_method"] == "ss":
        how = ("`ss -tni` read the server-side sockets 3 s and 5 s into the run; a connection whose "
               "bytes_received did not grow in between is counted as not served.")
    else:
        how = ("server-side sockets sampled 20 times from /proc/net/tcp over 2 s, 3 s into the run; a "
               "connection whose request sat unread in every sample is counted as not served.")
    L.append(f"\n*Connections served mid-run*: {how} wrk's latency percentiles only cover requests that were "
             "answered, so unserved connections do not show in them.")
    if wt["starved"]:
        L.append(f"\n**Note:** {wt['starved']} of telltale's {wt['conns']} connections were not being served: the "
                 "server runs its default 8 HTTP worker threads (`--http-threads`) and the HTTP library holds a "
                 "worker for each keep-alive connection until that connection closes (idle 5 s, or 1000 "
                 "requests), so the other connections wait with their request unread; under a steady load like "
                 "this one they can wait the whole run. req/s here is what 8 connections got.")
    L.append("\n## 5. Server CPU time during the wrk run (from /proc/PID/stat utime + stime)\n")

    def crow(name, w):
        cpu = w["cpu_user"] + w["cpu_sys"]
        per_k = cpu / w["requests"] * 1000 if w["requests"] else 0
        return [name, f"{w['cpu_user']:.2f} s", f"{w['cpu_sys']:.2f} s", f"{cpu:.2f} s",
                f"{cpu / w['wall'] * 100:.0f}% of one core", f"{w['requests']:,}", f"{per_k * 1000:.0f} µs"]

    L.append(table(["server", "user", "system", "total", "average use", "requests", "CPU per request"], [
        crow("telltale", wt), crow("node_exporter", wn), crow("victoria-metrics", wv)]))
    ta = R["tt_after_wrk"]
    L.append(f"\ntelltale after the wrk run: RSS {ta['rss']:,} KiB ({mib(ta['rss'])}), Pss {ta['pss']:,} KiB, "
             f"peak RSS (VmHWM) {ta['hwm']:,} KiB ({mib(ta['hwm'])}), {ta['threads']} threads.")

    # Summary
    L.append("\n## Summary against the targets\n")
    L.append(table(["target", "value", "result"], [
        ["stripped binary ≤ 8 MiB", f"{R['bin_stripped'] / 2**20:.2f} MiB", verdict(bin_ok)],
        ["idle RSS ≤ 12 MiB", f"{mib(tt_i['rss'])} (Pss {mib(tt_i['pss'])})", verdict(rss_ok)],
    ]))

    L.append("\n## Commands used\n")
    L.append("Ports are free ports picked at run time on 127.0.0.1; $TMP is a fresh temporary directory and DIR "
             "is $TMP/tt-ws.\n")
    L.append("```")
    L.extend(commands)
    L.append("# memory: VmRSS, VmHWM, Threads from /proc/PID/status; Pss, Private_* from /proc/PID/smaps_rollup")
    L.append("# CPU: utime + stime from /proc/PID/stat before and after each wrk run")
    L.append("# WebSocket: python3 stdlib sockets, GET /api/v1/ws with 'Authorization: Bearer <token>', masked text frames")
    L.append("```")
    with open(RESULTS, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def too_long(*_):
        raise TimeoutError("the benchmark ran past its deadline")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(int(os.environ.get("BENCH_DEADLINE_S", "280")))
    try:
        main()
    except Exception as e:  # noqa: BLE001
        log(f"FAILED: {e}")
        raise
    finally:
        stop_all()
