"""`telltale apply` and `telltale export` against the real server: the plan of a dry run that
changes nothing, a first apply that makes everything, a second that changes nothing and says so,
an edit that updates the fields it touched, a file with an error that changes nothing and names
the field's path, --prune with its plan first, secrets from the environment, and export → apply
on an empty server reproducing every resource."""
import os
import shutil
import subprocess
import tempfile
import unittest

import yaml

from telltale_harness import BIN, Server

LAB = """
# the lab, as code
nodes:
  - name: gw1
    type: network
    address: 10.20.0.1
    labels: {site: lab}
  - name: pi
    type: iot
channels:
  - name: pager
    kind: webhook
    config:
      url: http://127.0.0.1:9/hook
      bearer_token: ${HOOK_TOKEN}
checks:
  - name: ping gw1
    kind: icmp
    target: 10.20.0.1
    node: gw1
    interval: 1h
  - name: health
    kind: http
    target: http://127.0.0.1:9/healthz
    interval: 1h
    enabled: false
alert-rules:
  - name: gateway down
    kind: check_state
    severity: critical
    check: ping gw1
    channels: [pager]
    escalations:
      - after: 15m
        channels: [pager]
  - name: always
    severity: info
    expr: vector(1)
    interval: 1h
silences:
  - matchers: '{alertname="always"}'
    ends_at: "2099-01-01T00:00:00Z"
    comment: never mind it
maintenance:
  - name: nightly
    nodes: [gw1]
    recurrence: {every: day, start_time: "02:00", duration: 1h}
inhibit-rules:
  - name: gateway mutes the rest
    source: '{alertname="gateway down"}'
    target: '{severity="info"}'
    equal: [site]
trap-users:
  - user: trapper
    engine_id: "80001f8880aabbccdd"
    auth_protocol: sha
    auth_password: ${TRAP_AUTH}
"""

SECRETS = {"HOOK_TOKEN": "hook-secret-1", "TRAP_AUTH": "trap-auth-password"}


class Apply(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tt-apply-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.server = self.start_server()

    def start_server(self):
        server = Server()
        server.start()
        self.addCleanup(server.cleanup)
        server.token = server.admin_token()
        return server

    def run_cli(self, server, *args, env=None, input=None):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("TELLTALE_")}
        full_env["XDG_CONFIG_HOME"] = self.dir
        full_env.update(env or {})
        return subprocess.run([BIN, *args, "--server", f"http://127.0.0.1:{server.port}",
                               "--token", server.token], capture_output=True, text=True,
                              env=full_env, input=input, timeout=60)

    def apply(self, text, *flags, server=None, env=SECRETS, code=0):
        path = os.path.join(self.dir, "lab.yaml")
        with open(path, "w") as f:
            f.write(text)
        r = self.run_cli(server or self.server, "apply", "-f", path, *flags, env=env)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        return r

    def names(self, path, field="name", server=None):
        server = server or self.server
        r = server.request("GET", path + "?per_page=500", token=server.token)
        return sorted(item[field] for item in r.json["data"])

    def test_plan_apply_again_edit_and_prune(self):
        r = self.apply(LAB, "--dry-run")
        self.assertIn("Plan (dry run: nothing changed):", r.stdout)
        for line in ("+ nodes/gw1", "+ checks/ping gw1", "+ alert-rules/gateway down",
                     "+ channels/pager", "+ maintenance/nightly", "+ trap-users/trapper (80001f8880aabbccdd)"):
            self.assertIn(line, r.stdout)
        self.assertEqual(self.names("/api/v1/nodes"), [])  # a dry run leaves nothing

        r = self.apply(LAB)
        self.assertIn("+ silences/{alertname=\"always\"}", r.stdout)
        self.assertEqual(self.names("/api/v1/nodes"), ["gw1", "pi"])
        self.assertEqual(self.names("/api/v1/checks"), ["health", "ping gw1"])
        gw1 = next(n for n in self.server.request("GET", "/api/v1/nodes", token=self.server.token).json["data"]
                   if n["name"] == "gw1")
        check = next(c for c in self.server.request("GET", "/api/v1/checks", token=self.server.token).json["data"]
                     if c["name"] == "ping gw1")
        self.assertEqual(check["node_id"], gw1["id"])  # referred to by name
        rule = next(x for x in self.server.request("GET", "/api/v1/alert-rules", token=self.server.token).json["data"]
                    if x["name"] == "gateway down")
        self.assertEqual(rule["check_id"], check["id"])
        self.assertEqual(len(rule["channels"]), 1)

        r = self.apply(LAB)
        self.assertEqual(r.stdout, f"No changes: the server already holds what {self.dir}/lab.yaml declares.\n")

        edited = LAB.replace("    target: 10.20.0.1\n    node: gw1\n    interval: 1h",
                             "    target: 10.20.0.1\n    node: gw1\n    interval: 5m\n    retries: 3")
        r = self.apply(edited)
        self.assertIn("~ checks/ping gw1: interval, retries", r.stdout)
        self.assertIn("= 10 unchanged", r.stdout)

        pruned = edited.replace("  - name: pi\n    type: iot\n", "")
        r = self.apply(pruned, "--prune")
        # The built-in alert rules are ordinary rules: a file that does not declare them prunes them.
        self.assertIn("Plan:\n- alert-rules/CheckDown\n- alert-rules/NodeDown\n- alert-rules/CertificateExpiringSoon\n"
                      "- alert-rules/PacketLossHigh\n- nodes/pi\n", r.stdout)
        self.assertIn("Applied.", r.stdout)
        self.assertEqual(self.names("/api/v1/nodes"), ["gw1"])

    def test_an_error_anywhere_changes_nothing_and_names_the_field(self):
        bad = LAB.replace("    interval: 1h\n    enabled: false", "    interval: soon\n    enabled: false")
        r = self.apply(bad, code=2)
        self.assertIn("checks[1].interval", r.stderr)
        self.assertEqual(self.names("/api/v1/nodes"), [])  # the nodes before it are gone too
        self.assertEqual(self.names("/api/v1/channels"), [])

        r = self.apply(LAB.replace("check: ping gw1", "check: no such check"), code=2)
        self.assertIn("alert-rules[0].check", r.stderr)
        self.assertIn("no checks named \"no such check\"", r.stderr)
        r = self.apply(LAB + "  - user: trapper\n    engine_id: \"80001f8880aabbccdd\"\n", code=2)
        self.assertIn("trap-users[1]: \"trapper (80001f8880aabbccdd)\" is also trap-users[0]", r.stderr)
        r = self.apply("toasters: []\n", code=2)
        self.assertIn("toasters: not a resource apply knows", r.stderr)
        r = self.apply(LAB, env={"TRAP_AUTH": "x" * 10}, code=2)
        self.assertIn("APPLY_UNSET_VARIABLE", r.stderr)
        self.assertIn("channels[0].config.bearer_token", r.stderr)
        self.assertEqual(self.names("/api/v1/nodes"), [])

    def test_export_then_apply_on_an_empty_server_reproduces_it(self):
        self.apply(LAB)
        exported = self.run_cli(self.server, "export")
        self.assertEqual(exported.returncode, 0, exported.stderr)
        doc = yaml.safe_load(exported.stdout)
        self.assertEqual(sorted(doc), ["alert-rules", "channels", "checks", "inhibit-rules",
                                       "maintenance", "nodes", "silences", "trap-users"])
        # Secrets come out as references to the environment, never as values.
        self.assertNotIn("hook-secret-1", exported.stdout)
        token_ref = doc["channels"][0]["config"]["bearer_token"]
        self.assertTrue(token_ref.startswith("${TELLTALE_SECRET_CHANNELS_PAGER_"), token_ref)
        check = next(c for c in doc["checks"] if c["name"] == "ping gw1")
        self.assertEqual(check["node"], "gw1")
        self.assertNotIn("id", check)

        fresh = self.start_server()
        env = {token_ref[2:-1]: "hook-secret-1"}
        trap_ref = doc["trap-users"][0]["auth_password"]
        env[trap_ref[2:-1]] = "trap-auth-password"
        r = self.apply(exported.stdout, server=fresh, env=env)
        self.assertIn("+ nodes/gw1", r.stdout)
        again = self.run_cli(fresh, "export")
        self.assertEqual(yaml.safe_load(again.stdout), doc)
        self.assertEqual(self.run_cli(fresh, "export", "-o", "json").returncode, 0)
        # The secrets arrived: the fresh server's channel sends the same bearer token.
        r = self.apply(exported.stdout, server=fresh, env=env)
        self.assertIn("No changes", r.stdout)


if __name__ == "__main__":
    unittest.main()
