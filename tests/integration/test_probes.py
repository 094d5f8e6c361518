"""Every probe kind through the real binary against real peers on this machine: HTTP(S) servers
with a self-signed certificate, open and closed TCP ports, dnsmasq with a test zone, ICMP to
127.0.0.1 and into network namespaces whose echo answers have known delays and losses."""

import socket
import time
import unittest
import urllib.parse

from probe_peers import Dnsmasq, HttpPeer, IcmpNamespace, closed_port
from telltale_harness import AdminTestCase, wait_until, ws_connect


class ProbeTestCase(AdminTestCase):
    def check(self, **fields):
        fields.setdefault("enabled", False)  # measured through "run now" unless a test wants the schedule
        r = self.req("POST", "/api/v1/checks", fields)
        self.assertStatus(r, 201)
        return r.json["data"]

    def run_now(self, check):
        r = self.req("POST", f"/api/v1/checks/{check['id']}/run", timeout=30)
        self.assertStatus(r, 200)
        return r.json["data"]

    def assertUp(self, result):
        self.assertTrue(result["up"], result)

    def assertDown(self, result, error):
        self.assertFalse(result["up"], result)
        self.assertEqual(result["error"], error, result)


class HttpProbeTest(ProbeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.web = HttpPeer()
        cls.tls = HttpPeer(tls=True, days=30)

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()
        cls.tls.stop()
        super().tearDownClass()

    def test_status_keyword_json_and_timing(self):
        r = self.run_now(self.check(name="h-health", kind="http", target=self.web.url + "/health",
                                    conditions=['json("$.health.status") == "green"', "status == 200 && latency < 5s",
                                                'header("content-type") contains "json"']))
        self.assertUp(r)
        f = r["facts"]
        self.assertEqual(f["status"], 200)
        for phase in ("dns_time", "connect_time", "first_byte_time", "latency"):
            self.assertGreaterEqual(f[phase], 0, phase)
            self.assertLess(f[phase], 5, phase)
        self.assertNotIn("body", f)  # bodies are for conditions, not for the stored result

        self.assertDown(self.run_now(self.check(name="h-fail", kind="http", target=self.web.url + "/fail")), "status")
        self.assertUp(self.run_now(self.check(name="h-fail-ok", kind="http", target=self.web.url + "/fail",
                                              options={"expected_status": "500-599"})))
        self.assertUp(self.run_now(self.check(name="h-kw", kind="http", target=self.web.url + "/ok",
                                              options={"keyword": "systems ok"})))
        self.assertDown(self.run_now(self.check(name="h-kw-miss", kind="http", target=self.web.url + "/ok",
                                                options={"keyword": "lunch"})), "keyword")
        r = self.run_now(self.check(name="h-cond", kind="http", target=self.web.url + "/health",
                                    conditions=['json("$.version") > 5']))
        self.assertDown(r, "condition")
        self.assertIn("json", r["message"])
        r = self.run_now(self.check(name="h-redir", kind="http", target=self.web.url + "/redirect"))
        self.assertUp(r)
        self.assertEqual(r["facts"]["redirects"], 1)
        self.assertDown(self.run_now(self.check(name="h-noredir", kind="http", target=self.web.url + "/redirect",
                                                options={"follow_redirects": False, "expected_status": "200"})),
                        "status")
        self.assertDown(self.run_now(self.check(name="h-slow", kind="http", target=self.web.url + "/slow",
                                                timeout="500ms")), "timeout")
        self.assertDown(self.run_now(self.check(name="h-closed", kind="http",
                                                target=f"http://127.0.0.1:{closed_port()}/")), "refused")
        r = self.run_now(self.check(name="h-post", kind="http", target=self.web.url + "/echo",
                                    options={"method": "POST", "body": "ping", "headers": {"X-Test": "yes"}},
                                    conditions=['json("$.body") == "ping"', 'json("$.x") == "yes"']))
        self.assertUp(r)

    def test_tls_certificate_and_verification(self):
        r = self.run_now(self.check(name="h-tls", kind="http", target=self.tls.url + "/ok",
                                    options={"tls_verify": False}, conditions=["cert_days > 25"]))
        self.assertUp(r)
        self.assertTrue(29 <= r["facts"]["cert_days"] <= 30, r)
        self.assertDown(self.run_now(self.check(name="h-tls-verify", kind="http", target=self.tls.url + "/ok")), "tls")

    def test_samples_carry_blackbox_names(self):
        node = self.server.create_node(name="web-node", type="vm")
        c = self.check(name="h-samples", kind="http", target=self.web.url + "/ok", node_id=node["id"])
        self.assertUp(self.run_now(c))
        now = int(time.time() * 1000)

        def series(sel):
            q = urllib.parse.quote(sel)
            r = self.req("GET", f"/api/v1/query_range?match={q}&from={now - 60000}&to={now + 60000}")
            return r.json["data"]["series"]
        got = wait_until(lambda: series('probe_http_status_code{check="h-samples"}'), timeout=5)
        self.assertTrue(got)
        self.assertEqual(got[0]["labels"]["node"], "web-node")
        self.assertEqual(got[0]["labels"]["kind"], "http")
        self.assertEqual(got[0]["values"], [200])
        self.assertTrue(series('probe_duration_seconds{check="h-samples"}'))
        self.assertTrue(series('probe_http_duration_seconds{check="h-samples",phase="connect"}'))

    def test_live_up_then_down_when_the_server_stops(self):
        peer = HttpPeer()
        ws = ws_connect(self.server.port, token=self.token)
        ws.subscribe(["checks"])
        c = self.check(name="h-live", kind="http", target=peer.url + "/ok", interval="1s", timeout="900ms",
                       enabled=True)
        m = ws.wait_json(lambda m: m.get("topic") == "checks" and m["data"]["kind"] == "check.state_changed"
                         and m["data"]["data"]["name"] == "h-live", timeout=5)
        self.assertEqual(m["data"]["data"]["state"], "up")
        peer.stop()
        m = ws.wait_json(lambda m: m.get("topic") == "checks" and m["data"]["kind"] == "check.state_changed"
                         and m["data"]["data"]["name"] == "h-live", timeout=5)
        self.assertEqual(m["data"]["data"]["state"], "down")
        ws.close()
        rows = self.req("GET", f"/api/v1/checks/{c['id']}/results").json["data"]
        self.assertTrue(any(r["up"] for r in rows) and any(not r["up"] for r in rows), rows)


class TcpProbeTest(ProbeTestCase):
    def test_open_closed_and_tls(self):
        web = HttpPeer()
        tls = HttpPeer(tls=True, days=10)
        try:
            r = self.run_now(self.check(name="t-open", kind="tcp", target=f"127.0.0.1:{web.port}"))
            self.assertUp(r)
            self.assertLess(r["facts"]["connect_time"], 1)
            self.assertDown(self.run_now(self.check(name="t-closed", kind="tcp", target=f"127.0.0.1:{closed_port()}")),
                            "refused")
            r = self.run_now(self.check(name="t-tls", kind="tcp", target=f"127.0.0.1:{tls.port}",
                                        options={"tls": True, "tls_verify": False}))
            self.assertUp(r)
            self.assertTrue(9 <= r["facts"]["cert_days"] <= 10, r)
            self.assertIn("telltale-test", r["facts"]["cert_issuer"])
            r = self.run_now(self.check(name="t-send", kind="tcp", target=f"127.0.0.1:{web.port}",
                                        options={"send": "GET /ok HTTP/1.0\r\n\r\n", "expect": "200 OK"}))
            self.assertUp(r)
        finally:
            web.stop()
            tls.stop()


class DnsProbeTest(ProbeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dns = Dnsmasq()

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()
        super().tearDownClass()

    def test_records_expectations_and_failures(self):
        server = f"127.0.0.1:{self.dns.port}"
        r = self.run_now(self.check(name="d-a", kind="dns", target="web.tt.test",
                                    options={"server": server, "expected": ["192.0.2.10"]}))
        self.assertUp(r)
        self.assertEqual(r["facts"]["rcode"], "NOERROR")
        self.assertEqual(r["facts"]["answers"], "192.0.2.10")
        r = self.run_now(self.check(name="d-aaaa", kind="dns", target="v6.tt.test",
                                    options={"server": server, "record_type": "AAAA"}))
        self.assertUp(r)
        self.assertEqual(r["facts"]["answers"], "2001:db8::10")
        r = self.run_now(self.check(name="d-mx", kind="dns", target="tt.test",
                                    options={"server": server, "record_type": "MX", "expected": ["10 mail.tt.test"]}))
        self.assertUp(r)
        r = self.run_now(self.check(name="d-txt", kind="dns", target="tt.test",
                                    options={"server": server, "record_type": "TXT", "protocol": "tcp"}))
        self.assertUp(r)
        self.assertEqual(r["facts"]["answers"], "v=spf1 -all")
        self.assertDown(self.run_now(self.check(name="d-wrong", kind="dns", target="web.tt.test",
                                                options={"server": server, "expected": ["192.0.2.99"]})), "expected")
        r = self.run_now(self.check(name="d-nx", kind="dns", target="nothing.tt.test", options={"server": server}))
        self.assertDown(r, "rcode")
        self.assertIn("NXDOMAIN", r["message"])
        # A closed port answers with ICMP port unreachable; a socket that reads and never answers is silent.
        self.assertDown(self.run_now(self.check(name="d-closed", kind="dns", target="web.tt.test", timeout="500ms",
                                                options={"server": f"127.0.0.1:{closed_port()}"})), "refused")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
            silent.bind(("127.0.0.1", 0))
            r = self.run_now(self.check(name="d-silent", kind="dns", target="web.tt.test", timeout="500ms",
                                        options={"server": f"127.0.0.1:{silent.getsockname()[1]}"}))
        self.assertDown(r, "timeout")


SLACK = 0.035  # seconds a loaded machine may add to the responder's delays (31 ms seen with CI and a browser test at once)


class IcmpProbeTest(ProbeTestCase):
    def test_loopback(self):
        r = self.run_now(self.check(name="i-lo", kind="icmp", target="127.0.0.1", options={"packets": 5,
                                                                                          "packet_interval": "20ms"}))
        self.assertUp(r)
        self.assertEqual(r["facts"]["loss"], 0)
        self.assertEqual(r["facts"]["received"], 5)
        self.assertLess(r["facts"]["rtt_max"], 0.1)
        self.assertUp(self.run_now(self.check(name="i-lo6", kind="icmp", target="::1")))

    def test_known_delay_jitter_and_loss(self):
        # Answers alternate 20 ms and 60 ms: avg 40 ms, jitter 40 ms.
        ns = IcmpNamespace([20, 60])
        lossy = IcmpNamespace([30], drop_every=4)
        silent = IcmpNamespace([10], drop_every=1)
        try:
            r = self.run_now(self.check(name="i-jitter", kind="icmp", target=ns.addr, timeout="2s",
                                        options={"packets": 8, "packet_interval": "100ms"}))
            self.assertUp(r)
            f = r["facts"]
            self.assertEqual(f["loss"], 0)
            # An answer cannot leave before its delay; the delayer (Python, on a shared machine)
            # may add some milliseconds after it.
            self.assertTrue(0.020 <= f["rtt_min"] <= 0.020 + SLACK, f)
            self.assertTrue(0.060 <= f["rtt_max"] <= 0.060 + SLACK, f)
            self.assertTrue(0.040 <= f["latency"] <= 0.040 + SLACK, f)
            self.assertAlmostEqual(f["jitter"], 0.040, delta=SLACK)

            r = self.run_now(self.check(name="i-jitter6", kind="icmp", target=ns.addr6, timeout="2s",
                                        options={"packets": 4, "packet_interval": "100ms"}))
            self.assertUp(r)
            self.assertTrue(0.020 <= r["facts"]["rtt_min"] <= 0.020 + SLACK, r)
            self.assertTrue(0.060 <= r["facts"]["rtt_max"] <= 0.060 + SLACK, r)

            r = self.run_now(self.check(name="i-loss", kind="icmp", target=lossy.addr, timeout="2s",
                                        options={"packets": 8, "packet_interval": "50ms"},
                                        conditions=["loss < 20%"]))
            self.assertEqual(r["facts"]["loss"], 0.25)
            self.assertEqual(r["facts"]["received"], 6)
            self.assertTrue(0.030 <= r["facts"]["latency"] <= 0.030 + SLACK, r)
            self.assertDown(r, "condition")

            r = self.run_now(self.check(name="i-silent", kind="icmp", target=silent.addr, timeout="500ms",
                                        options={"packets": 2, "packet_interval": "50ms"}))
            self.assertFalse(r["up"])
            self.assertEqual(r["facts"]["loss"], 1)
        finally:
            ns.stop()
            lossy.stop()
            silent.stop()


if __name__ == "__main__":
    unittest.main()
