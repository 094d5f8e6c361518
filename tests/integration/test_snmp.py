"""SNMP discovery against Debian's net-snmp snmpd, compared with what snmpbulkwalk and snmpwalk read
from the same agent; the failures (wrong community, closed port, an agent that never answers, a
garbage answer, bad input) each with its precise error."""

import concurrent.futures
import unittest

from snmp_peers import Snmpd, UdpSink, UsmUser, free_udp_port
from telltale_harness import AdminTestCase

IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
SYSTEM = "1.3.6.1.2.1.1"
STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}


# One v3 user per authentication protocol and per privacy protocol snmpd has; SHA-1 with AES-192
# and AES-256 is where the key extension matters (its keys are shorter than the cipher's).
USERS = [
    UsmUser("plain"),
    UsmUser("md5-des", "md5", "md5-pass-1", "des", "des-pass-1"),
    UsmUser("sha-aes", "sha", "sha-pass-1", "aes", "aes-pass-1"),
    UsmUser("sha-aes192", "sha", "sha-pass-2", "aes192", "aes192-pass"),
    UsmUser("sha-aes256", "sha", "sha-pass-3", "aes256", "aes256-pass"),
    UsmUser("sha224-auth", "sha224", "sha224-pass"),
    UsmUser("sha256-aes192", "sha256", "sha256-pass", "aes192", "aes192-pass"),
    UsmUser("sha384-aes", "sha384", "sha384-pass", "aes", "aes-pass-2"),
    UsmUser("sha512-aes256", "sha512", "sha512-pass", "aes256", "aes256-pass"),
    UsmUser("sha-only", "sha", "sha-only-pass"),
]


class SnmpDiscoveryTest(AdminTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = Snmpd(community="s3cret-ro", sys_name="telltale-lab", users=USERS)

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        super().tearDownClass()

    def discover(self, **body):
        body.setdefault("address", self.agent.address)
        if body.get("version") != "3":
            body.setdefault("community", self.agent.community)
        # check=False: 502 and 504 are the answers under test here, not server faults.
        return self.req("POST", "/api/v1/discover/snmp", body, timeout=60, check=False)

    def expected_interfaces(self, version, user=None):
        """The interface table as net-snmp's own tools read it."""
        if_entry, ifx = self.agent.walk(IF_ENTRY, version, user), self.agent.walk(IFX_ENTRY, version, user)
        out = {}
        for oid, (_, descr) in if_entry.items():
            if not oid.startswith(IF_ENTRY + ".2."):
                continue
            i = int(oid.rsplit(".", 1)[1])
            col = lambda table, prefix, n: table.get(f"{prefix}.{n}.{i}", (None, None))[1]
            mac = col(if_entry, IF_ENTRY, 6)
            if isinstance(mac, str):  # all bytes printable: the tool shows it as a string
                mac = mac.encode("latin-1")
            speed, high = col(if_entry, IF_ENTRY, 5), col(ifx, IFX_ENTRY, 15)
            out[i] = {
                "index": i, "descr": descr, "type": col(if_entry, IF_ENTRY, 3), "mtu": col(if_entry, IF_ENTRY, 4),
                "mac": ":".join(f"{b:02x}" for b in mac) if mac else None,
                "admin_status": STATUS[col(if_entry, IF_ENTRY, 7)], "oper_status": STATUS[col(if_entry, IF_ENTRY, 8)],
                "name": col(ifx, IFX_ENTRY, 1), "alias": col(ifx, IFX_ENTRY, 18),
                "speed_bps": high * 1_000_000 if high is not None and (high > 0 or not speed) else speed,
            }
        return out

    def check_against_tools(self, data, version, user=None):
        sysinfo = self.agent.walk(SYSTEM, version, user)
        s = data["system"]
        self.assertEqual(s["name"], "telltale-lab")
        self.assertEqual(s["name"], sysinfo[SYSTEM + ".5.0"][1])
        self.assertEqual(s["descr"], sysinfo[SYSTEM + ".1.0"][1])
        self.assertEqual(s["object_id"], sysinfo[SYSTEM + ".2.0"][1])
        self.assertEqual(s["contact"], "noc@example.org")
        self.assertEqual(s["location"], "Rack 7, Lab")
        ticks = sysinfo[SYSTEM + ".3.0"][1]
        self.assertLessEqual(abs(s["uptime"] - ticks / 100), 30)
        expected = self.expected_interfaces(version, user)
        self.assertGreaterEqual(len(expected), 1)
        got = {i["index"]: i for i in data["interfaces"]}
        self.assertEqual(got, expected)

    def test_v2c_matches_snmpbulkwalk(self):
        r = self.discover(version="2c")
        self.assertStatus(r, 200)
        self.check_against_tools(r.json["data"], "2c")

    def test_v1_matches_snmpwalk(self):
        r = self.discover(version="1", retries=0)
        self.assertStatus(r, 200)
        self.check_against_tools(r.json["data"], "1")

    def test_v3_every_user_matches_snmpbulkwalk(self):
        for user in USERS:
            with self.subTest(user=user.name):
                r = self.discover(**user.api_fields())
                self.assertStatus(r, 200)
                self.check_against_tools(r.json["data"], "3", user)

    def test_v3_failures_name_their_field(self):
        sha_aes = USERS[2]
        # A wrong authentication password: the agent reports a wrong digest.
        r = self.discover(**dict(sha_aes.api_fields(), auth_password="not-the-password"), retries=0)
        self.assertStatus(r, 422, "SNMP_WRONG_DIGEST")
        self.assertIn("auth_password", r.field_errors())
        # The right protocol name matters as much as the password.
        r = self.discover(**dict(sha_aes.api_fields(), auth_protocol="md5"), retries=0)
        self.assertStatus(r, 422, "SNMP_WRONG_DIGEST")
        r = self.discover(**dict(sha_aes.api_fields(), user="nobody"), retries=0)
        self.assertStatus(r, 422, "SNMP_UNKNOWN_USER")
        self.assertIn("user", r.field_errors())
        # Privacy asked of a user the agent knows without it.
        r = self.discover(**USERS[-1].api_fields(), priv_protocol="aes", priv_password="whatever-1", retries=0)
        self.assertStatus(r, 422, "SNMP_UNSUPPORTED_SECURITY_LEVEL")
        # snmpd drops what it cannot decrypt without a report; the agent still answers discovery.
        r = self.discover(**dict(sha_aes.api_fields(), priv_password="not-the-password"), timeout="500ms", retries=0)
        self.assertStatus(r, 422, "SNMP_DECRYPTION_FAILED")
        self.assertIn("priv_password", r.field_errors())

    def test_concurrent_discoveries_agree(self):
        # Several discoveries in flight on the one engine at once, one of them against a silent agent.
        sink = UdpSink()
        try:
            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                jobs = [pool.submit(self.discover, version=v) for v in ("2c", "1", "2c", "1", "2c")]
                silent = pool.submit(self.discover, address=f"127.0.0.1:{sink.port}", timeout="500ms", retries=0)
                results = [j.result() for j in jobs]
                self.assertStatus(silent.result(), 504, "SNMP_TIMEOUT")
        finally:
            sink.stop()
        for r in results:
            self.assertStatus(r, 200)
            self.assertEqual(r.json["data"]["interfaces"], results[0].json["data"]["interfaces"])

    def test_ipv6(self):
        if not self.agent.ipv6:
            self.skipTest("this host has no IPv6 loopback")
        r = self.discover(address=f"[::1]:{self.agent.port}")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["system"]["name"], "telltale-lab")

    def test_create_then_update_node(self):
        r = self.discover(create_node=True)
        self.assertStatus(r, 200)
        d = r.json["data"]
        self.assertTrue(d["node_created"])
        node = d["node"]
        self.assertEqual((node["name"], node["type"], node["address"]), ("telltale-lab", "network", "127.0.0.1"))
        self.assertEqual(node["metadata"]["snmp"]["object_id"], d["system"]["object_id"])
        again = self.discover(create_node=True)
        self.assertStatus(again, 200)
        self.assertFalse(again.json["data"]["node_created"])
        self.assertEqual(again.json["data"]["node"]["id"], node["id"])
        r = self.req("GET", f"/api/v1/nodes/{node['id']}")
        self.assertEqual(r.json["data"]["metadata"]["snmp"]["location"], "Rack 7, Lab")

    def test_wrong_community_is_a_timeout_that_says_so(self):
        r = self.discover(community="wrong", timeout="300ms", retries=1)
        self.assertStatus(r, 504, "SNMP_TIMEOUT")
        self.assertIn("community", r.json["error"]["message"])

    def test_closed_port_is_unreachable(self):
        r = self.discover(address=f"127.0.0.1:{free_udp_port()}", timeout="5s", retries=2)
        self.assertStatus(r, 502, "SNMP_UNREACHABLE")
        self.assertIn("port unreachable", r.json["error"]["message"])

    def test_agent_that_never_answers_times_out_after_retries(self):
        sink = UdpSink()
        try:
            r = self.discover(address=f"127.0.0.1:{sink.port}", timeout="200ms", retries=2)
        finally:
            sink.stop()
        self.assertStatus(r, 504, "SNMP_TIMEOUT")
        self.assertIn("after 3 tries", r.json["error"]["message"])
        self.assertEqual(sink.received, 3)

    def test_garbage_answer_is_malformed(self):
        sink = UdpSink(reply=b"\x30\x05\x02\x01\x01\x04")
        try:
            r = self.discover(address=f"127.0.0.1:{sink.port}", timeout="2s")
        finally:
            sink.stop()
        self.assertStatus(r, 502, "SNMP_MALFORMED")
        self.assertIn("byte 2", r.json["error"]["message"])

    def test_bad_input(self):
        r = self.discover(address="host:99999", version="4", retries=-1, timeout="10ms")
        for field in ("address", "version", "retries", "timeout"):
            self.assertFieldError(r, field)
        r = self.req("POST", "/api/v1/discover/snmp", {"address": self.agent.address, "version": "3", "community": "x",
                                                       "priv_protocol": "aes", "auth_password": "short"})
        for field in ("user", "community", "auth_password", "auth_protocol", "priv_password", "priv_protocol"):
            self.assertFieldError(r, field)
        r = self.discover(version="2c", user="x", auth_protocol="sha3")
        for field in ("user", "auth_protocol"):
            self.assertFieldError(r, field)
        r = self.req("POST", "/api/v1/discover/snmp", {"community": "x"})
        self.assertFieldError(r, "address")
        r = self.discover(address="no-such-host.invalid")
        self.assertFieldError(r, "address")

    def test_viewer_may_not_discover(self):
        self.server.create_user("snmp-viewer", "viewer")
        token = self.server.token_for("snmp-viewer")
        r = self.server.request("POST", "/api/v1/discover/snmp", {"address": self.agent.address}, token=token)
        self.assertStatus(r, 403)


if __name__ == "__main__":
    unittest.main()
