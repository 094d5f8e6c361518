"""A check's recent past from its outcome stretches: the heartbeat bar, uptime and average latency
of checks and nodes, outages, and a node's last contact, checked against the runs the store holds
(probe_up), across a failure and a restart of the server."""

import datetime
import http.server
import socket
import threading
import time
import urllib.parse

from telltale_harness import AdminTestCase, wait_until


def epoch(rfc3339):
    return datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


class Switch(http.server.BaseHTTPRequestHandler):
    """Answers 200 while the server's `up` is true, else 503."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        status = 200 if self.server.up else 503
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class AvailabilityTest(AdminTestCase):
    def setUp(self):
        self.peer = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Switch)
        self.peer.up = True
        self.peer.daemon_threads = True
        threading.Thread(target=self.peer.serve_forever, daemon=True).start()
        self.addCleanup(self.peer.server_close)
        self.addCleanup(self.peer.shutdown)

    def probe_up(self, name):
        q = urllib.parse.urlencode({"match": f'probe_up{{check="{name}"}}', "from": "0"})
        r = self.req("GET", "/api/v1/query_range?" + q)
        self.assertStatus(r, 200)
        series = r.json["data"]["series"]
        return series[0]["values"] if series else []

    def summary(self, of, key, slots=50):
        r = self.req("GET", f"/api/v1/availability/{of}?slots={slots}")
        self.assertStatus(r, 200)
        return r.json["data"].get(str(key))

    def test_bars_uptime_outages_and_last_contact_follow_the_runs(self):
        node = self.server.create_node(name="avail-node", type="vm")
        started = time.time()
        r = self.req("POST", "/api/v1/checks", {
            "name": "avail-http", "kind": "http", "target": f"http://127.0.0.1:{self.peer.server_address[1]}/",
            "interval": "1s", "timeout": "500ms", "node_id": node["id"]})
        self.assertStatus(r, 201)
        check = r.json["data"]
        self.assertTrue(wait_until(lambda: len(self.probe_up("avail-http")) >= 4, timeout=15))
        self.peer.up = False
        self.assertTrue(wait_until(lambda: self.probe_up("avail-http").count(0) >= 3, timeout=15))
        self.peer.up = True
        self.assertTrue(wait_until(lambda: self.probe_up("avail-http")[-3:] == [1, 1, 1], timeout=15))
        time.sleep(1.5)  # the recorder's flush

        runs = self.probe_up("avail-http")
        s = self.summary("checks", check["id"], slots=120)
        self.assertIsNotNone(s)
        self.assertEqual(s["slot_ms"], 1000)
        # Every run is in the store and in the stretches: uptime is the share of up samples.
        self.assertAlmostEqual(s["uptime"]["24h"], runs.count(1) / len(runs), delta=1.5 / len(runs))
        self.assertEqual(s["uptime"]["30d"], s["uptime"]["24h"])
        bar = s["heartbeat"]
        self.assertEqual(len(bar), 120)
        self.assertEqual(bar.count("d"), runs.count(0), (bar, runs))
        # Empty before the first run, then the runs in order up to the last recorded (a second or
        # two behind).
        self.assertRegex(bar, r"^-*u+d+u+-{0,3}$")
        self.assertGreater(s["latency_ms"]["24h"], 0)
        self.assertLess(s["latency_ms"]["24h"], 500)

        n = self.summary("nodes", node["id"], slots=120)
        self.assertEqual(n["heartbeat"], bar)
        self.assertEqual(n["uptime"], s["uptime"])

        r = self.req("GET", f"/api/v1/checks/{check['id']}/outages")
        self.assertStatus(r, 200)
        outages = r.json["data"]
        self.assertEqual(len(outages), 1, outages)
        self.assertEqual(outages[0]["runs"], runs.count(0))
        self.assertIsNotNone(outages[0]["to"])
        self.assertIn("503", outages[0]["error"] + outages[0]["message"])

        # Last seen is the last contact, not the last status change (up at the first run).
        seen = self.req("GET", f"/api/v1/nodes/{node['id']}").json["data"]["last_seen"]
        self.assertIsNotNone(seen)
        self.assertGreaterEqual(s["last_up"], seen)
        self.assertLess(time.time() - epoch(s["last_up"]), 10)
        self.assertGreater(epoch(seen), started - 1)

        # A restart keeps the history: the open stretch is written on the way out.
        before = self.probe_up("avail-http")
        self.server.stop()
        self.server.start(wait_setup_code=False)
        after = self.summary("checks", check["id"])
        self.assertGreaterEqual(after["heartbeat"].count("d"), 1)
        self.assertAlmostEqual(after["uptime"]["24h"], before.count(1) / len(before), delta=2.5 / len(before))
        self.assertLess(time.time() - started, 120)

    def test_a_node_sums_up_its_checks_only(self):
        # Two nodes whose checks were made in turn (so their stretches interleave by id): each
        # node's figures are those of its own checks.
        port = self.peer.server_address[1]
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
        closed.close()
        a = self.server.create_node(name="avail-a", type="vm")
        b = self.server.create_node(name="avail-b", type="vm")
        for name, node, target in [("a-up", a, port), ("b-up", b, port), ("a-down", a, closed_port),
                                   ("b-up-2", b, port)]:
            r = self.req("POST", "/api/v1/checks", {"name": name, "kind": "tcp", "target": f"127.0.0.1:{target}",
                                                    "interval": "1s", "timeout": "500ms", "node_id": node["id"]})
            self.assertStatus(r, 201)
        self.assertTrue(wait_until(lambda: len(self.probe_up("a-down")) >= 3 and len(self.probe_up("b-up-2")) >= 3,
                                   timeout=15))
        time.sleep(1.5)  # the recorder's flush
        na, nb = self.summary("nodes", a["id"]), self.summary("nodes", b["id"])
        self.assertAlmostEqual(na["uptime"]["24h"], 0.5, delta=0.15)  # one check of two fails
        self.assertEqual(nb["uptime"]["24h"], 1)
        self.assertNotIn("d", nb["heartbeat"])
        # a-down fails in every slot both run in (a-up may have run alone at either end)
        self.assertNotIn("u", na["heartbeat"].strip("-")[1:-1])

    def test_bad_queries_are_refused_precisely(self):
        for path, field in [("/api/v1/availability/checks?slots=0", "slots"),
                            ("/api/v1/availability/checks?slots=9999", "slots"),
                            ("/api/v1/availability/checks?id=x", "id"),
                            ("/api/v1/checks/1/outages?from=5&to=1", "from")]:
            self.assertFieldError(self.req("GET", path), field)
        self.assertStatus(self.req("GET", "/api/v1/checks/999999/outages"), 404, "CHECK_NOT_FOUND")
        r = self.req("GET", "/api/v1/events?subject=3")
        self.assertFieldError(r, "subject")
