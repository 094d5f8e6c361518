"""Secrets inside values that are not secret options: the password of a URL, secret query
parameters and secret request headers of HTTP checks, webhook and SMS channels. Nobody reads them
back (checks, channels, events, the WebSocket, the audit log), a PATCH that sends the masked form
back keeps them, and the probe and the channels still send the real ones."""

import base64
import json
import urllib.parse

from notify_peers import WebhookReceiver
from telltale_harness import AdminTestCase, ws_connect

SECRETS = [b"pw0rd", b"tok123", b"s3cret-bearer", b"k3y-value", b"chs3cret", b"wtok", b"smskey", b"new-bearer"]


class SecretsTest(AdminTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_user("looker", "viewer")
        cls.viewer = cls.server.token_for("looker")
        cls.peer = WebhookReceiver().start()

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()
        super().tearDownClass()

    def assertNoSecret(self, body, where):
        for s in SECRETS:
            self.assertNotIn(s, body, "%s shows %r: %r" % (where, s, body[:600]))

    def last_request(self):
        self.assertTrue(self.peer.requests, "the peer got no request")
        return self.peer.requests[-1]

    def test_http_check_secrets_are_masked_and_kept(self):
        target = f"http://probe:pw0rd@127.0.0.1:{self.peer.port}/health?token=tok123&page=2"
        ws = ws_connect(self.server.port, token=self.viewer)
        try:
            self.assertEqual(ws.subscribe(["checks"])["type"], "subscribed")
            r = self.req("POST", "/api/v1/checks", {
                "name": "secret-http", "kind": "http", "target": target, "interval": "1h",
                "options": {"headers": {"Authorization": "Bearer s3cret-bearer", "X-Api-Key": "k3y-value",
                                        "Accept": "text/plain"}}})
            self.assertStatus(r, 201)
            check = r.json["data"]
            self.assertNoSecret(r.body, "POST /checks")
            msg = ws.wait_json(lambda m: "check.created" in json.dumps(m))
            self.assertNoSecret(json.dumps(msg).encode(), "the WebSocket event")
        finally:
            ws.close()
        self.assertEqual(check["target"], f"http://probe:********@127.0.0.1:{self.peer.port}/health?token=********&page=2")
        self.assertEqual(check["options"]["headers"],
                         {"Authorization": "********", "X-Api-Key": "********", "Accept": "text/plain"})
        for path in (f"/api/v1/checks/{check['id']}", "/api/v1/checks", "/api/v1/events?per_page=200"):
            for token in (self.viewer, self.token):
                r = self.server.request("GET", path, token=token)
                self.assertStatus(r, 200)
                self.assertNoSecret(r.body, path)

        # A search matches the target as it is shown: no finding a token one letter at a time.
        for q, found in (("tok1", 0), ("pw0", 0), ("health?token=***", 1), ("page=2", 1)):
            r = self.server.request("GET", "/api/v1/checks?q=" + urllib.parse.quote(q), token=self.viewer)
            self.assertStatus(r, 200)
            self.assertEqual(len(r.json["data"]), found, q)
        # So does the event log's: secrets are not searched, even where an old row holds them.
        for q, found in (("tok1", False), ("pw0rd", False), ("s3cret", False), ("k3y-v", False),
                         ("check created secret-http", False), ("secret-http", True), ("CHECK CREATED", True)):
            r = self.server.request("GET", "/api/v1/events?order=desc&topic=checks&q=" + urllib.parse.quote(q),
                                    token=self.viewer)
            self.assertStatus(r, 200)
            names = [e["data"]["check"]["name"] for e in r.json["data"] if e["kind"] == "check.created"]
            self.assertEqual("secret-http" in names, found, (q, names))

        # The edit form sends back what GET gave, with one change: the secrets stay.
        form = {k: check[k] for k in ("name", "target", "options")}
        form["name"] = "secret-http-2"
        r = self.req("PATCH", f"/api/v1/checks/{check['id']}", form)
        self.assertStatus(r, 200)
        self.assertNoSecret(r.body, "PATCH /checks")
        self.assertStatus(self.req("POST", f"/api/v1/checks/{check['id']}/run"), 200)
        got = self.last_request()
        self.assertEqual(got["path"], "/health?token=tok123&page=2")
        self.assertEqual(got["headers"]["Authorization"], "Bearer s3cret-bearer")
        self.assertEqual(got["headers"]["X-Api-Key"], "k3y-value")

        # A new secret alone is a change, saved and not shown.
        headers = dict(check["options"]["headers"], Authorization="Bearer new-bearer")
        r = self.req("PATCH", f"/api/v1/checks/{check['id']}", {"options": {"headers": headers}})
        self.assertStatus(r, 200)
        self.assertNoSecret(r.body, "PATCH /checks")
        self.assertStatus(self.req("POST", f"/api/v1/checks/{check['id']}/run"), 200)
        self.assertEqual(self.last_request()["headers"]["Authorization"], "Bearer new-bearer")
        self.assertEqual(self.last_request()["headers"]["X-Api-Key"], "k3y-value")
        for path in ("/api/v1/events?per_page=200", "/api/v1/audit?per_page=200"):
            r = self.req("GET", path)
            self.assertStatus(r, 200)
            self.assertNoSecret(r.body, path)

    def test_channel_secrets_are_masked_and_kept(self):
        url = f"http://hook:pw0rd@127.0.0.1:{self.peer.port}/hook?token=wtok&x=1"
        r = self.req("POST", "/api/v1/channels", {"name": "secret-hook", "kind": "webhook", "config": {
            "url": url, "headers": {"Authorization": "Bearer chs3cret", "X-Trace": "on"}}})
        self.assertStatus(r, 201)
        hook = r.json["data"]
        self.assertNoSecret(r.body, "POST /channels")
        self.assertEqual(hook["config"]["url"],
                         f"http://hook:********@127.0.0.1:{self.peer.port}/hook?token=********&x=1")
        self.assertEqual(hook["config"]["headers"], {"Authorization": "********", "X-Trace": "on"})
        r = self.req("POST", "/api/v1/channels", {"name": "secret-sms", "kind": "sms", "config": {
            "url": f"http://sms:pw0rd@127.0.0.1:{self.peer.port}/sms?apikey=smskey", "to": "+15550100",
            "headers": {"X-Api-Key": "smskey"}}})
        self.assertStatus(r, 201)
        sms = r.json["data"]
        for path in ("/api/v1/channels", f"/api/v1/channels/{hook['id']}", f"/api/v1/channels/{sms['id']}",
                     "/api/v1/audit?per_page=200"):
            r = self.req("GET", path)
            self.assertStatus(r, 200)
            self.assertNoSecret(r.body, path)

        for c in (hook, sms):
            r = self.req("PATCH", f"/api/v1/channels/{c['id']}", {"name": c["name"] + "-2", "config": c["config"]})
            self.assertStatus(r, 200)
            self.assertNoSecret(r.body, "PATCH /channels")
        self.assertStatus(self.req("POST", f"/api/v1/channels/{hook['id']}/test"), 200)
        got = self.last_request()
        self.assertEqual(got["path"], "/hook?token=wtok&x=1")
        self.assertEqual(got["headers"]["Authorization"], "Bearer chs3cret")
        self.assertStatus(self.req("POST", f"/api/v1/channels/{sms['id']}/test"), 200)
        got = self.last_request()
        self.assertTrue(got["path"].startswith("/sms?apikey=smskey"), got["path"])
        self.assertEqual(got["headers"]["X-Api-Key"], "smskey")
        self.assertEqual(got["headers"]["Authorization"], "Basic " + base64.b64encode(b"sms:pw0rd").decode())
