"""Driver of bench/alerts/run.sh: 10,000 alert rules over 10,000 series, evaluated by Telltale
and by vmalert over VictoriaMetrics in the same run, both fed the same samples in real time;
then a burst of alerts that fire at once, delivered to a local webhook receiver by Telltale and
by vmalert → Alertmanager. Writes bench/ALERTS_RESULTS.md (python3 stdlib only)."""

import datetime
import http.client
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.environ["BENCH_WORK"]
PIDFILE = os.environ["BENCH_PIDFILE"]
BINARY = os.environ.get("BENCH_BINARY", os.path.join(ROOT, "build", "telltale"))
OUT = os.environ.get("BENCH_RESULTS", os.path.join(ROOT, "bench", "ALERTS_RESULTS.md"))
BASELINE_S = int(os.environ.get("BENCH_ALERTS_BASELINE_S", "60"))
WINDOW_S = int(os.environ.get("BENCH_ALERTS_WINDOW_S", "120"))
HOST = "127.0.0.1"
PASSWORD = "bench-password-0123456789"
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

INTERVAL_S = 15          # rule evaluation interval and feed step, both sides
HISTORY_S = 11 * 60      # backfilled before the run: rate()[5m] and avg_over_time()[10m] have data
CHECKS = 2500            # x 4 metrics = 10,000 series
BAD_EVERY = 50           # one series in 50 of each metric is bad
STORM = 2000             # alerts that fire at once in the notification part
STORM_TIMEOUT_S = 180


def log(*a):
    print("alerts-bench:", *a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start(name, args, cwd=None):
    logf = open(os.path.join(WORK, f"{name}.log"), "ab")
    p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd or WORK)
    with open(PIDFILE, "a") as f:
        f.write(f"{p.pid}\n")
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def wait_http(port, proc, name, path="/"):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {WORK}/{name}.log")
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer on {port}")


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def proc_rss_mb(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects if the server closed it."""

    def __init__(self, port, headers=None):
        self.port, self.headers, self.conn = port, headers or {}, None

    def req(self, method, path, body=None, ctype="application/json"):
        h = dict(self.headers)
        if body is not None:
            h["Content-Type"] = ctype
            if isinstance(body, str):
                body = body.encode()
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

    def json(self, method, path, body=None):
        st, data = self.req(method, path, None if body is None else json.dumps(body))
        if st >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {st}: {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def metric_sum(text, regex):
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if re.match(regex, l))


# ---------------------------------------------------------------- data and rules

def check(i):
    return f"c{i:04d}"


def node(i):
    return f"n{i // 10:04d}"


def bad(i, k):
    return i % BAD_EVERY == k


BASE_S = 1_700_000_000  # counters grow from here, so any timestamp gives the same value on both sides


def sample_lines(t_ms, storm=None):
    """The 10,000 series at t_ms (Prometheus text, ms timestamps); `storm`: the burst series'
    values by unit, when that part runs."""
    t_s = t_ms / 1000 - BASE_S
    out = []
    for i in range(CHECKS):
        lab = f'check="{check(i)}",node="{node(i)}"'
        out.append(f"probe_up{{{lab}}} {0 if bad(i, 7) else 1} {t_ms}")
        out.append(f"probe_duration_seconds{{{lab}}} {3.0 if bad(i, 13) else 0.05 + (i % 10) * 0.03:.3f} {t_ms}")
        out.append(f"probe_icmp_loss_ratio{{{lab}}} {0.5 if bad(i, 33) else 0.0} {t_ms}")
        bps = 2e8 if bad(i, 21) else 1e6
        out.append(f'if_in_octets_total{{node="{node(i)}",ifname="eth{i % 10}"}} {bps * t_s:.0f} {t_ms}')
    return "\n".join(out) + "\n" + (storm_lines(t_ms, storm) if storm is not None else "")


def storm_lines(t_ms, values):
    return "".join(f'storm_up{{unit="u{u:04d}"}} {v} {t_ms}\n' for u, v in enumerate(values))


def rules():
    """10,000 rules: (name, expr, for seconds). Expected firing: 45 + 50 + 50 + 45 + 50 = 240."""
    out = []
    for i in range(2250):
        out.append((f"up_{check(i)}", f'probe_up{{check="{check(i)}"}} < 1', 0))
    for i in range(CHECKS):
        out.append((f"slow_{check(i)}", f'probe_duration_seconds{{check="{check(i)}"}} > 2', 30))
    for i in range(CHECKS):
        out.append((f"traffic_{check(i)}",
                    f'rate(if_in_octets_total{{node="{node(i)}",ifname="eth{i % 10}"}}[5m]) * 8 > 9e8', 0))
    for i in range(2250):
        out.append((f"loss_{check(i)}", f'avg_over_time(probe_icmp_loss_ratio{{check="{check(i)}"}}[10m]) > 0.2', 30))
    for j in range(500):  # 450 present checks, 50 that never report
        name = check(2000 + j) if j < 450 else f"x{j:04d}"
        out.append((f"absent_{name}", f'absent(probe_up{{check="{name}"}})', 0))
    return out


def storm_rules():
    return [(f"storm_u{u:04d}", f'storm_up{{unit="u{u:04d}"}} < 1', 0) for u in range(STORM)]


def vmalert_rule_file(path, rule_list, groups, interval_s, concurrency=1):
    """Groups of the same size (vmalert runs groups concurrently, a group's rules `concurrency`
    at a time)."""
    per = (len(rule_list) + groups - 1) // groups
    with open(path, "w") as f:
        f.write("groups:\n")
        for g in range(groups):
            f.write(f"  - name: g{g}\n    interval: {interval_s}s\n    concurrency: {concurrency}\n    rules:\n")
            for name, expr, for_s in rule_list[g * per:(g + 1) * per]:
                f.write(f"      - alert: {name}\n        expr: {json.dumps(expr)}\n        for: {for_s}s\n")


# ---------------------------------------------------------------- servers

class Telltale:
    def __init__(self):
        self.data = os.path.join(WORK, "telltale")
        self.port = free_port()
        subprocess.run([BINARY, "user", "add", "admin", "--role", "admin", "--password-stdin", "--data", self.data],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        out = subprocess.run([BINARY, "token", "create", "--user", "admin", "--data", self.data],
                             text=True, check=True, capture_output=True).stdout
        self.headers = {"Authorization": f"Bearer {out.strip().splitlines()[-1].strip()}"}
        self.proc = start("telltale", [BINARY, "serve", "--listen", f"{HOST}:{self.port}", "--data", self.data,
                                       "--api-rate-limit", "0", "--max-body", "67108864", "--log-level", "warn"])
        wait_http(self.port, self.proc, "telltale", "/healthz")
        self.client = Client(self.port, self.headers)

    def client_new(self):
        return Client(self.port, self.headers)

    def ingest(self, body, client=None):
        st, resp = (client or self.client).req("POST", "/api/v1/import/prometheus", body, "text/plain")
        if st not in (200, 204):
            raise RuntimeError(f"telltale import: HTTP {st}: {resp[:300]!r}")

    def evaluations(self):
        _, body = self.client.req("GET", "/metrics")
        return metric_sum(body.decode(), r"^telltale_alert_rule_evaluations_total\{")

    def alerts(self, state):
        names, page = [], 1
        while True:
            r = self.client.json("GET", f"/api/v1/alerts?state={state}&per_page=500&page={page}")
            names += [a["rule_name"] for a in r["data"]]
            if not r["pagination"]["has_next"]:
                return names
            page += 1


class VM:
    def __init__(self):
        self.port = free_port()
        self.proc = start("victoria-metrics", ["victoria-metrics", "-storageDataPath", os.path.join(WORK, "vm"),
                                               "-httpListenAddr", f"{HOST}:{self.port}", "-retentionPeriod", "100y",
                                               "-search.latencyOffset", "0s", "-loggerLevel", "ERROR"])
        wait_http(self.port, self.proc, "victoria-metrics", "/health")
        self.client = Client(self.port)

    def ingest(self, body, client=None):
        st, resp = (client or self.client).req("POST", "/api/v1/import/prometheus", body, "text/plain")
        if st not in (200, 204):
            raise RuntimeError(f"VM import: HTTP {st}: {resp[:300]!r}")


class VMAlert:
    def __init__(self, name, rule_file, vm_port, notifier_url, interval_s):
        self.port = free_port()
        self.proc = start(name, ["vmalert", "-rule", rule_file, "-datasource.url", f"http://{HOST}:{vm_port}",
                                 "-notifier.url", notifier_url, "-evaluationInterval", f"{interval_s}s",
                                 "-httpListenAddr", f"{HOST}:{self.port}", "-loggerLevel", "ERROR"])
        wait_http(self.port, self.proc, name, "/health")
        self.client = Client(self.port)

    def alerts(self):
        r = self.client.json("GET", "/api/v1/alerts")
        out = {}
        for a in r["data"]["alerts"]:
            out.setdefault(a["state"], []).append(a["name"])
        return out

    def metrics(self):
        return self.client.req("GET", "/metrics")[1].decode()


class Feeder(threading.Thread):
    """Writes the current value of every series to both servers every INTERVAL_S, aligned to the
    step, as scrapes would; its own connections."""

    def __init__(self, tt, vm):
        super().__init__(daemon=True)
        self.tt, self.vm = tt, vm
        self.tt_client, self.vm_client = tt.client_new(), Client(vm.port)
        self.storm_tt = self.storm_vm = None  # per unit values once the burst part runs
        self.stopping = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stopping.is_set():
                now = time.time()
                nxt = (int(now) // INTERVAL_S + 1) * INTERVAL_S
                if self.stopping.wait(nxt - now):
                    return
                t_ms = nxt * 1000
                self.tt.ingest(sample_lines(t_ms, self.storm_tt), self.tt_client)
                self.vm.ingest(sample_lines(t_ms, self.storm_vm), self.vm_client)
        except Exception as e:  # reported by the main thread
            self.error = e


def create_rules(tt, rule_list, interval_s, channels=()):
    clients = [tt.client_new() for _ in range(4)]

    def post(k):
        chunk = rule_list[k::4]
        for name, expr, for_s in chunk:
            clients[k].json("POST", "/api/v1/alert-rules",
                            {"name": name, "expr": expr, "for": f"{for_s}s", "interval": f"{interval_s}s",
                             "severity": "warning", "channels": list(channels)})

    with ThreadPoolExecutor(4) as ex:
        list(ex.map(post, range(4)))
    for c in clients:
        c.close()


def receiver_stats(port):
    return Client(port).json("GET", "/stats")


def wait_items(port, path, n, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = receiver_stats(port).get(path)
        if s and s["items"] >= n:
            return s
        time.sleep(0.2)
    return receiver_stats(port).get(path, {"items": 0, "requests": 0, "first": 0, "last": 0})


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    return f"{platform.machine()}, {os.cpu_count()} CPUs {model}".strip()


def version(pkg):
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True).stdout or "?"


# ---------------------------------------------------------------- parts

def part_evaluation(R, tt, vm, recv_port):
    rule_list = rules()
    assert len(rule_list) == 10_000
    now = int(time.time())
    t0 = (now - HISTORY_S) // INTERVAL_S * INTERVAL_S
    log(f"backfilling {HISTORY_S}s of 10,000 series into both")
    for t in range(t0, now // INTERVAL_S * INTERVAL_S + 1, INTERVAL_S):
        body = sample_lines(t * 1000)
        tt.ingest(body)
        vm.ingest(body)
    feeder = Feeder(tt, vm)
    feeder.start()
    time.sleep(INTERVAL_S)  # the first real-time feed lands

    log(f"ingest-only baseline, {BASELINE_S}s")
    b = {"t": time.monotonic(), "tt": proc_cpu(tt.proc.pid), "vm": proc_cpu(vm.proc.pid)}
    time.sleep(BASELINE_S)
    el = time.monotonic() - b["t"]
    R["base"] = {"s": el, "tt_cpu": proc_cpu(tt.proc.pid) - b["tt"], "vm_cpu": proc_cpu(vm.proc.pid) - b["vm"],
                 "tt_rss": proc_rss_mb(tt.proc.pid), "vm_rss": proc_rss_mb(vm.proc.pid)}
    log("baseline", R["base"])

    log("creating 10,000 rules in Telltale over the API; starting vmalert on the same rules")
    rule_file = os.path.join(WORK, "rules.yml")
    vmalert_rule_file(rule_file, rule_list, 10, INTERVAL_S)
    t = time.monotonic()
    create_rules(tt, rule_list, INTERVAL_S)
    R["create_s"] = time.monotonic() - t
    vma = VMAlert("vmalert", rule_file, vm.port, f"http://{HOST}:{recv_port}", INTERVAL_S)
    log(f"rules created in {R['create_s']:.1f}s; warming up 45s (for: 30s)")
    time.sleep(45)

    log(f"measuring {WINDOW_S}s")
    pids = {"tt": tt.proc.pid, "vm": vm.proc.pid, "vmalert": vma.proc.pid}
    c0 = {k: proc_cpu(p) for k, p in pids.items()}
    e0 = tt.evaluations()
    i0 = metric_sum(vma.metrics(), r"^vmalert_iteration_total\{")
    t = time.monotonic()
    time.sleep(WINDOW_S)
    el = time.monotonic() - t
    cpu = {k: proc_cpu(p) - c0[k] for k, p in pids.items()}
    evals = tt.evaluations() - e0
    iters = metric_sum(vma.metrics(), r"^vmalert_iteration_total\{") - i0
    rss = {k: proc_rss_mb(p) for k, p in pids.items()}
    tt_firing, tt_pending = tt.alerts("firing"), tt.alerts("pending")
    va = vma.alerts()
    R["eval"] = {"s": el, "cpu": cpu, "rss": rss, "tt_cycles": evals / len(rule_list), "vmalert_cycles": iters / 10,
                 "tt_firing": sorted(tt_firing), "tt_pending": len(tt_pending),
                 "vm_firing": sorted(va.get("firing", [])), "vm_pending": len(va.get("pending", []))}
    log("eval", {k: v for k, v in R["eval"].items() if k not in ("tt_firing", "vm_firing")},
        "firing", len(tt_firing), len(va.get("firing", [])))
    stop(vma.proc)
    if feeder.error:
        raise feeder.error
    return feeder


def part_storm(R, tt, vm, feeder, recv_port):
    """STORM rules on storm_up (1 s interval), every series flips from 1 to 0 in one write."""
    storm = storm_rules()
    feeder.storm_tt, feeder.storm_vm = [1] * STORM, [1] * STORM
    t_ms = int(time.time() * 1000)
    tt.ingest(storm_lines(t_ms, feeder.storm_tt))
    vm.ingest(storm_lines(t_ms, feeder.storm_vm))

    # vmalert → Alertmanager → webhook: each alert its own group, sent at once.
    am_port = free_port()
    am_conf = os.path.join(WORK, "alertmanager.yml")
    with open(am_conf, "w") as f:
        f.write(f"""route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: http://{HOST}:{recv_port}/am
        send_resolved: false
""")
    am = start("alertmanager", ["prometheus-alertmanager", "--config.file", am_conf,
                                "--storage.path", os.path.join(WORK, "am"),
                                "--web.listen-address", f"{HOST}:{am_port}", "--cluster.listen-address", ""])
    wait_http(am_port, am, "alertmanager", "/-/ready")
    rule_file = os.path.join(WORK, "storm.yml")
    # One group, 5 s, 8 at a time: the whole burst goes to Alertmanager in one iteration, and the
    # alerts' end time (3 intervals) outlasts an iteration on a busy machine; at 1 s some expired in
    # Alertmanager between iterations and were never notified.
    vmalert_rule_file(rule_file, storm, 1, 5, 8)
    vma = VMAlert("vmalert-storm", rule_file, vm.port, f"http://{HOST}:{am_port}", 5)
    time.sleep(5)
    log(f"burst: {STORM} alerts at once, vmalert → Alertmanager → webhook")
    c0 = {"am": proc_cpu(am.pid), "vmalert": proc_cpu(vma.proc.pid)}
    feeder.storm_vm = [0] * STORM
    t_flip = time.time()
    vm.ingest(storm_lines(int(t_flip * 1000), feeder.storm_vm))
    s = wait_items(recv_port, "/am", STORM, STORM_TIMEOUT_S)
    R["storm_am"] = {"flip": t_flip, **s, "am_cpu": proc_cpu(am.pid) - c0["am"],
                     "vmalert_cpu": proc_cpu(vma.proc.pid) - c0["vmalert"]}
    log("storm am", R["storm_am"])
    stop(vma.proc)
    stop(am)

    # Telltale → webhook channel.
    cid = tt.client.json("POST", "/api/v1/channels",
                         {"name": "bench-hook", "kind": "webhook", "config": {"url": f"http://{HOST}:{recv_port}/tt"}})["data"]["id"]
    t = time.monotonic()
    create_rules(tt, storm, 1, [cid])
    R["storm_create_s"] = time.monotonic() - t
    time.sleep(5)
    log(f"burst: {STORM} alerts at once, Telltale → webhook channel")
    c0 = proc_cpu(tt.proc.pid)
    feeder.storm_tt = [0] * STORM
    t_flip = time.time()
    tt.ingest(storm_lines(int(t_flip * 1000), feeder.storm_tt))
    s = wait_items(recv_port, "/tt", STORM, STORM_TIMEOUT_S)
    R["storm_tt"] = {"flip": t_flip, **s, "tt_cpu": proc_cpu(tt.proc.pid) - c0}
    log("storm tt", R["storm_tt"])


# ---------------------------------------------------------------- report

def write_results(R):
    b, e = R["base"], R["eval"]
    W = e["s"]
    tt_base = b["tt_cpu"] / b["s"] * W
    vm_base = b["vm_cpu"] / b["s"] * W
    tt_cycles = e["tt_cycles"]
    vm_cycles = e["vmalert_cycles"]
    tt_eval = e["cpu"]["tt"] - tt_base
    vm_answer = e["cpu"]["vm"] - vm_base
    vm_eval = e["cpu"]["vmalert"] + vm_answer
    tt_per = tt_eval / tt_cycles if tt_cycles else float("nan")
    vm_per = vm_eval / vm_cycles if vm_cycles else float("nan")
    agree = e["tt_firing"] == e["vm_firing"]
    lines = []
    w = lines.append
    w("# Alerting benchmark\n")
    w(f"`bash bench/alerts/run.sh` — {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}.")
    w(f"Telltale (Release build) beside vmalert and VictoriaMetrics {version('victoria-metrics')} and "
      f"prometheus-alertmanager {version('prometheus-alertmanager')} (Debian packages), all on 127.0.0.1, in one run.\n")
    w("## Evaluation: 10,000 rules over 10,000 series\n")
    w(f"Series: 2,500 checks × (`probe_up`, `probe_duration_seconds`, `probe_icmp_loss_ratio` gauges with `check` and "
      f"`node` labels) and 2,500 `if_in_octets_total` counters (`node`, `ifname`); one series in {BAD_EVERY} of each is bad. "
      f"{HISTORY_S // 60} minutes of history at {INTERVAL_S} s were imported into both first, then a feeder wrote every "
      f"series to both every {INTERVAL_S} s in real time (`POST /api/v1/import/prometheus`) for the whole run.\n")
    w("Rules, the same in both (Telltale: `POST /api/v1/alert-rules`; vmalert: one rule file, 10 groups of 1,000), "
      f"interval {INTERVAL_S} s:\n")
    w("| rules | expression | for |\n|---|---|---|")
    w('| 2,250 | `probe_up{check="c0001"} < 1` | 0s |')
    w('| 2,500 | `probe_duration_seconds{check="c0001"} > 2` | 30s |')
    w('| 2,500 | `rate(if_in_octets_total{node="n0000",ifname="eth1"}[5m]) * 8 > 9e8` | 0s |')
    w('| 2,250 | `avg_over_time(probe_icmp_loss_ratio{check="c0001"}[10m]) > 0.2` | 30s |')
    w('| 500 | `absent(probe_up{check="c2000"})` (450 present checks, 50 that never report) | 0s |\n')
    w(f"Creating the 10,000 rules in Telltale over the API took {R['create_s']:.1f} s (4 clients). "
      f"After 45 s of warm-up both were measured over the same {W:.0f} s window.\n")
    w("| | Telltale | vmalert + VictoriaMetrics |\n|---|---|---|")
    w(f"| evaluation cycles in the window (evaluations / 10,000) | {tt_cycles:.2f} | {vm_cycles:.2f} |")
    w(f"| CPU s in the window, whole process | telltale {e['cpu']['tt']:.2f} | vmalert {e['cpu']['vmalert']:.2f}, "
      f"victoria-metrics {e['cpu']['vm']:.2f} |")
    w(f"| ingest-only baseline over the same time | {tt_base:.2f} | victoria-metrics {vm_base:.2f} |")
    w(f"| **CPU s per evaluation cycle** | **{tt_per:.3f}** | **{vm_per:.3f}** |")
    w(f"| RSS MB at the end (ingest-only before the rules) | {e['rss']['tt']:.0f} ({b['tt_rss']:.0f}) | vmalert "
      f"{e['rss']['vmalert']:.0f}, victoria-metrics {e['rss']['vm']:.0f} ({b['vm_rss']:.0f}) |")
    w(f"| alerts firing at the end (pending) | {len(e['tt_firing'])} ({e['tt_pending']}) | "
      f"{len(e['vm_firing'])} ({e['vm_pending']}) |\n")
    w(f"**CPU per cycle, Telltale / (vmalert + VictoriaMetrics) = {tt_per / vm_per:.3f}**. "
      f"Firing alerts {'agree' if agree else 'DIFFER'}: the same {len(e['tt_firing'])} rule names on both sides"
      f"{'' if agree else ' expected'} (240 expected).\n")
    if not agree:
        only_tt = sorted(set(e["tt_firing"]) - set(e["vm_firing"]))[:20]
        only_vm = sorted(set(e["vm_firing"]) - set(e["tt_firing"]))[:20]
        w(f"Only in Telltale: {only_tt}; only in vmalert: {only_vm}.\n")
    w("How it is counted:")
    w("- CPU is user + system time from `/proc/<pid>/stat` over the window. Telltale's cost is its whole process "
      "minus its own ingest-only rate measured over "
      f"{b['s']:.0f} s before any rule existed (the feeder keeps writing during both). vmalert's cost is the whole "
      "vmalert process plus the CPU VictoriaMetrics spent over the window minus VictoriaMetrics' ingest-only rate "
      "from the same baseline: that difference is VictoriaMetrics answering vmalert's queries.")
    w("- Cycles are counted, not assumed: Telltale's `telltale_alert_rule_evaluations_total` delta / 10,000; vmalert's "
      "`vmalert_iteration_total` delta / 10 groups.")
    w("- vmalert needs a notifier (this version has no blackhole): it posts its firing alerts every cycle to the local "
      "receiver, which answers 200 at once; Telltale's rules have no channels in this part.")
    w("- VictoriaMetrics runs with `-search.latencyOffset 0s`, so an instant query sees the latest write as "
      "Telltale's does.\n")

    sa, st = R.get("storm_am"), R.get("storm_tt")
    if sa and st:
        w(f"## Notifications: {STORM:,} alerts firing at once\n")
        w(f"{STORM:,} more rules `storm_up{{unit=\"u0001\"}} < 1` (Telltale: interval 1 s; vmalert: one group, interval 5 s, concurrency 8); every `storm_up` series is "
          "written 0 in one request, so every rule fires at its next evaluation. The receiver is one asyncio process "
          "(`bench/alerts/receiver.py`, keep-alive, answers 200 at once). Rate = notifications / (last − first "
          "arrival); end to end = the flip to the last arrival.\n")
        w("| path | delivered | requests | first arrival after the flip s | end to end s | notifications/s | CPU s |")
        w("|---|---|---|---|---|---|---|")

        def row(label, s, cpu):
            span = s["last"] - s["first"]
            rate = s["items"] / span if span > 0 else float("nan")
            return (f"| {label} | {s['items']} | {s['requests']} | {s['first'] - s['flip']:.2f} | "
                    f"{s['last'] - s['flip']:.2f} | {rate:.0f} | {cpu} |")

        w(row("Telltale → webhook channel (durable outbox)", st, f"telltale {st['tt_cpu']:.2f}"))
        w(row("vmalert → Alertmanager → webhook (`group_by: ['...']`, `group_wait: 0s`)", sa,
              f"vmalert {sa['vmalert_cpu']:.2f}, alertmanager {sa['am_cpu']:.2f}"))
        w("")
        w(f"- Telltale commits each notification in the transaction of its alert transition and delivers a "
          "channel's outbox in order, each request after the previous one was answered, in chains of up to 16 rows "
          "whose outcomes the writer records together when the chain ends: a serial, durable sender. Alertmanager keeps its queue in memory and sends each group's webhook "
          "concurrently. Rule creation for this part took "
          f"{R['storm_create_s']:.1f} s in Telltale; CPU columns are over flip → last arrival; Telltale's also holds the 2,000 burst rules evaluated every second and the 10,000 rules of the first part, still running.")
        w("")
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    log("wrote", OUT)
    print("\n".join(lines))


def main():
    R = {}
    recv_port = free_port()
    recv = start("receiver", [sys.executable, os.path.join(HERE, "receiver.py"), str(recv_port)])
    wait_http(recv_port, recv, "receiver", "/stats")
    vm = VM()
    tt = Telltale()
    feeder = part_evaluation(R, tt, vm, recv_port)
    if not os.environ.get("BENCH_ALERTS_SKIP_STORM"):
        part_storm(R, tt, vm, feeder, recv_port)
    feeder.stopping.set()
    feeder.join()
    write_results(R)
    for p in (tt.proc, vm.proc, recv):
        stop(p)


if __name__ == "__main__":
    main()
