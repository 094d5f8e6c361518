"""A WebSocket client that never reads is dropped; others keep being served; memory stays bounded."""

import json
import os
import threading
import time
import unittest

from telltale_harness import ServerTestCase, WebSocket, rss_kb, ws_connect


class SlowClientTest(ServerTestCase):
    def test_slow_client_dropped(self):
        s = self.server
        token = s.admin_token()

        # The slow client: tiny receive buffer, subscribes to everything, then never reads.
        slow = ws_connect(s.port, token=token, rcvbuf=4096)
        self.assertEqual(slow.subscribe(["nodes", "events"])["type"], "subscribed")
        # A healthy client that reads everything in a thread.
        good = ws_connect(s.port, token=token)
        self.assertEqual(good.subscribe(["nodes"])["type"], "subscribed")
        received = []
        stop = threading.Event()

        def reader():
            while not stop.is_set():
                try:
                    m = good.recv_json(1.0)
                except Exception as e:  # noqa: BLE001 - timeouts while idle
                    if "closed" in str(e):
                        received.append(("closed", str(e)))
                        return
                    continue
                if m.get("type") == "event":
                    received.append(m["data"]["data"]["node"]["name"])

        t = threading.Thread(target=reader, daemon=True)
        t.start()

        dropped_before = s.metric_value("telltale_ws_dropped_slow_total") or 0
        rss_before = rss_kb(s.pid)

        # ~120 kB of events per node (the node and the events topic): 300 nodes are ~36 MB,
        # far more than the 1 MiB outbound queue plus the socket buffers.
        blob = "x" * 60000
        c = s.client()
        n = 300
        t0 = time.monotonic()
        for i in range(n):
            r = c.request("POST", "/api/v1/nodes", {"name": f"slow-{i}", "type": "vm", "metadata": {"blob": blob}},
                          headers={"Authorization": "Bearer " + token})
            self.assertEqual(r.status, 201, r)
        c.close()
        publish_s = time.monotonic() - t0
        self.assertLess(publish_s, 40, "publishing was slowed down by the slow client")

        # The slow client was dropped.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (s.metric_value("telltale_ws_dropped_slow_total") or 0) <= dropped_before:
            time.sleep(0.1)
        self.assertGreater(s.metric_value("telltale_ws_dropped_slow_total") or 0, dropped_before, s.log()[-2000:])
        self.assertTrue(slow.closed_by_server(15), "the slow client's connection was not closed")
        slow.close()

        # The good client got every event, in order.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(received) < n:
            time.sleep(0.1)
        stop.set()
        t.join(3)
        self.assertEqual(received, [f"slow-{i}" for i in range(n)])
        good.close()

        # The server still serves HTTP and new WebSockets.
        self.assertEqual(s.request("GET", "/healthz").status, 200)
        r = s.request("GET", "/api/v1/nodes?per_page=1", token=token)
        self.assertEqual(r.json["pagination"]["total"], n)
        ws = ws_connect(s.port, token=token)
        self.assertEqual(ws.subscribe(["nodes"])["type"], "subscribed")
        s.create_node(name="after-drop", type="vm")
        ev = ws.wait_json(lambda m: m.get("type") == "event", 5)
        self.assertEqual(ev["data"]["data"]["node"]["name"], "after-drop")
        ws.close()

        # Memory stayed bounded: well under the ~36 MB published to the slow client, which would
        # show up if it were buffered (24 MB leaves slack for the allocator and SQLite caches).
        rss_after = rss_kb(s.pid)
        grown_mb = (rss_after - rss_before) / 1024
        print(f"\nRSS {rss_before} kB -> {rss_after} kB ({grown_mb:+.1f} MB), published in {publish_s:.1f} s")
        if os.environ.get("TELLTALE_SANITIZED"):
            # AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.
            return
        self.assertLess(grown_mb, 24, f"RSS grew by {grown_mb:.1f} MB ({rss_before} kB -> {rss_after} kB)")


if __name__ == "__main__":
    unittest.main()
