"""What the benchmark drivers under bench/ share (python3 stdlib only): processes started so that
the run script's cleanup trap can stop them ($BENCH_PIDFILE), their CPU, RSS and bytes written
read from /proc, free ports on loopback, a `telltale serve` with an admin's API token, a
driver that has Debian's prometheus-blackbox-exporter probe URLs at a given rate, and a
WebSocket client of /api/v1/ws."""

import base64
import hashlib
import http.client
import json
import os
import re
import socket
import struct
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


class WsClient:
    """A WebSocket client of /api/v1/ws with an API token: masked text frames out, every server
    frame read and counted (drain), the server's pings answered as a browser does."""

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, port, token, source=None):
        # Each loopback source address is a client of its own to the per-address connection cap.
        self.sock = socket.create_connection((HOST, port), timeout=10, source_address=(source, 0) if source else None)
        key = base64.b64encode(os.urandom(16))
        req = (f"GET /api/v1/ws HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode()
        self.sock.sendall(req)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError(f"WebSocket handshake: connection closed after {buf!r}")
            buf += chunk
        head, _, self.buf = buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"WebSocket handshake refused: {head[:200]!r}")
        accept = base64.b64encode(hashlib.sha1(key + self.GUID).digest())
        if accept not in head:
            raise RuntimeError("WebSocket handshake: bad Sec-WebSocket-Accept")
        self.sock.setblocking(False)
        self.texts = 0
        self.bytes = 0

    def send_text(self, text):
        self._send(0x81, text.encode())

    def _send(self, head, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", head, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", head, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", head, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.setblocking(True)
        self.sock.sendall(hdr + mask + masked)
        self.sock.setblocking(False)

    def drain(self):
        """Reads what is available and counts complete server frames (unmasked)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise RuntimeError("WebSocket closed by the server")
                self.buf += chunk
                self.bytes += len(chunk)
        except BlockingIOError:
            pass
        while len(self.buf) >= 2:
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    break
                n, off = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    break
                n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
            if len(self.buf) < off + n:
                break
            if b0 & 0x0F == 0x1:
                self.texts += 1
            elif b0 & 0x0F == 0x9:
                self._send(0x8A, self.buf[off:off + n])
            elif b0 & 0x0F == 0x8:
                raise RuntimeError(f"WebSocket close frame from the server: {self.buf[off:off + n]!r}")
            self.buf = self.buf[off + n:]

    def close(self):
        try:
            self.sock.setblocking(True)
            self.sock.sendall(struct.pack("!BB", 0x88, 0x80) + b"\0\0\0\0")
        except OSError:
            pass
        self.sock.close()
