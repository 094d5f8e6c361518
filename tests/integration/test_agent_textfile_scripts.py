"""`telltale agent --once --print` with --textfile-dir and --scripts-dir: a .prom file's samples
and its mtime, a script's Prometheus text and another's Influx line protocol, the success and
duration of each, and a bad file and a failing script reported, not fatal."""

import os
import shutil
import tempfile
import unittest

from test_collect_node_exporter import agent, parse


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


class AgentTextfileScripts(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tt-agent-")
        self.textfiles = os.path.join(self.dir, "textfile")
        self.scripts = os.path.join(self.dir, "scripts")
        os.mkdir(self.textfiles)
        os.mkdir(self.scripts)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_textfiles_and_scripts(self):
        good = os.path.join(self.textfiles, "backup.prom")
        write(good, '# TYPE backup_ok gauge\nbackup_ok{job="db"} 1\n')
        os.utime(good, (1796000000.5, 1796000000.5))
        write(os.path.join(self.textfiles, "bad.prom"), "oops{ 1\n")
        write(os.path.join(self.scripts, "prom"), "#!/bin/sh\necho 'queue_depth 7'\n", 0o755)
        write(os.path.join(self.scripts, "influx"), "#!/bin/sh\necho 'ups,unit=a charge=97'\n", 0o755)
        write(os.path.join(self.scripts, "fails"), "#!/bin/sh\nexit 1\n", 0o755)
        r = agent("--once", "--print", "--collectors", "textfile,scripts",
                  "--textfile-dir", self.textfiles, "--scripts-dir", self.scripts)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = parse(r.stdout)
        self.assertEqual(m[("backup_ok", frozenset({("job", "db")}))], 1)
        self.assertEqual(m[("node_textfile_mtime_seconds", frozenset({("file", good)}))], 1796000000.5)
        self.assertEqual(m[("node_textfile_scrape_error", frozenset())], 1)
        self.assertEqual(m[("queue_depth", frozenset())], 7)
        self.assertEqual(m[("ups_charge", frozenset({("unit", "a")}))], 97)
        success = {dict(labels)["script"]: v for (name, labels), v in m.items()
                   if name == "telltale_agent_script_success"}
        self.assertEqual(success, {"prom": 1, "influx": 1, "fails": 0})
        for script in success:
            self.assertLess(m[("telltale_agent_script_duration_seconds", frozenset({("script", script)}))], 5)

    def test_off_without_directories(self):
        r = agent("--once", "--print", "--collectors", "textfile,scripts")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
