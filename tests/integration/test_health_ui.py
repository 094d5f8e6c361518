"""/healthz, /readyz, /metrics (checked by promtool) and the embedded UI."""

import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from telltale_harness import ServerTestCase, ws_connect

REQUIRED_METRICS = [
    "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
    "telltale_http_requests_total", "telltale_http_request_duration_seconds", "telltale_ws_clients",
    "telltale_bus_queue_depth", "telltale_db_writer_queue_depth", "telltale_db_commit_seconds",
]


class HealthTest(ServerTestCase):
    def test_healthz(self):
        r = self.server.request("GET", "/healthz")
        self.assertStatus(r, 200)
        self.assertTrue(r.json["success"])
        self.assertEqual(r.json["data"]["status"], "ok")
        # No credentials needed; HEAD works too.
        r = self.server.request("HEAD", "/healthz")
        self.assertEqual(r.status, 200)

    def test_readyz(self):
        r = self.server.request("GET", "/readyz")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["status"], "ready")
        self.assertEqual(r.json["data"]["checks"], {"database": True, "migrations": True, "loop": True, "disk": True})

    def test_metrics(self):
        s = self.server
        token = s.admin_token()
        # Exercise HTTP, the DB writer and a WebSocket so every family has samples.
        s.create_node(name="metrics-node", type="vm")
        s.request("GET", "/api/v1/nope")
        ws = ws_connect(s.port, token=token)
        ws.subscribe(["nodes"])
        try:
            r = s.request("GET", "/metrics")
            self.assertEqual(r.status, 200)
            self.assertTrue(r.header("Content-Type").startswith("text/plain"), r.header("Content-Type"))
            text = r.body.decode()
            for name in REQUIRED_METRICS:
                with self.subTest(metric=name):
                    self.assertRegex(text, r"(?m)^%s(_bucket|_sum|_count)?(\{[^}]*\})? \S+" % name)
                    self.assertRegex(text, r"(?m)^# TYPE %s " % name)
            self.assertGreaterEqual(s.metric_value("telltale_ws_clients"), 1)
            self.assertGreater(s.metric_value("process_resident_memory_bytes"), 1e6)
            self.assertGreater(s.metric_value("process_open_fds"), 2)
            self.assertGreaterEqual(s.metric_value("telltale_http_requests_total", {"code": "201"}), 1)
            self.assertGreaterEqual(s.metric_value("telltale_http_requests_total", {"code": "404"}), 1)
            self.assertGreaterEqual(s.metric_value("telltale_db_commit_seconds_count"), 1)

            promtool = shutil.which("promtool")
            if not promtool:
                self.skipTest("promtool is not installed (Debian package 'prometheus'): "
                              "metrics format not checked by promtool")
            p = subprocess.run([promtool, "check", "metrics"], input=r.body, capture_output=True, timeout=30)
            out = (p.stdout + p.stderr).decode()
            self.assertEqual(p.returncode, 0, "promtool check metrics failed:\n" + out)
        finally:
            ws.close()


class UiTest(ServerTestCase):
    def test_gzip_etag_304(self):
        s = self.server
        r = s.request("GET", "/", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"), r.header("Content-Type"))
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        etag = r.header("ETag")
        self.assertTrue(etag)
        html = gzip.decompress(r.body)
        self.assertTrue(html.lower().lstrip().startswith(b"<!doctype html"), html[:80])
        self.assertEqual(int(r.header("Content-Length")), len(r.body))

        r = s.request("GET", "/", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        self.assertEqual(r.status, 304, r)
        self.assertEqual(r.body, b"")
        self.assertTrue(r.header("X-Request-ID"))
        r = s.request("GET", "/", headers={"If-None-Match": '"something-else"'})
        self.assertEqual(r.status, 200)

        r = s.request("GET", "/", headers={"Accept-Encoding": "identity"})
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("Content-Encoding"))
        self.assertTrue(r.body.lower().startswith(b"<!doctype html"), r.body[:80])
        self.assertEqual(r.body, html)
        r = s.request("GET", "/")  # no Accept-Encoding at all
        self.assertIsNone(r.header("Content-Encoding"))
        self.assertTrue(r.body.lower().startswith(b"<!doctype html"), r.body[:80])

    def test_hashed_assets_brotli_and_cache(self):
        s = self.server
        r = s.request("GET", "/")
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        assets = re.findall(rb'(?:src|href)="(/assets/[^"]+)"', r.body)
        self.assertEqual(sorted(a.rsplit(b".", 1)[1] for a in assets), [b"css", b"js"], r.body)
        for path in (a.decode() for a in assets):
            with self.subTest(asset=path):
                # Content-hashed names: cached for a year.
                self.assertRegex(path, r"-[A-Z0-9]{8}\.(js|css)$")
                plain = s.request("GET", path, headers={"Accept-Encoding": "identity"})
                self.assertEqual(plain.status, 200)
                self.assertEqual(plain.header("Cache-Control"), "public, max-age=31536000, immutable")
                gz = s.request("GET", path, headers={"Accept-Encoding": "gzip, deflate"})
                self.assertEqual(gzip.decompress(gz.body), plain.body)
                br = s.request("GET", path, headers={"Accept-Encoding": "gzip, deflate, br"})
                self.assertEqual(br.header("Content-Encoding"), "br")
                self.assertLess(len(br.body), len(gz.body))
                self.assertEqual(int(br.header("Content-Length")), len(br.body))
                # A strong ETag per encoding; If-None-Match takes a list and weak forms.
                tags = {plain.header("ETag"), gz.header("ETag"), br.header("ETag")}
                self.assertEqual(len(tags), 3, tags)
                r = s.request("GET", path, headers={"Accept-Encoding": "br", "If-None-Match": f'"nope", W/{br.header("ETag")}'})
                self.assertEqual(r.status, 304)
                r = s.request("GET", path, headers={"Accept-Encoding": "br", "If-None-Match": gz.header("ETag")})
                self.assertEqual(r.status, 200)
                # q=0 refuses a coding.
                r = s.request("GET", path, headers={"Accept-Encoding": "br;q=0, gzip"})
                self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertStatus(s.request("GET", "/assets/main-NOSUCHHH.js"), 404, "NOT_FOUND")

    def test_api_answers_are_never_brotli_compressed_on_the_fly(self):
        # cpp-httplib's brotli runs at quality 11 (half a second for a page of nodes): browsers,
        # which all accept br, get gzip for API answers; the client's header still picks the
        # precompressed assets' encoding.
        s = self.server
        token = s.admin_token()
        for i in range(30):
            s.create_node(name=f"br-{i}", type="vm", labels={"site": "lab"})
        r = s.request("GET", "/api/v1/nodes?per_page=100", headers={"Accept-Encoding": "gzip, deflate, br"}, token=token)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertEqual(len(json.loads(gzip.decompress(r.body))["data"]), 30)
        r = s.request("GET", "/api/v1/nodes?per_page=100", headers={"Accept-Encoding": "br"}, token=token)
        self.assertIsNone(r.header("Content-Encoding"))
        self.assertEqual(len(json.loads(r.body)["data"]), 30)
        r = s.request("GET", "/", headers={"Accept-Encoding": "gzip, deflate, br"})
        self.assertEqual(r.header("Content-Encoding"), "br")

    def test_client_routes_and_assets(self):
        s = self.server
        # Client-side routes are the single page.
        r = s.request("GET", "/nodes/42")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.body.lower().startswith(b"<!doctype html"))
        # Missing files are an enveloped 404, API paths never fall back to the UI.
        r = s.request("GET", "/no-such-file.js")
        self.assertStatus(r, 404, "NOT_FOUND")
        r = s.request("GET", "/api/v1/ui-route")
        self.assertStatus(r, 404, "NOT_FOUND")
        # Path traversal never reaches the file system (the UI is embedded).
        for path in ("/../../etc/passwd", "/..%2f..%2fetc%2fpasswd", "/../../etc/hostname.txt"):
            r = s.request("GET", path)
            self.assertIn(r.status, (200, 400, 404), r)
            self.assertNotIn(b"root:", r.body)


if __name__ == "__main__":
    unittest.main()
