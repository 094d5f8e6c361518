"""What the benchmark drivers under bench/ share (python3 stdlib only): processes started so that
the run script's cleanup trap can stop them ($BENCH_PIDFILE), their CPU, RSS and bytes written
read from /proc, free ports on loopback, a `telltale serve` with an admin's API token, and a
driver that has Debian's prometheus-blackbox-exporter probe URLs at a given rate."""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.environ["BENCH_WORK"]
PIDFILE = os.environ["BENCH_PIDFILE"]
BINARY = os.environ["BENCH_BINARY"]
OUT = os.path.join(ROOT, "bench", "out")
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSWORD = "bench-password-0123456789"
procs = []
commands = []  # the command lines started, for the results' record


def logger(prefix):
    return lambda msg: print(f"{prefix}: {msg}", file=sys.stderr, flush=True)


def start(name, args, env=None, stdout=None):
    commands.append(" ".join(a.replace(ROOT + "/", "").replace(WORK, "$TMP") for a in args[:12]) +
                    (" …" if len(args) > 12 else ""))
    os.makedirs(OUT, exist_ok=True)
    logf = open(os.path.join(OUT, f"{name}.log"), "wb")
    p = subprocess.Popen(args, stdout=stdout or logf, stderr=logf, stdin=subprocess.DEVNULL, cwd=WORK, env=env)
    with open(PIDFILE, "a") as f:
        f.write(f"{p.pid}\n")
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def stop_all():
    for p in procs:
        stop(p)


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _proc_field(pid, file, key):
    """The number after `key` in /proc/PID/FILE (0 when absent)."""
    with open(f"/proc/{pid}/{file}") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def rss_kib(pid):
    return _proc_field(pid, "status", "VmRSS:")


def write_bytes(pid):
    return _proc_field(pid, "io", "write_bytes:")


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_http(port, path="/", timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on {port}")


class Telltale:
    """`telltale serve` on loopback with a data directory of its own and an admin's API token."""

    def __init__(self, name, extra=()):
        self.data = os.path.join(WORK, name)
        os.makedirs(self.data)
        subprocess.run([BINARY, "user", "add", "bench", "--role", "admin", "--password-stdin", "--data", self.data],
                       input=PASSWORD, text=True, check=True, capture_output=True)
        out = subprocess.run([BINARY, "token", "create", "--user", "bench", "--data", self.data], text=True,
                             check=True, capture_output=True).stdout
        self.token = out.strip().splitlines()[-1].strip()
        self.port = free_port()
        self.proc = start(name, [BINARY, "serve", "--listen", f"{HOST}:{self.port}", "--data", self.data,
                                 "--api-rate-limit", "0", "--snmp-trap-listen", "off", *extra])
        wait_http(self.port, "/healthz")
        self.url = f"http://{HOST}:{self.port}"

    def request(self, method, path, body=None):
        c = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        c.request(method, path, data, headers)
        r = c.getresponse()
        payload = r.read()
        c.close()
        return r.status, payload

    def send_all(self, method, requests, expect):
        """Each (path, body) on one connection; every answer must have status `expect`."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        for path, body in requests:
            conn.request(method, path, json.dumps(body).encode(),
                         {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != expect:
                raise RuntimeError(f"{method} {path}: {r.status}")
        conn.close()

    def create_checks(self, checks):
        self.send_all("POST", [("/api/v1/checks", c) for c in checks], 201)

    def metrics(self):
        return self.request("GET", "/metrics")[1].decode()

    def metric(self, name, labels=""):
        """One sample of /metrics; `labels` as the text shows them: 'outcome="answered"'."""
        m = re.search(rf"^{name}(?:{{{re.escape(labels)}}})? (\S+)$" if labels else rf"^{name}(?:{{}})? (\S+)$",
                      self.metrics(), re.M)
        return float(m.group(1)) if m else 0.0


def blackbox_driver(port, urls, period_s, stop_event, connections=16):
    """Has the blackbox exporter on `port` probe each URL once per `period_s`, spread evenly, as a
    Prometheus scraping it would, until `stop_event`. A thread of its own."""
    def run():
        conns = [http.client.HTTPConnection(HOST, port, timeout=10) for _ in range(connections)]
        step = period_s / len(urls)
        t_next = time.time()
        i = 0
        while not stop_event.is_set():
            c = conns[i % len(conns)]
            try:
                c.request("GET", f"/probe?module=http_2xx&target={urls[i % len(urls)]}")
                c.getresponse().read()
            except (OSError, http.client.HTTPException):
                conns[i % len(conns)] = http.client.HTTPConnection(HOST, port, timeout=10)
            i += 1
            t_next += step
            delay = t_next - time.time()
            if delay > 0:
                time.sleep(delay)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def start_blackbox(name="blackbox", timeout="5s"):
    """Debian's prometheus-blackbox-exporter with an http_2xx module; its port."""
    port = free_port()
    cfg = os.path.join(WORK, f"{name}.yml")
    with open(cfg, "w") as f:
        f.write(f"modules:\n  http_2xx:\n    prober: http\n    timeout: {timeout}\n")
    p = start(name, ["prometheus-blackbox-exporter", f"--config.file={cfg}", f"--web.listen-address={HOST}:{port}"])
    wait_http(port, "/")
    return p, port
