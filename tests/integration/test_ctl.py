"""`telltale ctl` against the real server: every verb of the resources, every output format
(YAML read back by PyYAML), tables that fit the terminal, exit codes that tell usage, not found,
refused, server and connection failures apart, live `watch` over the WebSocket, PromQL queries,
where the server and token come from (flags, environment, config file), and the shell
completions in bash, zsh and fish."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import yaml

from telltale_harness import BIN, Server, wait_until


class Ctl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.server.start()
        cls.token = cls.server.admin_token()
        cls.url = f"http://127.0.0.1:{cls.server.port}"
        cls.dir = tempfile.mkdtemp(prefix="tt-ctl-")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.dir, True)

    def ctl(self, *args, input=None, env=None, server=True, columns=None):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("TELLTALE_")}
        full_env["XDG_CONFIG_HOME"] = os.path.join(self.dir, "no-config")
        full_env.pop("COLUMNS", None)
        if columns:
            full_env["COLUMNS"] = str(columns)
        full_env.update(env or {})
        flags = ["--server", self.url, "--token", self.token] if server else []
        return subprocess.run([BIN, "ctl", *flags, *args], capture_output=True, text=True,
                              input=input, env=full_env, timeout=60)

    def ok(self, *args, **kw):
        r = self.ctl(*args, **kw)
        self.assertEqual(r.returncode, 0, f"{args}: {r.stdout}{r.stderr}")
        return r.stdout

    def data(self, *args, **kw):
        return json.loads(self.ok(*args, "-o", "json", **kw))

    def test_nodes_every_verb_and_output(self):
        out = self.ok("nodes", "create", "--set", "name=ctl-gw", "--set", "type=network",
                      "--set", "address=10.9.0.1", "--set", "labels.site=lab")
        self.assertIn("ctl-gw", out)
        self.assertIn("ADDRESS", out.splitlines()[0])
        path = os.path.join(self.dir, "pi.yaml")
        with open(path, "w") as f:
            f.write("# a node from a file\nname: ctl-pi\ntype: iot\nlabels:\n  room: kitchen\n")
        created = json.loads(self.ok("nodes", "create", "-f", path, "-o", "json"))
        self.assertEqual(created["labels"], {"room": "kitchen"})
        self.ok("node", "create", "-f", "-", input='{"name": "ctl-vm", "type": "vm"}')

        table = self.ok("nodes", "list")
        self.assertEqual(table.splitlines()[0].split()[:5], ["ID", "NAME", "TYPE", "ADDRESS", "STATUS"])
        self.assertIn("ctl-pi", table)
        self.assertNotIn("LABELS", table)
        wide = self.ok("nodes", "list", "-o", "wide")
        self.assertIn("LABELS", wide.splitlines()[0])
        self.assertIn("site=lab", wide)
        listed = self.data("nodes", "list", "--label", "site=lab")
        self.assertEqual([n["name"] for n in listed], ["ctl-gw"])
        self.assertEqual(yaml.safe_load(self.ok("nodes", "list", "-o", "yaml")),
                         self.data("nodes", "list"))
        self.assertEqual(self.data("nodes", "list", "--filter", "type=iot")[0]["name"], "ctl-pi")

        by_name = self.data("nodes", "get", "ctl-pi")
        self.assertEqual(self.data("nodes", "get", str(by_name["id"]))["name"], "ctl-pi")
        both = self.data("nodes", "get", "ctl-pi", "ctl-gw")
        self.assertEqual([n["name"] for n in both], ["ctl-pi", "ctl-gw"])
        self.assertEqual(len(self.ok("nodes", "get", "ctl-pi", "ctl-gw").splitlines()), 3)

        updated = self.data("nodes", "update", "ctl-pi", "--set", "address=10.9.0.7")
        self.assertEqual(updated["address"], "10.9.0.7")
        self.assertEqual(updated["labels"], {"room": "kitchen"})
        self.assertIn("deleted node ctl-vm", self.ok("nodes", "delete", "ctl-vm"))
        r = self.ctl("nodes", "get", "ctl-vm")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("NODE_NOT_FOUND", r.stderr)

    def test_every_resource_lists_in_every_format(self):
        self.ok("inhibit-rules", "create", "--set", "name=ctl-inhibit", "--set-string",
                'source={alertname="A"}', "--set-string", 'target={alertname="B"}')
        self.ok("trap-users", "create", "--set", "user=ctl-trap", "--set-string",
                "engine_id=80001f8880aabbccdd01", "--set", "auth_protocol=sha",
                "--set", "auth_password=trap-password-1")
        self.ok("trap-users", "update", "ctl-trap", "--set", "auth_protocol=sha256")
        self.assertEqual(self.data("trap-users", "get", "ctl-trap")["auth_protocol"], "sha256")
        for resource in ("nodes", "checks", "alert-rules", "alerts", "silences", "maintenance",
                         "inhibit-rules", "channels", "trap-users", "users", "tokens",
                         "enrolment-tokens", "events"):
            items = self.data(resource, "list")
            self.assertIsInstance(items, list, resource)
            self.assertEqual(yaml.safe_load(self.ok(resource, "list", "-o", "yaml")) or [], items, resource)
            for fmt in ("table", "wide"):
                header = self.ok(resource, "list", "-o", fmt).splitlines()[0]
                self.assertTrue(header.startswith("ID"), (resource, fmt, header))
        self.assertIn("ctl-inhibit", self.ok("inhibit-rules", "list"))
        self.ok("inhibit-rules", "delete", "ctl-inhibit")
        self.ok("trap-users", "delete", "ctl-trap")

    def test_exit_codes_and_errors(self):
        r = self.ctl("nodes", "create", "--set", "name=bad", "--set", "type=toaster")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("VALIDATION_FAILED", r.stderr)
        self.assertIn("  type:", r.stderr)  # the field, as the server named it
        r = self.ctl("nodes", "list", "--no-such-flag")
        self.assertEqual(r.returncode, 2, r.stderr)
        r = self.ctl("nodes", "create", "-f", os.path.join(self.dir, "missing.yaml"))
        self.assertEqual((r.returncode, "CTL_BAD_FILE" in r.stderr), (2, True), r.stderr)
        bad = os.path.join(self.dir, "bad.yaml")
        with open(bad, "w") as f:
            f.write("name: x\nname: y\n")
        r = self.ctl("nodes", "create", "-f", bad)
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad.yaml: line 2, column 1: the key \"name\" appears twice", r.stderr)
        r = subprocess.run([BIN, "ctl", "--server", self.url, "nodes", "list"],  # no token
                           capture_output=True, text=True, timeout=30,
                           env={**os.environ, "XDG_CONFIG_HOME": os.path.join(self.dir, "none")})
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("UNAUTHENTICATED", r.stderr)
        r = subprocess.run([BIN, "ctl", "--server", self.url, "--token", "tt_wrong", "nodes", "list"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("TOKEN_INVALID", r.stderr)
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            free = s.getsockname()[1]
        r = subprocess.run([BIN, "ctl", "--server", f"http://127.0.0.1:{free}", "nodes", "list"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("HUB_UNREACHABLE", r.stderr)
        self.ok("nodes", "create", "--set", "name=twin", "--set", "type=vm")
        r = self.ctl("nodes", "create", "--set", "name=twin", "--set", "type=iot")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("NODE_EXISTS", r.stderr)  # a node's name is unique across types
        # Maintenance windows may share a name: one is then named by its id.
        for _ in range(2):
            self.ok("maintenance", "create", "--set", "name=twin", "--set",
                    "recurrence={every: day, start_time: '03:00', duration: 1h}",
                    "--set-string", 'matchers={alertname="Twin"}')
        r = self.ctl("maintenance", "get", "twin")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("CTL_AMBIGUOUS", r.stderr)

    def test_tables_fit_the_terminal(self):
        self.ok("nodes", "create", "--set", "name=" + "long-name-" * 12, "--set", "type=vm",
                "--set", "address=192.168.100.200")
        out = self.ok("nodes", "list", "-o", "wide", columns=60)
        for line in out.splitlines():
            self.assertLessEqual(len(line), 60, line)
        self.assertIn("\u2026", out)
        self.assertIn("long-name-" * 12, self.ok("nodes", "list"))  # a pipe: whole lines

    def test_checks_run_and_alerts_ack(self):
        check = self.data("checks", "create", "--set", "name=ctl-health", "--set", "kind=http",
                          "--set", f"target={self.url}/healthz", "--set", "interval=1h")
        self.assertEqual(check["kind"], "http")
        result = self.data("checks", "run", "ctl-health")
        self.assertIs(result["up"], True, result)
        table = self.ok("checks", "run", "ctl-health")
        self.assertEqual(table.splitlines()[0].split(), ["FIELD", "VALUE"])
        self.assertIn("ctl-health", self.ok("checks", "list"))

        self.ok("alert-rules", "create", "--set", "name=ctl-always", "--set", "severity=info",
                "--set", "expr=vector(1)", "--set", "interval=1s")
        wait_until(lambda: any(a["state"] == "firing" for a in self.data("alerts", "list")), timeout=20)
        alert = next(a for a in self.data("alerts", "list") if a["state"] == "firing")
        acked = self.data("alerts", "ack", str(alert["id"]), "--comment", "looking")
        self.assertTrue(acked["acked"], acked)
        self.assertIn("ctl-always", self.ok("alerts", "list"))
        self.assertIn("ctl-always", self.ok("alert-rules", "get", "ctl-always"))
        self.ok("alert-rules", "delete", "ctl-always")
        self.ok("checks", "delete", "ctl-health")

    def test_silences_maintenance_channels_users_tokens(self):
        s = self.data("silences", "add", '{alertname="Noisy"}', "--duration", "2h",
                      "--comment", "deploy")
        self.assertEqual(s["state"], "active")
        self.assertIn("Noisy", self.ok("silence", "list"))
        self.assertIn("expired silence", self.ok("silences", "expire", str(s["id"])))
        self.assertEqual(self.data("silences", "get", str(s["id"]))["state"], "expired")
        r = self.ctl("silences", "add", "{", "--duration", "1h")
        self.assertEqual(r.returncode, 2, r.stderr)

        m = self.data("maintenance", "create", "--set", "name=nightly", "--set",
                      "recurrence={every: day, start_time: '02:00', duration: 1h}",
                      "--set-string", 'matchers={alertname="Backup"}')
        self.assertEqual(m["matchers"], '{alertname="Backup"}')
        self.assertEqual(m["recurrence"]["every"], "day")
        self.ok("maintenance", "update", "nightly", "--set", "comment=backups")
        self.assertIn("nightly", self.ok("maintenance", "list"))
        self.ok("maintenance", "delete", "nightly")

        c = self.data("channels", "create", "--set", "name=ctl-hook", "--set", "kind=webhook",
                      "--set", "config.url=http://127.0.0.1:9/hook")
        self.assertEqual(c["kind"], "webhook")
        self.assertIn("ctl-hook", self.ok("channels", "list"))
        r = self.ctl("channels", "test", "ctl-hook")  # nobody listens on port 9
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("CHANNEL_TEST_FAILED", r.stderr)
        self.ok("channels", "delete", "ctl-hook")

        self.ok("users", "create", "--set", "name=ctl-viewer", "--set", "role=viewer",
                "--set", "password=password-xxxxxxxx")
        out = self.ok("tokens", "create", "--set", "name=ci", "--set", "user=ctl-viewer")
        token = out.strip().splitlines()[-1].removeprefix("token: ")
        self.assertTrue(token.startswith("tt_"), out)
        r = subprocess.run([BIN, "ctl", "--server", self.url, "--token", token, "nodes", "create",
                            "--set", "name=nope", "--set", "type=vm"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 4, r.stderr)  # a viewer may not
        self.assertIn("FORBIDDEN", r.stderr)
        self.ok("users", "delete", "ctl-viewer")

        e = self.data("enrolment-tokens", "create", "--set", "name=fleet")
        self.assertTrue(e["token"].startswith("tte_"))
        self.ok("enrolment-tokens", "delete", "fleet")
        self.assertIn("node.created", self.ok("events", "list", "--limit", "500"))

    def test_watch_prints_changes_as_they_happen(self):
        proc = subprocess.Popen([BIN, "ctl", "--server", self.url, "--token", self.token, "nodes",
                                 "watch", "--count", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # subscribed by then
        self.ok("nodes", "create", "--set", "name=watched", "--set", "type=vm",
                "--set", "address=10.1.1.1")
        self.ok("nodes", "update", "watched", "--set", "address=10.1.1.2")
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 2, out)
        self.assertIn("node.created", lines[0])
        self.assertIn("node.updated", lines[1])
        self.assertIn("address: 10.1.1.1 \u2192 10.1.1.2", lines[1])

        proc = subprocess.Popen([BIN, "ctl", "--server", self.url, "--token", self.token, "events",
                                 "watch", "--count", "1", "-o", "json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        self.ok("nodes", "delete", "watched")
        out, _ = proc.communicate(timeout=20)
        self.assertEqual(json.loads(out)["kind"], "node.deleted")

    def test_query_instant_and_range(self):
        out = self.ok("query", "vector(42)")
        self.assertEqual(out.splitlines()[0].split(), ["SERIES", "VALUE", "TIME"])
        self.assertIn("42", out)
        now = int(time.time() * 1000)
        text = "".join(f'ctl_temp{{room="lab"}} {20 + i} {now - (10 - i) * 1000}\n' for i in range(10))
        r = self.server.request("POST", "/api/v1/import/prometheus", body=text.encode(),
                                headers={"Content-Type": "text/plain"}, token=self.token)
        self.assertIn(r.status, (200, 204), r)
        data = self.data("query", "ctl_temp")
        self.assertEqual(data["result"][0]["metric"], {"__name__": "ctl_temp", "room": "lab"})
        ranged = self.ok("query", "ctl_temp", "--since", "1m", "--step", "1s")
        self.assertIn('ctl_temp{room="lab"}', ranged)
        self.assertGreaterEqual(len(ranged.splitlines()), 5)
        r = self.ctl("query", "sum(")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("BAD_QUERY", r.stderr)

    def test_server_and_token_from_environment_and_config_file(self):
        env = {"TELLTALE_SERVER": self.url, "TELLTALE_TOKEN": self.token}
        self.assertIn("ID", self.ok("nodes", "list", server=False, env=env))
        conf_dir = os.path.join(self.dir, "xdg", "telltale")
        os.makedirs(conf_dir, exist_ok=True)
        with open(os.path.join(conf_dir, "ctl.conf"), "w") as f:
            f.write(f'# written by the test\nserver = "{self.url}"\ntoken = {self.token}\n')
        xdg = {"XDG_CONFIG_HOME": os.path.join(self.dir, "xdg")}
        self.assertIn("ID", self.ok("nodes", "list", server=False, env=xdg))
        # The environment wins over the file, and the command line over both.
        r = self.ctl("nodes", "list", server=False, env={**xdg, "TELLTALE_TOKEN": "tt_wrong"})
        self.assertEqual(r.returncode, 4, r.stderr)
        self.ok("--token", self.token, "nodes", "list", server=False,
                env={**xdg, "TELLTALE_TOKEN": "tt_wrong"})
        with open(os.path.join(conf_dir, "ctl.conf"), "w") as f:
            f.write("sever = x\n")
        r = self.ctl("nodes", "list", server=False, env=xdg)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("CTL_CONFIG", r.stderr)


class Completion(unittest.TestCase):
    def script(self, shell):
        r = subprocess.run([BIN, "completion", shell], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        path = os.path.join(tempfile.mkdtemp(prefix="tt-compl-"), "telltale." + shell)
        self.addCleanup(shutil.rmtree, os.path.dirname(path), True)
        with open(path, "w") as f:
            f.write(r.stdout)
        return path

    def bash(self, line):
        words = line.split(" ")
        script = self.script("bash")
        cmd = (f"source {script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
               f"COMP_CWORD={len(words) - 1}; _telltale; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return set(r.stdout.split())

    def test_bash(self):
        self.assertTrue({"serve", "ctl", "backup", "completion"} <= self.bash("telltale "))
        self.assertEqual(self.bash("telltale ctl no"), {"nodes", "node"})
        self.assertEqual(self.bash("telltale ctl nodes "), {"list", "get", "create", "update", "delete", "watch"})
        self.assertIn("run", self.bash("telltale ctl checks "))
        self.assertEqual(self.bash("telltale ctl silences "), {"list", "get", "add", "expire"})
        self.assertTrue({"--label", "--filter", "--server", "--output"} <= self.bash("telltale ctl nodes list --"))
        # The word after a flag that takes a value is its value, not a command.
        self.assertEqual(self.bash("telltale ctl --server nodes no"), {"nodes", "node"})
        self.assertTrue({"--listen", "--data", "--tls-cert"} & self.bash("telltale serve --"))

    def test_zsh(self):
        script = self.script("zsh")
        cmd = (f"compadd() {{ shift; print -l -- \"$@\" }}; source {script}; "
               "words=(telltale ctl nodes li); CURRENT=4; _telltale")
        r = subprocess.run(["zsh", "-f", "-c", cmd], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("list", r.stdout.split())
        self.assertIn("watch", r.stdout.split())

    def test_fish(self):
        script = self.script("fish")
        r = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C'telltale ctl ch'"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        words = {line.split("\t")[0] for line in r.stdout.splitlines()}
        self.assertTrue({"checks", "channels", "check", "channel"} <= words, r.stdout)
        r = subprocess.run(["fish", "--no-config", "-c",
                            f"source {script}; complete -C'telltale ctl nodes list --'"],
                           capture_output=True, text=True, timeout=30)
        self.assertIn("--label", r.stdout)


if __name__ == "__main__":
    unittest.main()
