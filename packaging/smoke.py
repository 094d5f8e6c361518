#!/usr/bin/env python3
"""A short check of a running `telltale serve`, for packaging/test-deb.sh and test-qemu.sh:

  smoke.py first URL LOG -- SETUP_CODE_COMMAND...
      the setup code the server logged (LOG: its stderr) is the one SETUP_CODE_COMMAND prints;
      setup with it; then an ICMP check of 127.0.0.1 and an HTTP check of the server's /healthz,
      each run once, must be up.
  smoke.py again URL
      after a restart or an upgrade on the same data: the admin logs in, and both checks are
      still there and up.

Exits non-zero with a message on the first thing that fails.
"""
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

ADMIN, PASSWORD = "admin", "smoke-test-password-1"


def fail(message):
    sys.exit(f"smoke: FAILED: {message}")


def call(url, method="GET", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"null")


def wait_log(log, pattern, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with open(log, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        time.sleep(0.2)
    with open(log, errors="replace") as f:
        fail(f"no /{pattern}/ in the server's log within {timeout_s}s:\n{f.read()}")


def token(url):
    status, headers, body = call(url + "/api/v1/auth/login", "POST",
                                 {"username": ADMIN, "password": PASSWORD})
    if status != 200:
        fail(f"login: {status} {body}")
    auth = {"Cookie": headers["Set-Cookie"].split(";", 1)[0],
            "X-CSRF-Token": body["data"]["csrf_token"]}
    status, _, body = call(url + "/api/v1/tokens", "POST", {"name": "smoke"}, auth)
    if status != 201:
        fail(f"token: {status} {body}")
    return {"Authorization": "Bearer " + body["data"]["token"]}


def run_check(url, auth, check):
    status, _, body = call(f"{url}/api/v1/checks/{check['id']}/run", "POST", None, auth)
    if status != 200 or not body["data"]["up"]:
        fail(f"{check['kind']} check of {check['target']}: {status} {body}")
    print(f"smoke: {check['kind']} check of {check['target']}: up "
          f"in {body['data']['duration_ms']} ms")


def first(url, log, setup_code_command):
    logged = wait_log(log, r"setup code: (\S+)").group(1)
    shown = subprocess.run(setup_code_command, capture_output=True, text=True)
    if shown.returncode != 0 or shown.stdout.strip() != logged:
        fail(f"`{' '.join(setup_code_command)}` printed {shown.stdout!r} {shown.stderr!r}, "
             f"the log {logged!r}")
    print(f"smoke: setup code {logged} in the log and from `telltale setup-code`")
    status, _, body = call(url + "/api/v1/setup", "POST",
                           {"setup_code": logged, "username": ADMIN, "password": PASSWORD})
    if status != 201:
        fail(f"setup: {status} {body}")
    after = subprocess.run(setup_code_command, capture_output=True, text=True)
    if after.returncode != 1 or "SETUP_CODE_NONE" not in after.stderr:
        fail(f"setup-code after setup: {after.returncode} {after.stdout!r} {after.stderr!r}")
    print("smoke: setup done; `telltale setup-code` now says SETUP_CODE_NONE")
    auth = token(url)
    port = url.rsplit(":", 1)[1]
    for fields in ({"name": "smoke-icmp", "kind": "icmp", "target": "127.0.0.1"},
                   {"name": "smoke-http", "kind": "http", "target": f"http://127.0.0.1:{port}/healthz"}):
        status, _, body = call(url + "/api/v1/checks", "POST", {**fields, "enabled": False}, auth)
        if status != 201:
            fail(f"create {fields['kind']} check: {status} {body}")
        run_check(url, auth, body["data"])


def again(url):
    auth = token(url)
    status, _, body = call(url + "/api/v1/checks", headers=auth)
    checks = {c["name"]: c for c in body["data"]} if status == 200 else {}
    if set(checks) < {"smoke-icmp", "smoke-http"}:
        fail(f"the checks are gone: {status} {body}")
    print("smoke: the admin and both checks are still there")
    for name in ("smoke-icmp", "smoke-http"):
        run_check(url, auth, checks[name])


def main(argv):
    if len(argv) >= 5 and argv[0] == "first" and argv[3] == "--":
        first(argv[1], argv[2], argv[4:])
    elif len(argv) == 2 and argv[0] == "again":
        again(argv[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
