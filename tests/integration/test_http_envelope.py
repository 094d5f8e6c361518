"""The response envelope, request ids, security headers, and every HTTP error status."""

import re
import socket
import time
import unittest

from telltale_harness import (HOST, Server, ServerTestCase, check_common_headers,
                              parse_raw_response, raw_http)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class EnvelopeTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.server.admin_token()

    def assertMeta(self, r):
        meta = r.json["meta"]
        self.assertRegex(meta["request_id"], r"^[A-Za-z0-9._-]{1,64}$")
        self.assertEqual(meta["request_id"], r.header("X-Request-ID"))
        self.assertRegex(meta["timestamp"], RFC3339)

    def test_success_envelope(self):
        r = self.server.request("GET", "/api/v1/auth/me", token=self.token)
        self.assertStatus(r, 200)
        self.assertIs(r.json["success"], True)
        self.assertIn("data", r.json)
        self.assertMeta(r)
        self.assertIn("application/json", r.header("Content-Type"))

    def test_list_envelope(self):
        for path in ("/api/v1/nodes", "/api/v1/users", "/api/v1/tokens", "/api/v1/audit"):
            with self.subTest(path=path):
                r = self.server.request("GET", path, token=self.token)
                self.assertStatus(r, 200)
                self.assertIs(r.json["success"], True)
                self.assertIsInstance(r.json["data"], list)
                self.assertMeta(r)
                p = r.json["pagination"]
                for k in ("page", "per_page", "total", "total_pages", "has_next", "has_prev"):
                    self.assertIn(k, p)
                self.assertIsInstance(p["has_next"], bool)
                self.assertIsInstance(p["has_prev"], bool)

    def test_error_envelope(self):
        r = self.server.request("GET", "/api/v1/nodes")
        self.assertStatus(r, 401)
        self.assertIsInstance(r.json["error"]["message"], str)
        self.assertIsInstance(r.json["error"]["details"], dict)
        self.assertMeta(r)

    def test_request_id_everywhere(self):
        s = self.server
        cases = [
            s.request("GET", "/api/v1/nope"),                                   # 404
            s.request("DELETE", "/api/v1/nodes", token=self.token),             # 405
            s.request("GET", "/api/v1/nodes"),                                  # 401
            s.request("GET", "/"),                                              # UI
            s.request("GET", "/healthz"),
            s.request("GET", "/metrics"),
            s.request("OPTIONS", "/api/v1/nodes"),
        ]
        ids = set()
        for r in cases:
            check_common_headers(r)
            ids.add(r.header("X-Request-ID"))
        self.assertEqual(len(ids), len(cases), "request ids must differ")

    def test_request_id_echo(self):
        s = self.server
        r = s.request("GET", "/healthz", headers={"X-Request-ID": "client-id_1.2"})
        self.assertEqual(r.header("X-Request-ID"), "client-id_1.2")
        self.assertEqual(r.json["meta"]["request_id"], "client-id_1.2")
        r = s.request("GET", "/api/v1/nodes", headers={"X-Request-ID": "abc-401"})
        self.assertEqual(r.header("X-Request-ID"), "abc-401")
        self.assertEqual(r.json["meta"]["request_id"], "abc-401")
        # Insane ids are replaced, not echoed.
        for bad in ("has space", "x" * 65, "semi;colon", "<script>"):
            with self.subTest(bad=bad):
                r = s.request("GET", "/healthz", headers={"X-Request-ID": bad})
                self.assertNotEqual(r.header("X-Request-ID"), bad)
                self.assertRegex(r.header("X-Request-ID"), r"^[A-Za-z0-9._-]{1,64}$")

    def test_security_headers(self):
        for path in ("/", "/healthz", "/api/v1/nodes", "/metrics", "/nope.js"):
            with self.subTest(path=path):
                r = self.server.request("GET", path)
                csp = r.header("Content-Security-Policy")
                self.assertIn("frame-ancestors", csp)
                self.assertNotIn("'unsafe-inline'", csp)
                self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")

    def test_400_invalid_json(self):
        for body in ("{", "{\"name\": }", "nul", "[1,2", "\xff\xfe", "{\"a\":1} trailing"):
            with self.subTest(body=body):
                r = self.server.request("POST", "/api/v1/nodes", body.encode("latin-1"),
                                        headers={"Content-Type": "application/json"}, token=self.token)
                self.assertStatus(r, 400, "INVALID_JSON")

    def test_400_json_too_deep(self):
        for body in ("[" * 100000, "{\"a\":" * 50000, "[" * 100000 + "]" * 100000):
            with self.subTest(len=len(body), start=body[:5]):
                r = self.server.request("POST", "/api/v1/nodes", body,
                                        headers={"Content-Type": "application/json"}, token=self.token)
                self.assertStatus(r, 400, "JSON_TOO_DEEP")
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)
        self.assertTrue(self.server.alive())

    def test_422_validation(self):
        s = self.server
        r = s.request("POST", "/api/v1/nodes", {"name": 5, "type": "toaster", "address": "bad address!",
                                                "labels": [], "metadata": "x"}, token=self.token)
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        fe = r.field_errors()
        for f in ("name", "type", "address", "labels", "metadata"):
            self.assertIn(f, fe)
        r = s.request("POST", "/api/v1/nodes", {}, token=self.token)
        self.assertFieldError(r, "name")
        self.assertFieldError(r, "type")
        r = s.request("POST", "/api/v1/nodes", [1, 2], token=self.token)
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        r = s.request("POST", "/api/v1/nodes", {"name": "", "type": "vm"}, token=self.token)
        self.assertFieldError(r, "name")
        r = s.request("POST", "/api/v1/nodes", {"name": "a\nb", "type": "vm"}, token=self.token)
        self.assertFieldError(r, "name")
        r = s.request("POST", "/api/v1/nodes", {"name": "n" * 254, "type": "vm"}, token=self.token)
        self.assertFieldError(r, "name")
        r = s.request("POST", "/api/v1/nodes", {"name": "x", "type": "vm", "labels": {"1bad": "v"}},
                      token=self.token)
        self.assertFieldError(r, "labels.1bad")
        r = s.request("POST", "/api/v1/nodes", {"name": "x", "type": "vm", "labels": {"ok": 1}},
                      token=self.token)
        self.assertFieldError(r, "labels.ok")
        r = s.request("POST", "/api/v1/nodes", {"name": "x", "type": "vm", "mac": "zz:zz"}, token=self.token)
        self.assertFieldError(r, "mac")
        r = s.request("GET", "/api/v1/nodes?page=0", token=self.token)
        self.assertFieldError(r, "page")
        r = s.request("GET", "/api/v1/nodes?page=abc", token=self.token)
        self.assertFieldError(r, "page")
        r = s.request("GET", "/api/v1/nodes?type=toaster&status=sleepy", token=self.token)
        self.assertFieldError(r, "type")
        self.assertFieldError(r, "status")
        r = s.request("GET", "/api/v1/nodes?label=novalue", token=self.token)
        self.assertFieldError(r, "label")

    def test_404(self):
        s = self.server
        for path in ("/api/v1/nope", "/api/v2/nodes", "/api/v1/nodes/1/extra", "/api/"):
            with self.subTest(path=path):
                r = s.request("GET", path, token=self.token)
                self.assertStatus(r, 404, "NOT_FOUND")
        r = s.request("POST", "/nowhere", {"a": 1})
        self.assertStatus(r, 404, "NOT_FOUND")

    def test_405(self):
        s = self.server
        r = s.request("DELETE", "/api/v1/nodes", token=self.token)
        self.assertStatus(r, 405, "METHOD_NOT_ALLOWED")
        allow = [m.strip() for m in r.header("Allow").split(",")]
        self.assertIn("GET", allow)
        self.assertIn("POST", allow)
        r = s.request("PUT", "/api/v1/nodes/1", {"name": "x"}, token=self.token)
        self.assertStatus(r, 405, "METHOD_NOT_ALLOWED")
        allow = [m.strip() for m in r.header("Allow").split(",")]
        self.assertEqual(set(allow), {"GET", "PATCH", "DELETE"})
        r = s.request("POST", "/healthz")
        self.assertStatus(r, 405, "METHOD_NOT_ALLOWED")
        self.assertIn("GET", r.header("Allow"))

    def test_409_duplicate_node(self):
        s = self.server
        s.create_node(name="dup-node", type="vm")
        r = s.request("POST", "/api/v1/nodes", {"name": "dup-node", "type": "vm"}, token=self.token)
        self.assertStatus(r, 409, "NODE_EXISTS")
        # The name is the node's label in its series: another type may not take it either.
        r = s.request("POST", "/api/v1/nodes", {"name": "dup-node", "type": "container"}, token=self.token)
        self.assertStatus(r, 409, "NODE_EXISTS")
        # Renaming onto an existing name conflicts too.
        other = s.create_node(name="dup-node-2", type="vm")
        r = s.request("PATCH", f"/api/v1/nodes/{other['id']}", {"name": "dup-node"}, token=self.token)
        self.assertStatus(r, 409, "NODE_EXISTS")

    def test_415_unsupported_media_type(self):
        s = self.server
        for ct in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
            with self.subTest(ct=ct):
                r = s.request("POST", "/api/v1/nodes", '{"name":"m","type":"vm"}',
                              headers={"Content-Type": ct}, token=self.token)
                self.assertStatus(r, 415, "UNSUPPORTED_MEDIA_TYPE")
        r = s.request("POST", "/api/v1/nodes", '{"name":"m","type":"vm"}', token=self.token)  # no type
        self.assertStatus(r, 415, "UNSUPPORTED_MEDIA_TYPE")
        # Parameters and case are fine.
        r = s.request("POST", "/api/v1/nodes", '{"name":"ct-ok","type":"vm"}',
                      headers={"Content-Type": "Application/JSON; charset=utf-8"}, token=self.token)
        self.assertStatus(r, 201)
        r = s.request("PATCH", f"/api/v1/nodes/{r.json['data']['id']}", '{"address":"10.0.0.9"}',
                      headers={"Content-Type": "application/merge-patch+json"}, token=self.token)
        self.assertStatus(r, 200)

    def test_post_without_body_or_length_is_prompt(self):
        port = self.server.port
        for path in ("/api/v1/nodes", "/api/v1/auth/login", "/api/v1/setup"):
            with self.subTest(path=path):
                req = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                       f"Authorization: Bearer {self.token}\r\nConnection: close\r\n\r\n").encode()
                t0 = time.monotonic()
                raw = raw_http(port, req, timeout=8)
                elapsed = time.monotonic() - t0
                self.assertLess(elapsed, 3.0, "POST without a body hung for %.1f s" % elapsed)
                self.assertTrue(raw, "no response")
                r = parse_raw_response(raw)
                check_common_headers(r)
                self.assertIn(r.status, (400, 409, 415, 422), r)
                self.assertFalse(r.json["success"])

    def test_malformed_request_line(self):
        raw = raw_http(self.server.port, b"GARBAGE\r\n\r\n", timeout=5)
        if raw:
            r = parse_raw_response(raw)
            self.assertLess(r.status, 500, raw)
            self.assertEqual(r.status, 400, raw)
            self.assertTrue(r.header("X-Request-ID"), raw)
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)


class BodyLimitTest(ServerTestCase):
    server_args = ("--max-body", "2048")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.server.admin_token()

    def test_413_content_length(self):
        body = '{"name":"big","type":"vm","metadata":{"x":"' + "a" * 10240 + '"}}'
        r = self.server.request("POST", "/api/v1/nodes", body,
                                headers={"Content-Type": "application/json"}, token=self.token)
        self.assertStatus(r, 413, "PAYLOAD_TOO_LARGE")
        self.assertTrue(r.header("X-Request-ID"))
        # Under the limit is fine.
        r = self.server.request("POST", "/api/v1/nodes", {"name": "small", "type": "vm"}, token=self.token)
        self.assertStatus(r, 201)

    def test_413_without_auth(self):
        r = self.server.request("POST", "/api/v1/auth/login", "x" * 10240,
                                headers={"Content-Type": "application/json"})
        self.assertStatus(r, 413, "PAYLOAD_TOO_LARGE")

    def test_413_chunked(self):
        # 10 kB of valid JSON in 1 kB chunks: no Content-Length to check up front, so the limit
        # must be enforced while the chunks are read.
        import json
        port = self.server.port
        payload = json.dumps({"name": "chunk-bomb", "type": "vm", "metadata": {"x": "a" * 10240}}).encode()
        body = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 1024]), payload[i:i + 1024])
                        for i in range(0, len(payload), 1024)) + b"0\r\n\r\n"
        req = (f"POST /api/v1/nodes HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
               f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
               f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode() + body
        t0 = time.monotonic()
        raw = raw_http(port, req, timeout=8)
        self.assertLess(time.monotonic() - t0, 5)
        r = parse_raw_response(raw)
        check_common_headers(r)
        self.assertStatus(r, 413, "PAYLOAD_TOO_LARGE")
        r = self.server.request("GET", "/api/v1/nodes?q=chunk-bomb", token=self.token)
        self.assertEqual(r.json["data"], [])

    def test_413_gzip_request_body(self):
        # A compressed request body must be bounded after decompression (or refused): 10 kB of
        # JSON in a ~100-byte gzip stream is over the 2048-byte limit. Without this, a small
        # gzip bomb inflates to gigabytes in the server.
        import gzip
        import json
        raw = json.dumps({"name": "gz-bomb", "type": "vm", "metadata": {"x": "a" * 10240}}).encode()
        r = self.server.request("POST", "/api/v1/nodes", gzip.compress(raw),
                                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
                                token=self.token)
        self.assertIn(r.status, (413, 415), r)
        self.assertFalse(r.json["success"])
        r = self.server.request("GET", "/api/v1/nodes?q=gz-bomb", token=self.token)
        self.assertEqual(r.json["data"], [])

    def test_chunked_small_ok(self):
        port = self.server.port
        payload = b'{"name":"chunky","type":"vm"}'
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
        req = (f"POST /api/v1/nodes HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
               f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
               f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode() + body
        r = parse_raw_response(raw_http(port, req, timeout=8))
        check_common_headers(r)
        self.assertStatus(r, 201)


class RateLimitTest(ServerTestCase):
    api_rate_limit = "5"

    def test_429_rate_limited(self):
        s = self.server
        c = s.client()
        statuses = []
        limited = None
        for _ in range(30):
            r = c.request("GET", "/api/v1/setup")
            statuses.append(r.status)
            if r.status == 429 and limited is None:
                limited = r
        c.close()
        self.assertIsNotNone(limited, statuses)
        self.assertStatus(limited, 429, "RATE_LIMITED")
        ra = limited.header("Retry-After")
        self.assertIsNotNone(ra)
        self.assertGreaterEqual(int(ra), 1)
        self.assertIn(200, statuses)
        # Health and metrics are not API routes: not limited.
        self.assertEqual(s.request("GET", "/healthz").status, 200)
        # After Retry-After the API answers again.
        time.sleep(int(ra) + 0.3)
        self.assertStatus(s.request("GET", "/api/v1/setup"), 200)


class LoginRateLimitTest(ServerTestCase):
    def test_login_rate_limited(self):
        s = self.server
        s.admin_token()
        statuses = []
        for _ in range(5):
            r = s.request("POST", "/api/v1/auth/login", {"username": "admin", "password": "wrong-password"})
            self.assertStatus(r, 401, "INVALID_CREDENTIALS")
            statuses.append(r.status)
        r = s.request("POST", "/api/v1/auth/login", {"username": "admin", "password": "wrong-password"})
        self.assertStatus(r, 429, "LOGIN_RATE_LIMITED")
        self.assertTrue(r.header("Retry-After"))
        # Even the right password is refused while limited.
        r = s.request("POST", "/api/v1/auth/login", {"username": "admin", "password": "correct-horse-battery"})
        self.assertStatus(r, 429, "LOGIN_RATE_LIMITED")
        # Tokens still work.
        self.assertStatus(s.request("GET", "/api/v1/nodes", token=s.admin_token()), 200)


if __name__ == "__main__":
    unittest.main()
