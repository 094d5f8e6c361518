"""`telltale agent --once --print --collectors containers` against a test server of the Docker
Engine API (engine_api_server.py, the fixture tests/fixtures/collect/containers/engine.json) with
--procfs/--sysfs on the fixture's cgroup and /proc trees: the samples' values, with each framing
of the replies, and the engine's up gauge when it does not answer. When podman is installed and
can run a container here (root, a local image), the same against a real engine."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from engine_api_server import EngineApiServer
from test_collect_node_exporter import agent, parse

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "collect",
                       "containers")
A, B, C, D, E = ("a" * 64, "b" * 64, "c" * 64, "d" * 64, "e" * 64)


def key(name, id_, cname, image, **more):
    return (name, frozenset({("id", id_), ("name", cname), ("image", image), *more.items()}))


def web(name, **more):
    return key(name, A, "web", "nginx:1.27", **more)


class AgentContainers(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tt-engine-")
        self.socket = os.path.join(self.dir, "docker.sock")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def collect(self):
        r = agent("--once", "--print", "--collectors", "containers", "--docker-socket", self.socket,
                  "--procfs", os.path.join(FIXTURE, "proc"), "--sysfs", os.path.join(FIXTURE, "sys"))
        self.assertEqual(r.returncode, 0, r.stderr)
        return parse(r.stdout)

    def test_samples_with_each_framing(self):
        for transfer in ("chunked", "length", "close"):
            with self.subTest(transfer=transfer):
                server = EngineApiServer(self.socket, os.path.join(FIXTURE, "engine.json"), transfer).start()
                try:
                    m = self.collect()
                finally:
                    server.stop()
                self.assertEqual(m[("telltale_agent_container_engine_up", frozenset())], 1)
                states = {dict(labels)["name"]: dict(labels)["state"]
                          for name, labels in m if name == "container_state"}
                self.assertEqual(states, {"web": "running", "db": "running", "batch": "exited",
                                          "fresh": "created", "worker": "running"})
                self.assertEqual(m[web("container_start_time_seconds")], 1796119200.5)
                self.assertEqual(m[web("container_cpu_usage_seconds_total")], 2.5)
                self.assertEqual(m[web("container_cpu_user_seconds_total")], 1.5)
                self.assertEqual(m[web("container_cpu_system_seconds_total")], 1.0)
                self.assertEqual(m[web("container_memory_usage_bytes")], 104857600)
                self.assertEqual(m[web("container_memory_working_set_bytes")], 83886080)
                self.assertEqual(m[web("container_memory_rss")], 52428800)
                self.assertEqual(m[web("container_memory_cache")], 41943040)
                self.assertEqual(m[web("container_fs_reads_bytes_total", device="/dev/sda")], 1048576)
                self.assertEqual(m[web("container_fs_writes_bytes_total", device="/dev/sda")], 2097152)
                self.assertEqual(m[web("container_network_receive_bytes_total", interface="eth0")], 123456)
                self.assertEqual(m[web("container_network_transmit_bytes_total", interface="eth0")], 65432)
                self.assertNotIn(web("container_network_receive_bytes_total", interface="lo"), m)
                self.assertAlmostEqual(m[web("container_last_seen")], time.time(), delta=60)
                db = key("container_start_time_seconds", B, "db", "docker.io/library/postgres:16")
                self.assertEqual(m[db], 1796200200)  # 09:30 at +01:00
                self.assertEqual(
                    m[key("container_memory_working_set_bytes", B, "db", "docker.io/library/postgres:16")],
                    9437184)
                # The exited and the created container: their state only.
                for name, labels in m:
                    if dict(labels).get("id") in (C, D):
                        self.assertEqual(name, "container_state")
                # One list, and an inspection of each running container only.
                self.assertEqual(sorted(server.requests),
                                 sorted(["/v1.41/containers/json?all=1"] +
                                        [f"/v1.41/containers/{i}/json" for i in (A, B, E)]))

    def test_an_engine_that_does_not_answer_is_down(self):
        dead = socket.socket(socket.AF_UNIX)  # bound, never listening: connections are refused
        dead.bind(self.socket)
        try:
            m = self.collect()
        finally:
            dead.close()
        self.assertEqual(m, {("telltale_agent_container_engine_up", frozenset()): 0})

    def test_no_socket_no_samples(self):
        self.assertEqual(self.collect(), {})

    def test_an_engine_answering_nonsense_is_down(self):
        garbage = os.path.join(self.dir, "engine.json")
        with open(garbage, "w") as f:
            f.write('{"containers": {"not": "a list"}, "inspect": {}}')
        server = EngineApiServer(self.socket, garbage).start()
        try:
            m = self.collect()
        finally:
            server.stop()
        self.assertEqual(m, {("telltale_agent_container_engine_up", frozenset()): 0})


PODMAN = shutil.which("podman")
BUSYBOX = shutil.which("busybox")
IMAGE = "localhost/telltale-test-busybox:latest"
# This machine's sandbox refuses raised rlimits and the device cgroup's eBPF: a container runs
# only without a cgroup of its own and with lower limits. Tried when a plain run fails.
SANDBOX_FLAGS = ["--cgroups=disabled", "--network=none", "--ulimit=nofile=1024:1024",
                 "--ulimit=nproc=1000:1000"]


@unittest.skipUnless(PODMAN and BUSYBOX and os.geteuid() == 0,
                     "needs root, podman and busybox (a local image is built from it)")
class RealPodman(unittest.TestCase):
    """Podman's Docker-compatible API service with a container it runs, then kills."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tt-podman-")
        cls.socket = os.path.join(cls.dir, "podman.sock")
        cls.name = f"telltale-test-{os.getpid()}"
        # A private mount namespace: on a host with cgroup v1 controllers (hybrid), crun wants a
        # pure cgroup v2 mount, which only this namespace sees.
        script = ('if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then '
                  'umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup; fi; '
                  f'exec podman system service --time=0 unix://{cls.socket}')
        cls.service = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(cls.socket) and time.time() < deadline:
            time.sleep(0.1)
        try:
            if not os.path.exists(cls.socket):
                raise unittest.SkipTest("podman's API service did not start")
            cls.ensure_image()
            for flags in ([], SANDBOX_FLAGS):
                if cls.podman("run", "-d", "--name", cls.name, *flags, IMAGE, "/bin/sleep", "600").returncode == 0:
                    break
                cls.podman("rm", "-f", cls.name)  # a failed run leaves it created
            else:
                raise unittest.SkipTest("podman cannot run a container here")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.podman("rm", "-f", "-t", "0", cls.name)
        cls.service.terminate()
        cls.service.wait(timeout=20)
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def podman(cls, *args):
        return subprocess.run([PODMAN, "--url", f"unix://{cls.socket}", *args],
                              capture_output=True, text=True, timeout=60)

    @classmethod
    def ensure_image(cls):
        if cls.podman("image", "exists", IMAGE).returncode == 0:
            return
        root = os.path.join(cls.dir, "rootfs")
        os.makedirs(os.path.join(root, "bin"))
        shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
        for applet in ("sh", "sleep"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        tar = os.path.join(cls.dir, "rootfs.tar")
        subprocess.run(["tar", "-C", root, "-cf", tar, "."], check=True)
        if cls.podman("import", tar, IMAGE).returncode != 0:
            raise unittest.SkipTest("cannot import a local busybox image")

    def states(self):
        r = agent("--once", "--print", "--collectors", "containers", "--docker-socket", self.socket)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = parse(r.stdout)
        self.assertEqual(m[("telltale_agent_container_engine_up", frozenset())], 1)
        mine = {name: value for (name, labels), value in m.items() if ("name", self.name) in labels}
        state = [dict(labels)["state"] for (name, labels) in m
                 if name == "container_state" and ("name", self.name) in labels]
        return state, mine

    def test_a_running_then_killed_container(self):
        state, mine = self.states()
        self.assertEqual(state, ["running"])
        self.assertAlmostEqual(mine["container_start_time_seconds"], time.time(), delta=120)
        self.assertAlmostEqual(mine["container_last_seen"], time.time(), delta=60)
        self.assertEqual(self.podman("kill", "--signal", "KILL", self.name).returncode, 0)
        self.podman("wait", self.name)
        state, mine = self.states()
        self.assertEqual(state, ["exited"])
        self.assertEqual(list(mine), ["container_state"])
