"""Checks: definitions over the API (validation, filters, pagination, secrets), push checks and
their deadlines, state changes as events and on the WebSocket, node status derived from checks,
result history and samples in the time-series store, state kept across a restart."""

import time
import unittest
import urllib.parse

from telltale_harness import AdminTestCase, Server, wait_until, ws_connect


class ChecksApiTest(AdminTestCase):
    def create(self, **fields):
        r = self.req("POST", "/api/v1/checks", fields)
        self.assertStatus(r, 201)
        return r.json["data"]

    def test_kinds_describe_their_options(self):
        r = self.req("GET", "/api/v1/check-kinds")
        self.assertStatus(r, 200)
        kinds = {k["kind"]: k for k in r.json["data"]}
        self.assertEqual(set(kinds), {"icmp", "tcp", "http", "dns", "snmp", "push"})
        http = {o["name"]: o for o in kinds["http"]["options"]}
        self.assertEqual(http["method"]["choices"][0], "GET")
        self.assertTrue(http["basic_auth_password"]["secret"])
        self.assertIn("latency", [f["name"] for f in kinds["icmp"]["facts"]])
        self.assertTrue(kinds["push"]["passive"])

    def test_validation_reports_each_field(self):
        cases = [
            ({"kind": "http"}, ["name"]),
            ({"name": "v1", "kind": "gopher", "target": "x"}, ["kind"]),
            ({"name": "v2", "kind": "http", "target": "ftp://example"}, ["target"]),
            ({"name": "v3", "kind": "tcp", "target": "127.0.0.1"}, ["target"]),
            ({"name": "v4", "kind": "icmp", "target": "127.0.0.1", "interval": "5x"}, ["interval"]),
            ({"name": "v5", "kind": "icmp", "target": "127.0.0.1", "interval": "2s", "timeout": "3s"}, ["timeout"]),
            ({"name": "v6", "kind": "icmp", "target": "127.0.0.1", "options": {"packets": 1000, "ttl": 3}},
             ["options.packets", "options.ttl"]),
            ({"name": "v7", "kind": "http", "target": "http://127.0.0.1/", "node_id": 999999}, ["node_id"]),
            ({"name": "v8", "kind": "http", "target": "http://127.0.0.1/", "labels": {"node": "x"}}, ["labels.node"]),
        ]
        for body, fields in cases:
            r = self.req("POST", "/api/v1/checks", body)
            for f in fields:
                self.assertFieldError(r, f)
        r = self.req("POST", "/api/v1/checks", b"{not json", headers={"Content-Type": "application/json"})
        self.assertStatus(r, 400)

    def test_crud_filters_pagination_and_secrets(self):
        node = self.server.create_node(name="crud-node", type="vm")
        a = self.create(name="crud-http", kind="http", target="http://127.0.0.1:9/", interval="1m", enabled=False,
                        node_id=node["id"], labels={"team": "web"},
                        options={"basic_auth_user": "u", "basic_auth_password": "hunter2"})
        self.assertEqual(a["state"], "paused")
        self.assertEqual(a["options"]["basic_auth_password"], "********")
        self.assertEqual(a["interval"], "1m")
        self.assertNotIn("hunter2", self.req("GET", f"/api/v1/checks/{a['id']}").body.decode())
        r = self.req("POST", "/api/v1/checks", {"name": "crud-http", "kind": "push"})
        self.assertStatus(r, 409, "CHECK_EXISTS")
        for i in range(5):
            self.create(name=f"crud-push-{i}", kind="push", interval="1h", enabled=False, labels={"team": "ops"})

        r = self.req("GET", "/api/v1/checks?kind=push&label=team=ops&per_page=2&page=2&sort=-name")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["pagination"]["total"], 5)
        self.assertEqual([c["name"] for c in r.json["data"]], ["crud-push-2", "crud-push-1"])
        r = self.req("GET", f"/api/v1/checks?node={node['id']}")
        self.assertEqual([c["name"] for c in r.json["data"]], ["crud-http"])
        r = self.req("GET", "/api/v1/checks?state=paused&q=crud-")
        self.assertEqual(r.json["pagination"]["total"], 6)
        self.assertFieldError(self.req("GET", "/api/v1/checks?state=sleeping"), "state")

        r = self.req("PATCH", f"/api/v1/checks/{a['id']}",
                     {"options": {"basic_auth_user": "v", "basic_auth_password": "********"}, "interval": "30s"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["interval"], "30s")
        self.assertEqual(r.json["data"]["options"]["basic_auth_user"], "v")
        r = self.req("GET", "/api/v1/events?topic=checks&limit=1000")
        updates = [e for e in r.json["data"] if e["kind"] == "check.updated" and e["subject"] == str(a["id"])]
        self.assertEqual(sorted(updates[-1]["data"]["changed"]), ["interval", "options"])
        self.assertNotIn("hunter2", r.body.decode())

        self.assertStatus(self.req("DELETE", f"/api/v1/checks/{a['id']}"), 204)
        self.assertStatus(self.req("GET", f"/api/v1/checks/{a['id']}"), 404, "CHECK_NOT_FOUND")
        self.assertStatus(self.req("POST", f"/api/v1/checks/{a['id']}/run"), 404, "CHECK_NOT_FOUND")

    def test_push_lifecycle_node_status_and_live_events(self):
        node = self.server.create_node(name="push-node", type="baremetal")
        ws = ws_connect(self.server.port, token=self.token)
        ws.subscribe(["checks", "nodes"])
        a = self.create(name="push-a", kind="push", interval="1s", options={"grace": "500ms"}, retries=2,
                        node_id=node["id"])
        b = self.create(name="push-b", kind="push", interval="1h", node_id=node["id"])
        self.assertEqual(a["state"], "pending")
        url_a, url_b = a["push_url"], b["push_url"]

        r = self.server.request("GET", url_a + "?status=up&msg=backup%20ok&value=42&ping=12")  # no credentials
        self.assertStatus(r, 200)
        self.assertStatus(self.server.request("POST", url_b, {"status": "up"}), 200)
        up = ws.wait_json(lambda m: m.get("topic") == "checks" and m.get("data", {}).get("kind") == "check.state_changed"
                          and m["data"]["data"]["name"] == "push-a", timeout=5)
        self.assertEqual(up["data"]["data"]["state"], "up")
        got = wait_until(lambda: self.req("GET", f"/api/v1/checks/{a['id']}").json["data"]["state"] == "up")
        self.assertTrue(got)
        c = self.req("GET", f"/api/v1/checks/{a['id']}").json["data"]
        self.assertEqual(c["last_result"]["facts"]["value"], 42)
        self.assertEqual(c["last_result"]["message"], "backup ok")
        self.assertTrue(wait_until(lambda: self.req("GET", f"/api/v1/nodes/{node['id']}").json["data"]["status"] == "up"))

        # No heartbeat: down after interval + grace, twice in a row (retries = 2), i.e. within ~3.5 s.
        t0 = time.time()
        self.assertTrue(wait_until(lambda: self.req("GET", f"/api/v1/checks/{a['id']}").json["data"]["state"] == "down",
                                   timeout=8))
        self.assertGreater(time.time() - t0, 2.0)
        c = self.req("GET", f"/api/v1/checks/{a['id']}").json["data"]
        self.assertEqual(c["last_result"]["error"], "no_heartbeat")
        self.assertTrue(wait_until(
            lambda: self.req("GET", f"/api/v1/nodes/{node['id']}").json["data"]["status"] == "degraded"))
        ws.wait_json(lambda m: m.get("topic") == "nodes" and m["data"]["data"].get("node", {}).get("status") == "degraded",
                     timeout=5)

        # An explicit down report counts as a failure; one success brings it back up.
        self.assertStatus(self.server.request("GET", url_b + "?status=down&msg=disk%20full"), 200)
        self.assertStatus(self.server.request("GET", url_a + "?status=up"), 200)
        self.assertTrue(wait_until(lambda: self.req("GET", f"/api/v1/checks/{a['id']}").json["data"]["state"] == "up"))
        self.assertTrue(wait_until(lambda: self.req("GET", f"/api/v1/checks/{b['id']}").json["data"]["state"] == "down"))
        self.assertTrue(wait_until(
            lambda: self.req("GET", f"/api/v1/nodes/{node['id']}").json["data"]["status"] == "degraded"))

        # A node's status follows when a check leaves it: b (down) moves away, a (up) stays.
        other = self.server.create_node(name="push-other", type="vm")
        self.assertStatus(self.req("PATCH", f"/api/v1/checks/{b['id']}", {"node_id": other["id"]}), 200)
        def node_up_while_a_beats():
            self.server.request("GET", url_a)  # keeps a up however slow this machine is
            return self.req("GET", f"/api/v1/nodes/{node['id']}").json["data"]["status"] == "up"
        self.assertTrue(wait_until(node_up_while_a_beats, step=0.2))
        self.assertTrue(wait_until(lambda: self.req("GET", f"/api/v1/nodes/{other['id']}").json["data"]["status"] == "down"))
        self.assertStatus(self.req("DELETE", f"/api/v1/checks/{b['id']}"), 204)
        self.assertTrue(wait_until(
            lambda: self.req("GET", f"/api/v1/nodes/{other['id']}").json["data"]["status"] == "unknown"))

        # Bad heartbeats and unknown URLs.
        self.assertFieldError(self.server.request("GET", url_a + "?status=maybe"), "status")
        self.assertFieldError(self.server.request("GET", url_a + "?value=abc"), "value")
        self.assertStatus(self.server.request("GET", "/api/v1/push/0123456789abcdef0123456789abcdef"), 404,
                          "PUSH_TOKEN_UNKNOWN")
        self.assertStatus(self.req("POST", f"/api/v1/checks/{a['id']}/run"), 409, "CHECK_IS_PASSIVE")
        ws.close()

        # History: every run with its numbers (from the store) and words (from the outcome stretches).
        def history():
            r = self.req("GET", f"/api/v1/checks/{a['id']}/results?limit=1000")
            self.assertStatus(r, 200)
            rows = r.json["data"]
            return rows if any(x["message"] == "no heartbeat within 1s500ms" for x in rows) else None
        rows = wait_until(history, timeout=5)
        self.assertTrue(rows, "no history with the missed heartbeats")
        self.assertTrue(rows[0]["at"] >= rows[-1]["at"])
        self.assertIn(True, [x["up"] for x in rows])
        self.assertIn("backup ok", [x["message"] for x in rows])
        q = urllib.parse.quote('probe_up{check="push-a",node="push-node",kind="push"}')
        now = int(time.time() * 1000)
        r = self.req("GET", f"/api/v1/query_range?match={q}&from={now - 60000}&to={now + 1000}")
        self.assertStatus(r, 200)
        values = r.json["data"]["series"][0]["values"]
        self.assertIn(0, values)
        self.assertIn(1, values)
        r = self.req("GET", f"/api/v1/query_range?match=probe_push_value&from={now - 60000}&to={now + 1000}")
        self.assertEqual(r.json["data"]["series"][0]["values"][0], 42)

    def test_paused_checks_ignore_heartbeats(self):
        c = self.create(name="paused-push", kind="push", interval="1s", enabled=False)
        self.assertStatus(self.server.request("GET", c["push_url"]), 409, "CHECK_PAUSED")
        r = self.req("PATCH", f"/api/v1/checks/{c['id']}", {"enabled": True})
        self.assertEqual(r.json["data"]["state"], "pending")
        self.assertStatus(self.server.request("GET", c["push_url"]), 200)
        self.assertTrue(wait_until(lambda: self.req("GET", f"/api/v1/checks/{c['id']}").json["data"]["state"] == "up"))


class ChecksRestartTest(unittest.TestCase):
    def test_state_survives_restart(self):
        server = Server().start()
        try:
            token = server.admin_token()
            r = server.request("POST", "/api/v1/checks", {"name": "nightly", "kind": "push", "interval": "1h"},
                                token=token)
            c = r.json["data"]
            server.request("GET", c["push_url"] + "?msg=done")
            self.assertTrue(wait_until(
                lambda: server.request("GET", f"/api/v1/checks/{c['id']}", token=token).json["data"]["state"] == "up"))
            since = server.request("GET", f"/api/v1/checks/{c['id']}", token=token).json["data"]["since"]
            # Runs that change no state: their last result is written at the stop, not each time.
            server.request("GET", c["push_url"] + "?msg=again")
            server.request("GET", c["push_url"] + "?msg=latest")
            self.assertTrue(wait_until(lambda: server.request("GET", f"/api/v1/checks/{c['id']}", token=token)
                                       .json["data"]["last_result"]["message"] == "latest"))
            time.sleep(1.5)  # the recorder takes results about once a second
            server.stop()
            server.start()
            r = server.request("GET", f"/api/v1/checks/{c['id']}", token=token)
            self.assertEqual(r.json["data"]["state"], "up")
            self.assertEqual(r.json["data"]["since"], since)
            self.assertEqual(r.json["data"]["last_result"]["message"], "latest")
        finally:
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
