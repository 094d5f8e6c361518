"""The queries of Grafana's "Node Exporter Full" dashboard, asked of Telltale's /prometheus data
source (fed by `telltale agent` on this host) and of Debian's Prometheus scraping Debian's
prometheus-node-exporter on the same host at the same interval: the same series (label sets, but
`instance`, which a scrape sets to the target's address and the hub to the host's name, and the
hub's `node`) and values that agree as far as two reads a moment apart can."""

import json
import math
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from notify_peers import HOST, free_port, wait_port
from telltale_harness import BIN, Server, stop_process, wait_until

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
PROMETHEUS = shutil.which("prometheus")
COLLECTORS = ["cpu", "stat", "loadavg", "meminfo", "filesystem", "diskstats", "netdev", "hwmon",
              "thermal_zone", "uname", "time", "pressure", "entropy"]
FS = 'fstype!~"tmpfs|ramfs|squashfs|overlay"'

# (panel, query, how to compare: "exact", ("abs", tolerance), or "labels" for rates, whose values
# depend on the instant each side read its counters).
PANELS = [
    ("CPU cores", 'count(count(node_cpu_seconds_total{job="node"}) by (cpu))', "exact"),
    ("RAM total", 'node_memory_MemTotal_bytes{job="node"}', "exact"),
    ("SWAP total", 'node_memory_SwapTotal_bytes{job="node"}', "exact"),
    ("RAM used", '100 - ((node_memory_MemAvailable_bytes{job="node"} * 100) / '
                 'node_memory_MemTotal_bytes{job="node"})', ("abs", 5)),
    ("Uptime", 'node_time_seconds{job="node"} - node_boot_time_seconds{job="node"}', ("abs", 5)),
    ("Root FS used", f'100 - ((node_filesystem_avail_bytes{{job="node",mountpoint="/",{FS}}} * 100) / '
                     f'node_filesystem_size_bytes{{job="node",mountpoint="/",{FS}}})', ("abs", 1)),
    ("Filesystem size", f'node_filesystem_size_bytes{{job="node",{FS}}}', "exact"),
    ("Sys load", 'node_load1{job="node"}', ("abs", 2)),
    ("CPU basic", 'sum by (mode) (irate(node_cpu_seconds_total{job="node"}[5s]))', "labels"),
    ("Network traffic", 'irate(node_network_receive_bytes_total{job="node"}[5s]) * 8', "labels"),
    ("Disk IOps", 'irate(node_disk_reads_completed_total{job="node"}[5s])', "labels"),
    ("Memory basic", 'node_memory_MemTotal_bytes{job="node"} - node_memory_MemFree_bytes{job="node"}',
     ("rel", 0.05)),
    ("Hardware temperature", 'node_hwmon_temp_celsius{job="node"}', ("abs", 5)),
    ("Thermal zones", 'node_thermal_zone_temp{job="node"}', ("abs", 5)),
    ("Uname", 'node_uname_info{job="node"}', "exact"),
]


def get_json(url, token=None):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token} if token else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def by_labels(result):
    return {frozenset((k, v) for k, v in r["metric"].items() if k not in ("instance", "node")):
            float(r["value"][1]) for r in result}


@unittest.skipUnless(os.path.exists(NODE_EXPORTER) and PROMETHEUS,
                     "prometheus-node-exporter and prometheus are needed")
class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tt-dash-")
        cls.procs = []
        ne_port, cls.prom_port = free_port(), free_port()
        argv = [NODE_EXPORTER, f"--web.listen-address={HOST}:{ne_port}", "--collector.disable-defaults"]
        cls.procs.append(subprocess.Popen(argv + [f"--collector.{c}" for c in COLLECTORS],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(ne_port)
        cfg = os.path.join(cls.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global: {scrape_interval: 1s, scrape_timeout: 900ms}\n"
                    f"scrape_configs: [{{job_name: node, static_configs: [{{targets: ['{HOST}:{ne_port}']}}]}}]\n")
        cls.procs.append(subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={cls.dir}/prom",
             f"--web.listen-address={HOST}:{cls.prom_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(cls.prom_port)
        cls.hub = Server()
        cls.hub.start()
        cls.token = cls.hub.admin_token()
        cls.procs.append(subprocess.Popen(
            [BIN, "agent", "--hub", f"http://{HOST}:{cls.hub.port}", "--token", cls.token,
             "--interval", "1s", "--buffer-dir", os.path.join(cls.dir, "buf"),
             "--collectors", ",".join(c for c in COLLECTORS if c != "stat")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # A few collections and scrapes on each side, for the 5 s windows.
        wait_until(lambda: cls.prometheus('count(node_load1{job="node"})'), timeout=20)
        time.sleep(6)

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            stop_process(p)
        cls.hub.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def prometheus(cls, q):
        url = f"http://{HOST}:{cls.prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        return by_labels(get_json(url)["data"]["result"])

    def telltale(self, q):
        url = f"http://{HOST}:{self.hub.port}/prometheus/api/v1/query?" + urllib.parse.urlencode({"query": q})
        return by_labels(get_json(url, self.token)["data"]["result"])

    def test_node_exporter_full_panels_agree(self):
        for panel, query, compare in PANELS:
            with self.subTest(panel=panel):
                want, got = self.prometheus(query), self.telltale(query)
                self.assertEqual(set(got), set(want), f"{panel}: {query}")
                if compare == "labels":
                    self.assertTrue(all(math.isfinite(v) and v >= 0 for v in got.values()), got)
                    continue
                for labels, value in want.items():
                    if compare == "exact":
                        self.assertEqual(got[labels], value, (panel, labels))
                    elif compare[0] == "abs":
                        self.assertAlmostEqual(got[labels], value, delta=compare[1], msg=(panel, labels))
                    else:
                        self.assertAlmostEqual(got[labels], value, delta=abs(value) * compare[1],
                                               msg=(panel, labels))


if __name__ == "__main__":
    unittest.main()
