"""Authentication (tokens, sessions, CSRF), roles, users, tokens and the audit log."""

import http.client
import json
import re
import time
import unittest

from telltale_harness import ADMIN_PASSWORD, ADMIN_USER, HOST, ServerTestCase

PW = "password-" + "x" * 8


class AuthTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        cls.admin = s.admin_token()
        s.create_user("vera", "viewer")
        s.create_user("otto", "operator")
        cls.viewer = s.token_for("vera")
        cls.operator = s.token_for("otto")

    def test_401_without_credentials(self):
        s = self.server
        for method, path in (("GET", "/api/v1/nodes"), ("POST", "/api/v1/nodes"), ("GET", "/api/v1/users"),
                             ("GET", "/api/v1/events"), ("GET", "/api/v1/audit"), ("GET", "/api/v1/auth/me"),
                             ("GET", "/api/v1/nodes/1"), ("DELETE", "/api/v1/nodes/1"), ("GET", "/api/v1/tokens")):
            with self.subTest(method=method, path=path):
                body = {"name": "x", "type": "vm"} if method == "POST" else None
                r = s.request(method, path, body)
                self.assertStatus(r, 401, "UNAUTHENTICATED")

    def test_bearer_token(self):
        r = self.server.request("GET", "/api/v1/auth/me", token=self.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["user"], ADMIN_USER)
        self.assertEqual(r.json["data"]["role"], "admin")
        self.assertEqual(r.json["data"]["via"], "token")
        # The scheme is case-insensitive.
        r = self.server.request("GET", "/api/v1/auth/me", headers={"Authorization": "bearer " + self.admin})
        self.assertStatus(r, 200)

    def test_bad_token(self):
        s = self.server
        for authz in ("Bearer tt_notarealtoken", "Bearer " + self.admin[:-2] + "xx", "Bearer ",
                      "Basic YWRtaW46cGFzcw==", "Bearer", "Token " + self.admin, "Bearer " + "x" * 5000):
            with self.subTest(authz=authz[:30]):
                r = s.request("GET", "/api/v1/nodes", headers={"Authorization": authz})
                self.assertStatus(r, 401, "TOKEN_INVALID")
                self.assertEqual(r.header("WWW-Authenticate"), "Bearer")

    def test_session_cookie_csrf_logout(self):
        s = self.server
        r = s.request("POST", "/api/v1/auth/login", {"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        self.assertStatus(r, 200)
        set_cookie = r.header("Set-Cookie")
        attrs = [a.strip().lower() for a in set_cookie.split(";")]
        self.assertIn("httponly", attrs)
        self.assertTrue(any(a.startswith("samesite=") for a in attrs), set_cookie)
        self.assertIn("path=/", attrs)
        cookie = set_cookie.split(";", 1)[0]
        csrf = r.json["data"]["csrf_token"]
        self.assertTrue(csrf)
        self.assertEqual(r.json["data"]["user"], ADMIN_USER)

        # Reads work with the cookie alone.
        r = s.request("GET", "/api/v1/auth/me", headers={"Cookie": cookie})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["via"], "session")
        self.assertEqual(r.json["data"]["csrf_token"], csrf)

        # Mutations need the CSRF token.
        r = s.request("POST", "/api/v1/nodes", {"name": "csrf-node", "type": "vm"}, headers={"Cookie": cookie})
        self.assertStatus(r, 403, "CSRF_FAILED")
        r = s.request("POST", "/api/v1/nodes", {"name": "csrf-node", "type": "vm"},
                      headers={"Cookie": cookie, "X-CSRF-Token": "wrong" + csrf[5:]})
        self.assertStatus(r, 403, "CSRF_FAILED")
        r = s.request("POST", "/api/v1/nodes", {"name": "csrf-node", "type": "vm"},
                      headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        self.assertStatus(r, 201)
        nid = r.json["data"]["id"]
        r = s.request("DELETE", f"/api/v1/nodes/{nid}", headers={"Cookie": cookie})
        self.assertStatus(r, 403, "CSRF_FAILED")
        r = s.request("DELETE", f"/api/v1/nodes/{nid}", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        self.assertEqual(r.status, 204)

        # Logout needs CSRF too, then ends the session.
        r = s.request("POST", "/api/v1/auth/logout", headers={"Cookie": cookie})
        self.assertStatus(r, 403, "CSRF_FAILED")
        r = s.request("POST", "/api/v1/auth/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        self.assertEqual(r.status, 204, r)
        cleared = r.header("Set-Cookie")
        self.assertIn("Max-Age=0", cleared)
        r = s.request("GET", "/api/v1/auth/me", headers={"Cookie": cookie})
        self.assertStatus(r, 401)
        r = s.request("GET", "/api/v1/nodes", headers={"Cookie": cookie})
        self.assertStatus(r, 401)

    def test_bad_session_cookie(self):
        r = self.server.request("GET", "/api/v1/nodes", headers={"Cookie": "telltale_session=bogus"})
        self.assertStatus(r, 401)
        r = self.server.request("POST", "/api/v1/auth/login", {"username": "nobody", "password": "whatever12"})
        self.assertStatus(r, 401, "INVALID_CREDENTIALS")
        r = self.server.request("POST", "/api/v1/auth/login", {"username": "admin"})
        self.assertFieldError(r, "password")

    def test_viewer_role(self):
        s = self.server
        self.assertStatus(s.request("GET", "/api/v1/nodes", token=self.viewer), 200)
        self.assertStatus(s.request("GET", "/api/v1/events", token=self.viewer), 200)
        r = s.request("POST", "/api/v1/nodes", {"name": "viewer-node", "type": "vm"}, token=self.viewer)
        self.assertStatus(r, 403, "FORBIDDEN")
        node = s.create_node(name="viewer-target", type="vm")
        r = s.request("PATCH", f"/api/v1/nodes/{node['id']}", {"address": "10.1.1.1"}, token=self.viewer)
        self.assertStatus(r, 403, "FORBIDDEN")
        r = s.request("DELETE", f"/api/v1/nodes/{node['id']}", token=self.viewer)
        self.assertStatus(r, 403, "FORBIDDEN")
        self.assertStatus(s.request("GET", "/api/v1/users", token=self.viewer), 403, "FORBIDDEN")
        self.assertStatus(s.request("GET", "/api/v1/audit", token=self.viewer), 403, "FORBIDDEN")

    def test_operator_role(self):
        s = self.server
        r = s.request("POST", "/api/v1/nodes", {"name": "op-node", "type": "vm"}, token=self.operator)
        self.assertStatus(r, 201)
        nid = r.json["data"]["id"]
        r = s.request("PATCH", f"/api/v1/nodes/{nid}", {"address": "10.2.2.2"}, token=self.operator)
        self.assertStatus(r, 200)
        self.assertEqual(s.request("DELETE", f"/api/v1/nodes/{nid}", token=self.operator).status, 204)
        self.assertStatus(s.request("GET", "/api/v1/users", token=self.operator), 403, "FORBIDDEN")
        r = s.request("POST", "/api/v1/users", {"name": "evil", "role": "admin", "password": PW},
                      token=self.operator)
        self.assertStatus(r, 403, "FORBIDDEN")
        self.assertStatus(s.request("GET", "/api/v1/audit", token=self.operator), 403, "FORBIDDEN")
        # An operator may not mint tokens for someone else.
        r = s.request("POST", "/api/v1/tokens", {"user": ADMIN_USER}, token=self.operator)
        self.assertStatus(r, 403, "FORBIDDEN")

    def test_admin_manages_users(self):
        s = self.server
        r = s.request("POST", "/api/v1/users", {"name": "ursula", "role": "viewer", "password": PW},
                      token=self.admin)
        self.assertStatus(r, 201)
        uid = r.json["data"]["id"]
        self.assertEqual(r.header("Location"), f"/api/v1/users/{uid}")
        self.assertEqual(r.json["data"]["role"], "viewer")
        self.assertNotIn("password", r.json["data"])
        # Duplicate name.
        r = s.request("POST", "/api/v1/users", {"name": "ursula", "role": "viewer", "password": PW},
                      token=self.admin)
        self.assertIn(r.status, (409,), r)
        # Validation.
        r = s.request("POST", "/api/v1/users", {"name": "u2", "role": "king", "password": PW}, token=self.admin)
        self.assertFieldError(r, "role")
        r = s.request("POST", "/api/v1/users", {"role": "viewer", "password": 5, "extra": 1}, token=self.admin)
        self.assertFieldError(r, "name")
        self.assertFieldError(r, "password")
        self.assertFieldError(r, "extra")
        r = s.request("POST", "/api/v1/users", {"name": "u3", "role": "viewer", "password": "short"},
                      token=self.admin)
        self.assertStatus(r, 422)
        r = s.request("POST", "/api/v1/users", ["name"], token=self.admin)
        self.assertStatus(r, 422, "VALIDATION_FAILED")

        r = s.request("GET", "/api/v1/users", token=self.admin)
        self.assertStatus(r, 200)
        users = {u["name"]: u for u in r.json["data"]}
        self.assertIn("ursula", users)
        self.assertEqual(r.json["pagination"]["total"], len(r.json["data"]))
        for u in r.json["data"]:
            self.assertNotIn("password", u)
            self.assertNotIn("password_hash", u)

        # The new user can log in, then is deleted and cannot.
        s.login("ursula", PW)
        self.assertEqual(s.request("DELETE", f"/api/v1/users/{uid}", token=self.admin).status, 204)
        r = s.request("POST", "/api/v1/auth/login", {"username": "ursula", "password": PW})
        self.assertStatus(r, 401)
        self.assertStatus(s.request("DELETE", f"/api/v1/users/{uid}", token=self.admin), 404, "USER_NOT_FOUND")
        self.assertStatus(s.request("DELETE", "/api/v1/users/abc", token=self.admin), 404)

        # The last admin cannot be deleted.
        admin_id = users[ADMIN_USER]["id"]
        r = s.request("DELETE", f"/api/v1/users/{admin_id}", token=self.admin)
        self.assertStatus(r, 409, "LAST_ADMIN")
        self.assertStatus(s.request("GET", "/api/v1/auth/me", token=self.admin), 200)

    def test_deleted_user_tokens_stop_working(self):
        s = self.server
        u = s.create_user("temp-user", "operator")
        t = s.token_for("temp-user")
        self.assertStatus(s.request("GET", "/api/v1/nodes", token=t), 200)
        self.assertEqual(s.request("DELETE", f"/api/v1/users/{u['id']}", token=self.admin).status, 204)
        self.assertStatus(s.request("GET", "/api/v1/nodes", token=t), 401, "TOKEN_INVALID")

    def test_tokens(self):
        s = self.server
        r = s.request("POST", "/api/v1/tokens", {"name": "my-ci", "expires_in": "90d"}, token=self.operator)
        self.assertStatus(r, 201)
        tok = r.json["data"]
        secret = tok["token"]
        self.assertTrue(secret.startswith("tt_"))
        self.assertEqual(tok["user"], "otto")
        self.assertEqual(tok["name"], "my-ci")
        self.assertIsNotNone(tok["expires_at"])
        self.assertTrue(secret.startswith(tok["prefix"]))
        self.assertStatus(s.request("GET", "/api/v1/auth/me", token=secret), 200)

        # Listed without the secret.
        r = s.request("GET", "/api/v1/tokens", token=self.operator)
        self.assertStatus(r, 200)
        listed = {t["id"]: t for t in r.json["data"]}
        self.assertIn(tok["id"], listed)
        self.assertNotIn("token", listed[tok["id"]])
        self.assertNotIn(secret, r.body.decode())
        # Operators see only their own.
        self.assertEqual({t["user"] for t in r.json["data"]}, {"otto"})
        # Admin sees everyone's; filter by user.
        r = s.request("GET", "/api/v1/tokens?user=otto", token=self.admin)
        self.assertIn(tok["id"], [t["id"] for t in r.json["data"]])
        self.assertNotIn(secret, r.body.decode())

        # Validation.
        for body, field in (({"expires_in": "soon"}, "expires_in"), ({"name": ""}, "name"),
                            ({"name": 7}, "name"), ({"bogus": "x"}, "bogus"), ({"expires_in": "0s"}, "expires_in")):
            with self.subTest(body=body):
                self.assertFieldError(s.request("POST", "/api/v1/tokens", body, token=self.operator), field)
        r = s.request("POST", "/api/v1/tokens", {"user": "no-such-user"}, token=self.admin)
        self.assertStatus(r, 404, "USER_NOT_FOUND")

        # A viewer cannot revoke (nor see) another user's token.
        r = s.request("DELETE", f"/api/v1/tokens/{tok['id']}", token=self.viewer)
        self.assertStatus(r, 404, "TOKEN_NOT_FOUND")
        self.assertStatus(s.request("GET", "/api/v1/auth/me", token=secret), 200)

        # Revoke: the token is dead.
        self.assertEqual(s.request("DELETE", f"/api/v1/tokens/{tok['id']}", token=self.operator).status, 204)
        self.assertStatus(s.request("GET", "/api/v1/auth/me", token=secret), 401, "TOKEN_INVALID")
        r = s.request("GET", "/api/v1/tokens", token=self.operator)
        revoked = [t for t in r.json["data"] if t["id"] == tok["id"]][0]
        self.assertIsNotNone(revoked["revoked_at"])
        self.assertStatus(s.request("DELETE", "/api/v1/tokens/999999", token=self.admin), 404, "TOKEN_NOT_FOUND")
        self.assertStatus(s.request("DELETE", "/api/v1/tokens/x", token=self.admin), 404, "TOKEN_NOT_FOUND")

    def test_token_lifetime_at_least_a_minute(self):
        s = self.server
        for expires in ("1ms", "1s", "59s"):
            with self.subTest(expires=expires):
                r = s.request("POST", "/api/v1/tokens", {"name": "blink", "expires_in": expires}, token=self.admin)
                self.assertFieldError(r, "expires_in")
                self.assertIn("at least 1m", r.field_errors()["expires_in"])
        r = s.request("POST", "/api/v1/tokens", {"name": "minute", "expires_in": "1m"}, token=self.admin)
        self.assertStatus(r, 201)
        self.assertStatus(s.request("GET", "/api/v1/auth/me", token=r.json["data"]["token"]), 200)

    def test_session_cookie_secure_behind_https_proxy(self):
        s = self.server
        body = {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        for proto, secure in ((None, False), ("http", False), ("https", True)):
            with self.subTest(proto=proto):
                headers = {"X-Forwarded-Proto": proto} if proto else {}
                r = s.request("POST", "/api/v1/auth/login", body, headers=headers)
                self.assertStatus(r, 200)
                attrs = [a.strip().lower() for a in r.header("Set-Cookie").split(";")]
                self.assertEqual("secure" in attrs, secure, attrs)
                cookie = r.header("Set-Cookie").split(";", 1)[0]
                r = s.request("POST", "/api/v1/auth/logout", headers=dict(headers, Cookie=cookie,
                                                                           **{"X-CSRF-Token": r.json["data"]["csrf_token"]}))
                self.assertEqual(r.status, 204, r)
                attrs = [a.strip().lower() for a in r.header("Set-Cookie").split(";")]
                self.assertEqual("secure" in attrs, secure, attrs)

    def test_zz_audit(self):
        s = self.server
        node = s.create_node(name="audited", type="iot")
        r = s.request("GET", "/api/v1/audit?per_page=200", token=self.admin)
        self.assertStatus(r, 200)
        entries = r.json["data"]
        actions = {e["action"] for e in entries}
        for a in ("node.create", "user.create", "token.create"):
            self.assertIn(a, actions)
        for e in entries:
            for k in ("actor", "action", "target", "remote", "at"):
                self.assertIn(k, e)
            self.assertRegex(e["at"], r"^\d{4}-\d\d-\d\dT")
        nc = [e for e in entries if e["action"] == "node.create" and e["target"] == str(node["id"])]
        self.assertEqual(len(nc), 1, entries[:5])
        self.assertEqual(nc[0]["actor"], ADMIN_USER)
        self.assertEqual(nc[0]["remote"], "127.0.0.1")
        uc = [e for e in entries if e["action"] == "user.create"]
        self.assertTrue(any("vera" in (e["target"] + str(e["details"])) for e in uc), uc)
        # Newest first.
        ids = [e["id"] for e in entries]
        self.assertEqual(ids, sorted(ids, reverse=True))
        # No secrets in the audit log.
        self.assertNotIn(self.admin, r.body.decode())
        self.assertNotIn(ADMIN_PASSWORD, r.body.decode())
        # Filters.
        r = s.request("GET", "/api/v1/audit?action=node.*", token=self.admin)
        self.assertTrue(r.json["data"])
        self.assertTrue(all(e["action"].startswith("node.") for e in r.json["data"]))
        r = s.request("GET", "/api/v1/audit?actor=otto", token=self.admin)
        self.assertTrue(all(e["actor"] == "otto" for e in r.json["data"]))
        # Non-admins.
        self.assertStatus(s.request("GET", "/api/v1/audit", token=self.viewer), 403, "FORBIDDEN")
        self.assertStatus(s.request("GET", "/api/v1/audit", token=self.operator), 403, "FORBIDDEN")
        self.assertStatus(s.request("GET", "/api/v1/audit"), 401)


def login_from(port, address, username, password):
    """POST /api/v1/auth/login from a loopback source address of our choosing."""
    conn = http.client.HTTPConnection(HOST, port, timeout=15, source_address=(address, 0))
    try:
        conn.request("POST", "/api/v1/auth/login", json.dumps({"username": username, "password": password}),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.getheader("Retry-After"), json.loads(r.read() or b"null")
    finally:
        conn.close()


class LoginThrottleTest(ServerTestCase):
    def test_nobody_locks_the_admin_out(self):
        s = self.server
        s.admin_token()
        # Someone guesses at the admin from one address until it is locked out there...
        for _ in range(5):
            self.assertEqual(login_from(s.port, "127.0.0.2", ADMIN_USER, "wrong-password")[0], 401)
        status, retry_after, body = login_from(s.port, "127.0.0.2", ADMIN_USER, ADMIN_PASSWORD)
        self.assertEqual(status, 429, body)
        self.assertEqual(body["error"]["code"], "LOGIN_RATE_LIMITED")
        self.assertGreater(int(retry_after), 60)
        # ...and from others, which slows the admin's logins down but does not lock them.
        for address in ("127.0.0.3", "127.0.0.4"):
            self.assertEqual(login_from(s.port, address, ADMIN_USER, "wrong-password")[0], 401)
        t0 = time.monotonic()
        status, _, body = login_from(s.port, "127.0.0.5", ADMIN_USER, ADMIN_PASSWORD)
        waited = time.monotonic() - t0
        self.assertEqual(status, 200, body)
        self.assertGreater(waited, 1.5)  # the 6th and 7th failures waited 0.5 and 1 s, this one 2 s
        self.assertLess(waited, 6)
        # Other users and addresses are not slowed.
        t0 = time.monotonic()
        self.assertEqual(login_from(s.port, "127.0.0.6", ADMIN_USER, ADMIN_PASSWORD)[0], 200)
        self.assertLess(time.monotonic() - t0, 1)


if __name__ == "__main__":
    unittest.main()
