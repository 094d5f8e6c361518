"""`telltale agent --once --print` against Debian's prometheus-node-exporter on the same machine:
every metric name (and, for cpu, meminfo, netdev and filesystem, every label set) that
node_exporter's matching collectors write, the agent writes too, with equal values where they
hold still between the two reads; and both over the fixture tree of a server (sensors, throttle
counters, clock sources, a time zone) with equal series and values. Also the command's errors,
and a run over the fixture tree."""

import json
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from notify_peers import HOST, free_port, wait_port
from telltale_harness import BIN, stop_process

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "collect")

# node_exporter's collectors that ours stand for (its cpu and stat are our cpu).
COLLECTORS = ["cpu", "stat", "loadavg", "meminfo", "filesystem", "diskstats", "netdev", "hwmon",
              "thermal_zone", "uname", "time", "pressure", "entropy"]

# What node_exporter writes for them that the agent does not yet, and why.
KNOWN_GAPS = []

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset of (label, value)): value} of Prometheus text, empty labels dropped."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            raise AssertionError(f"not a sample line: {line!r}")
        labels = frozenset((k, v) for k, v in LABEL.findall(m.group(2) or "") if v != "")
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def names(samples):
    return {name for name, _ in samples}


def agent(*args, timeout=30):
    return subprocess.run([BIN, "agent", *args], capture_output=True, text=True, timeout=timeout)


def node_exporter_metrics(*args, env=None):
    """One scrape of node_exporter run with `args` on a free loopback port."""
    port = free_port()
    argv = [NODE_EXPORTER, f"--web.listen-address={HOST}:{port}", "--collector.disable-defaults",
            *args]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        if not wait_port(port):
            stop_process(proc)
            raise AssertionError("node_exporter did not listen: " + proc.stderr.read().decode())
        with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as r:
            return parse(r.read().decode())
    finally:
        stop_process(proc)
        proc.stderr.close()


@unittest.skipUnless(os.path.exists(NODE_EXPORTER), "prometheus-node-exporter is not installed "
                     "(packaging/install-deps.sh --test installs it)")
class AgainstNodeExporter(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        theirs = node_exporter_metrics(*[f"--collector.{c}" for c in COLLECTORS])
        run = agent("--once", "--print")
        if run.returncode != 0:
            raise AssertionError(f"agent exited {run.returncode}: {run.stderr}")
        cls.ours = parse(run.stdout)
        # Only the metrics of the collectors above, less the known gaps.
        gaps = re.compile("|".join(f"(?:{g})" for g in KNOWN_GAPS) or r"(?!)")
        ignored = re.compile(r"node_(scrape_collector_|exporter_|textfile_)|go_|process_|promhttp_")
        cls.theirs = {k: v for k, v in theirs.items()
                      if k[0].startswith("node_") and not ignored.match(k[0])
                      and not gaps.fullmatch(k[0])}

    def test_every_metric_name_is_there(self):
        self.assertTrue(self.theirs, "node_exporter wrote none of the compared metrics")
        missing = sorted(names(self.theirs) - names(self.ours))
        self.assertEqual(missing, [], "node_exporter's names the agent does not write")

    def test_label_sets_of_cpu_memory_network_and_filesystems(self):
        family = re.compile(r"node_(cpu_|memory_|network_|filesystem_)")
        missing = sorted(f"{n}{dict(l)}" for n, l in self.theirs
                         if family.match(n) and (n, l) not in self.ours)
        self.assertEqual(missing, [], "node_exporter's series the agent does not write")

    def value(self, samples, name, labels=frozenset()):
        self.assertIn((name, labels), samples, f"{name}{dict(labels)}")
        return samples[(name, labels)]

    def test_values_that_hold_still(self):
        for name in ["node_memory_MemTotal_bytes", "node_boot_time_seconds",
                     "node_memory_SwapTotal_bytes", "node_entropy_pool_size_bits"]:
            if any(n == name for n, _ in self.theirs):
                self.assertEqual(self.value(self.ours, name), self.value(self.theirs, name), name)
        cpus = lambda s: {dict(l)["cpu"] for n, l in s if n == "node_cpu_seconds_total"}
        self.assertEqual(cpus(self.ours), cpus(self.theirs))
        self.assertEqual(len(cpus(self.ours)), os.cpu_count())
        for (name, labels), v in self.theirs.items():
            if name in ("node_filesystem_size_bytes", "node_filesystem_files",
                        "node_filesystem_readonly", "node_uname_info", "node_disk_info"):
                self.assertEqual(self.value(self.ours, name, labels), v, f"{name}{dict(labels)}")
        ours_time = self.value(self.ours, "node_time_seconds", frozenset())
        self.assertLess(abs(ours_time - time.time()), 60)
        # Counters read a moment apart: ours are the later reads, never smaller.
        for (name, labels), v in self.theirs.items():
            if name.startswith("node_cpu_seconds_total") or name == "node_forks_total":
                self.assertGreaterEqual(self.value(self.ours, name, labels), v, name)


@unittest.skipUnless(os.path.exists(NODE_EXPORTER), "prometheus-node-exporter is not installed")
class AgainstNodeExporterOnAServerFixture(unittest.TestCase):
    """tests/fixtures/collect/server read by both: every hwmon sensor kind, the CPUs' throttle
    counters, the clock sources and the time zone (node_exporter's own, TZ=Europe/Berlin; the
    agent's from the root's /etc/localtime, a link to Berlin's file), and the disks with udev's
    facts of them (ATA disks, an NVMe one, an LVM volume), series and values alike."""

    FAMILIES = re.compile(r"node_(hwmon_|cpu_|time_zone|time_clocksource|disk_)")

    def test_the_same_series_and_values(self):
        tree = os.path.join(FIXTURES, "server")
        roots = {k: os.path.join(tree, k) for k in ("proc", "sys", "rootfs")}
        theirs = node_exporter_metrics(
            f"--path.procfs={roots['proc']}", f"--path.sysfs={roots['sys']}",
            f"--path.rootfs={roots['rootfs']}",
            f"--path.udev.data={os.path.join(roots['rootfs'], 'run', 'udev', 'data')}",
            "--collector.hwmon", "--collector.cpu", "--collector.time", "--collector.diskstats",
            env=dict(os.environ, TZ="Europe/Berlin"))
        run = agent("--once", "--print", "--procfs", roots["proc"], "--sysfs", roots["sys"],
                    "--rootfs", roots["rootfs"], "--collectors", "hwmon,cpu,time,diskstats")
        self.assertEqual(run.returncode, 0, run.stderr)
        pick = lambda samples: {k: v for k, v in samples.items() if self.FAMILIES.match(k[0])}
        ours, theirs = pick(parse(run.stdout)), pick(theirs)
        self.assertIn(("node_hwmon_fan_rpm", frozenset({("chip", "platform_nct6775_656"),
                                                         ("sensor", "fan1")})), theirs)
        self.assertIn(("node_disk_ata_rotation_rate_rpm", frozenset({("device", "sdb")})), theirs)
        self.assertEqual(ours, theirs)


class AgentCommand(unittest.TestCase):
    def test_options_it_cannot_serve_exit_2_with_the_reason(self):
        cases = [([], "--hub URL is needed"), (["--print"], "--hub URL is needed"),
                 (["--once"], "--once needs --print"),
                 (["--hub", "ftp://x"], "--hub"),
                 (["--hub", "http://127.0.0.1:1", "--labels", "site"], "--labels"),
                 (["--hub", "http://127.0.0.1:1", "--location", "95,0"], "--location"),
                 (["--hub", "http://127.0.0.1:1", "--interval", "10ms"], "--interval"),
                 (["--hub", "http://127.0.0.1:1", "--buffer-max", "1KiB"], "--buffer-max"),
                 (["--hub", "http://127.0.0.1:1", "--buffer-sync", "2h"], "--buffer-sync")]
        for args, reason in cases:
            r = agent(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(reason, r.stderr, args)
            self.assertEqual(r.stdout, "")

    def test_unknown_collector(self):
        r = agent("--once", "--print", "--collectors", "cpu,nope")
        self.assertEqual(r.returncode, 2)
        self.assertIn('unknown collector "nope"', r.stderr)
        self.assertIn("thermal_zone", r.stderr)

    def test_fixture_tree_and_collector_list(self):
        r = agent("--once", "--print", "--procfs", os.path.join(FIXTURES, "proc"),
                  "--sysfs", os.path.join(FIXTURES, "sys"), "--rootfs", os.path.join(FIXTURES, "rootfs"),
                  "--collectors", "thermal_zone,loadavg")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout,
                         "# TYPE node_load1 gauge\nnode_load1 0.52\n"
                         "# TYPE node_load15 gauge\nnode_load15 0.41\n"
                         "# TYPE node_load5 gauge\nnode_load5 0.48\n"
                         "# TYPE node_thermal_zone_temp gauge\n"
                         'node_thermal_zone_temp{type="cpu-thermal",zone="0"} 48.312\n')

    def test_options_from_a_config_file_and_the_command_line_over_it(self):
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "agent.conf")
            with open(conf, "w") as f:
                f.write(f'procfs = "{os.path.join(FIXTURES, "proc")}"\n'
                        f'sysfs = "{os.path.join(FIXTURES, "sys")}"\n'
                        f'rootfs = "{os.path.join(FIXTURES, "rootfs")}"\n'
                        'collectors = "loadavg"\n')
            r = agent("--config", conf, "--once", "--print")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("node_load1 0.52\n", r.stdout)
            r = agent("--config", conf, "--once", "--print", "--collectors", "thermal_zone")
            self.assertEqual(r.stdout, "# TYPE node_thermal_zone_temp gauge\n"
                                       'node_thermal_zone_temp{type="cpu-thermal",zone="0"} 48.312\n')
            with open(conf, "a") as f:
                f.write("colectors = loadavg\n")
            r = agent("--config", conf, "--once", "--print")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("--colectors", r.stderr)
            r = agent("--config", os.path.join(d, "missing.conf"), "--once", "--print")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("missing.conf", r.stderr)

    def test_identity_of_the_fixture_tree(self):
        r = agent("--once", "--identity", "--procfs", os.path.join(FIXTURES, "proc"),
                  "--sysfs", os.path.join(FIXTURES, "sys"), "--rootfs", os.path.join(FIXTURES, "rootfs"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {
            "id": "machine-id:4f1e2d3c4b5a69788796a5b4c3d2e1f0", "hostname": "raspberrypi",
            "interface": "eth0", "mac": "dc:a6:32:01:02:03", "os": "Debian GNU/Linux 12 (bookworm)",
            "kernel": "6.1.0-rpi7-rpi-v8", "arch": "aarch64", "cpu_model": "Raspberry Pi 4 Model B Rev 1.4",
            "cores": 2, "memory_bytes": 3884852 * 1024, "boot_time": 1700000000})

    def test_identity_of_this_host(self):
        r = agent("--once", "--identity")
        self.assertEqual(r.returncode, 0, r.stderr)
        me = json.loads(r.stdout)
        try:
            with open("/etc/machine-id") as f:
                machine_id = f.read().strip()
        except OSError:
            machine_id = ""
        if re.fullmatch(r"[0-9a-f]{32}", machine_id):
            self.assertEqual(me["id"], "machine-id:" + machine_id)
        else:  # a container without one: the default route's MAC, if there is a default route
            self.assertEqual(me["id"], "mac:" + me["mac"] if me["mac"] else "")
        self.assertEqual(me["hostname"], socket.gethostname())
        self.assertEqual(me["cores"], os.cpu_count())
        self.assertEqual(me["arch"], os.uname().machine)


if __name__ == "__main__":
    unittest.main()
