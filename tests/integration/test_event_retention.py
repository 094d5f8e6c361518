"""The event log is pruned in the store's maintenance passes (every 10 s): past `--events-max`
events the oldest go, and so do events older than `--events-retention`; the newest stay."""

import unittest

from telltale_harness import AdminTestCase, run_cli, wait_until


class EventsMixin:
    def all_events(self):
        out, after = [], 0
        while True:
            r = self.req("GET", f"/api/v1/events?limit=1000&after={after}")
            self.assertStatus(r, 200)
            out += r.json["data"]
            if len(r.json["data"]) < 1000:
                return out
            after = out[-1]["id"]

    def create_nodes(self, prefix, n):
        for i in range(n):
            self.assertStatus(self.req("POST", "/api/v1/nodes", {"name": f"{prefix}{i}", "type": "vm"}), 201)


class EventCountTest(EventsMixin, AdminTestCase):
    server_args = ("--events-max", "25")

    def test_past_events_max_the_oldest_go(self):
        self.create_nodes("n", 60)
        self.assertGreaterEqual(len(self.all_events()), 60)
        self.assertTrue(wait_until(lambda: len(self.all_events()) <= 25, timeout=30), len(self.all_events()))
        kept = self.all_events()
        self.assertGreater(len(kept), 0)
        self.assertEqual(kept[-1]["data"]["node"]["name"], "n59")  # the newest stay


class EventAgeTest(EventsMixin, AdminTestCase):
    server_args = ("--events-retention", "3s")

    def test_events_older_than_events_retention_go(self):
        self.create_nodes("old", 5)
        self.assertGreaterEqual(len(self.all_events()), 5)
        self.assertTrue(wait_until(lambda: not self.all_events(), timeout=30), self.all_events())
        self.create_nodes("new", 1)
        self.assertEqual([e["data"]["node"]["name"] for e in self.all_events()], ["new0"])


class EventFlagsTest(unittest.TestCase):
    def test_bad_values_are_refused(self):
        for args, message in ((["--events-retention", "0s"], "at least 1s"), (["--events-retention", "soon"], "at least 1s"),
                              (["--events-max", "0"], "--events-max")):
            with self.subTest(args=args):
                r = run_cli(["serve", "--listen", "127.0.0.1:0", *args])
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(message, r.stderr + r.stdout)
