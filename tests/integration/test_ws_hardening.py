"""WebSocket hardening: series subscribers that stop reading, churn while samples flow, topic
limits, sockets that end with their credentials, and the Origin rule for cookie upgrades."""

import json
import os
import socket
import threading
import time
import unittest

from telltale_harness import (OP_TEXT, ServerTestCase, WebSocket, WSClosed, encode_frame,
                              ws_connect)

PW = "password-" + "x" * 8
SANITIZED = bool(os.environ.get("TELLTALE_SANITIZED"))


class SeriesUnderLoadTest(ServerTestCase):
    """Samples pushed fast to series: subscribers that stop reading, churn and disconnect."""

    def ingest(self, client, lines):
        r = client.request("POST", "/api/v1/import/prometheus", "\n".join(lines) + "\n",
                           headers={"Content-Type": "text/plain", "Authorization": "Bearer " + self.token})
        self.assertEqual(r.status, 200, r)

    def churn(self, stop, errors):
        """Subscribes and unsubscribes in a loop, then leaves in the middle of a frame."""
        n = 0
        while not stop.is_set():
            try:
                ws = ws_connect(self.server.port, token=self.token, timeout=5)
                for _ in range(3):
                    ws.send_json({"type": "subscribe", "topics": ["series:burst", f'series:burst{{i="{n % 50}"}}']})
                    ws.send_json({"type": "unsubscribe", "topics": ["series:burst"]})
                ws.send_json({"type": "subscribe", "topics": ['series:{__name__=~"burst|other"}']})
                time.sleep(0.02)  # long enough for frames to be on their way
                ws.send_raw(encode_frame(OP_TEXT, json.dumps({"type": "ping"}))[:5])  # half a frame
                ws.close()
            except (OSError, WSClosed) as e:
                errors.append(repr(e))
                return
            n += 1

    def test_series_subscribers_that_stop_reading_are_dropped_while_samples_flow(self):
        s = self.server
        self.token = s.admin_token()
        dropped_before = s.metric_value("telltale_ws_dropped_slow_total") or 0

        # Stops reading at once: several topics, so a drop happens in the middle of delivering
        # one append to all of them.
        slow = ws_connect(s.port, token=self.token, rcvbuf=4096)
        slow_topics = ["series:burst", 'series:burst{i=~"1.*"}', 'series:{__name__="burst"}',
                       'series:burst{i!="7"}']
        self.assertEqual(slow.subscribe(slow_topics)["type"], "subscribed")
        # Reads everything.
        good = ws_connect(s.port, token=self.token)
        self.assertEqual(good.subscribe(['series:burst{i="3"}'])["type"], "subscribed")
        got = []
        stop = threading.Event()

        def read_good():
            while not stop.is_set():
                try:
                    m = good.recv_json(0.5)
                except (socket.timeout, TimeoutError):
                    continue
                except (OSError, WSClosed) as e:
                    got.append(("closed", repr(e)))
                    return
                if m.get("type") == "event":
                    got.append(m["data"]["series"][0]["labels"]["i"])

        errors = []
        threads = [threading.Thread(target=read_good, daemon=True)]
        threads += [threading.Thread(target=self.churn, args=(stop, errors), daemon=True) for _ in range(3)]
        for t in threads:
            t.start()

        # Each import is ~200 kB of JSON per matching topic: the slow client's queue (1 MiB)
        # and socket buffers fill within a few.
        t0 = int(time.time() * 1000) - 60_000
        batches = 25 if SANITIZED else 40
        c = s.client(timeout=30)
        for b in range(batches):
            self.ingest(c, [f'burst{{i="{i}"}} {b}.5 {t0 + b}' for i in range(2500)])
            self.assertTrue(s.alive(), "the server died:\n" + s.log()[-3000:])
        c.close()

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (s.metric_value("telltale_ws_dropped_slow_total") or 0) <= dropped_before:
            time.sleep(0.1)
        self.assertGreater(s.metric_value("telltale_ws_dropped_slow_total") or 0, dropped_before, s.log()[-2000:])
        self.assertTrue(slow.closed_by_server(10), "the slow client was not closed")
        slow.close()

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(got) < batches:
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join(5)
        good.close()
        self.assertEqual(errors, [])
        self.assertEqual(got, ["3"] * batches)
        self.assertTrue(s.alive(), s.log()[-3000:])
        self.assertEqual(s.request("GET", "/healthz").status, 200)

        # Still streaming to a new subscriber.
        ws = ws_connect(s.port, token=self.token)
        self.assertEqual(ws.subscribe(["series:after_drop"])["type"], "subscribed")
        c = s.client()
        self.ingest(c, [f"after_drop 1 {int(time.time() * 1000)}"])
        c.close()
        ev = ws.wait_json(lambda m: m.get("type") == "event", 5)
        self.assertEqual(ev["data"]["series"][0]["metric"], "after_drop")
        ws.close()


class SeriesTopicLimitTest(ServerTestCase):
    def test_series_topics_are_bounded(self):
        s = self.server
        token = s.admin_token()
        ws = ws_connect(s.port, token=token)
        r = ws.subscribe([f"series:m{i}" for i in range(33)])
        self.assertEqual(r["code"], "WS_TOO_MANY_TOPICS")
        self.assertEqual(r["message"], "at most 32 series: topics per connection")
        # The refused request changed nothing; 32 are fine, and other topics do not count.
        r = ws.subscribe([f"series:m{i}" for i in range(32)] + ["nodes", "events"])
        self.assertEqual(r["type"], "subscribed")
        self.assertEqual(len(r["topics"]), 34)
        # 256 different ones in all.
        others = [ws]
        for k in range(1, 8):
            o = ws_connect(s.port, token=token)
            others.append(o)
            self.assertEqual(o.subscribe([f"series:m{k * 32 + i}" for i in range(32)])["type"], "subscribed")
        late = ws_connect(s.port, token=token)
        self.assertEqual(late.subscribe(["series:m0", "series:m40"])["type"], "subscribed")  # watched already
        r = late.subscribe(["series:one_too_many"])
        self.assertEqual(r["code"], "WS_TOO_MANY_TOPICS")
        self.assertIn("at most 256 different series: topics", r["message"])
        others[1].close()  # frees 32
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            r = late.subscribe(["series:one_too_many"])
            if r["type"] == "subscribed":
                break
            time.sleep(0.05)
        self.assertEqual(r["type"], "subscribed", r)
        for o in others + [late]:
            o.close()


class CredentialsEndTest(ServerTestCase):
    """A socket ends with the session or token it was opened with."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.server.admin_token()

    def assertClosedForCredentials(self, ws):
        self.assertEqual(ws.expect_close(3), 1008)
        self.assertTrue(ws.closed_by_server(3))
        ws.close()

    def assertStillOpen(self, ws):
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.wait_json(lambda m: m.get("type") == "pong", 3)["type"], "pong")

    def cookie_socket(self, cookie):
        port = self.server.port
        ws, resp, _ = WebSocket.handshake(port, {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"})
        self.assertIsNotNone(ws, resp)
        return ws

    def test_revoked_token_closes_its_sockets(self):
        s = self.server
        s.create_user("tara", "viewer")
        r = s.request("POST", "/api/v1/tokens", {"name": "tara-ci", "user": "tara"}, token=self.admin)
        self.assertEqual(r.status, 201, r)
        tid, secret = r.json["data"]["id"], r.json["data"]["token"]
        other_token = s.token_for("tara")
        revoked_before = s.metric_value("telltale_ws_closed_credentials_total", {"reason": "revoked"}) or 0
        doomed = ws_connect(s.port, token=secret)
        self.assertEqual(doomed.subscribe(["nodes"])["type"], "subscribed")
        kept = ws_connect(s.port, token=other_token)
        self.assertEqual(s.request("DELETE", f"/api/v1/tokens/{tid}", token=self.admin).status, 204)
        self.assertClosedForCredentials(doomed)
        self.assertStillOpen(kept)
        kept.close()
        self.assertEqual(s.metric_value("telltale_ws_closed_credentials_total", {"reason": "revoked"}),
                         revoked_before + 1)

    def test_logout_closes_the_sessions_sockets(self):
        s = self.server
        s.create_user("lena", "viewer")
        cookie, csrf, _ = s.login("lena", PW)
        other_cookie, _, _ = s.login("lena", PW)
        doomed = self.cookie_socket(cookie)
        self.assertEqual(doomed.subscribe(["events"])["type"], "subscribed")
        kept = self.cookie_socket(other_cookie)
        r = s.request("POST", "/api/v1/auth/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        self.assertEqual(r.status, 204, r)
        self.assertClosedForCredentials(doomed)
        self.assertStillOpen(kept)
        kept.close()

    def test_deleted_user_loses_every_socket(self):
        s = self.server
        u = s.create_user("dora", "operator")
        token = s.token_for("dora")
        cookie, _, _ = s.login("dora", PW)
        by_token = ws_connect(s.port, token=token)
        by_cookie = self.cookie_socket(cookie)
        admin_ws = ws_connect(s.port, token=self.admin)
        self.assertEqual(s.request("DELETE", f"/api/v1/users/{u['id']}", token=self.admin).status, 204)
        self.assertClosedForCredentials(by_token)
        self.assertClosedForCredentials(by_cookie)
        self.assertStillOpen(admin_ws)
        admin_ws.close()
        # And cannot come back.
        ws, resp, _ = WebSocket.handshake(s.port, {"Authorization": "Bearer " + token})
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 401)

    def test_cookie_upgrade_needs_origin(self):
        s = self.server
        cookie, _, _ = s.login()
        ws, resp, _ = WebSocket.handshake(s.port, {"Cookie": cookie})
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 403, resp)
        self.assertEqual(resp.json["error"]["code"], "ORIGIN_REJECTED")
        # Scripts use tokens and send no Origin.
        ws, resp, _ = WebSocket.handshake(s.port, {"Authorization": "Bearer " + self.admin})
        self.assertIsNotNone(ws, resp)
        ws.close()


if __name__ == "__main__":
    unittest.main()
