"""SNMP checks through the real binary: interface counters of Debian's snmpd compared with what
snmpbulkwalk reads from the same agent, values as facts for conditions, the community kept
secret, and counter wrap, agent restart and interface up/down with values the test controls
(snmpd serving sysUpTime and a 32-bit ifTable row from a pass_persist script)."""

import time
import unittest
import urllib.parse

from snmp_peers import CounterAgent, Snmpd, UdpSink, UsmUser
from telltale_harness import AdminTestCase, wait_until

IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.10"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
TWO_32 = 2 ** 32


class SnmpCheckTestCase(AdminTestCase):
    def check(self, **fields):
        fields.setdefault("kind", "snmp")
        fields.setdefault("enabled", False)  # runs through "run now" only
        fields.setdefault("timeout", "20s")
        r = self.req("POST", "/api/v1/checks", fields)
        self.assertStatus(r, 201)
        return r.json["data"]

    def run_now(self, check):
        r = self.req("POST", f"/api/v1/checks/{check['id']}/run", timeout=60)
        self.assertStatus(r, 200)
        return r.json["data"]

    def samples(self, selector, count):
        """The raw samples [(ms, value)] of the one series `selector` selects, once `count` are stored."""
        q = urllib.parse.quote(selector)

        def stored():
            now = int(time.time() * 1000)
            r = self.req("GET", f"/api/v1/query_range?match={q}&from={now - 3600_000}&to={now + 1000}")
            self.assertStatus(r, 200)
            series = r.json["data"]["series"]
            if len(series) == 1 and len(series[0]["values"]) >= count:
                return list(zip(series[0]["timestamps"], series[0]["values"]))
            return None

        got = wait_until(stored, timeout=10)
        self.assertTrue(got, f"{selector}: fewer than {count} samples")
        return got

    def promql(self, query):
        r = self.req("GET", "/prometheus/api/v1/query?" + urllib.parse.urlencode({"query": query}))
        self.assertStatus(r, 200)
        result = r.json["data"]["result"]
        self.assertEqual(len(result), 1, r.json)
        return float(result[0]["value"][1])


class SnmpdInterfacesTest(SnmpCheckTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = UsmUser("poller", "sha256", "auth-s3cret", "aes", "priv-s3cret")
        cls.agent = Snmpd(community="s3cret-ro", sys_name="telltale-lab", users=[cls.user])

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        super().tearDownClass()

    def test_v3_user_with_privacy(self):
        options = dict(self.user.api_fields(), interfaces=True, oids=["sysName.0"])
        c = self.check(name="snmp-v3", target=self.agent.address, options=options,
                       conditions=['oid("sysName.0") == "telltale-lab"'])
        self.assertEqual((c["options"]["auth_password"], c["options"]["priv_password"]), ("********", "********"))
        for path in (f"/api/v1/checks/{c['id']}", "/api/v1/checks"):
            body = self.req("GET", path).body.decode()
            self.assertNotIn("auth-s3cret", body)
            self.assertNotIn("priv-s3cret", body)
        r = self.run_now(c)
        self.assertTrue(r["up"], r)
        self.assertEqual(r["facts"]["interfaces"], len(self.agent.walk(IF_NAME)))
        # The placeholders keep the stored passphrases; a wrong one is the agent's wrong digest.
        r = self.req("PATCH", f"/api/v1/checks/{c['id']}", {"options": dict(options, auth_password="********",
                                                                            priv_password="********")})
        self.assertStatus(r, 200)
        self.assertTrue(self.run_now(c)["up"])
        r = self.req("PATCH", f"/api/v1/checks/{c['id']}", {"options": dict(options, auth_password="wrong-pass",
                                                                            priv_password="********", retries=0)})
        self.assertStatus(r, 200)
        wrong = self.run_now(c)
        self.assertFalse(wrong["up"])
        self.assertEqual(wrong["error"], "wrong_digest", wrong)

    def test_counters_match_snmpbulkwalk_and_values_are_facts(self):
        c = self.check(name="snmp-lab", target=self.agent.address,
                       options={"community": self.agent.community, "interfaces": True,
                                "oids": ["sysName.0", "1.3.6.1.2.1.1.5.0", "sysUpTime.0", "ifNumber.0"]},
                       conditions=['oid("sysName.0") == "telltale-lab" && interfaces_up >= 1', "uptime > 0s"])
        self.assertEqual(c["options"]["community"], "********")
        self.assertNotIn("s3cret-ro", self.req("GET", f"/api/v1/checks/{c['id']}").body.decode())
        self.assertNotIn("s3cret-ro", self.req("GET", "/api/v1/checks").body.decode())

        before_in, before_out = self.agent.walk(IF_HC_IN), self.agent.walk(IF_HC_OUT)
        result = self.run_now(c)
        after_in, after_out = self.agent.walk(IF_HC_IN), self.agent.walk(IF_HC_OUT)
        self.assertTrue(result["up"], result)
        facts = result["facts"]
        self.assertEqual(facts["values"]["sysName.0"], "telltale-lab")
        self.assertEqual(facts["values"]["1.3.6.1.2.1.1.5.0"], "telltale-lab")
        self.assertGreater(facts["values"]["sysUpTime.0"], 0)
        names = self.agent.walk(IF_NAME)
        self.assertEqual(facts["interfaces"], len(names))
        self.assertEqual(facts["values"]["ifNumber.0"], len(names))

        # Each interface's stored counter is what the agent counted: between the tool's reads
        # before and after the poll (the agent's counters move with the traffic of the test).
        for oid, (_, name) in names.items():
            index = oid.rsplit(".", 1)[1]
            for metric, before, after, column in (("if_in_octets_total", before_in, after_in, IF_HC_IN),
                                                  ("if_out_octets_total", before_out, after_out, IF_HC_OUT)):
                [(_, value)] = self.samples(
                    f'{metric}{{check="snmp-lab",kind="snmp",ifName="{name}",ifIndex="{index}"}}', 1)
                lo, hi = before[f"{column}.{index}"][1], after[f"{column}.{index}"][1]
                self.assertTrue(lo <= value <= hi, f"{metric} of {name}: {value} not within [{lo}, {hi}]")
            [(_, status)] = self.samples(f'if_oper_status{{check="snmp-lab",ifName="{name}"}}', 1)
            self.assertIn(status, (1, 2, 3, 4, 5, 6, 7))

        # The community comes back as the placeholder and is kept.
        r = self.req("PATCH", f"/api/v1/checks/{c['id']}", {"options": {"community": "********", "interfaces": False,
                                                                        "oids": ["sysName.0"]}})
        self.assertStatus(r, 200)
        without = self.run_now(c)  # the condition on interfaces has nothing to read now
        self.assertEqual(without["error"], "condition", without)
        self.assertIn("interfaces_up is not available", without["message"])
        r = self.req("PATCH", f"/api/v1/checks/{c['id']}", {"conditions": ['oid("sysName.0") == "telltale-lab"']})
        self.assertStatus(r, 200)
        self.assertTrue(self.run_now(c)["up"])

    def test_v1_and_failures(self):
        r = self.run_now(self.check(name="snmp-v1", target=self.agent.address,
                                    options={"version": "1", "community": self.agent.community, "interfaces": True}))
        self.assertTrue(r["up"], r)
        self.assertEqual(r["facts"]["interfaces"], len(self.agent.walk(IF_NAME)))

        wrong = self.run_now(self.check(name="snmp-wrong-community", target=self.agent.address, timeout="2s",
                                        options={"community": "nope", "retries": 0}))
        self.assertFalse(wrong["up"])
        self.assertEqual(wrong["error"], "timeout")  # agents drop requests of unknown communities
        sink = UdpSink()
        try:
            silent = self.run_now(self.check(name="snmp-silent", target=f"127.0.0.1:{sink.port}", timeout="1s"))
            self.assertEqual(silent["error"], "timeout")
        finally:
            sink.stop()
        garbage = UdpSink(reply=b"\x30\x03\x02\x01")
        try:
            bad = self.run_now(self.check(name="snmp-garbage", target=f"127.0.0.1:{garbage.port}", timeout="2s"))
            self.assertEqual(bad["error"], "malformed", bad)
        finally:
            garbage.stop()

    def test_validation(self):
        cases = [
            ({"target": "127.0.0.1:99999"}, "target"),
            ({"target": "127.0.0.1", "options": {"oids": ["ifHCInOctet.1"]}}, "options.oids"),
            ({"target": "127.0.0.1", "options": {"version": "4"}}, "options.version"),
            ({"target": "127.0.0.1", "options": {"version": "3"}}, "options.user"),
            ({"target": "127.0.0.1", "options": {"version": "3", "user": "u", "auth_protocol": "sha",
                                                 "auth_password": "short"}}, "options.auth_password"),
            ({"target": "127.0.0.1", "options": {"version": "3", "user": "u", "priv_protocol": "aes",
                                                 "priv_password": "long-enough"}}, "options.priv_protocol"),
            ({"target": "127.0.0.1", "options": {"version": "3", "user": "u", "auth_protocol": "sha3"}},
             "options.auth_protocol"),
            ({"target": "127.0.0.1", "options": {"community": ""}}, "options.community"),
            ({"target": "127.0.0.1", "conditions": ['oid(sysName) == "x"']}, "conditions[0]"),
        ]
        for i, (body, field) in enumerate(cases):
            r = self.req("POST", "/api/v1/checks", {"name": f"snmp-bad-{i}", "kind": "snmp", **body})
            self.assertFieldError(r, field)


class SnmpCounterLogicTest(SnmpCheckTestCase):
    """Counter32 values and sysUpTime chosen by the test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = CounterAgent()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        super().tearDownClass()

    def test_wrap_restart_and_interface_events(self):
        c = self.check(name="snmp-counters", target=self.agent.address, options={"interfaces": True})
        sel = '{check="snmp-counters",ifName="if1",ifIndex="1"}'

        def poll(**state):
            self.agent.set(**state)
            r = self.run_now(c)
            self.assertTrue(r["up"], r)
            return r

        poll(uptime=1000, in_octets=TWO_32 - 1000, out_octets=10, oper=1)
        poll(uptime=2000, in_octets=TWO_32 - 200, out_octets=20)
        poll(uptime=3000, in_octets=300, out_octets=30)  # wrapped: 200 to the top and 300 past it
        in_octets = self.samples("if_in_octets_total" + sel, 3)
        self.assertEqual([v for _, v in in_octets], [TWO_32 - 1000, TWO_32 - 200, TWO_32 + 300])
        # PromQL's irate sees the wrap as the 500 bytes the interface carried.
        (t1, _), (t2, _) = in_octets[-2:]
        self.assertAlmostEqual(self.promql(f"irate(if_in_octets_total{sel}[1h])") * (t2 - t1) / 1000, 500, places=3)
        self.assertEqual(self.promql(f"resets(if_in_octets_total{sel}[1h])"), 0)

        # The agent restarted (sysUpTime went back): counters start over, and rate() sees a reset.
        restarted = poll(uptime=50, in_octets=700, out_octets=5)
        self.assertIn("restarted", restarted["message"])
        poll(uptime=150, in_octets=900, out_octets=6)
        values = [v for _, v in self.samples("if_in_octets_total" + sel, 5)]
        self.assertEqual(values[-2:], [700, 900])
        self.assertEqual(self.promql(f"resets(if_in_octets_total{sel}[1h])"), 1)
        self.assertEqual([v for _, v in self.samples("if_out_octets_total" + sel, 5)], [10, 20, 30, 5, 6])

        # A 32-bit counter that goes down while sysUpTime goes on is a wrap, also for small values.
        poll(uptime=250, in_octets=100, out_octets=7)
        self.assertEqual(self.samples("if_in_octets_total" + sel, 6)[-1][1], 900 + (TWO_32 - 900) + 100)

        # Up/down transitions are events.
        poll(uptime=300, oper=2)
        poll(uptime=400, oper=1)

        def transitions():
            r = self.req("GET", "/api/v1/events?topic=checks&limit=1000")
            got = [(e["kind"], e["data"]["ifName"], e["data"]["from"], e["data"]["to"]) for e in r.json["data"]
                   if e["kind"].startswith("snmp.interface") and e["subject"] == str(c["id"])]
            return got if len(got) >= 2 else None

        self.assertEqual(sorted(wait_until(transitions, timeout=10) or []),
                         sorted([("snmp.interface_down", "if1", "up", "down"), ("snmp.interface_up", "if1", "down", "up")]))
        statuses = [v for _, v in self.samples("if_oper_status" + sel, 8)]
        self.assertEqual(statuses[-3:], [1, 2, 1])


if __name__ == "__main__":
    unittest.main()
