"""A full disk, for real: the data directory is a 4 MiB tmpfs filled by a filler file. While it is
full, changes are refused with 503 DISK_FULL, and the server says so (a log line, /readyz,
/metrics) while reads and logins go on; after kill -9 it starts again on the full disk, read-only
in effect; once the filler is gone, changes are accepted again without a restart, and nothing
acknowledged before is lost. Needs root (mount); skipped otherwise."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from telltale_harness import Server, ServerTestCase, wait_until

HOUR = 3_600_000


def fill(path):
    """Writes zeros to `path` until the file system has no room left."""
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError:
                break
        for size in (4096, 512, 1):  # the last partial blocks
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


@unittest.skipUnless(os.geteuid() == 0, "needs root to mount a tmpfs as the full disk")
class DiskFullTest(unittest.TestCase):
    assertStatus = ServerTestCase.assertStatus

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="telltale-full-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", self.dir], capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.dir)
            self.skipTest("cannot mount a tmpfs: " + r.stderr.strip())
        self.filler = os.path.join(self.dir, "filler")
        self.server = Server(data_dir=self.dir)

    def tearDown(self):
        try:
            if self.server.alive():
                self.server.kill()
        finally:
            subprocess.run(["umount", "-l", self.dir], check=False)
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers --
    def node(self, token, name):
        return self.server.request("POST", "/api/v1/nodes", {"name": name, "type": "vm"}, token=token, check=False)

    def samples(self, token, t, v):
        body = {"series": [{"metric": "full_m", "timestamps": [t], "values": [v]}]}
        return self.server.request("POST", "/api/v1/samples", body, token=token, check=False)

    def node_names(self, token):
        r = self.server.request("GET", "/api/v1/nodes?per_page=200", token=token)
        self.assertStatus(r, 200)
        return {n["name"] for n in r.json["data"]}

    def stored_samples(self, token, frm, to):
        path = "/api/v1/query_range?" + urllib.parse.urlencode({"match": "full_m", "from": frm, "to": to})
        r = self.server.request("GET", path, token=token)
        self.assertStatus(r, 200)
        out = {}
        for s in r.json["data"]["series"]:
            out.update(zip(s["timestamps"], s["values"]))
        return out

    def readyz(self):
        return self.server.request("GET", "/readyz", check=False)

    def assert_reads_and_login_work(self, token, acked_nodes):
        cookie, _, _ = self.server.login()
        r = self.server.request("GET", "/api/v1/nodes?per_page=200", headers={"Cookie": cookie})
        self.assertStatus(r, 200)
        self.assertTrue(acked_nodes <= {n["name"] for n in r.json["data"]}, "acknowledged nodes missing")
        r = self.server.request("GET", "/api/v1/auth/me", headers={"Cookie": cookie}, check=False)
        self.assertStatus(r, 200)

    def assert_full(self, token):
        """Changes answer 503 DISK_FULL (a few may still fit in pages SQLite had), and it shows."""
        refused = None
        for i in range(1000):
            r = self.node(token, "late-%d-%d" % (os.getpid(), i))
            if r.status == 201:
                self.acked_nodes.add(r.json["data"]["name"])
                continue
            refused = r
            break
        self.assertIsNotNone(refused, "1000 nodes were created on a full disk")
        self.assertStatus(refused, 503, "DISK_FULL")
        r = self.readyz()
        self.assertStatus(r, 503, "NOT_READY")
        self.assertIn("disk_full", r.json["error"]["details"]["reasons"], r)
        self.assertIs(r.json["error"]["details"]["checks"]["disk"], False, r)
        self.assertEqual(self.server.metric_value("telltale_disk_full"), 1.0)

    # -- the test --
    def test_full_disk_refuses_changes_keeps_reads_and_recovers_without_restart(self):
        s = self.server
        s.start()
        token = s.admin_token()
        base = (int(time.time() * 1000) // HOUR - 1) * HOUR
        self.acked_nodes = set()
        acked_samples = {}
        for i in range(5):
            self.assertStatus(self.node(token, "before-%d" % i), 201)
            self.acked_nodes.add("before-%d" % i)
            self.assertStatus(self.samples(token, base + i * 1000, i + 0.5), 200)
            acked_samples[base + i * 1000] = i + 0.5
        self.assertStatus(self.readyz(), 200)

        fill(self.filler)
        self.assert_full(token)
        # Samples too, once the append log's last page is full (a page holds some 180 of these).
        refused = None
        for i in range(1000):
            r = self.samples(token, base + 100_000 + i * 1000, float(i))
            if r.status == 200:
                acked_samples[base + 100_000 + i * 1000] = float(i)
                continue
            refused = r
            break
        self.assertIsNotNone(refused)
        self.assertStatus(refused, 503, "DISK_FULL")
        self.assertTrue(wait_until(lambda: "disk is full" in s.log(), 5), s.log())
        self.assertGreaterEqual(s.metric_value("telltale_store_write_errors_total", {"reason": "disk_full"}), 2)
        self.assert_reads_and_login_work(token, self.acked_nodes)

        # A crash with the disk still full: the server starts, read-only in effect.
        s.kill()
        s.start()
        self.assertIn("listening", s.log())
        self.assert_reads_and_login_work(token, self.acked_nodes)
        self.assert_full(token)
        self.assertEqual(self.node_names(token) & self.acked_nodes, self.acked_nodes)

        # Room again: changes are accepted without a restart, and /readyz and /metrics follow.
        os.unlink(self.filler)
        ok = wait_until(lambda: self.node(token, "after-%d" % time.monotonic_ns()).status == 201, 15, 0.5)
        self.assertTrue(ok, "writes still refused after the filler was deleted; log:\n" + s.log())
        self.assertTrue(wait_until(lambda: self.readyz().status == 200, 15, 0.5), self.readyz())
        self.assertEqual(s.metric_value("telltale_disk_full"), 0.0)
        self.assertStatus(self.samples(token, base + 900_000, 9.25), 200)
        acked_samples[base + 900_000] = 9.25

        # Nothing acknowledged was lost, across the crash and a clean restart.
        for _ in range(2):
            self.assertEqual(self.node_names(token) & self.acked_nodes, self.acked_nodes)
            got = self.stored_samples(token, base - 1, base + HOUR)
            missing = {t: v for t, v in acked_samples.items() if got.get(t) != v}
            self.assertEqual(missing, {}, "acknowledged samples lost")
            s.stop()
            s.start()
        self.assertStatus(self.readyz(), 200)

    def test_a_new_database_on_a_full_disk_waits_for_room_then_starts(self):
        fill(self.filler)
        s = self.server
        s.start(expect_ready=False)
        self.assertTrue(s.wait_for(lambda: any("until there is room" in l for l in s.lines), 15), s.log())
        self.assertTrue(s.alive(), "exited on a full disk; log:\n" + s.log())
        os.unlink(self.filler)
        self.assertTrue(s.wait_for(lambda: s.port is not None, 20), "did not start once there was room; log:\n" + s.log())
        self.assertTrue(s.wait_for(lambda: s.setup_code is not None, 5), s.log())  # logged after the port
        token = s.admin_token()
        self.assertStatus(self.node(token, "first"), 201)
        self.assertTrue(wait_until(lambda: self.readyz().status == 200, 15, 0.5), self.readyz())


if __name__ == "__main__":
    unittest.main()
