"""Checks that run on an agent: a real agent in a network namespace of its own (a site the hub
cannot see into, with its own web, TLS, DNS (dnsmasq) and SNMP (snmpd) servers) runs the checks
whose runs_on is its node, with the real probes (TCP, HTTP, ICMP, DNS, SNMP), and the hub
concludes on its answers. The same targets checked from the hub fail: they are the site's own
127.0.0.1. With the agent gone, the runs say so."""
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

from probe_peers import Namespace
from snmp_peers import NO_MIBS
from telltale_harness import Server, wait_until
from test_agent import Agent

SERVE_TCP = "import socket,sys;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);" \
            "s.bind(('127.0.0.1',int(sys.argv[1])));s.listen(64);print('ready',flush=True)\n" \
            "while True: s.accept()[0].close()"
# Exits 0 once a DNS server on 127.0.0.1:PORT answers a query.
DNS_ASKS = "import socket,struct,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(0.3);" \
           "s.sendto(struct.pack('>6H',1,256,1,0,0,0)+b'\\x03nas\\x04site\\x04test\\x00'+struct.pack('>HH',1,1)," \
           "('127.0.0.1',int(sys.argv[1])));s.recv(512)"
TCP_PORT, HTTP_PORT, HTTPS_PORT, DNS_PORT, SNMP_PORT = 7301, 7302, 7303, 7304, 7305


class AgentChecksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.site = Namespace("tt-site")
        cls.dir = tempfile.mkdtemp(prefix="tt-agent-checks-")
        cert, key = os.path.join(cls.dir, "cert.pem"), os.path.join(cls.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "30", "-subj", "/CN=site"], check=True,
                       capture_output=True)
        cls.peers = []
        for argv in (["python3", "-u", "-c", SERVE_TCP, str(TCP_PORT)],
                     ["python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", str(HTTP_PORT)],
                     ["openssl", "s_server", "-accept", f"127.0.0.1:{HTTPS_PORT}", "-cert", cert,
                      "-key", key, "-www"]):
            p = subprocess.Popen(cls.site.argv(*argv), stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
            cls.peers.append(p)
            p.stdout.readline()  # "ready", "Serving HTTP on ...", or s_server's "ACCEPT"
        # The site's DNS server and SNMP agent (dnsmasq, net-snmp's snmpd), on its loopback.
        snmpd_conf = os.path.join(cls.dir, "snmpd.conf")
        with open(snmpd_conf, "w") as f:
            f.write(f"agentaddress udp:127.0.0.1:{SNMP_PORT}\nrocommunity public 127.0.0.1\n"
                    "sysName site-switch\n")
        for argv in (["/usr/sbin/dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts",
                      "--bind-interfaces", "--listen-address=127.0.0.1", f"--port={DNS_PORT}",
                      "--pid-file=", "--host-record=nas.site.test,10.1.2.3", "--local=/site.test/"],
                     ["env", f"SNMP_PERSISTENT_DIR={cls.dir}/snmp", "snmpd", "-C", "-c", snmpd_conf,
                      "-f", "-Lo", "-r", *NO_MIBS, "-p", os.path.join(cls.dir, "snmpd.pid")]):
            cls.peers.append(subprocess.Popen(cls.site.argv(*argv), stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
        for argv in (["python3", "-c", DNS_ASKS, str(DNS_PORT)],
                     ["snmpget", "-v2c", "-c", "public", "-t", "0.3", "-r", "0", *NO_MIBS,
                      f"127.0.0.1:{SNMP_PORT}", "1.3.6.1.2.1.1.5.0"]):
            assert wait_until(lambda: subprocess.run(cls.site.argv(*argv), capture_output=True)
                              .returncode == 0, timeout=15), argv
        cls.hub = Server(listen_host="0.0.0.0")
        cls.hub.start()
        cls.admin = cls.hub.admin_token()
        r = cls.hub.request("POST", "/api/v1/enrolment-tokens", {"name": "site"}, token=cls.admin)
        assert r.status == 201, r
        cls.agent = Agent(cls.hub.port, r.json["data"]["token"], os.path.join(cls.dir, "buf"))
        cls.agent.argv[cls.agent.argv.index("--hub") + 1] = f"http://{cls.site.host}:{cls.hub.port}"
        cls.agent.argv = cls.site.argv(*cls.agent.argv)
        cls.agent.start()
        assert wait_until(lambda: cls.agent_node() is not None, timeout=15), cls.agent.log()
        cls.node = cls.agent_node()

    @classmethod
    def tearDownClass(cls):
        cls.agent.kill()
        for p in cls.peers:
            p.kill()
            p.wait()
            if p.stdout:
                p.stdout.close()
        cls.hub.cleanup()
        cls.site.stop()
        shutil.rmtree(cls.dir, True)

    @classmethod
    def agent_node(cls):
        r = cls.hub.request("GET", "/api/v1/nodes", token=cls.admin)
        nodes = [n for n in r.json["data"] if n["metadata"].get("agent_version")]
        return nodes[0] if nodes else None

    def check(self, expect=201, **fields):
        body = {"interval": "1s", "timeout": "1s", **fields}
        r = self.hub.request("POST", "/api/v1/checks", body, token=self.admin)
        self.assertEqual(r.status, expect, r)
        return r.json["data"] if expect == 201 else r.field_errors()

    def last_result(self, check, pred, timeout=15):
        seen = {}

        def ready():
            r = self.hub.request("GET", f"/api/v1/checks/{check['id']}", token=self.admin)
            seen.update(r.json["data"])
            return seen.get("last_result") and pred(seen["last_result"])
        self.assertTrue(wait_until(ready, timeout=timeout), (seen, self.agent.log()))
        return seen

    def test_the_agent_runs_its_checks_from_inside_its_network(self):
        node = self.node["id"]
        tcp = self.check(name="site-tcp", kind="tcp", target=f"127.0.0.1:{TCP_PORT}", runs_on=node)
        self.assertEqual(tcp["runs_on"], node)
        http = self.check(name="site-http", kind="http", target=f"http://127.0.0.1:{HTTP_PORT}/",
                          runs_on=node, conditions=["status == 200"])
        ping = self.check(name="site-ping", kind="icmp", target="127.0.0.1", runs_on=node,
                          options={"packets": 2, "packet_interval": "100ms"})
        # TLS from the agent: its own certificate checks, and the certificate's facts.
        https = self.check(name="site-https", kind="http", target=f"https://127.0.0.1:{HTTPS_PORT}/",
                           runs_on=node, options={"tls_verify": False},
                           conditions=["status == 200", "cert_days > 25"])
        unverified = self.check(name="site-https-verify", kind="http",
                                target=f"https://127.0.0.1:{HTTPS_PORT}/", runs_on=node)
        dns = self.check(name="site-dns", kind="dns", target="nas.site.test", runs_on=node,
                         options={"server": f"127.0.0.1:{DNS_PORT}", "expected": ["10.1.2.3"]})
        snmp = self.check(name="site-snmp", kind="snmp", target=f"127.0.0.1:{SNMP_PORT}",
                          runs_on=node, interval="5s", timeout="5s",
                          options={"community": "public", "oids": ["sysName.0"]},
                          conditions=['oid("sysName.0") == "site-switch"'])
        # The same target from the hub is the hub's own loopback, where nothing listens.
        outside = self.check(name="hub-tcp", kind="tcp", target=f"127.0.0.1:{TCP_PORT}")
        outside_dns = self.check(name="hub-dns", kind="dns", target="nas.site.test",
                                 options={"server": f"127.0.0.1:{DNS_PORT}"})

        self.assertEqual(self.last_result(tcp, lambda r: r["up"])["state"], "up")
        result = self.last_result(http, lambda r: r["up"])
        self.assertEqual(result["last_result"]["facts"]["status"], 200)
        # A body and header set are for conditions: no result keeps them.
        self.assertIn("body_size", result["last_result"]["facts"])
        self.assertNotIn("body", result["last_result"]["facts"])
        self.assertNotIn("headers", result["last_result"]["facts"])
        self.last_result(ping, lambda r: r["up"])
        self.last_result(https, lambda r: r["up"])
        self.assertEqual(self.last_result(unverified, lambda r: True)["last_result"]["error"], "tls")
        self.assertEqual(self.last_result(outside, lambda r: True)["last_result"]["error"], "refused")
        result = self.last_result(dns, lambda r: r["up"])
        self.assertEqual(result["last_result"]["facts"]["answers"], "10.1.2.3")
        self.last_result(snmp, lambda r: r["up"])
        self.assertFalse(self.last_result(outside_dns, lambda r: True)["last_result"]["up"])

        # The agent's measurements are the check's samples at the hub, with its labels.
        def series():
            q = urllib.parse.urlencode({"match": 'probe_http_status_code{check="site-http"}',
                                        "from": "0"})
            r = self.hub.request("GET", "/api/v1/query_range?" + q, token=self.admin)
            return r.json["data"]["series"]
        self.assertTrue(wait_until(lambda: series(), timeout=10))
        self.assertEqual(series()[0]["values"][-1], 200)
        self.assertGreater(self.hub.metric_value("telltale_agent_check_runs_total",
                                                 {"outcome": "answered"}) or 0, 0)

        # A listener that goes away inside the site is seen going away.
        self.peers[0].kill()
        self.last_result(tcp, lambda r: r["error"] == "refused")

        # Back to the hub: the hub's own view again.
        r = self.hub.request("PATCH", f"/api/v1/checks/{http['id']}", {"runs_on": None},
                             token=self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json["data"]["runs_on"])
        self.last_result(http, lambda r: not r["up"] and r["error"] != "condition")

    def test_only_an_agents_host_runs_checks_and_only_checks_that_run(self):
        r = self.hub.request("POST", "/api/v1/nodes", {"name": "switch", "type": "network"},
                             token=self.admin)
        self.assertEqual(r.status, 201, r)
        for target_node in (r.json["data"]["id"], 999999):
            self.assertIn("runs_on", self.check(expect=422, name="nope", kind="tcp",
                                                target="127.0.0.1:1", runs_on=target_node))
        self.assertIn("runs_on", self.check(expect=422, name="nope", kind="push",
                                            runs_on=self.node["id"]))

    def test_without_its_agent_a_check_says_so(self):
        # Last in name order: the agent goes away for good.
        check = self.check(name="site-offline", kind="tcp", target=f"127.0.0.1:{TCP_PORT}",
                           runs_on=self.node["id"])
        self.last_result(check, lambda r: r["error"] != "agent_offline")
        self.agent.stop()
        result = self.last_result(check, lambda r: r["error"] == "agent_offline")
        self.assertEqual(result["state"], "down")


if __name__ == "__main__":
    unittest.main()
