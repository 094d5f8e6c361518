"""The HTTP server against hostile clients: heads sent a byte at a time, heads over the limits,
framing that could smuggle a second request, malformed fields, made-up methods, and more
connections than descriptors. Raw sockets to 127.0.0.1 only."""

import re
import resource
import shutil
import socket
import subprocess
import threading
import time
import unittest

from telltale_harness import HOST, ServerTestCase, check_common_headers, parse_raw_response, raw_http, wait_until, WebSocket

STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ")


def timed_healthz(port, timeout=3, source=None):
    """Seconds /healthz took on a fresh connection (from `source`, an address on lo), or None."""
    t0 = time.monotonic()
    try:
        s = socket.create_connection((HOST, port), timeout=timeout,
                                     source_address=(source, 0) if source else None)
    except OSError:
        return None
    try:
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        return None
    finally:
        s.close()
    if not data.startswith(b"HTTP/1.1 200 "):
        return None
    return time.monotonic() - t0


def exchange(port, data, timeout=5):
    """Sends raw bytes; returns (everything read until the server closed, seconds, closed?)."""
    t0 = time.monotonic()
    out = raw_http(port, data, timeout=timeout)
    elapsed = time.monotonic() - t0
    return out, elapsed, elapsed < timeout - 0.5


def first_response(data):
    return parse_raw_response(data)


# A whole head whose small body then comes a byte at a time (to a route anyone may call).
SLOW_BODY = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: 1000\r\n\r\n{")


class Trickler(threading.Thread):
    """A slowloris: sends `first` (by default a request head's first line), then one more byte
    every `every` s until the server answers or closes. Keeps what it read and when."""

    def __init__(self, port, every=0.5, first=b"GET /healthz HTTP/1.1\r\nHost: x\r\n"):
        super().__init__(daemon=True)
        self.first = first
        self.sock = socket.create_connection((HOST, port), timeout=30)
        self.every = every
        self.answer = b""
        self.started = None
        self.answered_after = None
        self.stop = threading.Event()

    def run(self):
        self.started = time.monotonic()
        try:
            self.sock.sendall(self.first)
            self.sock.settimeout(self.every)
            while not self.stop.is_set():
                try:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        break
                    self.answer += chunk
                    if self.answered_after is None:
                        self.answered_after = time.monotonic() - self.started
                except socket.timeout:
                    self.sock.sendall(b"X")
        except OSError:
            pass
        finally:
            self.sock.close()


class HeadTest(ServerTestCase):
    server_args = ("--http-threads", "2")

    def test_slowloris_holds_no_thread_and_gets_408(self):
        port = self.server.port
        # Four times the pool: slow heads, and whole heads with a small body sent slowly.
        tricklers = [Trickler(port) for _ in range(4)] + [Trickler(port, first=SLOW_BODY) for _ in range(4)]
        for t in tricklers:
            t.start()
        try:
            time.sleep(1)
            for _ in range(5):
                took = timed_healthz(port)
                self.assertIsNotNone(took, "/healthz did not answer beside 8 slow requests")
                self.assertLess(took, 1.0)
                time.sleep(0.5)
            # A request (head and small body) has 10 s from its first byte, however they trickle.
            for t in tricklers:
                t.join(14)
            for t in tricklers:
                self.assertIsNotNone(t.answered_after, "no answer to a head trickled for 14 s")
                self.assertGreater(t.answered_after, 9)
                self.assertLess(t.answered_after, 12)
                r = first_response(t.answer)
                self.assertEqual(r.status, 408, t.answer)
                self.assertEqual(r.error_code, "REQUEST_TIMEOUT")
                check_common_headers(r)
        finally:
            for t in tricklers:
                t.stop.set()

    def assertPromptRefusal(self, data, status, code):
        out, elapsed, closed = exchange(self.server.port, data)
        self.assertTrue(out, "no answer")
        r = first_response(out)
        self.assertEqual(r.status, status, out[:300])
        self.assertEqual(r.error_code, code, out[:300])
        if status < 500:  # it refuses 5xx answers
            check_common_headers(r)
        self.assertTrue(r.header("X-Request-ID"), out[:300])
        self.assertEqual(len(STATUS_LINE.findall(out)), 1, "more than one answer: %r" % out)
        self.assertLess(elapsed, 1.0, "the answer took %.1f s" % elapsed)
        self.assertTrue(closed, "the connection stayed open")

    def test_large_or_chunked_bodies_need_credentials_before_they_are_read(self):
        # Else a client without any could hold a pool thread by sending a 4 MiB body slowly.
        for framing in (b"Content-Length: 1000000", b"Transfer-Encoding: chunked", b"Content-Length: 10\r\nExpect: 100-continue"):
            self.assertPromptRefusal(b"POST /api/v1/import/prometheus HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n\r\n",
                                     401, "UNAUTHENTICATED")
        body = "".join(f'big_body{{i="{i}"}} 1\n' for i in range(5000))
        self.assertGreater(len(body), 64 * 1024)
        r = self.server.request("POST", "/api/v1/import/prometheus", body.encode(), token=self.server.admin_token(),
                                headers={"Content-Type": "text/plain"})
        self.assertIn(r.status, (200, 204), r)

    def test_header_limits_are_answered_at_once(self):
        many = b"".join(b"X-%d: v\r\n" % i for i in range(5000))
        self.assertPromptRefusal(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n", 431,
                                 "REQUEST_HEADER_TOO_LARGE")
        self.assertPromptRefusal(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 16384 + b"\r\n\r\n", 431,
                                 "REQUEST_HEADER_TOO_LARGE")
        medium = b"".join(b"X-%d: %s\r\n" % (i, b"b" * 1000) for i in range(20))
        self.assertPromptRefusal(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + medium + b"\r\n", 431,
                                 "REQUEST_HEADER_TOO_LARGE")
        # Without the end of the head: the limit alone decides.
        self.assertPromptRefusal(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 16384, 431,
                                 "REQUEST_HEADER_TOO_LARGE")

    def test_long_url_is_answered_at_once(self):
        self.assertPromptRefusal(b"GET /" + b"a" * 16384 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "URI_TOO_LONG")
        self.assertPromptRefusal(b"GET /" + b"a" * 16384, 414, "URI_TOO_LONG")

    def test_smuggling_framing_is_refused(self):
        second = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        cases = {
            "CL+TE": b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + second,
            "TE+CL": b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Length: 5\r\n\r\n0\r\n\r\n" + second,
            "two CL": b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                      b"Content-Length: 38\r\n\r\n{}" + second,
            "same CL twice": b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                             b"Content-Length: 2\r\n\r\n{}" + second,
            "CL not a number": b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2x\r\n\r\n{}" + second,
            "chunked, identity": b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                                 b"Transfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n" + second,
        }
        for name, data in cases.items():
            with self.subTest(name):
                self.assertPromptRefusal(data, 400, "BAD_REQUEST")
        self.assertPromptRefusal(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                                 b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + second, 501, "NOT_IMPLEMENTED")

    def test_malformed_fields_are_refused(self):
        cases = {
            "HTTP/1.1 without Host": b"GET /healthz HTTP/1.1\r\n\r\n",
            "two Hosts": b"GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            "NUL in a value": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
            "escape in a value": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: \x1b[2J\r\n\r\n",
            "NUL in a name": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX\x00A: a\r\n\r\n",
            "obs-fold": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
            "space before the colon": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n",
        }
        for name, data in cases.items():
            with self.subTest(name):
                self.assertPromptRefusal(data, 400, "BAD_REQUEST")
        # HTTP/1.0 needs no Host, and a tab is fine in a value.
        out, _, _ = exchange(self.server.port, b"GET /healthz HTTP/1.0\r\nX-A: a\tb\r\n\r\n")
        self.assertEqual(first_response(out).status, 200, out[:300])

    def test_made_up_methods_keep_metrics_valid(self):
        port = self.server.port
        for method in (b"D\xff\xfe", b"FOOBAR", b"TRACE", b"M\\\"x"):
            out, _, _ = exchange(port, method + b" /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(out.startswith(b"HTTP/1.1 4"), out[:300])
        body = self.server.request("GET", "/metrics").body
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 0, (p.stdout + p.stderr).decode(errors="replace"))
        text = body.decode("utf-8", "replace")
        self.assertRegex(text, r'telltale_http_requests_total\{[^}]*method="other"')
        self.assertNotIn("FOOBAR", text)
        self.assertNotIn("TRACE", text)
        if not promtool:
            self.skipTest("promtool is not installed: the format was not checked")

    def test_pipelined_requests_and_keep_alive_still_work(self):
        port = self.server.port
        s = socket.create_connection((HOST, port), timeout=5)
        try:
            one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            s.sendall(one * 3 + one[:10])
            time.sleep(0.3)
            s.sendall(one[10:-2])
            time.sleep(0.3)
            s.sendall(b"\r\n")
            data = b""
            deadline = time.monotonic() + 5
            while len(STATUS_LINE.findall(data)) < 4 and time.monotonic() < deadline:
                data += s.recv(65536)
            self.assertEqual(STATUS_LINE.findall(data), [b"200"] * 4, data[:500])
        finally:
            s.close()


def _fd_limit_256():
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


class ConnectionCapTest(ServerTestCase):
    """400 idle connections under a descriptor limit of 256."""

    server_kwargs = {"preexec_fn": _fd_limit_256}

    def test_idle_connections_cannot_exhaust_descriptors(self):
        port = self.server.port
        socks = []
        try:
            for i in range(400):
                source = "127.0.0.%d" % (2 + i % 7)  # seven clients, each under the per-client cap
                try:
                    socks.append(socket.create_connection((HOST, port), timeout=5, source_address=(source, 0)))
                except OSError:
                    pass
            time.sleep(0.5)
            for _ in range(3):
                took = timed_healthz(port)
                self.assertIsNotNone(took, "/healthz did not answer beside 400 idle connections")
                self.assertLess(took, 1.0)
            # One client alone is held to its own cap; the others keep their connections.
            for _ in range(80):
                socks.append(socket.create_connection((HOST, port), timeout=5, source_address=("127.0.0.9", 0)))
            self.assertIsNotNone(timed_healthz(port, source="127.0.0.9"))
            self.assertLessEqual(self.server.metric_value("telltale_http_connections"), 128)
            self.assertGreater(self.server.metric_value("telltale_http_connections_evicted_total",
                                                        {"reason": "total"}) or 0, 0)
            self.assertGreater(self.server.metric_value("telltale_http_connections_evicted_total",
                                                        {"reason": "per_client"}) or 0, 0)
        finally:
            for s in socks:
                s.close()
        time.sleep(0.5)
        self.assertIsNotNone(timed_healthz(port))
        self.assertNotIn("Too many open files", self.server.log())
        self.assertIn("at most 128 connections", self.server.log())


if __name__ == "__main__":
    unittest.main()


class WebSocketPlaceTest(ServerTestCase):
    """A WebSocket is an open descriptor like any other: it keeps its place in the caps."""

    def upgrade(self, token):
        return WebSocket.handshake(self.server.port, headers={"Authorization": f"Bearer {token}"}, source="127.0.0.7")[:2]

    def test_websockets_count_in_the_per_client_cap(self):
        token = self.server.admin_token()
        sockets = []
        try:
            for _ in range(64):
                ws, resp = self.upgrade(token)
                self.assertEqual(resp.status, 101, resp)
                sockets.append(ws)
            # The 65th connection from that address finds nothing waiting to evict: 503.
            ws, resp = self.upgrade(token)
            self.assertEqual(resp.status, 503, resp)
            self.assertEqual(resp.error_code, "TOO_MANY_CONNECTIONS")
            took = timed_healthz(self.server.port)  # other addresses are not affected
            self.assertIsNotNone(took)
            # A closed WebSocket gives its place back.
            sockets.pop().sock.close()
            def admitted():
                ws, resp = self.upgrade(token)
                if resp.status == 101:
                    sockets.append(ws)
                return resp.status == 101
            self.assertTrue(wait_until(admitted, timeout=5))
        finally:
            for ws in sockets:
                ws.sock.close()
