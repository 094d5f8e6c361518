"""Receivers for the notification tests, all on 127.0.0.1: an HTTP receiver (a webhook that
records what it gets and can be down), Debian's prometheus-alertmanager, and Debian's aiosmtpd
SMTP server (with STARTTLS) writing a Maildir. Each is started and stopped by the test."""

import http.server
import json
import mailbox
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

from telltale_harness import stop_process

HOST = "127.0.0.1"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
DEBIAN_PYTHON = "/usr/bin/python3"  # aiosmtpd is Debian's package, for Debian's interpreter


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class WebhookReceiver:
    """Records every request (method, path, headers, body); answers `status`. stop() closes the
    port (connections are refused), start() opens the same port again."""

    def __init__(self, port=None, status=200):
        self.port = port or free_port()
        self.status = status
        self.requests = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with receiver._lock:
                    receiver.requests.append({"method": self.command, "path": self.path,
                                              "headers": dict(self.headers.items()), "body": body})
                    status = receiver.status
                payload = b'{"ok":true}' if status < 300 else b'{"error":"receiver says no"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = do_GET = _record

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer((HOST, self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self):
        return f"http://{HOST}:{self.port}/hook"

    def bodies(self):
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests]


class Alertmanager:
    """prometheus-alertmanager with a config of one receiver that does nothing, no cluster,
    storage in a temp dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tt-am-")
        self.port = free_port()
        self.proc = None

    def start(self):
        cfg = os.path.join(self.dir, "alertmanager.yml")
        with open(cfg, "w") as f:
            f.write("route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n")
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={cfg}", f"--storage.path={self.dir}/data",
             f"--web.listen-address={HOST}:{self.port}", "--cluster.listen-address="],
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("alertmanager did not start")
        return self

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def alerts(self):
        with urllib.request.urlopen(self.url + "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true",
                                    timeout=5) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc:
            stop_process(self.proc, 10)
            self.proc = None
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class SmtpServer:
    """aiosmtpd with STARTTLS required (a self-signed certificate), delivering to a Maildir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tt-smtp-")
        self.port = free_port()
        self.proc = None

    def start(self):
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
        self.maildir = os.path.join(self.dir, "Maildir")
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [DEBIAN_PYTHON, "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{self.port}", "--tlscert", cert, "--tlskey", key,
             "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("aiosmtpd did not start")
        return self

    def messages(self):
        if not os.path.isdir(self.maildir):
            return []
        return list(mailbox.Maildir(self.maildir, create=False))

    def stop(self):
        if self.proc:
            stop_process(self.proc, 10)
            self.proc = None
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
