"""The SNMP trap receiver: traps sent by net-snmp's snmptrap (v1 and v2c) and an inform sent by
snmpinform (which only succeeds when the inform is acknowledged) become events with the source,
the trap OID and the variables; garbage on the port is counted and changes nothing. Traps are
counted in the series snmp_traps, with the node whose address sent them, and an alert rule over
that series fires on a linkDown and resolves once no more come."""

import socket
import subprocess
import unittest

from snmp_peers import NO_MIBS, free_udp_port
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


if __name__ == "__main__":
    unittest.main()
