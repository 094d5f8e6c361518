"""A flood of unauthenticated v2c traps with random trap OIDs (anyone who reaches the port can send
one) costs bounded series and events: per sender at most 64 unnamed trap OIDs get a series of their
own and the rest are counted as trap="other"; trap events are rate-limited per sender (a burst of
100, then 10 a second), the excess counted in telltale_snmp_traps_dropped_total{reason="rate"} and
summarised a minute later in one snmp.traps_suppressed event; and the server answers throughout."""

import random
import socket
import time
import unittest
import urllib.parse

from snmp_peers import free_udp_port, v2c_trap
from telltale_harness import AdminTestCase, Server, wait_until

PORT = free_udp_port()
FLOOD = 20_000


class SnmpTrapFloodTest(AdminTestCase):
    server_args = ("--snmp-trap-listen", f"127.0.0.1:{PORT}")

    def events(self, kind):
        out, after = [], 0
        while True:
            r = self.req("GET", f"/api/v1/events?topic=snmp&limit=1000&after={after}")
            self.assertStatus(r, 200)
            page = r.json["data"]
            out += [e for e in page if e["kind"] == kind]
            if len(page) < 1000:
                return out
            after = page[-1]["id"]

    def dropped(self):
        return self.server.metric_value("telltale_snmp_traps_dropped_total", {"reason": "rate"}) or 0

    def test_a_flood_of_random_trap_oids_makes_bounded_series_and_events(self):
        listening = f"SNMP traps: listening on udp 127.0.0.1:{PORT}"
        self.assertTrue(wait_until(lambda: listening in self.server.log(), timeout=5), self.server.log())
        rnd = random.Random(17)
        started = time.monotonic()
        slowest = 0.0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(FLOOD):
                s.sendto(v2c_trap(f"1.3.6.1.4.1.{rnd.randrange(1, 1 << 30)}.{rnd.randrange(1 << 20)}", i), ("127.0.0.1", PORT))
                if i % 4000 == 0:  # the API answers while the flood comes in
                    t0 = time.monotonic()
                    self.assertStatus(self.req("GET", "/api/v1/events?topic=snmp&limit=1"), 200)
                    slowest = max(slowest, time.monotonic() - t0)
                    time.sleep(0.01)  # lets the loop drain the socket: the kernel drops what overflows it
        self.assertLess(slowest, 1.0)

        def settled():  # recorded and held back stop growing once the recorder has taken everything
            before = len(self.events("snmp.trap")) + self.dropped()
            time.sleep(1)
            return before > 0 and len(self.events("snmp.trap")) + self.dropped() == before
        self.assertTrue(wait_until(settled, timeout=60))
        elapsed = time.monotonic() - started
        dropped = self.dropped()

        traps = self.events("snmp.trap")
        self.assertGreaterEqual(len(traps), 100)  # the burst
        self.assertLessEqual(len(traps), 100 + 10 * elapsed + 10, (len(traps), elapsed))
        self.assertGreater(dropped, 1000)

        r = self.req("GET", "/prometheus/api/v1/series?" + urllib.parse.urlencode({"match[]": "snmp_traps"}))
        self.assertEqual(r.status, 200, r)
        series = r.json["data"]
        self.assertLessEqual(len(series), 65, len(series))  # 64 unnamed trap OIDs + "other"
        self.assertIn("other", {s["trap"] for s in series})
        # Every trap is counted in snmp_traps, recorded or not.
        def counted():
            q = urllib.parse.urlencode({"query": "sum(sum_over_time(snmp_traps[10m]))"})
            r = self.req("GET", "/prometheus/api/v1/query?" + q)
            result = r.json["data"]["result"]
            return float(result[0]["value"][1]) if result else 0
        self.assertTrue(wait_until(lambda: counted() == len(traps) + dropped, timeout=10), (counted(), len(traps), dropped))

        # A minute after the first suppressed trap, one event says how many were held back.
        summary = wait_until(lambda: self.events("snmp.traps_suppressed"), timeout=90)
        self.assertEqual(len(summary), 1, summary)
        self.assertEqual(summary[0]["subject"], "127.0.0.1")
        self.assertEqual(summary[0]["data"]["source"], "127.0.0.1")
        self.assertEqual(summary[0]["data"]["suppressed"], dropped)
        self.assertIn("since", summary[0]["data"])


class StopDuringFloodTest(unittest.TestCase):
    def test_sigterm_during_a_flood_stops_within_five_seconds(self):
        # Stopping drains the queued traps (up to 10,000) at once: with a lazy commit a batch,
        # the server took ten seconds and more to exit after a flood.
        port = free_udp_port()
        server = Server(extra_args=["--snmp-trap-listen", f"127.0.0.1:{port}"])
        server.start()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
                for i in range(FLOOD):
                    s.sendto(v2c_trap(f"1.3.6.1.4.1.9.{i}", i), ("127.0.0.1", port))
            server.stop(timeout=5.0)  # raises when the server is still running after 5 s
        finally:
            if server.alive():
                server.kill()
            server.cleanup()
