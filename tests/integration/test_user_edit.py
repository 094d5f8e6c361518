"""Users edited after they exist: one's own password (with the current one), and an admin's change
of a user's role or password, with what each does to sessions and the audit log."""

import unittest

from telltale_harness import ADMIN_USER, ServerTestCase, WebSocket

PW = "password-" + "x" * 8
NEW_PW = "another-password-" + "y" * 4


class UserEditTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.server.admin_token()

    def user_id(self, name):
        r = self.server.request("GET", "/api/v1/users", token=self.admin)
        return next(u["id"] for u in r.json["data"] if u["name"] == name)

    def session(self, name, password):
        """(headers of a signed-in session, its cookie) for name."""
        r = self.server.request("POST", "/api/v1/auth/login", {"username": name, "password": password})
        self.assertStatus(r, 200)
        cookie = r.header("Set-Cookie").split(";", 1)[0]
        return {"Cookie": cookie, "X-CSRF-Token": r.json["data"]["csrf_token"]}

    def test_own_password_needs_the_current_one_and_ends_other_sessions(self):
        s = self.server
        s.create_user("pia", "viewer", PW)
        here, other = self.session("pia", PW), self.session("pia", PW)
        token = s.token_for("pia", PW)
        r = s.request("POST", "/api/v1/auth/password", {"current_password": "wrong-password", "new_password": NEW_PW},
                      headers=here)
        self.assertFieldError(r, "current_password")
        r = s.request("POST", "/api/v1/auth/password", {"current_password": PW, "new_password": "short"}, headers=here)
        self.assertFieldError(r, "new_password")
        r = s.request("POST", "/api/v1/auth/password", {"current_password": PW}, headers=here)
        self.assertFieldError(r, "new_password")
        r = s.request("POST", "/api/v1/auth/password", {"current_password": PW, "new_password": NEW_PW}, headers=here)
        self.assertStatus(r, 204)
        # This session stays, the other ends; tokens are not sessions and stay.
        self.assertStatus(s.request("GET", "/api/v1/auth/me", headers=here), 200)
        self.assertStatus(s.request("GET", "/api/v1/auth/me", headers=other), 401, "SESSION_INVALID")
        self.assertStatus(s.request("GET", "/api/v1/auth/me", token=token), 200)
        r = s.request("POST", "/api/v1/auth/login", {"username": "pia", "password": PW})
        self.assertStatus(r, 401, "INVALID_CREDENTIALS")
        self.session("pia", NEW_PW)
        audit = s.request("GET", "/api/v1/audit?action=user.password", token=self.admin).json["data"]
        self.assertEqual([(e["actor"], e["target"]) for e in audit if e["target"] == "pia"], [("pia", "pia")])
        # A token may change its user's password too (nothing to keep open).
        r = s.request("POST", "/api/v1/auth/password", {"current_password": NEW_PW, "new_password": PW}, token=token)
        self.assertStatus(r, 204)
        self.assertStatus(s.request("GET", "/api/v1/auth/me", headers=here), 401)

    def test_wrong_current_passwords_are_limited_as_logins(self):
        s = self.server
        s.create_user("quin", "viewer", PW)
        here = self.session("quin", PW)
        statuses = [s.request("POST", "/api/v1/auth/password",
                              {"current_password": f"guess-{i:04d}", "new_password": NEW_PW}, headers=here).status
                    for i in range(6)]
        self.assertEqual(statuses, [422] * 5 + [429])
        r = s.request("POST", "/api/v1/auth/password", {"current_password": PW, "new_password": NEW_PW}, headers=here)
        self.assertStatus(r, 429, "LOGIN_RATE_LIMITED")
        self.assertIsNotNone(r.header("Retry-After"))

    def test_admin_changes_a_role_and_it_holds_at_once(self):
        s = self.server
        s.create_user("rolf", "viewer", PW)
        rolf = self.session("rolf", PW)
        rid = self.user_id("rolf")
        self.assertStatus(s.request("POST", "/api/v1/nodes", {"name": "by-rolf", "type": "vm"}, headers=rolf), 403)
        r = s.request("PATCH", f"/api/v1/users/{rid}", {"role": "operator"}, token=self.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["role"], "operator")
        self.assertStatus(s.request("POST", "/api/v1/nodes", {"name": "by-rolf", "type": "vm"}, headers=rolf), 201)
        self.assertEqual(s.request("GET", "/api/v1/auth/me", headers=rolf).json["data"]["role"], "operator")
        audit = s.request("GET", "/api/v1/audit?action=user.role", token=self.admin).json["data"]
        mine = [e for e in audit if e["target"] == "rolf"]
        self.assertEqual(mine[0]["details"], {"id": rid, "from": "viewer", "to": "operator"})
        self.assertEqual(mine[0]["actor"], ADMIN_USER)
        # Only admins change roles, with a role that exists, and nothing else in the body.
        self.assertStatus(s.request("PATCH", f"/api/v1/users/{rid}", {"role": "admin"}, headers=rolf), 403, "FORBIDDEN")
        self.assertFieldError(s.request("PATCH", f"/api/v1/users/{rid}", {"role": "root"}, token=self.admin), "role")
        self.assertFieldError(s.request("PATCH", f"/api/v1/users/{rid}", {"name": "x"}, token=self.admin), "name")
        self.assertStatus(s.request("PATCH", f"/api/v1/users/{rid}", {}, token=self.admin), 422)
        self.assertStatus(s.request("PATCH", "/api/v1/users/99999", {"role": "viewer"}, token=self.admin), 404,
                          "USER_NOT_FOUND")

    def test_the_last_admin_keeps_the_role(self):
        s = self.server
        admin_id = self.user_id(ADMIN_USER)
        r = s.request("PATCH", f"/api/v1/users/{admin_id}", {"role": "viewer"}, token=self.admin)
        self.assertStatus(r, 409, "LAST_ADMIN")
        s.create_user("sid", "admin", PW)
        sid = self.user_id("sid")
        self.assertStatus(s.request("PATCH", f"/api/v1/users/{sid}", {"role": "viewer"}, token=self.admin), 200)

    def test_admin_sets_a_forgotten_password(self):
        s = self.server
        s.create_user("tove", "operator", PW)
        tove = self.session("tove", PW)
        ws, resp, _ = WebSocket.handshake(s.port, {"Cookie": tove["Cookie"], "Origin": f"http://127.0.0.1:{s.port}"})
        self.assertEqual(resp.status, 101, resp)
        tid = self.user_id("tove")
        self.assertFieldError(s.request("PATCH", f"/api/v1/users/{tid}", {"password": "short"}, token=self.admin),
                              "password")
        r = s.request("PATCH", f"/api/v1/users/{tid}", {"password": NEW_PW}, token=self.admin)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["name"], "tove")
        self.assertStatus(s.request("GET", "/api/v1/auth/me", headers=tove), 401, "SESSION_INVALID")
        self.assertEqual(ws.expect_close(timeout=5), 1008)
        ws.close()
        self.session("tove", NEW_PW)


if __name__ == "__main__":
    unittest.main()
