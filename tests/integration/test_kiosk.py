"""Kiosk links: an admin makes a read-only link for a wall screen; its token reads the wall
screen's routes (nodes, firing alerts, node availability) and nothing else, is refused the
WebSocket, stops at once when revoked, and is never stored in clear."""

import glob
import unittest

from telltale_harness import ServerTestCase, WebSocket


class KioskTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        cls.admin = s.admin_token()
        # Tokens of the roles below admin, which may not manage links.
        cls.lesser = [s.token_for(s.create_user(role + "-1", role)["name"]) for role in ("viewer", "operator")]
        cls.node = s.create_node(name="wall-node", type="vm", address="127.0.0.1")

    def make_link(self, name="lobby"):
        r = self.server.request("POST", "/api/v1/kiosk-links", {"name": name}, token=self.admin)
        self.assertStatus(r, 201)
        return r.json["data"]

    def kiosk(self, method, path, token, body=None):
        return self.server.request(method, path, body, headers={"Authorization": "Kiosk " + token})

    def test_only_admins_manage_links(self):
        for who in self.lesser:
            for method, path, body in (("POST", "/api/v1/kiosk-links", {"name": "x"}),
                                       ("GET", "/api/v1/kiosk-links", None),
                                       ("DELETE", "/api/v1/kiosk-links/1", None)):
                with self.subTest(method=method, path=path):
                    self.assertStatus(self.server.request(method, path, body, token=who), 403, "FORBIDDEN")
        self.assertStatus(self.server.request("GET", "/api/v1/kiosk-links"), 401, "UNAUTHENTICATED")
        r = self.server.request("POST", "/api/v1/kiosk-links", {"name": ""}, token=self.admin)
        self.assertFieldError(r, "name")
        r = self.server.request("POST", "/api/v1/kiosk-links", {"name": "x", "role": "admin"}, token=self.admin)
        self.assertFieldError(r, "role")
        # Checked as other names are: no bidirectional controls that make one name read as another.
        r = self.server.request("POST", "/api/v1/kiosk-links", {"name": "lobby\u202e"}, token=self.admin)
        self.assertFieldError(r, "name")
        r = self.server.request("DELETE", "/api/v1/kiosk-links/9999", token=self.admin)
        self.assertStatus(r, 404, "KIOSK_LINK_NOT_FOUND")

    def test_link_reads_the_wall_screen_and_nothing_else(self):
        s = self.server
        link = self.make_link()
        token = link["token"]
        self.assertTrue(token.startswith("ttk_"))
        self.assertEqual(link["prefix"], token[:12])
        self.assertEqual(link["created_by"], "admin")
        # Listed without the token.
        r = s.request("GET", "/api/v1/kiosk-links", token=self.admin)
        self.assertStatus(r, 200)
        listed = [l for l in r.json["data"] if l["id"] == link["id"]]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("token", listed[0])

        for path in ("/api/v1/nodes?sort=name&per_page=500", "/api/v1/alerts?state=firing&per_page=1",
                     "/api/v1/availability/nodes"):
            with self.subTest(path=path):
                self.assertStatus(self.kiosk("GET", path, token), 200)
        names = [n["name"] for n in self.kiosk("GET", "/api/v1/nodes", token).json["data"]]
        self.assertIn("wall-node", names)
        # (by node id; a node with no checks has no entry)
        self.assertIsInstance(self.kiosk("GET", "/api/v1/availability/nodes", token).json["data"], dict)

        nid = self.node["id"]
        refused = [
            ("GET", f"/api/v1/nodes/{nid}", None),
            ("POST", "/api/v1/nodes", {"name": "k", "type": "vm"}),
            ("PATCH", f"/api/v1/nodes/{nid}", {"name": "renamed"}),
            ("DELETE", f"/api/v1/nodes/{nid}", None),
            ("GET", "/api/v1/users", None),
            ("POST", "/api/v1/users", {"name": "eve", "role": "admin", "password": "x" * 12}),
            ("GET", "/api/v1/tokens", None),
            ("POST", "/api/v1/tokens", {"name": "steal"}),
            ("GET", "/api/v1/kiosk-links", None),
            ("POST", "/api/v1/kiosk-links", {"name": "more"}),
            ("DELETE", f"/api/v1/kiosk-links/{link['id']}", None),
            ("GET", "/api/v1/channels", None),
            ("GET", "/api/v1/channel-kinds", None),
            ("GET", "/api/v1/events", None),
            ("GET", "/api/v1/audit", None),
            ("GET", "/api/v1/export", None),
            ("GET", "/api/v1/checks", None),
            ("GET", "/api/v1/availability/checks", None),
            ("GET", "/api/v1/alert-rules", None),
            ("GET", "/api/v1/auth/me", None),
            ("POST", "/api/v1/auth/logout", None),
            ("GET", "/api/v1/enrolment-tokens", None),
            ("POST", "/api/v1/backup", None),
            ("GET", "/api/v1/query_range?query=up&start=0&end=1&step=1", None),
            ("GET", "/prometheus/api/v1/query?query=up", None),
            ("POST", "/api/v1/samples", {"samples": []}),
        ]
        before = s.metric_value("telltale_kiosk_requests_total", {"outcome": "refused"}) or 0
        for method, path, body in refused:
            with self.subTest(method=method, path=path):
                self.assertStatus(self.kiosk(method, path, token, body), 403, "KIOSK_FORBIDDEN")
        self.assertEqual(s.metric_value("telltale_kiosk_requests_total", {"outcome": "refused"}),
                         before + len(refused))
        self.assertGreaterEqual(s.metric_value("telltale_kiosk_requests_total", {"outcome": "served"}), 5)
        # Nothing changed.
        r = s.request("GET", f"/api/v1/nodes/{nid}", token=self.admin)
        self.assertEqual(r.json["data"]["name"], "wall-node")
        # The link as a Bearer token is no API token.
        r = s.request("GET", "/api/v1/nodes", token=token)
        self.assertStatus(r, 401, "TOKEN_INVALID")

        # The WebSocket is refused: the wall screen polls.
        ws, resp, _ = WebSocket.handshake(s.port, {"Authorization": "Kiosk " + token})
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 403, resp)
        self.assertEqual(resp.json["error"]["code"], "KIOSK_FORBIDDEN")
        # ... and so is the socket agents and scripts push on.
        ws, resp, _ = WebSocket.handshake(s.port, {"Authorization": "Kiosk " + token}, path="/api/v1/ingest")
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 401, resp)

    def test_revoked_link_is_refused_at_once(self):
        s = self.server
        link = self.make_link("to-revoke")
        token = link["token"]
        self.assertStatus(self.kiosk("GET", "/api/v1/nodes", token), 200)
        r = s.request("DELETE", f"/api/v1/kiosk-links/{link['id']}", token=self.admin)
        self.assertStatus(r, 204)
        self.assertStatus(self.kiosk("GET", "/api/v1/nodes", token), 401, "KIOSK_LINK_INVALID")
        self.assertStatus(self.kiosk("GET", "/api/v1/availability/nodes", token), 401, "KIOSK_LINK_INVALID")
        r = s.request("GET", "/api/v1/kiosk-links", token=self.admin)
        revoked = [l for l in r.json["data"] if l["id"] == link["id"]][0]
        self.assertIsNotNone(revoked["revoked_at"])
        self.assertIsNotNone(revoked["last_used_at"])
        # Unknown tokens too.
        for bad in ("ttk_nope", token[:-1], "tt_" + token[4:], ""):
            with self.subTest(bad=bad):
                self.assertStatus(self.kiosk("GET", "/api/v1/nodes", bad), 401)
        audit = s.request("GET", "/api/v1/audit?action=kiosk_link.*", token=self.admin).json["data"]
        actions = {(e["action"], e["details"]["id"]) for e in audit}
        self.assertIn(("kiosk_link.create", link["id"]), actions)
        self.assertIn(("kiosk_link.revoke", link["id"]), actions)

    def test_token_is_not_stored_in_clear(self):
        link = self.make_link("secret-check")
        token = link["token"].encode()
        secret = link["token"][4:].encode()
        self.assertStatus(self.kiosk("GET", "/api/v1/nodes", link["token"]), 200)
        # Everything the server wrote: the database, its WAL, the sample log.
        files = [f for f in glob.glob(self.server.data_dir + "/**", recursive=True) if not f.endswith("/")]
        self.assertTrue(any(f.endswith(".db") for f in files), files)
        for path in files:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except (IsADirectoryError, PermissionError):
                continue
            with self.subTest(path=path):
                self.assertNotIn(token, data)
                self.assertNotIn(secret, data)


class KioskBasePathTest(ServerTestCase):
    """Under `--base-path`, the wall screen's page and its reads live under the prefix."""

    server_args = ("--base-path", "/tt")

    def test_link_under_the_base_path(self):
        s = self.server
        admin = s.admin_token()
        r = s.request("POST", "/tt/api/v1/kiosk-links", {"name": "wall"}, token=admin)
        self.assertStatus(r, 201)
        token = r.json["data"]["token"]
        page = s.request("GET", "/tt/?kiosk=" + token)
        self.assertStatus(page, 200)
        self.assertIn(b'name="telltale-base" content="/tt"', page.body)
        r = s.request("GET", "/tt/api/v1/nodes", headers={"Authorization": "Kiosk " + token})
        self.assertStatus(r, 200)
        r = s.request("GET", "/tt/api/v1/users", headers={"Authorization": "Kiosk " + token})
        self.assertStatus(r, 403, "KIOSK_FORBIDDEN")


if __name__ == "__main__":
    unittest.main()
