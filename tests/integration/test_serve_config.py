"""`telltale serve`'s options from a config file (--config or TELLTALE_CONFIG, TOML or INI, a
[serve] section too) and from the environment (TELLTALE_<OPTION>): the command line wins over
the environment, the environment over the file; an unknown key is refused."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from telltale_harness import BIN

READY = re.compile(r"listening on http://127\.0\.0\.1:(\d+) \(data in (.*)\)")


class ServeConfig(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tt-serve-config-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.conf = os.path.join(self.dir, "telltale.conf")
        with open(self.conf, "w") as f:
            f.write(f'listen = "127.0.0.1:0"\ndata = "{self.path("from-file")}"\n'
                    'snmp-trap-listen = "off"\n')

    def path(self, name):
        return os.path.join(self.dir, name)

    def serve(self, *args, env=None):
        """The data directory a server started so says it uses; it is stopped at once."""
        proc = subprocess.Popen([BIN, "serve", *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, **(env or {})))
        try:
            for line in proc.stderr:
                m = READY.search(line)
                if m:
                    return m.group(2)
            self.fail(f"serve exited with {proc.wait()} before listening")
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stderr.close()

    def test_file_then_environment_then_command_line(self):
        self.assertEqual(self.serve("--config", self.conf), self.path("from-file"))
        env = {"TELLTALE_DATA": self.path("from-env")}
        self.assertEqual(self.serve("--config", self.conf, env=env), self.path("from-env"))
        self.assertEqual(self.serve("--config", self.conf, "--data", self.path("from-cli"), env=env),
                         self.path("from-cli"))

    def test_the_file_from_the_environment_with_a_section(self):
        with open(self.conf, "w") as f:
            f.write(f'[serve]\nlisten = "127.0.0.1:0"\ndata = "{self.path("section")}"\n'
                    'snmp-trap-listen = "off"\n')
        self.assertEqual(self.serve(env={"TELLTALE_CONFIG": self.conf}), self.path("section"))

    def test_an_unknown_key_or_a_missing_file_is_refused(self):
        with open(self.conf, "a") as f:
            f.write("listen-port = 1\n")
        r = subprocess.run([BIN, "serve", "--config", self.conf], capture_output=True, text=True,
                           timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--listen-port", r.stderr)
        r = subprocess.run([BIN, "serve", "--config", self.path("nope.conf")], capture_output=True,
                           text=True, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nope.conf", r.stderr)


if __name__ == "__main__":
    unittest.main()
