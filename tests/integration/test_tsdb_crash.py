"""Time series durability: kill -9 during continuous ingestion loses no acknowledged sample, and a
torn append-log tail is cut off at restart without losing the records before it."""

import glob
import math
import os
import random
import shutil
import struct
import tempfile
import threading
import time
import unittest
import urllib.parse

from telltale_harness import HttpClient, Server, ServerTestCase

HOUR = 3_600_000


def bits(v):
    return struct.pack("<d", float(v))


class Writer(threading.Thread):
    """Posts batches to /api/v1/samples until the connection fails; records what got a 200."""

    def __init__(self, port, token, wid, base, seed, per=10):
        super().__init__(daemon=True)
        self.per = per       # samples per series per batch
        self.client = HttpClient(port, timeout=5)
        self.token = token
        self.wid = wid
        self.base = base
        self.rnd = random.Random(seed)
        self.acked = []      # [(labels key, [(t, v)])]
        self.sent = {}       # (series k, t) -> v, everything ever sent
        self.bad = []        # non-200 answers (must stay empty)
        self.stop_flag = False
        self.error = None

    def run(self):
        i = 0
        try:
            while not self.stop_flag:
                series = []
                batch = []
                for k in range(4):
                    ts = [self.base + (i * self.per + j) * 100 for j in range(self.per)]
                    vs = [self.rnd.uniform(-1e12, 1e12) for _ in ts]
                    series.append({"metric": "crash_m", "labels": {"w": str(self.wid), "k": str(k)},
                                   "timestamps": ts, "values": vs})
                    for t, v in zip(ts, vs):
                        self.sent[(str(k), t)] = v
                    batch.append((str(k), list(zip(ts, vs))))
                r = self.client.request("POST", "/api/v1/samples", {"series": series},
                                        headers={"Authorization": "Bearer " + self.token}, check=False)
                if r.status == 200 and r.json["data"]["samples"] == 4 * self.per:
                    self.acked.append(batch)
                else:
                    self.bad.append(r)
                    return
                i += 1
        except Exception as e:  # the server died under us: this request was not acknowledged
            self.error = e
        finally:
            self.client.close()


class CrashTest(unittest.TestCase):
    assertStatus = ServerTestCase.assertStatus

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="telltale-crash-")
        self.server = Server(data_dir=self.dir)

    def tearDown(self):
        try:
            if self.server.alive():
                self.server.stop()
        finally:
            self.server.cleanup()
            shutil.rmtree(self.dir, ignore_errors=True)

    def read_series(self, token, match, frm, to):
        path = "/api/v1/query_range?" + urllib.parse.urlencode({"match": match, "from": frm, "to": to})
        r = self.server.request("GET", path, token=token)
        self.assertStatus(r, 200)
        out = {}
        for s in r.json["data"]["series"]:
            out[s["labels"]["k"]] = dict(zip(s["timestamps"], s["values"]))
        return out

    def kill_during_ingest(self, delay, seed, past=False):
        """past: an import of samples two days old, 1,100 per series and batch, which the store
        keeps plain in the heads (not in blocks) until the next maintenance pass."""
        s = self.server
        s.start()
        token = s.admin_token()
        base = (int(time.time() * 1000) // HOUR - (48 if past else 2)) * HOUR
        per = 1100 if past else 10
        span = 24 * HOUR if past else HOUR
        writers = [Writer(s.port, token, w, base, seed * 10 + w, per) for w in range(2)]
        for w in writers:
            w.start()
        time.sleep(delay)
        s.kill()
        for w in writers:
            w.join(10)
            self.assertFalse(w.is_alive())
            self.assertEqual(w.bad, [], "non-200 answers during ingest")
        acked = sum(len(w.acked) for w in writers)
        self.assertGreater(acked, 0, "no request was acknowledged in %.1f s" % delay)
        s.start()
        self.assertIn("listening", s.log())
        token = s.admin_token()
        missing, wrong, unknown = [], [], []
        for w in writers:
            got = self.read_series(token, 'crash_m{w="%d"}' % w.wid, base - 1, base + span)
            for batch in w.acked:
                for k, samples in batch:
                    for t, v in samples:
                        g = got.get(k, {}).get(t)
                        if g is None:
                            missing.append((w.wid, k, t))
                        elif isinstance(g, str) or bits(g) != bits(v):
                            wrong.append((w.wid, k, t, g, v))
            # Whatever is there was sent, with the value sent.
            for k, samples in got.items():
                for t, g in samples.items():
                    if (k, t) not in w.sent:
                        unknown.append((w.wid, k, t, g))
                    elif bits(g) != bits(w.sent[(k, t)]):
                        wrong.append((w.wid, k, t, g, w.sent[(k, t)]))
        self.assertEqual(missing[:20], [], "%d acknowledged samples lost after kill -9 at %.1f s (%d requests acked)"
                         % (len(missing), delay, acked))
        self.assertEqual(wrong[:20], [], "%d samples with wrong values" % len(wrong))
        self.assertEqual(unknown[:20], [], "%d samples never sent" % len(unknown))
        # Batches are atomic: each unacknowledged in-flight batch is there whole or not at all.
        for w in writers:
            got = self.read_series(token, 'crash_m{w="%d"}' % w.wid, base - 1, base + span)
            n_acked = len(w.acked)
            tail_ts = [base + (n_acked * per + j) * 100 for j in range(per)]
            present = [t in got.get(k, {}) for k in ("0", "1", "2", "3") for t in tail_ts]
            self.assertTrue(all(present) or not any(present), "in-flight batch partly stored: %r" % present)
        # The server keeps taking data, and a graceful stop/start keeps all of it.
        r = s.request("POST", "/api/v1/samples", {"series": [{"metric": "after_m", "timestamps": [base],
                                                              "values": [1.25]}]}, token=token)
        self.assertStatus(r, 200)
        s.stop()
        s.start()
        token = s.admin_token()
        for w in writers[:1]:
            got = self.read_series(token, 'crash_m{w="%d"}' % w.wid, base - 1, base + span)
            for batch in w.acked:
                for k, samples in batch:
                    for t, v in samples:
                        self.assertEqual(bits(got[k][t]), bits(v))
        after = self.read_plain(token, "after_m", base - 1, base + 1)
        self.assertEqual([(x["timestamps"], x["values"]) for x in after], [([base], [1.25])])
        return acked

    def read_plain(self, token, match, frm, to):
        path = "/api/v1/query_range?" + urllib.parse.urlencode({"match": match, "from": frm, "to": to})
        r = self.server.request("GET", path, token=token)
        self.assertStatus(r, 200)
        return r.json["data"]["series"]

    def test_kill_after_0_3s(self):
        self.kill_during_ingest(0.3, 1)

    def test_kill_after_1s(self):
        self.kill_during_ingest(1.0, 2)

    def test_kill_after_2s(self):
        self.kill_during_ingest(2.0, 3)

    def test_kill_during_import_of_the_past(self):
        self.kill_during_ingest(1.0, 4, past=True)

    def test_torn_log_tail(self):
        s = self.server
        s.start()
        token = s.admin_token()
        base = (int(time.time() * 1000) // HOUR - 2) * HOUR
        rnd = random.Random(9)
        batches = []
        c = s.client()
        for i in range(30):
            ts = [base + i * 1000 + j for j in range(5)]
            vs = [rnd.uniform(-1e6, 1e6) for _ in ts]
            r = c.request("POST", "/api/v1/samples",
                          {"series": [{"metric": "torn_m", "labels": {"b": str(i)}, "timestamps": ts, "values": vs}]},
                          headers={"Authorization": "Bearer " + token})
            self.assertStatus(r, 200)
            batches.append(list(zip(ts, vs)))
        c.close()
        s.kill()
        logs = sorted(glob.glob(os.path.join(self.dir, "tsdb", "*.log")))
        self.assertTrue(logs, os.listdir(self.dir))
        newest = logs[-1]
        size = os.path.getsize(newest)
        self.assertGreater(size, 10, logs)
        with open(newest, "r+b") as f:
            f.truncate(size - 3)
        s.start()
        token = s.admin_token()
        series = self.read_plain(token, "torn_m", base - 1, base + HOUR)
        got = {x["labels"]["b"]: list(zip(x["timestamps"], x["values"])) for x in series}
        # Every batch before the torn record is back, exactly; the torn one is whole or absent.
        for i, batch in enumerate(batches[:-1]):
            self.assertIn(str(i), got, "batch %d lost after a torn tail; log:\n%s" % (i, s.log()))
            self.assertEqual([(t, bits(v)) for t, v in got[str(i)]], [(t, bits(v)) for t, v in batch], i)
        last = got.get(str(len(batches) - 1))
        self.assertIn(last, (None, batches[-1]))
        # It keeps working: new data, a graceful restart, everything still there.
        r = s.request("POST", "/api/v1/samples", {"series": [{"metric": "torn_m", "labels": {"b": "new"},
                                                              "timestamps": [base], "values": [3.5]}]}, token=token)
        self.assertStatus(r, 200)
        s.stop()
        s.start()
        token = s.admin_token()
        series = self.read_plain(token, "torn_m", base - 1, base + HOUR)
        got2 = {x["labels"]["b"]: list(zip(x["timestamps"], x["values"])) for x in series}
        self.assertEqual(got2.pop("new"), [(base, 3.5)])
        self.assertEqual(got2, got)


if __name__ == "__main__":
    unittest.main()
