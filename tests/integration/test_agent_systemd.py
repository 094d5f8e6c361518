"""The systemd collector against a real system bus: Debian's dbus-daemon listening at
<root>/run/dbus/system_bus_socket of a temporary root (never the machine's bus) and a systemd
Manager served through libdbus (systemd_peer.py). `telltale agent --once --print --collectors
systemd --rootfs <root>` writes node_exporter's series with the units' states and types, and
the same series as Debian's prometheus-node-exporter reads from that bus, sockets' connection
counts and timers' last triggers among them."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

from notify_peers import DEBIAN_PYTHON, HOST, free_port, wait_port
from telltale_harness import stop_process
from test_collect_node_exporter import NODE_EXPORTER, agent, parse

DBUS_DAEMON = "/usr/bin/dbus-daemon"
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "systemd_peer.py")

UNITS = [
    {"name": "ssh.service", "load": "loaded", "active": "active", "type": "notify"},
    {"name": "cron.service", "load": "loaded", "active": "activating", "type": "forking"},
    {"name": "backup.service", "load": "loaded", "active": "failed", "type": "oneshot"},
    {"name": "gone.service", "load": "not-found", "active": "inactive"},
    {"name": "multi-user.target", "load": "loaded", "active": "active"},
    {"name": "-.slice", "load": "loaded", "active": "active"},
    {"name": "home.mount", "load": "loaded", "active": "deactivating"},
    # Sockets with systemd's counters (one from before 239, without NRefused), and a timer.
    {"name": "ssh.socket", "load": "loaded", "active": "active",
     "socket": {"NAccepted": 1207, "NConnections": 2, "NRefused": 3}},
    {"name": "old.socket", "load": "loaded", "active": "active",
     "socket": {"NAccepted": 5, "NConnections": 0}},
    {"name": "apt-daily.timer", "load": "loaded", "active": "active", "timer": 1765000000123456},
] + [{"name": f"svc-{i}.service", "load": "loaded", "active": "inactive" if i % 3 else "active",
      "type": "simple"} for i in range(150)]  # more than one batch of calls

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


def peers_missing():
    if not os.path.exists(DBUS_DAEMON):
        return "dbus-daemon is not installed"
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import dbus, gi"], capture_output=True)
    return "python3-dbus and python3-gi are not installed" if probe.returncode else ""


def expected_series():
    """What node_exporter's collector gives for UNITS: per loaded, not excluded unit, one series
    per state; the counts of every unit by state; the version; not running (degraded)."""
    want = {("node_systemd_version", frozenset({("version", "252.19-1~deb12u1")})): 252.19,
            ("node_systemd_system_running", frozenset()): 0.0}
    states = ["activating", "active", "deactivating", "failed", "inactive"]
    counts = {s: 0 for s in states}
    for u in UNITS:
        counts[u["active"]] += 1
        if u["load"] != "loaded" or u["name"].endswith((".slice", ".mount")):
            continue
        for s in states:
            labels = {("name", u["name"]), ("state", s)} | ({("type", u["type"])} if "type" in u else set())
            want[("node_systemd_unit_state", frozenset(labels))] = float(s == u["active"])
        name = frozenset({("name", u["name"])})
        names = {"NAccepted": "node_systemd_socket_accepted_connections_total",
                 "NConnections": "node_systemd_socket_current_connections",
                 "NRefused": "node_systemd_socket_refused_connections_total"}
        for prop, value in u.get("socket", {}).items():
            want[(names[prop], name)] = float(value)
        if "timer" in u:
            want[("node_systemd_timer_last_trigger_seconds", name)] = u["timer"] / 1e6
    for s, n in counts.items():
        want[("node_systemd_units", frozenset({("state", s)}))] = float(n)
    return want


MISSING = peers_missing()


@unittest.skipIf(MISSING, MISSING + " (packaging/install-deps.sh --test installs them)")
class SystemdOverDbus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="tt-systemd-")
        os.makedirs(os.path.join(cls.root, "run/systemd/system"))
        os.makedirs(os.path.join(cls.root, "run/dbus"))
        cls.socket = os.path.join(cls.root, "run/dbus/system_bus_socket")
        config = os.path.join(cls.root, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(socket=cls.socket))
        units = os.path.join(cls.root, "units.json")
        with open(units, "w") as f:
            json.dump(UNITS, f)
        cls.procs = []
        bus = subprocess.Popen([DBUS_DAEMON, "--config-file", config, "--nofork", "--print-address"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cls.procs.append(bus)
        cls.address = bus.stdout.readline().strip()
        if not cls.address:
            cls.tearDownClass()
            raise AssertionError("dbus-daemon did not start: " + bus.stderr.read())
        peer = subprocess.Popen([DEBIAN_PYTHON, PEER, cls.address, units],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cls.procs.append(peer)
        if peer.stdout.readline().strip() != "ready":
            cls.tearDownClass()
            raise AssertionError("systemd_peer.py did not start: " + peer.stderr.read())

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            stop_process(p)
            p.stdout.close()
            p.stderr.close()
        shutil.rmtree(cls.root, True)

    def ours(self, root=None):
        r = agent("--once", "--print", "--collectors", "systemd", "--rootfs", root or self.root)
        self.assertEqual(r.returncode, 0, r.stderr)
        return parse(r.stdout)

    def test_the_units_states_and_types(self):
        want = expected_series()
        want[("telltale_agent_systemd_up", frozenset())] = 1.0
        self.assertEqual(self.ours(), want)

    @unittest.skipUnless(os.path.exists(NODE_EXPORTER), "prometheus-node-exporter is not installed")
    def test_the_same_series_as_node_exporter(self):
        port = free_port()
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        # Debian's build also leaves out *.target by default; upstream's default, the agent's:
        exclude = r"--collector.systemd.unit-exclude=.+\.(automount|device|mount|scope|slice)"
        proc = subprocess.Popen([NODE_EXPORTER, f"--web.listen-address={HOST}:{port}",
                                 "--collector.disable-defaults", "--collector.systemd", exclude],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self.assertTrue(wait_port(port), "node_exporter did not listen")
            with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=30) as r:
                theirs = parse(r.read().decode())
        finally:
            stop_process(proc)
            proc.stderr.close()
        ours = self.ours()
        # Every node_exporter metric of its default options (the rest, start times, restarts and
        # tasks, are off unless asked for).
        theirs = {k: v for k, v in theirs.items() if k[0].startswith("node_systemd_")}
        del ours[("telltale_agent_systemd_up", frozenset())]
        self.assertEqual(ours, theirs)
        self.assertEqual(theirs, expected_series())

    def test_no_systemd_no_samples_and_no_bus_is_down(self):
        empty = tempfile.mkdtemp(prefix="tt-nosystemd-")
        self.addCleanup(shutil.rmtree, empty, True)
        self.assertEqual(self.ours(empty), {})
        os.makedirs(os.path.join(empty, "run/systemd/system"))
        self.assertEqual(self.ours(empty), {("telltale_agent_systemd_up", frozenset()): 0.0})


if __name__ == "__main__":
    unittest.main()
