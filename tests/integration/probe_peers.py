"""Real peers for the probe tests, all on this machine: HTTP(S) servers on 127.0.0.1 (with a
self-signed certificate made by openssl), a TCP listener, dnsmasq with a test zone, and a network
namespace behind a veth pair whose kernel's ICMP echo answers are dropped and delayed by netfilter
with known patterns (this kernel has no netem), so RTT, jitter and loss are known exactly."""

import http.server
import json
import os
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body, ctype="text/plain", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        self.server.hits += 1
        if self.path == "/health":
            return self._send(200, json.dumps({"health": {"status": "green"}, "version": 3}), "application/json")
        if self.path == "/ok":
            return self._send(200, "all systems ok")
        if self.path == "/fail":
            return self._send(503, "down for maintenance")
        if self.path == "/redirect":
            return self._send(302, "", extra={"Location": "/ok"})
        if self.path == "/slow":
            time.sleep(2)
            return self._send(200, "late")
        return self._send(404, "no such page")

    do_HEAD = do_GET

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        return self._send(200, json.dumps({"method": "POST", "body": body.decode(), "x": self.headers.get("X-Test", "")}),
                          "application/json")


class HttpPeer:
    """A threaded HTTP server on 127.0.0.1; `tls=True` serves HTTPS with a fresh self-signed
    certificate valid for `days` days."""

    def __init__(self, tls=False, days=30):
        self.dir = tempfile.mkdtemp(prefix="tt-peer-")
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.hits = 0
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # clients that time out close early
        if tls:
            cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", str(days), "-subj", "/CN=telltale-test", "-addext",
                            "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = ("https" if tls else "http") + f"://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port():
    """A port on 127.0.0.1 with nothing listening (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Dnsmasq:
    """Debian's dnsmasq on 127.0.0.1:PORT answering for the test zone only."""

    def __init__(self):
        self.port = closed_port()
        args = ["/usr/sbin/dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=127.0.0.1", f"--port={self.port}", "--pid-file=", "--log-facility=-",
                "--host-record=web.tt.test,192.0.2.10", "--host-record=v6.tt.test,2001:db8::10",
                "--cname=www.tt.test,web.tt.test", "--mx-host=tt.test,mail.tt.test,10",
                "--txt-record=tt.test,v=spf1 -all", "--local=/tt.test/"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 5
        while time.time() < deadline:  # ready when it answers
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.2)
                q = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\x03web\x02tt\x04test\x00" + struct.pack(">HH", 1, 1)
                try:
                    s.sendto(q, ("127.0.0.1", self.port))
                    s.recv(512)
                    return
                except OSError:
                    time.sleep(0.05)
        raise RuntimeError("dnsmasq did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


# Holds each echo reply the namespace's kernel sends (queued to user space by an iptables NFQUEUE
# rule) for its delay, then lets it go: what netem's delay does on egress. It asks for packet
# metadata only and speaks netfilter's queue protocol over a raw netlink socket, so it needs no
# library.
DELAYER = r"""
import heapq, select, socket, struct, sys, time
delays = [float(x) / 1000.0 for x in sys.argv[1].split(",")]
NFQ = 3 << 8  # NFNL_SUBSYS_QUEUE
def attr(kind, payload):
    return struct.pack("=HH", 4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)
def message(kind, attrs):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(0)) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), NFQ | kind, 1, 0, 0) + body
sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
sock.bind((0, 0))
sock.send(message(2, [attr(1, struct.pack("!BxH", 1, 0))]))           # config: bind queue 0
sock.send(message(2, [attr(2, struct.pack("!IB", 0, 1))]))            # config: copy metadata only
print("ready", flush=True)
held, n = [], 0
while True:
    timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
    if select.select([sock], [], [], timeout)[0]:
        data = sock.recv(65536)
        while len(data) >= 16:
            length, kind = struct.unpack_from("=IH", data)
            if kind == NFQ | 0:  # a queued packet: find its id in NFQA_PACKET_HDR
                off = 20
                while off + 4 <= length:
                    alen, atype = struct.unpack_from("=HH", data, off)
                    if atype & 0x7FFF == 1:
                        (pid,) = struct.unpack_from("!I", data, off + 4)
                        heapq.heappush(held, (time.monotonic() + delays[n % len(delays)], pid))
                        n += 1
                    off += (alen + 3) & ~3
            data = data[(length + 3) & ~3:]
    while held and held[0][0] <= time.monotonic():
        _, pid = heapq.heappop(held)
        sock.send(message(1, [attr(2, struct.pack("!II", 1, pid))]))     # verdict: accept
"""


class Namespace:
    """A network namespace at 10.213.N.2 and fd00:213:N::2 behind a veth pair from the root
    namespace (.1 and ::1), its loopback up: a host elsewhere on the network."""

    _count = 0

    def __init__(self, prefix="tt-ns"):
        Namespace._count += 1
        n = (os.getpid() * 3 + Namespace._count) % 250 + 1
        self.name = f"{prefix}-{os.getpid()}-{n}"
        self.host, self.addr = f"10.213.{n}.1", f"10.213.{n}.2"
        self.host6, self.addr6 = f"fd00:213:{n:x}::1", f"fd00:213:{n:x}::2"
        self.veth = f"tt{os.getpid() % 100000}{n}"[:15]
        try:
            self._link()
        except Exception:
            self.stop()
            raise

    def run(self, *args, ns=False):
        argv = (["ip", "netns", "exec", self.name] if ns else []) + list(args)
        subprocess.run(argv, check=True, capture_output=True)

    def argv(self, *args):
        """A command line that runs inside the namespace."""
        return ["ip", "netns", "exec", self.name] + list(args)

    def _link(self):
        self.run("ip", "netns", "add", self.name)
        self.run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.name)
        self.run("ip", "addr", "add", f"{self.host}/30", "dev", self.veth)
        self.run("ip", "-6", "addr", "add", f"{self.host6}/64", "dev", self.veth, "nodad")
        self.run("ip", "link", "set", self.veth, "up")
        self.run("ip", "addr", "add", f"{self.addr}/30", "dev", "eth0", ns=True)
        self.run("ip", "-6", "addr", "add", f"{self.addr6}/64", "dev", "eth0", "nodad", ns=True)
        self.run("ip", "link", "set", "eth0", "up", ns=True)
        self.run("ip", "link", "set", "lo", "up", ns=True)

    def stop(self):
        subprocess.run(["ip", "link", "del", self.veth], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


class IcmpNamespace(Namespace):
    """A Namespace whose kernel answers echo requests itself; its netfilter drops every
    `drop_every`-th reply (0: none; 1: all) and a delayer holds the k-th of the rest for
    delays_ms[k % len] before it leaves. This kernel has no netem, so this is the same impairment
    built from parts it has."""

    def __init__(self, delays_ms, drop_every=0):
        self.proc = None
        super().__init__("tt-icmp")
        try:
            self._impair(delays_ms, drop_every)
        except Exception:
            self.stop()
            raise

    def _impair(self, delays_ms, drop_every):
        for tables, reply in (("iptables", ["-p", "icmp", "--icmp-type", "echo-reply"]),
                              ("ip6tables", ["-p", "icmpv6", "--icmpv6-type", "echo-reply"])):
            rule = [tables, "-A", "OUTPUT"] + reply
            if drop_every == 1:
                self.run(*rule, "-j", "DROP", ns=True)
                continue
            if drop_every:
                self.run(*rule, "-m", "statistic", "--mode", "nth", "--every", str(drop_every),
                         "--packet", str(drop_every - 1), "-j", "DROP", ns=True)
            self.run(*rule, "-j", "NFQUEUE", "--queue-num", "0", ns=True)
        if drop_every != 1:
            self.proc = subprocess.Popen(self.argv("python3", "-c", DELAYER,
                                                   ",".join(str(d) for d in delays_ms)),
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if self.proc.stdout.readline().strip() != "ready":
                raise RuntimeError("ICMP delayer did not start")

    def stop(self):
        if getattr(self, "proc", None):
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
        super().stop()
