"""`telltale setup-code`: the first-run setup code of the server running on a data directory, from
the file the server keeps there (DATA/setup-code, mode 0600) until setup is done."""

import os
import stat
import subprocess
import tempfile
import unittest

from telltale_harness import ADMIN_PASSWORD, ADMIN_USER, BIN, Server, run_cli


def setup_code_file(s):
    return os.path.join(s.data_dir, "setup-code")


class SetupCodeTest(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.addCleanup(self.server.cleanup)

    def assertNoCode(self, data_dir):
        p = run_cli(["setup-code"], data_dir)
        self.assertEqual(p.returncode, 1, (p.stdout, p.stderr))
        self.assertEqual(p.stdout, "")
        self.assertIn("SETUP_CODE_NONE", p.stderr)

    def test_code_while_pending_then_gone_after_setup(self):
        s = self.server
        s.start()
        self.assertIsNotNone(s.setup_code, s.log())
        p = run_cli(["setup-code"], s.data_dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, s.setup_code + "\n")
        mode = os.stat(setup_code_file(s))
        self.assertEqual(stat.S_IMODE(mode.st_mode), 0o600)
        self.assertEqual(mode.st_uid, os.getuid())

        r = s.request("POST", "/api/v1/setup", {"setup_code": p.stdout.strip(), "username": ADMIN_USER,
                                                "password": ADMIN_PASSWORD})
        self.assertEqual(r.status, 201, r)
        self.assertFalse(os.path.exists(setup_code_file(s)))
        self.assertNoCode(s.data_dir)
        # A restart with a user: no code, in the log or the file.
        s.stop()
        s.start()
        self.assertIsNone(s.setup_code, s.log())
        self.assertNoCode(s.data_dir)
        s.stop()

    def test_no_server_and_stopped_server(self):
        s = self.server
        self.assertNoCode(s.data_dir)  # empty directory: no server ran
        self.assertNoCode(os.path.join(s.data_dir, "missing"))
        s.start()
        first = s.setup_code
        s.stop()
        # The code was the stopped process's: the next start makes another.
        self.assertNoCode(s.data_dir)
        s.start()
        self.assertNotEqual(s.setup_code, first)
        p = run_cli(["setup-code"], s.data_dir)
        self.assertEqual(p.stdout.strip(), s.setup_code)
        s.stop()

    def test_user_add_voids_the_code(self):
        s = self.server
        s.start()
        p = run_cli(["user", "add", "first", "--role", "admin", "--password-stdin"], s.data_dir,
                    stdin_text="admin-password-1\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNoCode(s.data_dir)
        s.stop()

    def test_stale_file_removed_at_start(self):
        # A server killed while setup was pending leaves its file; the next start, finding a
        # user, removes it.
        s = self.server
        s.start()
        s.kill()
        self.assertTrue(os.path.exists(setup_code_file(s)))
        p = run_cli(["user", "add", "first", "--role", "admin", "--password-stdin"], s.data_dir,
                    stdin_text="admin-password-1\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(setup_code_file(s), "w") as f:
            f.write("AAAA-BBBB-CCCC\n")
        s.start()
        self.assertFalse(os.path.exists(setup_code_file(s)))
        self.assertNoCode(s.data_dir)
        s.stop()

    @unittest.skipUnless(os.getuid() == 0, "needs root to run the command as another user")
    def test_other_user_cannot_read(self):
        s = self.server
        s.start()
        p = subprocess.run([BIN, "setup-code", "--data", s.data_dir], capture_output=True,
                           text=True, timeout=30, user=65534)  # nobody: the directory is 0700
        self.assertEqual(p.returncode, 1, (p.stdout, p.stderr))
        self.assertIn("SETUP_CODE_UNREADABLE", p.stderr)
        s.stop()

    def test_usage(self):
        p = run_cli(["setup-code", "--bogus"])
        self.assertGreater(p.returncode, 1)
        with tempfile.TemporaryDirectory() as d:
            self.assertNoCode(d)


if __name__ == "__main__":
    unittest.main()
