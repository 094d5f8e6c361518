"""`telltale backup` of a running server's data directory and `telltale restore` of it into
another: the database and the samples still in the append log come back; a restore refuses a
running server's directory and a damaged or foreign file, replacing nothing; a second server on
a data directory in use is refused; serve's scheduled backups keep the newest; an upgrade backs
the database up before it migrates."""
import gzip
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

from telltale_harness import BIN, Server, wait_until


def cli(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)


# How the newest migration is undone, to make a database of the release before it. A new
# migration adds its line here.
UNDO_NEWEST_MIGRATION = {
    19: "DROP INDEX events_subject",
    20: "DROP INDEX nodes_name",
    21: "DROP TABLE node_pins",
    22: "DROP TABLE kiosk_links",
    23: "DROP INDEX chunks_pack",
}


class BackupRestore(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tt-backup-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.server = Server()
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.token = self.server.admin_token()

    def samples(self, server, token, match):
        q = urllib.parse.urlencode({"match": match, "from": "0"})
        r = server.request("GET", "/api/v1/query_range?" + q, token=token)
        self.assertEqual(r.status, 200, r)
        return [v for s in r.json["data"]["series"] for v in s["values"]]

    def test_a_running_servers_data_comes_back_whole(self):
        now = int(time.time() * 1000)
        text = "".join(f"kept_metric {i} {now - (100 - i) * 1000}\n" for i in range(100))
        r = self.server.request("POST", "/api/v1/import/prometheus", body=text.encode(),
                                headers={"Content-Type": "text/plain"}, token=self.token)
        self.assertIn(r.status, (200, 204), r)
        r = self.server.request("POST", "/api/v1/nodes", {"name": "kept-node", "type": "network"},
                                token=self.token)
        self.assertEqual(r.status, 201, r)
        out = os.path.join(self.dir, "telltale.backup")
        b = cli("backup", "--data", self.server.data_dir, "--out", out)  # the server runs on
        self.assertEqual(b.returncode, 0, b.stderr)
        self.assertTrue(os.path.getsize(out) > 0)
        self.assertEqual(os.listdir(self.dir), ["telltale.backup"])  # no leftovers

        # Into a running server's directory: refused, nothing changed.
        r = cli("restore", out, "--data", self.server.data_dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn("DATA_DIR_IN_USE", r.stderr)

        target = os.path.join(self.dir, "restored")
        r = cli("restore", out, "--data", target)
        self.assertEqual(r.returncode, 0, r.stderr)
        restored = Server(data_dir=target)
        restored.start(wait_setup_code=False)
        self.addCleanup(restored.cleanup)
        token = self.token  # the API token is in the restored database too
        self.assertEqual(self.samples(restored, token, "kept_metric"), list(range(100)))
        nodes = restored.request("GET", "/api/v1/nodes", token=token).json["data"]
        self.assertIn("kept-node", [n["name"] for n in nodes])

    def test_a_backup_under_ingest_restores_every_table_and_acknowledged_sample(self):
        for i in range(20):
            self.server.request("POST", "/api/v1/nodes", {"name": f"n{i}", "type": "vm"}, token=self.token)
        acked = []  # (series, timestamp) of every push answered before the backup started
        stop = threading.Event()
        started = threading.Event()

        def ingest():
            t = int(time.time() * 1000) - 3_600_000
            while not stop.is_set():
                body = "".join(f'load_metric{{s="{k}"}} {t % 1000} {t}\n' for k in range(50)).encode()
                r = self.server.request("POST", "/api/v1/import/prometheus", body=body,
                                        headers={"Content-Type": "text/plain"}, token=self.token)
                if r.status in (200, 204) and not started.is_set():
                    acked.append(t)
                t += 1000

        pusher = threading.Thread(target=ingest)
        pusher.start()
        try:
            wait_until(lambda: len(acked) > 20, timeout=30)
            started.set()
            out = os.path.join(self.dir, "busy.backup")
            b = cli("backup", "--data", self.server.data_dir, "--out", out)
            self.assertEqual(b.returncode, 0, b.stderr)
        finally:
            stop.set()
            pusher.join()
        target = os.path.join(self.dir, "busy")
        self.assertEqual(cli("restore", out, "--data", target).returncode, 0)

        # Every table but the samples' own is as it was: the ingest changes none of them.
        def tables(path):
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                              "AND name NOT LIKE 'sqlite_%'")]
            skip = {"series", "chunks", "packs", "ingest_streams", "store_meta", "rollups"}
            out = {n: sorted(db.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr)
                   for n in names if n not in skip and not n.startswith("tsdb")}
            db.close()
            return out

        restored_tables = tables(os.path.join(target, "telltale.db"))
        original_tables = tables(os.path.join(self.server.data_dir, "telltale.db"))
        self.assertEqual(set(restored_tables), set(original_tables))
        for name in ("nodes", "users", "api_tokens"):
            self.assertEqual(restored_tables[name], original_tables[name], name)

        restored = Server(data_dir=target)
        restored.start(wait_setup_code=False)
        self.addCleanup(restored.cleanup)
        for k in (0, 49):
            have = {ts for ts in self.timestamps(restored, f'load_metric{{s="{k}"}}')}
            missing = [t for t in acked if t not in have]
            self.assertEqual(missing, [], f"series {k}: acknowledged samples missing after restore")

    def timestamps(self, server, match):
        q = urllib.parse.urlencode({"match": match, "from": "0"})
        r = server.request("GET", "/api/v1/query_range?" + q, token=self.token)
        self.assertEqual(r.status, 200, r)
        return [t for s in r.json["data"]["series"] for t in s["timestamps"]]

    def test_an_admin_downloads_a_backup_over_the_api(self):
        self.server.request("POST", "/api/v1/nodes", {"name": "api-node", "type": "vm"}, token=self.token)
        r = self.server.request("POST", "/api/v1/backup", token=self.token, timeout=60)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/gzip")
        self.assertRegex(r.header("Content-Disposition"), r'attachment; filename="telltale-\d{8}-\d{6}\.backup"')
        self.assertEqual(r.body[:2], b"\x1f\x8b")
        self.assertEqual(os.listdir(os.path.join(self.server.data_dir, "backups")), [])  # nothing left behind
        path = os.path.join(self.dir, "downloaded.backup")
        with open(path, "wb") as f:
            f.write(r.body)
        target = os.path.join(self.dir, "from-api")
        self.assertEqual(cli("restore", path, "--data", target).returncode, 0)
        restored = Server(data_dir=target)
        restored.start(wait_setup_code=False)
        self.addCleanup(restored.cleanup)
        nodes = restored.request("GET", "/api/v1/nodes", token=self.token).json["data"]
        self.assertIn("api-node", [n["name"] for n in nodes])
        self.server.create_user("olga", "operator")
        r = self.server.request("POST", "/api/v1/backup", token=self.server.token_for("olga"))
        self.assertEqual(r.status, 403, r)

    def test_a_damaged_or_foreign_file_replaces_nothing(self):
        out = os.path.join(self.dir, "b.backup")
        self.assertEqual(cli("backup", "--data", self.server.data_dir, "--out", out).returncode, 0)
        target = os.path.join(self.dir, "target")
        os.makedirs(os.path.join(target, "tsdb"))
        with open(os.path.join(target, "telltale.db"), "wb") as f:
            f.write(b"the old database")
        with open(out, "rb") as f:
            whole = f.read()
        bad = {"cut": whole[: len(whole) // 2], "garbage": os.urandom(4096),
               "gzip of garbage": gzip.compress(os.urandom(4096)),
               "flipped": whole[:200] + bytes([whole[200] ^ 0xFF]) + whole[201:]}
        for what, data in bad.items():
            path = os.path.join(self.dir, what)
            with open(path, "wb") as f:
                f.write(data)
            r = cli("restore", path, "--data", target)
            self.assertEqual(r.returncode, 1, (what, r.stdout, r.stderr))
            self.assertIn("RESTORE_NOT_A_BACKUP", r.stderr, what)
            with open(os.path.join(target, "telltale.db"), "rb") as f:
                self.assertEqual(f.read(), b"the old database", what)
            self.assertEqual(sorted(os.listdir(target)), ["telltale.db", "telltale.lock", "tsdb"], what)

    def test_a_second_server_on_the_same_directory_is_refused(self):
        r = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data", self.server.data_dir,
                            "--snmp-trap-listen", "off"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("in use by another telltale", r.stderr)
        self.assertIn(str(self.server.proc.pid), r.stderr)


class ServerBackups(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tt-backups-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def backups(self, data_dir, prefix):
        d = os.path.join(data_dir, "backups")
        return sorted(f for f in os.listdir(d) if f.startswith(prefix)) if os.path.isdir(d) else []

    def test_scheduled_backups_keep_the_newest(self):
        server = Server(extra_args=["--backup-every", "1s", "--backup-keep", "2"])
        server.start()
        self.addCleanup(server.cleanup)
        written = lambda: server.metric_value("telltale_backups_total", {"outcome": "written"}) or 0
        self.assertTrue(wait_until(lambda: written() >= 3, timeout=30))
        kept = self.backups(server.data_dir, "telltale-")
        self.assertEqual(len(kept), 2, kept)
        self.assertGreater(server.metric_value("telltale_backup_last_bytes") or 0, 0)
        r = cli("restore", os.path.join(server.data_dir, "backups", kept[-1]), "--data",
                os.path.join(self.dir, "restored"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_an_upgrade_backs_the_database_up_before_it_migrates(self):
        data = os.path.join(self.dir, "data")
        server = Server(data_dir=data)
        server.start()
        server.stop()
        # The database as the release before the newest migration left it.
        db = sqlite3.connect(os.path.join(data, "telltale.db"))
        latest = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute(UNDO_NEWEST_MIGRATION[latest])
        db.execute(f"PRAGMA user_version = {latest - 1}")
        db.commit()
        db.close()
        server.start()
        self.addCleanup(server.cleanup)
        before = self.backups(data, f"before-schema-{latest}-")
        self.assertEqual(len(before), 1, os.listdir(os.path.join(data, "backups")))
        target = os.path.join(self.dir, "old")
        r = cli("restore", os.path.join(data, "backups", before[0]), "--data", target)
        self.assertEqual(r.returncode, 0, r.stderr)
        old = sqlite3.connect(os.path.join(target, "telltale.db"))
        self.assertEqual(old.execute("PRAGMA user_version").fetchone()[0], latest - 1)
        old.close()


if __name__ == "__main__":
    unittest.main()
