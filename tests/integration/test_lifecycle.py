"""Process lifecycle: clean SIGTERM with open connections, persistence, crash durability, and a
database from a newer version."""

import http.client
import os
import signal
import socket
import sqlite3
import struct
import time
import unittest

from telltale_harness import (HOST, OP_CLOSE, Server, ServerError, WSClosed, rss_kb, ws_connect)


class LifecycleTest(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.server.start()

    def tearDown(self):
        self.server.cleanup()

    def test_sigterm_with_open_connections(self):
        s = self.server
        token = s.admin_token()
        ws = ws_connect(s.port, token=token)
        self.assertEqual(ws.subscribe(["nodes"])["type"], "subscribed")
        # An idle keep-alive HTTP connection.
        keep = http.client.HTTPConnection(HOST, s.port, timeout=5)
        keep.request("GET", "/healthz")
        resp = keep.getresponse()
        resp.read()
        self.assertEqual(resp.status, 200)
        self.assertFalse(resp.will_close)

        elapsed = s.stop(timeout=5)  # asserts exit code 0 within 5 s
        self.assertLess(elapsed, 5)
        self.assertIn("stopped cleanly", s.log())
        # The WebSocket client was told the server is going away (or at least disconnected).
        try:
            code = ws.expect_close(2)
            self.assertEqual(code, 1001)
        except WSClosed:
            pass
        ws.close()
        keep.close()

    def test_sigterm_with_half_sent_request(self):
        # A client that sent part of a request head (slowloris) must not hold up shutdown.
        s = self.server
        partial = socket.create_connection((HOST, s.port), timeout=5)
        try:
            partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.2)
            elapsed = s.stop(timeout=5)
            self.assertLess(elapsed, 5)
        finally:
            partial.close()

    def test_sigint_exit_zero(self):
        s = self.server
        self.assertEqual(s.request("GET", "/healthz").status, 200)
        s.proc.send_signal(signal.SIGINT)
        self.assertEqual(s.wait_exit(5), 0, s.log())

    def test_sigterm_right_after_start(self):
        # SIGTERM as soon as the "listening" line is logged (a supervisor restarting quickly, a
        # test harness): the server must still stop within 5 s with exit code 0. Repeated, since
        # it is a race with the HTTP thread starting up.
        self.server.stop()
        for i in range(20):
            s = Server(data_dir=self.server.data_dir)
            s.start(wait_setup_code=False)
            try:
                s.stop(timeout=5)
            except ServerError as e:
                self.fail("round %d: %s" % (i, e))
            finally:
                s.kill()

    def test_persistence_across_restart(self):
        s = self.server
        s.admin_token()
        made = [s.create_node(name=f"persist-{i}", type="vm", labels={"k": str(i)}) for i in range(3)]
        s.stop()
        s.start()
        self.assertIsNone(s.setup_code, "setup offered again after restart:\n" + s.log())
        token = s.admin_token()  # login works: users and sessions persisted
        r = s.request("GET", "/api/v1/nodes?sort=name", token=token)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["data"], made)
        # Events persisted too (the nodes'; the built-in alert rules' are there from the first start).
        r = s.request("GET", "/api/v1/events?topic=nodes", token=token)
        self.assertEqual([e["kind"] for e in r.json["data"]], ["node.created"] * 3)
        s.stop()

    def test_kill9_after_201_is_durable(self):
        s = self.server
        token = s.admin_token()
        r = s.request("POST", "/api/v1/nodes", {"name": "durable", "type": "baremetal"}, token=token)
        self.assertEqual(r.status, 201)
        nid = r.json["data"]["id"]
        s.kill()  # SIGKILL right after the acknowledgement
        s.start()
        r = s.request("GET", f"/api/v1/nodes/{nid}", token=token)  # the API token survived as well
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["data"]["name"], "durable")
        s.stop()

    def test_newer_database_refused(self):
        s = self.server
        s.admin_token()
        s.stop()
        db = os.path.join(s.data_dir, "telltale.db")
        self.assertTrue(os.path.exists(db))
        con = sqlite3.connect(db)
        con.execute("PRAGMA user_version=999")
        con.commit()
        con.close()
        s.start(expect_ready=False)
        code = s.wait_exit(10)
        self.assertIsNotNone(code, "server kept running on a database from a newer version")
        self.assertNotEqual(code, 0)
        self.assertGreater(code, 0, "crashed with a signal instead of exiting")
        log = s.log()
        self.assertRegex(log, r"(?i)newer", log)
        self.assertIn("999", log)
        self.assertNotIn("listening on", log)
        # The file was not touched.
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("PRAGMA user_version").fetchone()[0], 999)
        con.close()
        # The offline CLI refuses it too.
        from telltale_harness import run_cli
        p = run_cli(["user", "add", "late", "--role", "viewer", "--password-stdin"], s.data_dir,
                    stdin_text="password-123\n")
        self.assertGreater(p.returncode, 0)
        self.assertRegex(p.stderr, r"(?i)newer")

    def test_port_in_use(self):
        import subprocess
        import tempfile
        from telltale_harness import BIN
        with tempfile.TemporaryDirectory() as d:
            try:
                p = subprocess.run([BIN, "serve", "--listen", f"{HOST}:{self.server.port}", "--data", d],
                                   capture_output=True, text=True, timeout=5)
            except subprocess.TimeoutExpired:
                self.fail("a second server on the same port kept running")
        self.assertGreater(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r"(?i)cannot listen|address already in use")
        self.server.stop()


if __name__ == "__main__":
    unittest.main()
