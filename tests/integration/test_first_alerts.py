"""The first ten minutes of alerting against the real binary and real peers on loopback: a fresh
server has the built-in alert rules (ordinary rules: a deleted one stays deleted across a restart);
a new or changed check runs at once; POST /api/v1/checks/test runs an unsaved check once (validated
as a create is, operators only, a few at a time) and stores nothing; and a check that goes down
reaches a webhook through the built-in CheckDown rule, with no rule written by hand."""

import socket
import threading
import time
import unittest

from notify_peers import WebhookReceiver
from probe_peers import HttpPeer, closed_port
from telltale_harness import AdminTestCase, Server, wait_until

BUILTIN = {"check_down": "CheckDown", "node_down": "NodeDown", "certificate_expiring": "CertificateExpiringSoon",
           "packet_loss": "PacketLossHigh"}


def builtin_rules(server, token):
    rules = server.request("GET", "/api/v1/alert-rules?per_page=100", token=token).json["data"]
    return {r["builtin"]: r for r in rules if r["builtin"]}


class BuiltinRulesTest(unittest.TestCase):
    def test_created_once_and_a_deleted_one_stays_deleted(self):
        server = Server().start()
        try:
            token = server.admin_token()
            rules = builtin_rules(server, token)
            self.assertEqual({k: r["name"] for k, r in rules.items()}, BUILTIN)
            for r in rules.values():
                self.assertTrue(r["enabled"])
                self.assertEqual(r["channels"], [])
            self.assertEqual(rules["check_down"]["kind"], "check_state")
            self.assertTrue(any("built-in alert rules created: CheckDown" in line for line in server.lines))
            # Ordinary rules: edited and deleted like any.
            r = server.request("PATCH", f"/api/v1/alert-rules/{rules['packet_loss']['id']}", {"for": "10m"}, token=token)
            self.assertEqual(r.status, 200, r)
            r = server.request("DELETE", f"/api/v1/alert-rules/{rules['check_down']['id']}", token=token)
            self.assertEqual(r.status, 204, r)
            # The events and audit log say who made them: the server.
            events = server.request("GET", "/api/v1/events?topic=alerts&limit=100", token=token).json["data"]
            made = [e for e in events if e["kind"] == "alert_rule.created"]
            self.assertEqual({e["actor"] for e in made}, {"system"})

            server.keep_port()
            server.stop()
            server.start()
            rules = builtin_rules(server, token)
            self.assertNotIn("check_down", rules)
            self.assertEqual(rules["packet_loss"]["for"], "10m")
            self.assertFalse(any("built-in alert rules created" in line for line in server.lines))
            # Export leaves out what apply cannot take.
            exported = server.request("GET", "/api/v1/export", token=token).json["data"]
            exported_rules = exported["alert-rules"]
            self.assertEqual(len(exported_rules), 3)
            for rule in exported_rules:
                self.assertNotIn("builtin", rule)
        finally:
            server.stop()
            server.cleanup()


class PeerTestCase(AdminTestCase):
    """An admin's server and an HTTP peer for its checks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = HttpPeer()

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()
        super().tearDownClass()


class CheckRunsAtOnceTest(PeerTestCase):

    def check(self, cid):
        return self.req("GET", f"/api/v1/checks/{cid}").json["data"]

    def test_created_and_changed_checks_run_at_once(self):
        # An hour's interval: only the run at creation can make it up within seconds.
        r = self.req("POST", "/api/v1/checks", {"name": "hourly", "kind": "http", "target": self.peer.url + "/ok",
                                                "interval": "1h"})
        self.assertStatus(r, 201)
        cid = r.json["data"]["id"]
        self.assertTrue(wait_until(lambda: self.check(cid)["state"] == "up", 5), self.check(cid))
        # A change of target runs the new definition at once.
        r = self.req("PATCH", f"/api/v1/checks/{cid}", {"target": self.peer.url + "/fail"})
        self.assertStatus(r, 200)
        self.assertTrue(wait_until(lambda: self.check(cid)["state"] == "down", 5), self.check(cid))
        self.assertEqual(self.check(cid)["last_result"]["error"], "status")


class CheckTestTest(PeerTestCase):

    def test_runs_an_unsaved_check_and_stores_nothing(self):
        body = {"name": "draft", "kind": "http", "target": self.peer.url + "/ok", "conditions": ["body contains \"ok\""]}
        r = self.req("POST", "/api/v1/checks/test", body)
        self.assertStatus(r, 200)
        result = r.json["data"]
        self.assertTrue(result["up"], result)
        self.assertEqual(result["facts"]["status"], 200)
        names = [m["name"] for m in result["metrics"]]
        self.assertEqual(names[:2], ["probe_up", "probe_duration_seconds"])
        self.assertIn("probe_http_status_code", names)
        # A condition that fails makes the run down, with the condition as its message.
        r = self.req("POST", "/api/v1/checks/test", {**body, "conditions": ["status == 201"]})
        self.assertFalse(r.json["data"]["up"])
        self.assertEqual(r.json["data"]["error"], "condition")
        # Nothing was stored: no check, no series.
        self.assertEqual(self.req("GET", "/api/v1/checks?q=draft").json["data"], [])
        r = self.req("GET", "/prometheus/api/v1/query?query=probe_up%7Bcheck%3D%22draft%22%7D")
        self.assertEqual(r.json["data"]["result"], [])
        # A name already taken is no reason to refuse a test (the edit form tests its changes).
        self.assertStatus(self.req("POST", "/api/v1/checks", {**body, "name": "taken"}), 201)
        self.assertStatus(self.req("POST", "/api/v1/checks/test", {**body, "name": "taken"}), 200)

    def test_refused_as_a_create_would_be(self):
        r = self.req("POST", "/api/v1/checks/test", {"name": "x", "kind": "http", "target": "ftp://example.org/"})
        self.assertFieldError(r, "target")
        r = self.req("POST", "/api/v1/checks/test", {"name": "x", "kind": "http"})
        self.assertFieldError(r, "target")
        r = self.req("POST", "/api/v1/checks/test", {"name": "x", "kind": "http", "target": self.peer.url,
                                                     "node_id": 999999})
        self.assertFieldError(r, "node_id")
        r = self.req("POST", "/api/v1/checks/test", {"name": "x", "kind": "push"})
        self.assertStatus(r, 409, "CHECK_IS_PASSIVE")
        self.assertStatus(self.req("POST", "/api/v1/checks/test", [1]), 400)
        self.server.create_user("tester-viewer", "viewer")
        viewer = self.server.token_for("tester-viewer")
        r = self.server.request("POST", "/api/v1/checks/test", {"name": "x", "kind": "http", "target": self.peer.url},
                                token=viewer)
        self.assertStatus(r, 403, "FORBIDDEN")

    def test_a_few_at_a_time(self):
        # A listener that never answers holds each test for its timeout.
        hold = socket.socket()
        hold.bind(("127.0.0.1", 0))
        hold.listen(16)
        url = f"http://127.0.0.1:{hold.getsockname()[1]}/"
        answers = []

        def one():
            answers.append(self.req("POST", "/api/v1/checks/test",
                                    {"name": "slow", "kind": "http", "target": url, "timeout": "2s"}, timeout=15))

        # Two at a time: with the default four HTTP threads, two stay free for everyone else.
        threads = [threading.Thread(target=one) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        busy = self.req("POST", "/api/v1/checks/test", {"name": "slow", "kind": "http", "target": url, "timeout": "2s"})
        for t in threads:
            t.join()
        hold.close()
        self.assertStatus(busy, 429, "CHECK_TESTS_BUSY")
        self.assertEqual([a.json["data"]["error"] for a in answers], ["timeout"] * 2)
        # Once they are over, a test runs again.
        r = self.req("POST", "/api/v1/checks/test",
                     {"name": "closed", "kind": "tcp", "target": f"127.0.0.1:{closed_port()}"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["error"], "refused")


class CheckDownReachesWebhookTest(AdminTestCase):
    def test_builtin_rule_with_a_channel_notifies_without_a_rule_written(self):
        receiver = WebhookReceiver().start()
        peer = HttpPeer()
        try:
            r = self.req("POST", "/api/v1/channels", {"name": "hook", "kind": "webhook",
                                                      "config": {"url": f"http://127.0.0.1:{receiver.port}/hook"}})
            self.assertStatus(r, 201)
            channel = r.json["data"]["id"]
            rule = builtin_rules(self.server, self.token)["check_down"]
            self.assertStatus(self.req("PATCH", f"/api/v1/alert-rules/{rule['id']}", {"channels": [channel]}), 200)
            r = self.req("POST", "/api/v1/checks", {"name": "site", "kind": "http", "target": peer.url + "/ok",
                                                    "interval": "1s", "timeout": "900ms"})
            self.assertStatus(r, 201)
            cid = r.json["data"]["id"]
            self.assertTrue(wait_until(lambda: self.req("GET", f"/api/v1/checks/{cid}").json["data"]["state"] == "up", 5))
            peer.stop()

            def fired():
                return any(b'"CheckDown"' in q["body"] and b'"site"' in q["body"] and b'firing' in q["body"]
                           for q in receiver.requests)

            self.assertTrue(wait_until(fired, 30), receiver.requests)
        finally:
            receiver.stop()


if __name__ == "__main__":
    unittest.main()
