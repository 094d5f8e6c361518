"""HTTPS: `serve --tls-cert/--tls-key` with a CA and leaf the test makes (openssl CLI), HSTS, the
UI in Chromium, WebSockets over TLS, the redirect listener, SIGHUP reloads, stalled handshakes,
--tls-self-signed, and an agent pushing to an https:// hub with --ca-file."""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from telltale_harness import ADMIN_PASSWORD, ADMIN_USER, BIN, HOST, Server, WebSocket, wait_until

E2E_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Telltale test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    return os.path.join(d, "ca.pem")


def make_leaf(d, serial, name="leaf"):
    """A leaf for localhost and 127.0.0.1 signed by d's CA: (cert path, key path)."""
    with open(os.path.join(d, "leaf.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=localhost", cwd=d)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", str(serial), "-days", "30", "-extfile", "leaf.ext", "-out", name + ".pem",
            cwd=d)
    return os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")


def ca_context(ca_file):
    ctx = ssl.create_default_context(cafile=ca_file)
    return ctx


def peer_serial(port, ca_file):
    """The serial number of the certificate a new connection gets."""
    with socket.create_connection((HOST, port), timeout=5) as raw:
        with ca_context(ca_file).wrap_socket(raw, server_hostname="localhost") as s:
            return int(s.getpeercert()["serialNumber"], 16)


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, text=True)


def start_self_signed(test):
    """A server with --tls-self-signed, requests over HTTPS: (server, its certificate's path)."""
    server = Server(["--tls-self-signed"])
    test.addCleanup(server.cleanup)
    server.start()
    cert = os.path.join(server.data_dir, "tls", "cert.pem")
    server.ssl_context = ca_context(cert)
    return server, cert


def start_tls_server(test, d, cert, key, extra=()):
    server = Server(["--tls-cert", cert, "--tls-key", key, *extra])
    server.ssl_context = ca_context(os.path.join(d, "ca.pem"))
    server.start()
    test.addCleanup(server.cleanup)
    return server


class HttpsTest(unittest.TestCase):
    """One server with a CA-signed leaf and a redirect listener."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="telltale-tls-")
        cls.ca = make_ca(cls.dir)
        cls.cert, cls.key = make_leaf(cls.dir, 1001)
        cls.server = Server(["--tls-cert", cls.cert, "--tls-key", cls.key,
                             "--http-redirect", "127.0.0.1:0"])
        cls.server.ssl_context = ca_context(cls.ca)
        cls.server.start()
        cls.token = cls.server.admin_token()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def url(self, path, host="localhost"):
        return f"https://{host}:{self.server.port}{path}"

    def test_curl_reaches_the_api_with_the_ca_and_hsts(self):
        r = curl("--cacert", self.ca, "-D", "-", "-H", "Authorization: Bearer " + self.token,
                 self.url("/api/v1/nodes"))
        self.assertEqual(r.returncode, 0, r.stderr)
        head, _, body = r.stdout.partition("\n\n")  # text mode: CRLF read as LF
        self.assertTrue(head.startswith("HTTP/1.1 200"), head)
        self.assertRegex(head.lower(), r"strict-transport-security: max-age=\d+")
        self.assertTrue(json.loads(body)["success"])
        # Errors answered by the router carry it too.
        r = curl("--cacert", self.ca, "-D", "-", "-o", "/dev/null", self.url("/api/v1/nodes"))
        self.assertIn("401", r.stdout.split("\n", 1)[0])
        self.assertIn("strict-transport-security", r.stdout.lower())

    def test_ctl_and_apply_reach_it_with_the_ca_file(self):
        def ctl(*args, env=None):
            return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60,
                                  env={**os.environ, "XDG_CONFIG_HOME": self.dir, **(env or {})})
        flags = ["--server", self.url(""), "--token", self.token]
        r = ctl("ctl", *flags, "--ca-file", self.ca, "nodes", "create", "--set", "name=over-tls",
                "--set", "type=vm")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = ctl("ctl", *flags, "nodes", "list", env={"TELLTALE_CA_FILE": self.ca})
        self.assertIn("over-tls", r.stdout)
        r = ctl("ctl", *flags, "nodes", "list")  # the system's CAs do not know this one
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("HUB_TLS", r.stderr)
        r = ctl("export", *flags, "--ca-file", self.ca)
        self.assertIn("name: over-tls", r.stdout)

    def test_answers_outside_the_router_carry_hsts_too(self):
        # A head the parker refuses (400), over TLS.
        with socket.create_connection((HOST, self.server.port), timeout=5) as raw:
            with ca_context(self.ca).wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
        head = data.decode().split("\r\n\r\n")[0]
        self.assertTrue(head.startswith("HTTP/1.1 400"), head)
        self.assertIn("Strict-Transport-Security: max-age=31536000", head)
        # A refused WebSocket upgrade (401).
        ws, resp, _ = WebSocket.handshake(self.server.port, ssl_context=ca_context(self.ca))
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 401)
        self.assertEqual(resp.header("Strict-Transport-Security"), "max-age=31536000")

    def test_curl_without_the_ca_refuses_the_certificate(self):
        r = curl(self.url("/healthz"))
        self.assertEqual(r.returncode, 60, r)  # SSL certificate problem

    def test_plain_http_on_the_https_port_is_closed(self):
        before = self.server.metric_value("telltale_tls_handshakes_total", {"outcome": "failed"}) or 0
        with socket.create_connection((HOST, self.server.port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertNotIn(b"HTTP/1.1 200", s.recv(4096))
        self.assertTrue(wait_until(lambda: (self.server.metric_value(
            "telltale_tls_handshakes_total", {"outcome": "failed"}) or 0) > before))

    def test_keep_alive_serves_many_requests_on_one_tls_connection(self):
        c = self.server.client()
        try:
            for _ in range(40):  # past the 16 requests of a turn, and through the parker
                self.assertEqual(c.request("GET", "/healthz").status, 200)
            big = c.request("POST", "/api/v1/nodes", {"name": "x" * 100_000, "address": "10.0.0.1"},
                            headers={"Authorization": "Bearer " + self.token}, check=False)
            self.assertIn(big.status, (400, 422))  # a body over the parked 64 KiB, read by the pool
        finally:
            c.close()

    def test_expiry_metric(self):
        expiry = self.server.metric_value("telltale_tls_certificate_expiry_timestamp_seconds")
        self.assertAlmostEqual(expiry, time.time() + 30 * 86400, delta=2 * 86400)

    def test_websocket_over_tls(self):
        ws, resp, _ = WebSocket.handshake(self.server.port, {"Authorization": "Bearer " + self.token},
                                          ssl_context=ca_context(self.ca))
        self.assertIsNotNone(ws, resp)
        try:
            ws.send_json({"type": "ping"})
            self.assertEqual(ws.recv_json()["type"], "pong")
            ws.send_json({"type": "subscribe", "topics": ["nodes"]})
            self.assertEqual(ws.recv_json()["type"], "subscribed")
            node = self.server.create_node(name="tls-node", type="vm", address="192.0.2.7")
            event = ws.recv_json()
            self.assertEqual(event["topic"], "nodes")
            self.assertEqual(event["data"]["data"]["node"]["id"], node["id"])
            # A message larger than a TLS record.
            ws.send_json({"type": "subscribe", "topics": ["nodes", "x" * 40_000]})
            self.assertEqual(ws.recv_json()["code"], "WS_UNKNOWN_TOPIC")
        finally:
            ws.close()

    def test_redirect_answers_308_to_https(self):
        line = next(l for l in self.server.lines if "redirecting http://" in l)
        port = int(re.search(r"redirecting http://127\.0\.0\.1:(\d+)", line).group(1))
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(b"GET /api/v1/nodes?limit=5 HTTP/1.1\r\nHost: localhost:" + str(port).encode() +
                      b"\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        head = data.decode().split("\r\n\r\n")[0]
        self.assertTrue(head.startswith("HTTP/1.1 308"), head)
        self.assertIn(f"Location: https://localhost:{self.server.port}/api/v1/nodes?limit=5", head)
        # curl follows it to the API.
        r = curl("--cacert", self.ca, "-L", "-o", "/dev/null", "-w", "%{http_code} %{url_effective}",
                 f"http://localhost:{port}/healthz")
        self.assertEqual(r.stdout, f"200 https://localhost:{self.server.port}/healthz", r.stderr)

    def test_chromium_loads_the_ui(self):
        if not os.path.exists(os.path.join(E2E_DIR, "node_modules", "playwright-core")):
            self.skipTest("tests/e2e has no node_modules (npm ci there)")
        spki = subprocess.run(
            f"openssl x509 -in {self.cert} -pubkey -noout | openssl pkey -pubin -outform der"
            " | openssl dgst -sha256 -binary | base64", shell=True, check=True,
            capture_output=True, text=True).stdout.strip()
        r = subprocess.run(["node", os.path.join(E2E_DIR, "tls_page.mjs"), self.url("/"), spki,
                            ADMIN_USER, ADMIN_PASSWORD],
                           cwd=E2E_DIR, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        page = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(page["status"], 200, page)
        self.assertTrue(page["secure"], page)
        self.assertIn("TLS", page["protocol"])
        self.assertEqual(page["subject"], "localhost")
        self.assertTrue(page["hsts"], page)
        self.assertIn("Telltale", page["title"])
        self.assertTrue(page["live"], page)  # logged in, the UI's WebSocket over wss


class HandshakeTimeoutTest(unittest.TestCase):
    def test_a_stalled_handshake_is_closed(self):
        d = tempfile.mkdtemp(prefix="telltale-tls-")
        self.addCleanup(shutil.rmtree, d, True)
        make_ca(d)
        server = start_tls_server(self, d, *make_leaf(d, 7))
        socks = []
        for partial in (b"", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"):  # half a ClientHello
            s = socket.create_connection((HOST, server.port), timeout=15)
            s.sendall(partial)
            socks.append(s)
        t0 = time.monotonic()
        for s in socks:
            self.assertEqual(s.recv(100), b"")  # closed by the server
            s.close()
        self.assertLess(time.monotonic() - t0, 8)  # the 5 s idle timeout and a sweep
        self.assertGreaterEqual(server.metric_value("telltale_tls_handshakes_total", {"outcome": "timeout"}), 2)
        self.assertEqual(server.request("GET", "/healthz").status, 200)
        server.stop()


class ReloadTest(unittest.TestCase):
    def test_sighup_reloads_a_renewed_certificate_and_keeps_the_old_on_a_bad_file(self):
        d = tempfile.mkdtemp(prefix="telltale-tls-")
        self.addCleanup(shutil.rmtree, d, True)
        ca = make_ca(d)
        cert, key = make_leaf(d, 1)
        server = start_tls_server(self, d, cert, key)
        self.assertEqual(peer_serial(server.port, ca), 1)
        # An open keep-alive connection keeps its session across the reload.
        client = server.client()
        self.assertEqual(client.request("GET", "/healthz").status, 200)

        new_cert, new_key = make_leaf(d, 2, name="renewed")
        os.replace(new_cert, cert)
        os.replace(new_key, key)
        os.kill(server.pid, signal.SIGHUP)
        self.assertTrue(server.wait_for(lambda: any("tls: reloaded" in l for l in server.lines), 5))
        self.assertEqual(peer_serial(server.port, ca), 2)
        self.assertEqual(client.request("GET", "/healthz").status, 200)
        client.close()

        with open(cert, "w") as f:
            f.write("not a certificate\n")
        os.kill(server.pid, signal.SIGHUP)
        self.assertTrue(server.wait_for(
            lambda: any("kept the certificate in use" in l for l in server.lines), 5), server.log())
        self.assertEqual(peer_serial(server.port, ca), 2)
        self.assertTrue(server.alive())
        server.stop()


class SelfSignedTest(unittest.TestCase):
    def test_made_once_and_reused(self):
        server, cert = start_self_signed(self)
        key = os.path.join(server.data_dir, "tls", "key.pem")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        text = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"], check=True,
                              capture_output=True, text=True).stdout
        for san in ("DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
                    "DNS:" + socket.gethostname()):
            self.assertIn(san, text)
        r = curl("--cacert", cert, "-o", "/dev/null", "-w", "%{http_code}",
                 f"https://localhost:{server.port}/healthz")
        self.assertEqual(r.stdout, "200", r.stderr)
        with open(cert, "rb") as f:
            first = f.read()
        server.stop()
        server.start()
        with open(cert, "rb") as f:
            self.assertEqual(f.read(), first)
        self.assertEqual(sum("made a self-signed certificate" in l for l in server.lines), 0)
        self.assertEqual(server.request("GET", "/healthz").status, 200)
        server.stop()

    def test_bad_option_combinations_refuse_to_start(self):
        for args in (["--tls-cert", "/nonexistent.pem"],
                     ["--tls-self-signed", "--tls-cert", "a", "--tls-key", "b"],
                     ["--http-redirect", "127.0.0.1:0"]):
            server = Server(args)
            self.addCleanup(server.cleanup)
            server.start(expect_ready=False)
            self.assertEqual(server.wait_exit(10), 2, server.log())
        server = Server(["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"])
        self.addCleanup(server.cleanup)
        server.start(expect_ready=False)
        self.assertEqual(server.wait_exit(10), 1)
        self.assertIn("/nonexistent.pem", server.log())


class AgentOverTlsTest(unittest.TestCase):
    def test_an_agent_registers_and_pushes_to_an_https_hub_with_its_ca_file(self):
        from test_agent import ROOTS, IDENTITY_HOST
        hub, ca = start_self_signed(self)
        admin = hub.admin_token()
        r = hub.request("POST", "/api/v1/enrolment-tokens", {"name": "t"}, token=admin)
        self.assertEqual(r.status, 201, r)
        buffer = tempfile.mkdtemp(prefix="tt-agent-")
        self.addCleanup(shutil.rmtree, buffer, True)

        def agent(*extra):
            return subprocess.Popen([BIN, "agent", "--hub", f"https://localhost:{hub.port}", "--token",
                                     r.json["data"]["token"], "--buffer-dir", buffer, "--interval", "1s",
                                     *ROOTS, *extra],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)

        # Without the CA file the system's CAs do not trust the hub: nothing registers.
        untrusting = agent()
        time.sleep(2)
        untrusting.terminate()
        _, err = untrusting.communicate(10)
        self.assertIn("not trusted", err)
        self.assertFalse(os.path.exists(os.path.join(buffer, "credential")))

        trusting = agent("--ca-file", ca)
        self.addCleanup(lambda: trusting.poll() is None and trusting.kill())

        def series():
            q = urllib.parse.urlencode({"match": 'node_memory_MemTotal_bytes{node="%s"}' % IDENTITY_HOST,
                                        "from": "0"})
            got = hub.request("GET", "/api/v1/query_range?" + q, token=admin)
            return got.status == 200 and got.json["data"]["series"]
        self.assertTrue(wait_until(series, timeout=20))
        self.assertTrue(os.path.exists(os.path.join(buffer, "credential")))
        trusting.terminate()
        self.assertEqual(trusting.wait(10), 0)
        trusting.stderr.close()
        hub.stop()


if __name__ == "__main__":
    unittest.main()
