"""Telltale behind a real reverse proxy (Debian's nginx-light) on loopback: `--trusted-proxy
127.0.0.1 --base-path /tt`. Clients come from other loopback addresses (127.0.0.2...), so each is
a client of its own to nginx, which names it in X-Forwarded-For: rate limits, login throttling
and the audit count each one apart, the UI, the API and the WebSocket work under /tt, and the
same headers sent straight to Telltale from an address that is not trusted change nothing."""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from telltale_harness import ADMIN_PASSWORD, HOST, Server, WebSocket, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BASE = "/tt"

NGINX_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../fixtures/reverse_proxy/nginx.conf")


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nginx:
    """nginx in the foreground, one process, on a free loopback port, in front of `upstream`."""

    def __init__(self, upstream, base=BASE):
        self.dir = tempfile.mkdtemp(prefix="telltale-nginx-")
        self.port = free_port()
        with open(NGINX_CONF) as f:
            conf = f.read()
        for name, value in (("DIR", self.dir), ("PORT", self.port), ("UPSTREAM", upstream), ("BASE", base)):
            conf = conf.replace(f"@{name}@", str(value))
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
                                      "-e", os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def accepting():
            try:
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                return True
            except OSError:
                return self.proc.poll() is not None
        wait_until(accepting, timeout=10)
        if self.proc.poll() is not None:
            raise RuntimeError("nginx did not start: " + self.proc.stderr.read().decode())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def call(port, method, path, body=None, headers=None, source="127.0.0.2"):
    """One request from `source` (an address on lo) to `port`."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10, source_address=(source, 0))
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed (packaging/install-deps.sh --test)")
class ReverseProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(["--trusted-proxy", "127.0.0.1", "--base-path", BASE + "/"],
                            api_rate_limit="20").start()
        cls.token = cls.server.admin_token()  # straight from 127.0.0.1, trusted, no header: itself
        cls.nginx = Nginx(cls.server.port)
        cls.auth = {"Authorization": "Bearer " + cls.token}

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        cls.server.cleanup()

    def proxied(self, method, path, body=None, headers=None, source="127.0.0.2"):
        return call(self.nginx.port, method, BASE + path, body, headers, source)

    def audit_remote_of(self, node_name):
        node_id = None
        r = call(self.server.port, "GET", "/api/v1/nodes?per_page=500", headers=self.auth, source=HOST)
        for n in r.json["data"]:
            if n["name"] == node_name:
                node_id = n["id"]
        self.assertIsNotNone(node_id, node_name)
        r = call(self.server.port, "GET", "/api/v1/audit?per_page=200", headers=self.auth, source=HOST)
        found = [e for e in r.json["data"] if e["action"] == "node.create" and e["target"] == str(node_id)]
        self.assertEqual(len(found), 1, r.json["data"][:3])
        return found[0]["remote"]

    def test_ui_api_and_assets_under_the_base_path(self):
        page = self.proxied("GET", "/")
        self.assertEqual(page.status, 200)
        html = page.body.decode()
        self.assertIn('<meta name="telltale-base" content="/tt" />', html)
        scripts = re.findall(r'src="([^"]+)"', html)
        self.assertTrue(scripts and all(s.startswith(BASE + "/assets/") for s in scripts), html)
        self.assertIn('href="/tt/icon.svg"', html)
        asset = call(self.nginx.port, "GET", scripts[0], source="127.0.0.2")
        self.assertEqual(asset.status, 200)
        self.assertIn("javascript", asset.header("Content-Type"))
        # A page of the UI opened directly (a reload, a bookmark) is the same page.
        deep = self.proxied("GET", "/nodes/4?kiosk=1")
        self.assertEqual((deep.status, deep.body), (200, page.body))
        self.assertEqual(self.proxied("GET", "/api/v1/setup").json["data"], {"needs_setup": False})
        me = self.proxied("GET", "/api/v1/auth/me", headers=self.auth)
        self.assertEqual(me.json["data"]["user"], "admin")
        # A path outside the prefix is not nginx's to pass on; Telltale itself still answers the
        # plain paths, so a proxy that strips the prefix works as well.
        self.assertEqual(call(self.nginx.port, "GET", "/api/v1/setup").status, 404)
        self.assertEqual(call(self.server.port, "GET", "/api/v1/setup").status, 200)
        # The prefix is a whole segment: /ttx/api/… is not the API under /tt, only a page of the UI.
        other = call(self.server.port, "GET", "/ttx/api/v1/setup")
        self.assertIn("text/html", other.header("Content-Type"))

    def test_audit_names_the_client_not_the_proxy(self):
        r = self.proxied("POST", "/api/v1/nodes", {"name": "via-proxy", "type": "iot"}, headers=self.auth,
                         source="127.0.0.7")
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(self.audit_remote_of("via-proxy"), "127.0.0.7")
        # A client's own X-Forwarded-For is on the left of what nginx appends: not believed.
        r = self.proxied("POST", "/api/v1/nodes", {"name": "via-proxy-spoofed", "type": "iot"},
                         headers=dict(self.auth, **{"X-Forwarded-For": "6.6.6.6"}), source="127.0.0.8")
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(self.audit_remote_of("via-proxy-spoofed"), "127.0.0.8")

    def test_headers_from_an_untrusted_address_are_ignored(self):
        spoof = {"X-Forwarded-For": "6.6.6.6", "Forwarded": "for=6.6.6.6;proto=https",
                 "X-Forwarded-Proto": "https"}
        r = call(self.server.port, "POST", "/tt/api/v1/nodes", {"name": "direct-spoofed", "type": "iot"},
                 headers=dict(self.auth, **spoof), source="127.0.0.9")
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(self.audit_remote_of("direct-spoofed"), "127.0.0.9")
        # Nor does a header make an untrusted client's session cookie Secure.
        r = call(self.server.port, "POST", "/api/v1/auth/login", {"username": "admin", "password": "x"},
                 headers=spoof, source="127.0.0.9")
        self.assertEqual(r.status, 401)

    def test_rate_limit_counts_each_client_behind_the_proxy(self):
        statuses = [self.proxied("GET", "/api/v1/auth/me", headers=self.auth, source="127.0.0.10").status
                    for _ in range(60)]
        self.assertIn(429, statuses)
        # Another client through the same proxy has a bucket of its own.
        self.assertEqual(self.proxied("GET", "/api/v1/auth/me", headers=self.auth, source="127.0.0.11").status,
                         200)

    def test_login_throttle_counts_each_client_behind_the_proxy(self):
        wrong = {"username": "nobody-here", "password": "wrong-password"}
        statuses = [self.proxied("POST", "/api/v1/auth/login", wrong, source="127.0.0.12").status
                    for _ in range(6)]
        self.assertEqual(statuses[:5], [401] * 5)
        self.assertEqual(statuses[5], 429)
        other = self.proxied("POST", "/api/v1/auth/login", {"username": "someone-else", "password": "x"},
                             source="127.0.0.13")
        self.assertEqual(other.status, 401)

    def test_websocket_under_the_base_path_through_the_proxy(self):
        r = self.proxied("POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD},
                         source="127.0.0.14")
        self.assertEqual(r.status, 200, r.body)
        cookie = r.header("Set-Cookie").split(";", 1)[0]
        self.assertNotIn("secure", r.header("Set-Cookie").lower())  # nginx said http
        origin = f"http://{HOST}:{self.nginx.port}"
        # nginx rewrites Host to its upstream's; the browser's is in X-Forwarded-Host.
        ws, resp, _ = WebSocket.handshake(self.nginx.port, {"Cookie": cookie, "Origin": origin},
                                          path=BASE + "/api/v1/ws", source="127.0.0.14")
        self.assertEqual(resp.status, 101, resp)
        ws.sock.close()
        _, resp, _ = WebSocket.handshake(self.nginx.port, {"Cookie": cookie, "Origin": "http://evil.example"},
                                         path=BASE + "/api/v1/ws", source="127.0.0.14")
        self.assertEqual(resp.status, 403)


class StartOptionsTest(unittest.TestCase):
    def test_bad_trusted_proxy_or_base_path_stops_the_start(self):
        for args, text in ((["--trusted-proxy", "10.0.0.0/33"], "--trusted-proxy '10.0.0.0/33'"),
                           (["--trusted-proxy", "proxy.lan"], "--trusted-proxy 'proxy.lan'"),
                           (["--base-path", "tt"], "--base-path 'tt'"),
                           (["--base-path", "/a/../b"], "--base-path '/a/../b'")):
            with self.subTest(args=args):
                s = Server(args)
                try:
                    s.start(expect_ready=False)
                    self.assertEqual(s.wait_exit(10), 2)
                    self.assertIn(text, s.log())
                finally:
                    s.cleanup()

    def test_trusted_proxies_from_the_config_file(self):
        d = tempfile.mkdtemp(prefix="telltale-conf-")
        try:
            path = os.path.join(d, "telltale.toml")
            with open(path, "w") as f:
                f.write('trusted-proxy = ["127.0.0.1", "10.0.0.0/8"]\nbase-path = "/mon"\n')
            s = Server(["--config", path]).start()
            try:
                self.assertIn("trusted proxies: 127.0.0.1, 10.0.0.0/8", s.log())
                r = call(s.port, "GET", "/mon/api/v1/setup", headers={"X-Forwarded-For": "203.0.113.9"},
                         source=HOST)
                self.assertEqual(r.status, 200)
            finally:
                s.cleanup()
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
