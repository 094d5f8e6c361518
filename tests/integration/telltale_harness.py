"""Test harness for Telltale's integration tests: runs the real binary on an ephemeral port on
127.0.0.1 and talks to it over HTTP (http.client) and a raw WebSocket client (socket).

Python 3 standard library only. All traffic goes to 127.0.0.1.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

BIN = os.environ.get("TELLTALE_BIN", "/work/main/build/telltale")
HOST = "127.0.0.1"
WS_PATH = "/api/v1/ws"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

ADMIN_USER = "admin"
ADMIN_PASSWORD = "correct-horse-battery"

_LISTEN_RE = re.compile(r"listening on https?://127\.0\.0\.1:(\d+)")
_SETUP_RE = re.compile(r"setup code: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})")


class ServerError(AssertionError):
    pass


def run_cli(args, data_dir=None, stdin_text=None, timeout=30):
    """Runs `telltale ARGS [--data DIR]`; returns the CompletedProcess (text mode)."""
    argv = [BIN] + list(args)
    if data_dir is not None:
        argv += ["--data", data_dir]
    return subprocess.run(argv, input=stdin_text, capture_output=True, text=True, timeout=timeout)


def wait_until(pred, timeout=10.0, step=0.05):
    """Polls pred() until it returns something true or `timeout` passes; returns its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def stop_process(proc, timeout=5):
    """Terminates a peer process, killing it when it does not exit within `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ServerError("no VmRSS for pid %d" % pid)


# ----------------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body
        self._json = None
        self._json_done = False

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def json(self):
        if not self._json_done:
            self._json_done = True
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                self._json = None
        return self._json

    @property
    def error_code(self):
        j = self.json
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return j["error"].get("code")
        return None

    def field_errors(self):
        """{field: message} from error.details.fields."""
        j = self.json or {}
        fields = ((j.get("error") or {}).get("details") or {}).get("fields") or []
        return {f.get("field"): f.get("message") for f in fields}

    def __repr__(self):
        return "<Response %d %s %r>" % (self.status, self.reason, self.body[:300])


def check_common_headers(resp):
    """Every response: an X-Request-ID and the security headers; never a 5xx."""
    if resp.status >= 500:
        raise ServerError("server answered %d: %r" % (resp.status, resp.body[:500]))
    if not resp.header("X-Request-ID"):
        raise ServerError("no X-Request-ID on %r (headers %r)" % (resp, resp.headers))
    csp = resp.header("Content-Security-Policy")
    if not csp or "'unsafe-inline'" in csp or "frame-ancestors" not in csp:
        raise ServerError("bad Content-Security-Policy %r on %r" % (csp, resp))
    if (resp.header("X-Content-Type-Options") or "").lower() != "nosniff":
        raise ServerError("no X-Content-Type-Options: nosniff on %r" % resp)


class HttpClient:
    """One keep-alive connection (reconnects when the server closed it)."""

    def __init__(self, port, timeout=10, ssl_context=None):
        self.port = port
        self.timeout = timeout
        self.ssl_context = ssl_context  # set: HTTPS
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None, timeout=None, check=True):
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        for attempt in range(2):
            if self.conn is None:
                if self.ssl_context is not None:
                    self.conn = http.client.HTTPSConnection(HOST, self.port, timeout=timeout or self.timeout,
                                                            context=self.ssl_context)
                else:
                    self.conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout or self.timeout)
            else:
                self.conn.timeout = timeout or self.timeout
                if self.conn.sock is not None:
                    self.conn.sock.settimeout(timeout or self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                resp = Response(r.status, r.reason, r.getheaders(), data)
                if r.will_close:
                    self.close()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 1:
                    raise
        if check:
            check_common_headers(resp)
        return resp


def request(port, method, path, body=None, headers=None, timeout=10, check=True, ssl_context=None):
    """A single request on a fresh connection."""
    c = HttpClient(port, timeout, ssl_context)
    try:
        return c.request(method, path, body=body, headers=headers, timeout=timeout, check=check)
    finally:
        c.close()


def raw_http(port, data, timeout=10, read_until_close=True):
    """Sends raw bytes; returns everything read until the server closes (or one response)."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            if not read_until_close and b"\r\n\r\n" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                if m and len(rest) >= int(m.group(1)):
                    break
        return out
    finally:
        s.close()


def parse_raw_response(data):
    """(status, [(name, value)], body) from raw HTTP response bytes."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    return Response(status, lines[0], headers, body)


# ----------------------------------------------------------------------------------------------
# The server process


class Server:
    """`telltale serve --listen 127.0.0.1:0 --data DIR [extra]`, stderr read by a thread."""

    def __init__(self, extra_args=(), data_dir=None, api_rate_limit="0", preexec_fn=None,
                 listen_host=HOST):
        self.own_dir = data_dir is None
        self.listen_host = listen_host  # "0.0.0.0": also reachable from test namespaces
        self.preexec_fn = preexec_fn  # run in the child before exec (e.g. resource.setrlimit)
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="telltale-it-")
        self.extra_args = list(extra_args)
        if api_rate_limit is not None and "--api-rate-limit" not in self.extra_args:
            # Most tests fire requests faster than the default 100/s; the rate limit has its own test.
            self.extra_args += ["--api-rate-limit", str(api_rate_limit)]
        self.proc = None
        self.port = None
        self.listen_port = 0  # 0: any free port; keep_port() makes a restart take the same one
        self.setup_code = None
        self.lines = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._reader = None
        self._token = None
        self.ssl_context = None  # set for a server started with a certificate: requests use HTTPS

    # -- process control --
    def start(self, timeout=10, expect_ready=True, wait_setup_code=True):
        self.lines = []
        self.port = None
        self.setup_code = None
        self._token = None
        argv = [BIN, "serve", "--listen", f"{self.listen_host}:{self.listen_port}", "--data", self.data_dir] + self.extra_args
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, preexec_fn=self.preexec_fn)
        self._reader = threading.Thread(target=self._read_stderr, args=(self.proc,), daemon=True)
        self._reader.start()
        if not expect_ready:
            return self
        if not self.wait_for(lambda: self.port is not None, timeout):
            code = self.proc.poll()
            self.kill()
            raise ServerError("server did not report its port (exit %r); log:\n%s" % (code, self.log()))
        # The setup code, when there is one, is logged right after the listening line.
        if wait_setup_code:
            self.wait_for(lambda: self.setup_code is not None or any("stopped" in l for l in self.lines),
                          0.5)
        return self

    def keep_port(self):
        """Later starts listen on the port this one got (clients keep their URL)."""
        self.listen_port = self.port

    def _read_stderr(self, proc):
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                m = _LISTEN_RE.search(line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                m = _SETUP_RE.search(line)
                if m:
                    self.setup_code = m.group(1)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pred, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
        return True

    def log(self):
        with self._lock:
            return "\n".join(self.lines)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=5.0):
        """SIGTERM; the server must exit with 0 within `timeout` seconds. Returns the elapsed time."""
        if self.proc is None:
            return 0.0
        if self.proc.poll() is not None:
            code = self.proc.returncode
            self._reader.join(2)
            self._close_pipe()
            self.proc = None
            raise ServerError("server had already exited with %r; log:\n%s" % (code, self.log()))
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._reader.join(2)
            self._close_pipe()
            self.proc = None
            raise ServerError("server did not exit within %.1f s of SIGTERM; log:\n%s" % (timeout, self.log()))
        elapsed = time.monotonic() - t0
        self._reader.join(2)
        self._close_pipe()
        self.proc = None
        if code != 0:
            raise ServerError("server exited with %r after SIGTERM; log:\n%s" % (code, self.log()))
        return elapsed

    def kill(self):
        """SIGKILL (no clean shutdown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._reader is not None:
            self._reader.join(2)
        self._close_pipe()
        self.proc = None

    def _close_pipe(self):
        if self.proc is not None and self.proc.stderr is not None:
            try:
                self.proc.stderr.close()
            except OSError:
                pass

    def wait_exit(self, timeout):
        """Waits for the process to exit on its own; returns the exit code (None on timeout)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._reader.join(2)
        self._close_pipe()
        self.proc = None
        return code

    def cleanup(self):
        self.kill()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # -- HTTP --
    def request(self, method, path, body=None, headers=None, timeout=10, check=True, token=None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        return request(self.port, method, path, body=body, headers=hdrs, timeout=timeout, check=check,
                       ssl_context=self.ssl_context)

    def client(self, timeout=10):
        return HttpClient(self.port, timeout, self.ssl_context)

    # -- bootstrap --
    def do_setup(self, username=ADMIN_USER, password=ADMIN_PASSWORD):
        if not self.setup_code:
            raise ServerError("no setup code in the log:\n" + self.log())
        r = self.request("POST", "/api/v1/setup",
                         {"setup_code": self.setup_code, "username": username, "password": password})
        if r.status != 201:
            raise ServerError("setup failed: %r" % r)
        return r

    def login(self, username=ADMIN_USER, password=ADMIN_PASSWORD):
        """Returns (cookie header value, csrf token, response)."""
        r = self.request("POST", "/api/v1/auth/login", {"username": username, "password": password})
        if r.status != 200:
            raise ServerError("login as %s failed: %r" % (username, r))
        cookie = r.header("Set-Cookie").split(";", 1)[0]
        return cookie, r.json["data"]["csrf_token"], r

    def admin_token(self):
        """Sets up the admin (if needed) and returns an admin API token (cached)."""
        if self._token:
            return self._token
        if self.setup_code:
            g = self.request("GET", "/api/v1/setup")
            if g.json["data"]["needs_setup"]:
                self.do_setup()
        cookie, csrf, _ = self.login()
        r = self.request("POST", "/api/v1/tokens", {"name": "harness"},
                         headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        if r.status != 201:
            raise ServerError("token create failed: %r" % r)
        self._token = r.json["data"]["token"]
        return self._token

    def create_user(self, name, role, password="password-" + "x" * 8):
        r = self.request("POST", "/api/v1/users", {"name": name, "role": role, "password": password},
                         token=self.admin_token())
        if r.status != 201:
            raise ServerError("user create failed: %r" % r)
        return r.json["data"]

    def token_for(self, user, password="password-" + "x" * 8, expires_in=None):
        """An API token for `user`, created by the admin."""
        body = {"user": user, "name": "t-" + user}
        if expires_in:
            body["expires_in"] = expires_in
        r = self.request("POST", "/api/v1/tokens", body, token=self.admin_token())
        if r.status != 201:
            raise ServerError("token create failed: %r" % r)
        return r.json["data"]["token"]

    def create_node(self, token=None, **fields):
        r = self.request("POST", "/api/v1/nodes", fields, token=token or self.admin_token())
        if r.status != 201:
            raise ServerError("node create failed: %r" % r)
        return r.json["data"]

    def metrics(self):
        r = self.request("GET", "/metrics")
        return r.body.decode()

    def metric_value(self, name, labels=None):
        """Sum of the samples of `name` (optionally matching a label subset)."""
        total = None
        for line in self.metrics().splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
            if not m or m.group(1) != name:
                continue
            if labels:
                lab = m.group(2) or ""
                if not all(f'{k}="{v}"' in lab for k, v in labels.items()):
                    continue
            total = (total or 0.0) + float(m.group(3))
        return total


class ServerTestCase(unittest.TestCase):
    """One server per test class, started in setUpClass and stopped (exit 0 asserted) after."""

    server_args = ()
    api_rate_limit = "0"
    server_kwargs = {}  # more of Server's parameters (preexec_fn, …)

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.server_args, api_rate_limit=cls.api_rate_limit, **cls.server_kwargs).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def assertStatus(self, resp, status, code=None):
        self.assertEqual(resp.status, status, resp)
        if code is not None:
            self.assertEqual(resp.error_code, code, resp)
        if status >= 400:
            self.assertIsInstance(resp.json, dict, resp)
            self.assertIs(resp.json.get("success"), False, resp)
            err = resp.json.get("error")
            self.assertIsInstance(err, dict, resp)
            for k in ("code", "message", "details"):
                self.assertIn(k, err, resp)

    def assertFieldError(self, resp, field):
        self.assertStatus(resp, 422, "VALIDATION_FAILED")
        self.assertIn(field, resp.field_errors(), resp)


class AdminTestCase(ServerTestCase):
    """A ServerTestCase whose requests carry an admin token (self.token) through self.req()."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.server.admin_token()

    def req(self, method, path, body=None, **kw):
        return self.server.request(method, path, body, token=self.token, **kw)


# ----------------------------------------------------------------------------------------------
# WebSocket

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def encode_frame(opcode, payload=b"", fin=True, mask=True, rsv=0, mask_key=None, declared_len=None):
    """A client frame of any shape: rsv is the 3 RSV bits (0..7), declared_len overrides the length."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    n = len(payload) if declared_len is None else declared_len
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask:
        key = mask_key if mask_key is not None else os.urandom(4)
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return head + key + masked
    return head + payload


class WSClosed(Exception):
    pass


class WebSocket:
    """A raw client. connect() returns (ws or None, Response of the handshake)."""

    def __init__(self, sock, buf=b""):
        self.sock = sock
        self.buf = buf

    @staticmethod
    def handshake(port, headers=None, key=None, path=WS_PATH, version="13", timeout=10, rcvbuf=None, source=None,
                  ssl_context=None):
        key = key or base64.b64encode(os.urandom(16)).decode()
        hdrs = {
            "Host": f"{HOST}:{port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": version,
        }
        for k, v in (headers or {}).items():
            if v is None:
                hdrs.pop(k, None)
            else:
                hdrs[k] = v
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        if source:  # another loopback address: another client to the per-address caps
            sock.bind((source, 0))
        sock.connect((HOST, port))
        if ssl_context is not None:  # wss
            sock = ssl_context.wrap_socket(sock, server_hostname=HOST)
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        sock.sendall(req.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, sep, rest = data.partition(b"\r\n\r\n")
        resp = parse_raw_response(head + b"\r\n\r\n")
        if resp.status != 101:
            # Read the body (Content-Length) for the error envelope.
            n = int(resp.header("Content-Length") or 0)
            deadline = time.monotonic() + timeout
            while len(rest) < n and time.monotonic() < deadline:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                rest += chunk
            resp.body = rest
            sock.close()
            return None, resp, key
        return WebSocket(sock, rest), resp, key

    @staticmethod
    def expected_accept(key):
        return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", **kw):
        self.sock.sendall(encode_frame(opcode, payload, **kw))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out waiting for a frame")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise WSClosed("connection closed by the server")
            self.buf += chunk

    def recv_frame(self, timeout=5):
        """(fin, opcode, payload bytes). Server frames must be unmasked with RSV 0."""
        deadline = time.monotonic() + timeout
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise AssertionError("server frame is masked")
        if b0 & 0x70:
            raise AssertionError("server frame has RSV bits")
        n = b1 & 0x7F
        off = 2
        if n == 126:
            self._need(4, deadline)
            n = struct.unpack("!H", self.buf[2:4])[0]
            off = 4
        elif n == 127:
            self._need(10, deadline)
            n = struct.unpack("!Q", self.buf[2:10])[0]
            off = 10
        self._need(off + n, deadline)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def recv_message(self, timeout=5):
        """Next data message or control frame as (opcode, payload); fragments joined."""
        fin, op, payload = self.recv_frame(timeout)
        if op in (OP_TEXT, OP_BINARY) and not fin:
            while True:
                fin2, op2, p2 = self.recv_frame(timeout)
                if op2 != OP_CONT:
                    raise AssertionError("interleaved frame %d in a fragmented message" % op2)
                payload += p2
                if fin2:
                    break
        return op, payload

    def recv_json(self, timeout=5, skip_control=True):
        deadline = time.monotonic() + timeout
        while True:
            op, payload = self.recv_message(max(0.01, deadline - time.monotonic()))
            if op == OP_TEXT:
                return json.loads(payload.decode("utf-8"))
            if op == OP_CLOSE:
                raise WSClosed("close frame %r" % payload)
            if not skip_control:
                raise AssertionError("expected text, got opcode %d" % op)

    def wait_json(self, pred, timeout=5):
        """Reads text messages until pred(msg) is true; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no matching message")
            msg = self.recv_json(left)
            if pred(msg):
                return msg

    def expect_close(self, timeout=5):
        """Reads until a close frame; returns its code (None when it had none). Skips others."""
        deadline = time.monotonic() + timeout
        while True:
            op, payload = self.recv_message(max(0.01, deadline - time.monotonic()))
            if op == OP_CLOSE:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None

    def closed_by_server(self, timeout=5):
        """True when the server closes the TCP connection within timeout (after any frames)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._need(len(self.buf) + 1, deadline)
                self.buf = b""
        except WSClosed:
            return True
        except (socket.timeout, TimeoutError):
            return False

    def subscribe(self, topics, timeout=5):
        self.send_json({"type": "subscribe", "topics": topics})
        return self.wait_json(lambda m: m.get("type") in ("subscribed", "error"), timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def ws_connect(port, token=None, headers=None, **kw):
    """Opens an authenticated WebSocket (Bearer token) or fails the test."""
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = "Bearer " + token
    ws, resp, _ = WebSocket.handshake(port, hdrs, **kw)
    if ws is None:
        raise ServerError("WebSocket handshake failed: %r" % resp)
    return ws
