"""SNMP peers for the tests: Debian's net-snmp snmpd on a loopback port with a configuration the
test writes, net-snmp's command-line tools to read the same agent, and UDP sockets that never
answer or answer garbage."""

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

from telltale_harness import stop_process


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# No MIB files: the agent and the tools speak numbers only (Debian's MIB downloader is non-free).
NO_MIBS = ["-M", "/usr/share/snmp/mibs", "-m", ""]


# Our names of the USM protocols, as snmpd's createUser and the tools' -a/-x spell them.
AUTH_NAMES = {"md5": "MD5", "sha": "SHA", "sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384",
              "sha512": "SHA-512"}
PRIV_NAMES = {"des": ("DES", "DES"), "aes": ("AES", "AES"), "aes192": ("AES192", "AES-192"),
              "aes256": ("AES256", "AES-256")}


class UsmUser:
    """A v3 user: `auth`/`priv` in the API's names (None for none)."""

    def __init__(self, name, auth=None, auth_password=None, priv=None, priv_password=None):
        self.name, self.auth, self.auth_password, self.priv, self.priv_password = name, auth, auth_password, priv, priv_password

    def config_lines(self):
        create = f"createUser {self.name}"
        if self.auth:
            create += f" {AUTH_NAMES[self.auth]} {self.auth_password}"
            if self.priv:
                create += f" {PRIV_NAMES[self.priv][0]} {self.priv_password}"
        level = "priv" if self.priv else "auth" if self.auth else "noauth"
        return f"{create}\nrouser {self.name} {level}\n"

    def tool_args(self):
        level = "authPriv" if self.priv else "authNoPriv" if self.auth else "noAuthNoPriv"
        args = ["-v3", "-l", level, "-u", self.name]
        if self.auth:
            args += ["-a", AUTH_NAMES[self.auth], "-A", self.auth_password]
        if self.priv:
            args += ["-x", PRIV_NAMES[self.priv][1], "-X", self.priv_password]
        return args

    def api_fields(self):
        fields = {"version": "3", "user": self.name}
        if self.auth:
            fields.update(auth_protocol=self.auth, auth_password=self.auth_password)
        if self.priv:
            fields.update(priv_protocol=self.priv, priv_password=self.priv_password)
        return fields


class Snmpd:
    """snmpd in the foreground on 127.0.0.1 (and [::1] when the host has it) at a free port,
    read-only community `community` and read-only v3 `users`, system group values as given."""

    def __init__(self, community="public", sys_name="telltale-lab", contact="noc@example.org", location="Rack 7, Lab",
                 users=()):
        self.community = community
        self.port = free_udp_port()
        self.ipv6 = have_ipv6_loopback()
        self.dir = tempfile.mkdtemp(prefix="tt-snmpd-")
        addresses = f"udp:127.0.0.1:{self.port}" + (f",udp6:[::1]:{self.port}" if self.ipv6 else "")
        conf = os.path.join(self.dir, "snmpd.conf")
        with open(conf, "w") as f:
            f.write(f"agentaddress {addresses}\n"
                    f"rocommunity {community} 127.0.0.1\n"
                    + (f"rocommunity6 {community} ::1\n" if self.ipv6 else "")
                    + f"sysName {sys_name}\nsysContact {contact}\nsysLocation {location}\n"
                    + "".join(u.config_lines() for u in users))
        env = dict(os.environ, SNMP_PERSISTENT_DIR=os.path.join(self.dir, "persist"))
        self.proc = subprocess.Popen(["snmpd", "-C", "-c", conf, "-f", "-Lo", "-r", *NO_MIBS, "-p", os.path.join(self.dir, "pid")],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("snmpd exited: " + self.proc.stdout.read().decode(errors="replace"))
            r = subprocess.run(["snmpget", "-v2c", "-c", community, "-On", "-t", "0.3", "-r", "0", *NO_MIBS,
                                f"127.0.0.1:{self.port}", "1.3.6.1.2.1.1.5.0"], capture_output=True, text=True)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("snmpd did not answer within 15 s")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def walk(self, oid, version="2c", user=None):
        """{oid: (type, value)} from snmpbulkwalk (v2c; v3 as `user`) or snmpwalk (v1) with numeric OIDs."""
        tool = "snmpwalk" if version == "1" else "snmpbulkwalk"
        auth = user.tool_args() if user else [f"-v{version}", "-c", self.community]
        r = subprocess.run([tool, *auth, "-On", *NO_MIBS, self.address, oid], capture_output=True, text=True, check=True)
        return parse_walk(r.stdout)

    def stop(self):
        stop_process(self.proc)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


_LINE = re.compile(r"^\.?([0-9.]+) = (?:([A-Za-z0-9-]+): )?(.*)$")


def parse_walk(text):
    out = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        oid, typ, value = m.group(1), m.group(2) or "STRING", m.group(3).strip()
        if typ == "STRING" and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        elif typ == "Hex-STRING":
            value = bytes.fromhex(value)
        elif typ in ("INTEGER", "Gauge32", "Counter32", "Counter64"):
            value = int(value)
        elif typ == "Timeticks":
            value = int(value[1:value.index(")")])
        elif typ == "OID":
            value = value.lstrip(".")
        out[oid] = (typ, value)
    return out


class UdpSink:
    """A bound UDP socket on 127.0.0.1 that reads every datagram and answers `reply` (None: drop)."""

    def __init__(self, reply=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.received = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.received += 1
            if self.reply is not None:
                self.sock.sendto(self.reply, peer)

    def stop(self):
        self._stop = True
        self.thread.join()
        self.sock.close()


# A pass_persist script for snmpd: serves sysUpTime.0 and one ifTable row (ifIndex 1) from a JSON
# file that the test rewrites, so counters and uptime take the values the test chooses.
_PASS_SCRIPT = r'''
import json, sys
state_file = sys.argv[1]
def rows():
    s = json.load(open(state_file))
    return sorted([
        ("1.3.6.1.2.1.1.3.0", "timeticks", s["uptime"]),
        ("1.3.6.1.2.1.2.2.1.1.1", "integer", 1),
        ("1.3.6.1.2.1.2.2.1.2.1", "string", "port1"),
        ("1.3.6.1.2.1.2.2.1.7.1", "integer", 1),
        ("1.3.6.1.2.1.2.2.1.8.1", "integer", s["oper"]),
        ("1.3.6.1.2.1.2.2.1.10.1", "counter", s["in_octets"]),
        ("1.3.6.1.2.1.2.2.1.16.1", "counter", s["out_octets"]),
    ], key=lambda r: [int(x) for x in r[0].split(".")])
key = lambda o: [int(x) for x in o.strip().lstrip(".").split(".")]
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "PING":
        print("PONG", flush=True)
        continue
    if cmd not in ("get", "getnext"):
        continue
    oid = key(sys.stdin.readline())
    hit = next((r for r in rows() if (key(r[0]) == oid if cmd == "get" else key(r[0]) > oid)), None)
    print(f".{hit[0]}\n{hit[1]}\n{hit[2]}" if hit else "NONE", flush=True)
'''


class CounterAgent:
    """snmpd whose sysUpTime.0 and ifTable (one interface, 32-bit counters only) come from a
    pass_persist script reading a state file: set() changes what the next poll reads."""

    def __init__(self, community="public"):
        self.community = community
        self.port = free_udp_port()
        self.dir = tempfile.mkdtemp(prefix="tt-snmpd-pass-")
        self.state = os.path.join(self.dir, "state.json")
        script = os.path.join(self.dir, "pass.py")
        with open(script, "w") as f:
            f.write(_PASS_SCRIPT)
        self.set(uptime=100, in_octets=0, out_octets=0, oper=1)
        conf = os.path.join(self.dir, "snmpd.conf")
        with open(conf, "w") as f:
            f.write(f"agentaddress udp:127.0.0.1:{self.port}\nrocommunity {community} 127.0.0.1\n"
                    f"pass_persist .1.3.6.1.2.1.1.3 /usr/bin/python3 {script} {self.state}\n"
                    f"pass_persist .1.3.6.1.2.1.2.2 /usr/bin/python3 {script} {self.state}\n")
        env = dict(os.environ, SNMP_PERSISTENT_DIR=os.path.join(self.dir, "persist"))
        # The agent's own system and interface modules would answer first; the script replaces them.
        self.proc = subprocess.Popen(["snmpd", "-C", "-c", conf, "-f", "-Lo", "-r", *NO_MIBS,
                                      "-I", "-system_mib,ifTable,ifXTable,interfaces"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("snmpd exited: " + self.proc.stdout.read().decode(errors="replace"))
            r = subprocess.run(["snmpget", "-v2c", "-c", community, "-On", "-t", "0.5", "-r", "0", *NO_MIBS,
                                self.address, "1.3.6.1.2.1.1.3.0"], capture_output=True, text=True)
            if r.returncode == 0 and "Timeticks" in r.stdout:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("snmpd with the pass script did not answer within 15 s")

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def set(self, **values):
        state = {}
        if os.path.exists(self.state):
            with open(self.state) as f:
                state = json.load(f)
        state.update(values)
        tmp = self.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.state)

    def stop(self):
        stop_process(self.proc)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# SNMP v2c traps by hand (BER), for floods faster than one snmptrap process a trap.
def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def integer(v):
    return tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def v2c_trap(trap_oid, request_id):
    """An SNMPv2-Trap-PDU (RFC 3416) with sysUpTime.0 and snmpTrapOID.0, community "public"."""
    varbinds = tlv(0x30, tlv(0x30, oid("1.3.6.1.2.1.1.3.0") + tlv(0x43, struct.pack(">I", 4200)))
                   + tlv(0x30, oid("1.3.6.1.6.3.1.1.4.1.0") + oid(trap_oid)))
    pdu = tlv(0xA7, integer(request_id) + integer(0) + integer(0) + varbinds)
    return tlv(0x30, integer(1) + tlv(0x04, b"public") + pdu)
