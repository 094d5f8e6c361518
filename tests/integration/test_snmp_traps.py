"""The SNMP trap receiver: traps sent by net-snmp's snmptrap (v1 and v2c) and an inform sent by
snmpinform (which only succeeds when the inform is acknowledged) become events with the source,
the trap OID and the variables; garbage on the port is counted and changes nothing. SNMPv3 traps
of the users created over /api/v1/snmp/trap-users become the same events; those of unknown users,
with a wrong password or replayed are counted by reason and not recorded. Traps are counted in
the series snmp_traps, with the node whose address sent them, and an alert rule over that series
fires on a linkDown and resolves once no more come."""

import socket
import subprocess
import unittest

from snmp_peers import NO_MIBS, UsmUser, free_udp_port
from telltale_harness import AdminTestCase, wait_until

TRAP_PORT = free_udp_port()


class SnmpTrapTest(AdminTestCase):
    server_args = ("--snmp-trap-listen", f"127.0.0.1:{TRAP_PORT}")

    def traps(self, count):
        def got():
            r = self.req("GET", "/api/v1/events?topic=snmp&limit=1000")
            self.assertStatus(r, 200)
            events = [e for e in r.json["data"] if e["kind"] == "snmp.trap"]
            return events if len(events) >= count else None
        events = wait_until(got, timeout=10)
        self.assertTrue(events, f"fewer than {count} trap events")
        return events

    def send(self, tool, *args):
        subprocess.run([tool, *args[:1], "-c", "public", *NO_MIBS, "-t", "2", "-r", "1", f"127.0.0.1:{TRAP_PORT}",
                        *args[1:]], check=True, capture_output=True, timeout=30)

    def test_v1_v2c_and_inform_become_events(self):
        listening = f"SNMP traps: listening on udp 127.0.0.1:{TRAP_PORT}"
        self.assertTrue(wait_until(lambda: listening in self.server.log(), timeout=5), self.server.log())
        # v2c linkDown with ifIndex 3 and a string.
        self.send("snmptrap", "-v2c", "4200", "1.3.6.1.6.3.1.1.5.3",
                  "1.3.6.1.2.1.2.2.1.1.3", "i", "3", "1.3.6.1.2.1.1.5.0", "s", "edge-sw")
        [e] = self.traps(1)
        d = e["data"]
        self.assertEqual((d["version"], d["trap_oid"], d["trap"], d["uptime"]), ("2c", "1.3.6.1.6.3.1.1.5.3", "linkDown", 42))
        self.assertEqual(e["subject"], "127.0.0.1")
        self.assertTrue(d["source"].startswith("127.0.0.1:"))
        self.assertEqual([(v["name"], v["type"], v["value"]) for v in d["varbinds"]],
                         [("ifIndex.3", "INTEGER", 3), ("sysName.0", "OCTET STRING", "edge-sw")])

        # v1 enterprise-specific trap 17 of enterprise 1.3.6.1.4.1.8072.9.
        self.send("snmptrap", "-v1", "1.3.6.1.4.1.8072.9", "127.0.0.1", "6", "17", "100",
                  "1.3.6.1.2.1.1.6.0", "s", "rack 9")
        v1 = next(e["data"] for e in self.traps(2) if e["data"]["version"] == "1")
        self.assertEqual(v1["trap_oid"], "1.3.6.1.4.1.8072.9.0.17")
        self.assertEqual(v1["varbinds"][0]["value"], "rack 9")

        # An inform is acknowledged: snmpinform fails unless the receiver answers.
        self.send("snmpinform", "-v2c", "", "1.3.6.1.6.3.1.1.5.1")
        self.assertIn("coldStart", [e["data"]["trap"] for e in self.traps(3)])

        # Garbage is dropped and counted.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\x30\x02\x01\x00", ("127.0.0.1", TRAP_PORT))
        wait_until(lambda: self.server.metric_value("telltale_snmp_trap_datagrams_malformed_total") == 1, timeout=5)
        self.assertEqual(self.server.metric_value("telltale_snmp_trap_datagrams_malformed_total"), 1)
        self.assertEqual(len(self.traps(3)), 3)


TRAP_PORT_ALERTS = free_udp_port()


class SnmpTrapAlertTest(AdminTestCase):
    server_args = ("--snmp-trap-listen", f"127.0.0.1:{TRAP_PORT_ALERTS}")

    def test_a_rule_over_snmp_traps_fires_on_link_down_with_the_node(self):
        r = self.req("POST", "/api/v1/nodes", {"name": "edge-sw", "type": "network", "address": "127.0.0.1"})
        self.assertStatus(r, 201)
        r = self.req("POST", "/api/v1/alert-rules",
                     {"name": "LinkDown", "expr": 'sum_over_time(snmp_traps{trap="linkDown"}[4s]) > 0',
                      "severity": "warning", "interval": "1s"})
        self.assertStatus(r, 201)
        for _ in range(2):
            subprocess.run(["snmptrap", "-v2c", "-c", "public", *NO_MIBS, f"127.0.0.1:{TRAP_PORT_ALERTS}", "",
                            "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.3", "i", "3"],
                           check=True, capture_output=True, timeout=30)

        def firing():  # the value counts both traps once the second one is in
            alerts = self.req("GET", "/api/v1/alerts?state=firing&label=alertname=LinkDown").json["data"]
            return alerts if alerts and alerts[0]["value"] == 2 else None
        [alert] = wait_until(firing, timeout=15)
        self.assertEqual(alert["labels"], {"alertname": "LinkDown", "severity": "warning", "node": "edge-sw",
                                           "source": "127.0.0.1", "trap": "linkDown"})
        events = self.req("GET", "/api/v1/events?topic=snmp").json["data"]
        self.assertEqual({e["data"].get("node") for e in events}, {"edge-sw"})
        # No more linkDown: the window empties and the alert resolves.
        resolved = wait_until(lambda: self.req("GET", f"/api/v1/alerts/{alert['id']}").json["data"]["state"] == "resolved",
                              timeout=20)
        self.assertTrue(resolved)


ENGINE_A = "8000000001020304"      # as snmptrap -e takes it, and as the API shows it
ENGINE_B = "80001f8804746573742d62"
V3_PORT = free_udp_port()
V3_USERS = [  # (engine id, user)
    (ENGINE_A, UsmUser("alice", "sha", "alice-auth-pw", "aes", "alice-priv-pw")),
    (ENGINE_A, UsmUser("carol", "md5", "carol-auth-pw", "des", "carol-priv-pw")),
    (ENGINE_B, UsmUser("dave", "sha256", "dave-auth-pass", "aes256", "dave-priv-pass")),
    (ENGINE_A, UsmUser("erin")),
    (ENGINE_B, UsmUser("frank", "sha512", "frank-auth-pw")),
]
PASSWORDS = [p for _, u in V3_USERS for p in (u.auth_password, u.priv_password) if p]


def user_body(engine, u):
    body = {k: v for k, v in u.api_fields().items() if k != "version"}
    body["engine_id"] = engine
    return body


class SnmpV3TrapTest(AdminTestCase):
    server_args = ("--snmp-trap-listen", f"127.0.0.1:{V3_PORT}")

    def v3_events(self, trap="linkDown"):
        r = self.req("GET", "/api/v1/events?topic=snmp&limit=1000")
        self.assertStatus(r, 200)
        return [e["data"] for e in r.json["data"]
                if e["kind"] == "snmp.trap" and e["data"]["version"] == "3" and e["data"]["trap"] == trap]

    def send(self, engine, u, tag, check=True):
        """A v3 linkDown from `u` as the agent with engine id `engine`, sysName.0 = tag."""
        r = subprocess.run(["snmptrap", *u.tool_args(), "-e", f"0x{engine}", *NO_MIBS, f"127.0.0.1:{V3_PORT}", "",
                            "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.1.5.0", "s", tag], capture_output=True, timeout=30)
        if check:
            self.assertEqual(r.returncode, 0, r.stderr)

    def rejected(self, reason=None):
        return self.server.metric_value("telltale_snmp_trap_v3_rejected_total", {"reason": reason} if reason else None) or 0

    def wait_rejected(self, reason, n):
        """Waits for the n-th rejection for `reason` since the test began."""
        wait_until(lambda: self.rejected(reason) - self.base.get(reason, 0) >= n, timeout=10)
        self.assertEqual(self.rejected(reason) - self.base.get(reason, 0), n, reason)

    def setUp(self):
        self.base = {r: self.rejected(r) for r in ("unknown_user", "unknown_engine_id", "wrong_digest", "decryption_failed",
                                                    "unsupported_security_level")}

    def test_v3_trap_users_and_traps(self):
        listening = f"SNMP traps: listening on udp 127.0.0.1:{V3_PORT}"
        self.assertTrue(wait_until(lambda: listening in self.server.log(), timeout=5), self.server.log())
        ids = {}
        for engine, u in V3_USERS:
            r = self.req("POST", "/api/v1/snmp/trap-users", user_body(engine, u))
            self.assertStatus(r, 201)
            ids[u.name] = r.json["data"]["id"]
            self.assertEqual(r.json["data"]["engine_id"], engine)

        # Passwords are never shown, in the list or one by one.
        r = self.req("GET", "/api/v1/snmp/trap-users")
        self.assertStatus(r, 200)
        self.assertLessEqual({u.name for _, u in V3_USERS}, {u["user"] for u in r.json["data"]})
        for p in PASSWORDS:
            self.assertNotIn(p, r.body.decode())
        alice = self.req("GET", f"/api/v1/snmp/trap-users/{ids['alice']}").json["data"]
        self.assertEqual((alice["auth_protocol"], alice["auth_password"], alice["priv_protocol"], alice["priv_password"]),
                         ("sha", "********", "aes", "********"))
        erin = self.req("GET", f"/api/v1/snmp/trap-users/{ids['erin']}").json["data"]
        self.assertEqual((erin["auth_protocol"], erin["auth_password"]), ("none", None))

        # Bad input: 422 naming each field, as discovery's v3 fields; a second user of the same
        # name and engine is a conflict.
        r = self.req("POST", "/api/v1/snmp/trap-users",
                     {"user": "x", "engine_id": "zz01", "auth_protocol": "sha999", "auth_password": "short"})
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        self.assertEqual(set(r.field_errors()), {"engine_id", "auth_protocol", "auth_password"})
        r = self.req("POST", "/api/v1/snmp/trap-users", {"user": "x", "engine_id": ENGINE_A, "priv_protocol": "aes",
                                                        "priv_password": "long-enough"})
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        self.assertIn("priv_protocol", r.field_errors())
        r = self.req("POST", "/api/v1/snmp/trap-users", user_body(*V3_USERS[0]))
        self.assertStatus(r, 409, "TRAP_USER_EXISTS")
        r = self.req("PATCH", f"/api/v1/snmp/trap-users/{ids['erin']}", {"auth_password": "********"})
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        self.assertIn("auth_password", r.field_errors())

        # The mask sent back keeps the stored passwords: alice's traps still verify after it.
        r = self.req("PATCH", f"/api/v1/snmp/trap-users/{ids['alice']}",
                     {"auth_password": "********", "priv_password": "********"})
        self.assertStatus(r, 200)

        for engine, u in V3_USERS:
            self.send(engine, u, f"from-{u.name}")
        got = wait_until(lambda: (lambda ev: ev if len(ev) >= len(V3_USERS) else None)(self.v3_events()), timeout=10)
        self.assertTrue(got, self.server.log())
        by_user = {d["user"]: d for d in got}
        self.assertEqual(set(by_user), {u.name for _, u in V3_USERS})
        for engine, u in V3_USERS:
            d = by_user[u.name]
            self.assertEqual((d["engine_id"], d["trap"], d["varbinds"][0]["value"]), (engine, "linkDown", f"from-{u.name}"))
            self.assertTrue(d["source"].startswith("127.0.0.1:"))

        # Unknown user, unknown engine, wrong passwords, a downgraded level: counted, not recorded.
        alice_u = V3_USERS[0][1]
        self.send(ENGINE_A, UsmUser("mallory", "sha", "alice-auth-pw", "aes", "alice-priv-pw"), "x")
        self.wait_rejected("unknown_user", 1)
        self.send("8000000009090909", alice_u, "x")
        self.wait_rejected("unknown_engine_id", 1)
        self.send(ENGINE_A, UsmUser("alice", "sha", "wrong-auth-pw", "aes", "alice-priv-pw"), "x")
        self.wait_rejected("wrong_digest", 1)
        self.send(ENGINE_A, UsmUser("alice", "md5", "alice-auth-pw", "aes", "alice-priv-pw"), "x")
        self.wait_rejected("wrong_digest", 2)
        self.send(ENGINE_A, UsmUser("alice", "sha", "alice-auth-pw", "aes", "wrong-priv-pw"), "x")
        self.wait_rejected("decryption_failed", 1)
        self.send(ENGINE_A, UsmUser("alice", "sha", "alice-auth-pw"), "x")
        self.wait_rejected("unsupported_security_level", 1)
        # Logged, but not a line each.
        lines = self.server.log().count("SNMP traps: v3 datagram from 127.0.0.1")
        self.assertTrue(0 < lines < self.rejected(), (lines, self.rejected()))
        self.assertEqual(len(self.v3_events()), len(V3_USERS))

        # A new password takes effect at once; a deleted user is unknown.
        r = self.req("PATCH", f"/api/v1/snmp/trap-users/{ids['alice']}", {"auth_password": "alice-new-pw"})
        self.assertStatus(r, 200)
        self.send(ENGINE_A, alice_u, "old-password")
        self.wait_rejected("wrong_digest", 3)
        self.send(ENGINE_A, UsmUser("alice", "sha", "alice-new-pw", "aes", "alice-priv-pw"), "new-password")
        self.assertTrue(wait_until(lambda: "new-password" in [d["varbinds"][0]["value"] for d in self.v3_events()], timeout=10))
        self.assertStatus(self.req("DELETE", f"/api/v1/snmp/trap-users/{ids['carol']}"), 204)
        self.send(ENGINE_A, V3_USERS[1][1], "deleted")
        self.wait_rejected("unknown_user", 2)
        self.assertNotIn("deleted", [d["varbinds"][0]["value"] for d in self.v3_events()])
        self.assertNotIn("alice-new-pw", self.req("GET", f"/api/v1/snmp/trap-users/{ids['alice']}").body.decode())

        # null removes a field in a PATCH: dave loses privacy, and its authNoPriv traps count.
        dave = f"/api/v1/snmp/trap-users/{ids['dave']}"
        r = self.req("PATCH", dave, {"colour": None})
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        self.assertIn("colour", r.field_errors())
        r = self.req("PATCH", dave, {"priv_protocol": None})
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        self.assertEqual(r.field_errors(), {"priv_protocol": "is required with the other"})
        r = self.req("PATCH", dave, {"priv_protocol": None, "priv_password": None})
        self.assertStatus(r, 200)
        self.assertEqual((r.json["data"]["priv_protocol"], r.json["data"]["priv_password"]), ("none", None))
        self.send(ENGINE_B, UsmUser("dave", "sha256", "dave-auth-pass"), "dave-without-privacy")
        self.assertTrue(wait_until(
            lambda: "dave-without-privacy" in [d["varbinds"][0]["value"] for d in self.v3_events()], timeout=10))
        self.assertIn(self.server.metric_value("telltale_snmp_trap_datagrams_malformed_total"), (None, 0))

    def inform(self, u, tag):
        """snmpinform from `u` (it discovers Telltale's engine id first); True when acknowledged."""
        r = subprocess.run(["snmpinform", *u.tool_args(), "-t", "1", "-r", "0", *NO_MIBS, f"127.0.0.1:{V3_PORT}", "",
                            "1.3.6.1.6.3.1.1.5.1", "1.3.6.1.2.1.1.5.0", "s", tag], capture_output=True, timeout=30)
        return r.returncode == 0

    def test_v3_informs_are_acknowledged(self):
        r = self.req("GET", "/api/v1/snmp/engine")
        self.assertStatus(r, 200)
        engine = r.json["data"]["engine_id"]
        self.assertRegex(engine, r"^8000000005[0-9a-f]{16}$")
        self.assertGreaterEqual(r.json["data"]["boots"], 1)
        for u in (UsmUser("gina", "sha256", "gina-auth-pass", "aes", "gina-priv-pass"),
                  UsmUser("hank", "md5", "hank-auth-pass", "des", "hank-priv-pass"), UsmUser("ivan")):
            self.assertStatus(self.req("POST", "/api/v1/snmp/trap-users", user_body(engine, u)), 201)
            self.assertTrue(self.inform(u, f"inform-{u.name}"), self.server.log())
            got = wait_until(lambda: [d for d in self.v3_events("coldStart") if d["varbinds"][0]["value"] == f"inform-{u.name}"], timeout=10)
            self.assertTrue(got)
            self.assertEqual((got[0]["user"], got[0]["engine_id"], got[0]["trap"]), (u.name, engine, "coldStart"))
        # A wrong password gets no acknowledgement and no event.
        self.assertFalse(self.inform(UsmUser("gina", "sha256", "not-gina-pass", "aes", "gina-priv-pass"), "inform-wrong"))
        self.wait_rejected("wrong_digest", 1)
        self.assertNotIn("inform-wrong", [d["varbinds"][0]["value"] for d in self.v3_events("coldStart")])


if __name__ == "__main__":
    unittest.main()
