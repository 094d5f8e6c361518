"""First-run setup over HTTP, and the offline CLI commands against a running server's data dir."""

import os
import re
import unittest

from telltale_harness import (ADMIN_PASSWORD, ADMIN_USER, BIN, Server, ServerTestCase,
                              run_cli)


class SetupTest(ServerTestCase):
    def test_setup_flow(self):
        s = self.server
        self.assertRegex(s.setup_code or "", r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$", s.log())

        r = s.request("GET", "/api/v1/setup")
        self.assertStatus(r, 200)
        self.assertIs(r.json["data"]["needs_setup"], True)

        # Wrong code.
        r = s.request("POST", "/api/v1/setup",
                      {"setup_code": "AAAA-BBBB-CCCC", "username": ADMIN_USER, "password": ADMIN_PASSWORD})
        self.assertStatus(r, 403, "SETUP_CODE_INVALID")
        # Missing / mistyped fields.
        r = s.request("POST", "/api/v1/setup", {"setup_code": 5, "username": ADMIN_USER})
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        self.assertIn("setup_code", r.field_errors())
        self.assertIn("password", r.field_errors())
        r = s.request("POST", "/api/v1/setup", "{not json", headers={"Content-Type": "application/json"})
        self.assertStatus(r, 400, "INVALID_JSON")

        # Right code (case and dashes do not matter).
        r = s.request("POST", "/api/v1/setup",
                      {"setup_code": s.setup_code.lower(), "username": ADMIN_USER, "password": ADMIN_PASSWORD})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["name"], ADMIN_USER)
        self.assertEqual(r.json["data"]["role"], "admin")

        r = s.request("GET", "/api/v1/setup")
        self.assertIs(r.json["data"]["needs_setup"], False)

        # A second setup, even with the right code.
        r = s.request("POST", "/api/v1/setup",
                      {"setup_code": s.setup_code, "username": "other", "password": ADMIN_PASSWORD})
        self.assertStatus(r, 409, "SETUP_DONE")

        # The admin can log in.
        cookie, csrf, login = s.login()
        self.assertEqual(login.json["data"]["role"], "admin")

    def test_zz_cli_against_running_server(self):
        s = self.server
        token = s.admin_token()  # setup done (by the other test or here)
        d = s.data_dir

        # user add
        p = run_cli(["user", "add", "opcli", "--role", "operator", "--password-stdin"], d,
                    stdin_text="operator-password\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("opcli", p.stdout)
        # The running server sees the user: it can log in and has the operator role.
        cookie, csrf, login = s.login("opcli", "operator-password")
        self.assertEqual(login.json["data"]["role"], "operator")

        # token create: the token alone on the last stdout line, usable as Bearer.
        p = run_cli(["token", "create", "--user", "opcli", "--name", "ci", "--expires", "1h"], d)
        self.assertEqual(p.returncode, 0, p.stderr)
        last = p.stdout.strip().splitlines()[-1]
        self.assertRegex(last, r"^tt_[A-Za-z0-9_-]+$")
        r = s.request("GET", "/api/v1/auth/me", token=last)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["user"], "opcli")
        self.assertEqual(r.json["data"]["via"], "token")
        # Operator rights through the CLI token.
        r = s.request("POST", "/api/v1/nodes", {"name": "cli-node", "type": "vm"}, token=last)
        self.assertStatus(r, 201)
        r = s.request("GET", "/api/v1/tokens", token=token)
        self.assertIn("ci", [t["name"] for t in r.json["data"]])

        # token create without --name / --expires.
        p = run_cli(["token", "create", "--user", "opcli"], d)
        self.assertEqual(p.returncode, 0, p.stderr)
        t2 = p.stdout.strip().splitlines()[-1]
        self.assertStatus(s.request("GET", "/api/v1/nodes", token=t2), 200)

        # Bad invocations: non-zero, usage/error text, no crash (no signal exit).
        bad_cases = [
            (["user", "add", "x1", "--role", "superuser", "--password-stdin"], "pw-123456789\n"),
            (["user", "add", "x2", "--password-stdin"], "pw-123456789\n"),  # no --role
            (["user", "add", "x3", "--role", "viewer"], None),  # no --password-stdin
            (["user", "add", "--role", "viewer", "--password-stdin"], "pw-123456789\n"),  # no name
            (["user", "add", "opcli", "--role", "viewer", "--password-stdin"], "pw-123456789\n"),  # exists
            (["user", "add", "x4", "--role", "viewer", "--password-stdin"], "short\n"),  # bad password
            (["token", "create"], None),  # no --user
            (["token", "create", "--user", "nobody-here"], None),
            (["token", "create", "--user", "opcli", "--expires", "soon"], None),
            (["token", "create", "--user", "opcli", "--expires", "1ms"], None),  # under a minute
            (["user"], None),
            (["token"], None),
        ]
        for args, stdin in bad_cases:
            with self.subTest(args=args):
                p = run_cli(args, d, stdin_text=stdin if stdin is not None else "")
                self.assertGreater(p.returncode, 0, (p.stdout, p.stderr))
                self.assertTrue((p.stderr + p.stdout).strip(), "no message for %r" % args)
        p = run_cli(["token", "create", "--user", "opcli", "--expires", "30s"], d)
        self.assertIn("at least 1m", p.stderr)
        for args in (["user", "add", "x1", "--role", "superuser", "--password-stdin"], ["user", "add", "x2", "--password-stdin"]):
            p = run_cli(args, d, stdin_text="pw-123456789\n")
            self.assertRegex((p.stderr + p.stdout).lower(), r"usage|--role|role", p.stderr)

        # None of the bad ones created a user.
        r = s.request("GET", "/api/v1/users?per_page=100", token=token)
        names = [u["name"] for u in r.json["data"]]
        for n in ("x1", "x2", "x3", "x4"):
            self.assertNotIn(n, names)
        self.assertTrue(s.alive())


class CliTest(unittest.TestCase):
    def test_version(self):
        p = run_cli(["version"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"telltale\s+\S*\d+\.\d+")
        p = run_cli(["--version"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout + p.stderr, r"\d+\.\d+")

    def test_unknown_flags_and_commands(self):
        for args in (["--no-such-flag"], ["version", "--bogus"], ["serve", "--bogus", "1"],
                     ["frobnicate"], [], ["serve", "--listen", "nonsense"],
                     ["serve", "--max-body", "10"], ["serve", "--log-level", "loud"]):
            with self.subTest(args=args):
                p = run_cli(args, timeout=15)
                self.assertGreater(p.returncode, 0, (args, p.stdout, p.stderr))
                self.assertTrue((p.stdout + p.stderr).strip())

    def test_user_add_on_fresh_dir_then_no_setup(self):
        # `user add` on an empty data directory creates the database; the server then needs no setup.
        s = Server()
        try:
            p = run_cli(["user", "add", "root2", "--role", "admin", "--password-stdin"], s.data_dir,
                        stdin_text="admin-password-1\n")
            self.assertEqual(p.returncode, 0, p.stderr)
            s.start()
            self.assertIsNone(s.setup_code, s.log())
            r = s.request("GET", "/api/v1/setup")
            self.assertIs(r.json["data"]["needs_setup"], False)
            cookie, csrf, login = s.login("root2", "admin-password-1")
            self.assertEqual(login.json["data"]["role"], "admin")
            s.stop()
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()
