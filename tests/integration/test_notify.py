"""Notifications against the real binary and real receivers on loopback: channels over the API
(validation per field, secrets masked, unknown channel ids refused by rules, tests that reach or
fail to reach the receiver), an alert delivered to a webhook firing and resolved, exactly once
across a receiver outage and a kill -9 of Telltale, grouped per channel, held back while
silenced and sent when the silence ends, inhibited (a node that is down sends one message, and
inhibit rules as a resource), to Debian's prometheus-alertmanager, and
as email through Debian's aiosmtpd with STARTTLS."""

import os
import time
import unittest

from notify_peers import Alertmanager, SmtpServer, WebhookReceiver, free_port
from telltale_harness import AdminTestCase, Server, wait_until


def now_ms():
    return int(time.time() * 1000)


class NotifyMixin:
    def push(self, metric, labels, value, server=None, token=None):
        server = server or self.server
        r = server.request("POST", "/api/v1/samples",
                           {"series": [{"metric": metric, "labels": labels, "timestamps": [now_ms()], "values": [value]}]},
                           token=token or self.token)
        self.assertIn(r.status, (200, 204), r)

    def channel(self, name, kind, config, server=None, token=None):
        server = server or self.server
        r = server.request("POST", "/api/v1/channels", {"name": name, "kind": kind, "config": config},
                           token=token or self.token)
        self.assertEqual(r.status, 201, r)
        return r.json["data"]

    def rule(self, name, expr, channels, server=None, token=None):
        server = server or self.server
        r = server.request("POST", "/api/v1/alert-rules",
                           {"name": name, "expr": expr, "severity": "critical", "interval": "1s",
                            "annotations": {"summary": "{{ $labels.queue }} is backed up"}, "channels": channels},
                           token=token or self.token)
        self.assertEqual(r.status, 201, r)
        return r.json["data"]


class ChannelsApiTest(NotifyMixin, AdminTestCase):
    def test_kinds_and_crud_with_masked_secrets(self):
        r = self.req("GET", "/api/v1/channel-kinds")
        self.assertStatus(r, 200)
        kinds = {k["kind"]: k for k in r.json["data"]}
        for k in ("webhook", "email", "slack", "discord", "teams", "telegram", "ntfy", "gotify", "pushover", "matrix",
                  "pagerduty", "opsgenie", "sms", "alertmanager"):
            self.assertIn(k, kinds)
        pd = {o["name"]: o for o in kinds["pagerduty"]["options"]}
        self.assertTrue(pd["routing_key"]["secret"])
        self.assertEqual(pd["url"]["default"], "https://events.pagerduty.com/v2/enqueue")
        r = self.req("GET", "/api/v1/channel-grouping")
        self.assertStatus(r, 200)
        grouping = {o["name"]: o for o in r.json["data"]["options"]}
        self.assertEqual(grouping["group_by"]["default"], ["alertname"])
        self.assertEqual((grouping["group_wait"]["type"], grouping["group_wait"]["default"]), ("duration", "30s"))
        self.assertEqual(set(grouping), {"group_by", "group_wait", "group_interval", "repeat_interval"})

        c = self.channel("pd", "pagerduty", {"routing_key": "R0UT1NGKEY"})
        self.assertEqual(c["config"]["routing_key"], "********")
        self.assertEqual(c["config"]["source"], "telltale")
        got = self.req("GET", f"/api/v1/channels/{c['id']}")
        self.assertStatus(got, 200)
        self.assertNotIn(b"R0UT1NGKEY", got.body)
        self.assertNotIn(b"R0UT1NGKEY", self.req("GET", "/api/v1/channels").body)
        # The mask sent back keeps the secret; other fields change.
        r = self.req("PATCH", f"/api/v1/channels/{c['id']}",
                     {"name": "pd2", "config": {"routing_key": "********", "source": "gw"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["config"], {"routing_key": "********", "source": "gw",
                                                    "url": "https://events.pagerduty.com/v2/enqueue"})
        self.assertStatus(self.channel_err({"name": "pd2", "kind": "webhook", "config": {"url": "http://x/"}}), 409,
                          "CHANNEL_EXISTS")
        self.assertStatus(self.req("DELETE", f"/api/v1/channels/{c['id']}"), 204)
        self.assertStatus(self.req("GET", f"/api/v1/channels/{c['id']}"), 404, "CHANNEL_NOT_FOUND")

    def channel_err(self, body):
        return self.req("POST", "/api/v1/channels", body)

    def test_bad_channels_are_422_per_field(self):
        cases = [
            ({"kind": "webhook", "config": {}}, ["name"]),
            ({"name": "x", "kind": "webhook", "config": {}}, ["config.url"]),
            ({"name": "x", "kind": "carrier-pigeon", "config": {}}, ["kind"]),
            ({"name": "x", "kind": "webhook", "config": {"url": "http://x/", "colour": "red"}}, ["config.colour"]),
            ({"name": "x", "kind": "webhook", "config": {"url": "file:///etc/passwd"}}, ["config.url"]),
            ({"name": "x", "kind": "webhook", "config": {"url": "http://x/", "headers": {"A": "b\r\nC: d"}}},
             ["config.headers.A"]),
            ({"name": "x", "kind": "webhook", "config": {"url": "http://x/", "template": "{{ .Nope }}"}},
             ["config.template"]),
            ({"name": "x", "kind": "email", "config": {"url": "smtp://m", "from": "nobody", "to": []}},
             ["config.from", "config.to"]),
            ({"name": "x", "kind": "webhook", "config": [1], "extra": 1}, ["config", "extra"]),
            ({"name": "x", "kind": "webhook", "config": {"url": "http://x/"},
              "grouping": {"group_wait": "soon", "bogus": 1}}, ["grouping.group_wait", "grouping.bogus"]),
            ({"name": "x", "kind": "webhook", "config": {"url": "http://x/"},
              "grouping": {"group_by": ["bad-label"]}}, ["grouping.group_by"]),
            ({"name": "x", "kind": "webhook", "config": {"url": "http://x/"}, "grouping": [1]}, ["grouping"]),
        ]
        for body, fields in cases:
            with self.subTest(body=body):
                r = self.channel_err(body)
                self.assertStatus(r, 422, "VALIDATION_FAILED")
                for f in fields:
                    self.assertIn(f, r.field_errors(), r)
        self.assertStatus(self.req("GET", "/api/v1/notifications?state=lost"), 422, "VALIDATION_FAILED")

    def test_rules_refuse_unknown_channels_and_channels_in_use_stay(self):
        c = self.channel("in-use", "webhook", {"url": "http://127.0.0.1:9/"})
        r = self.req("POST", "/api/v1/alert-rules",
                     {"name": "uses-missing", "expr": "up", "severity": "info", "channels": [c["id"], 987654]})
        self.assertFieldError(r, "channels")
        self.assertIn("987654", r.field_errors()["channels"])
        rule = self.rule("uses-in-use", "up", [c["id"]])
        self.assertStatus(self.req("DELETE", f"/api/v1/channels/{c['id']}"), 409, "CHANNEL_IN_USE")
        self.assertStatus(self.req("PATCH", f"/api/v1/alert-rules/{rule['id']}", {"channels": [987654]}), 422)
        self.assertStatus(self.req("DELETE", f"/api/v1/alert-rules/{rule['id']}"), 204)
        # Escalation steps: durations and channels checked; a channel a step names is in use too.
        r = self.req("POST", "/api/v1/alert-rules",
                     {"name": "escalates", "expr": "up", "severity": "info",
                      "escalations": [{"after": "15m", "channels": [c["id"]]}, {"after": "1h", "channels": [987654]}]})
        self.assertFieldError(r, "escalations[1].channels")
        r = self.req("POST", "/api/v1/alert-rules",
                     {"name": "escalates", "expr": "up", "severity": "info",
                      "escalations": [{"after": "1h", "channels": [c["id"]]}, {"after": "15m", "channels": [c["id"]]}]})
        self.assertFieldError(r, "escalations[1].after")
        r = self.req("POST", "/api/v1/alert-rules",
                     {"name": "escalates", "expr": "up", "severity": "info",
                      "escalations": [{"after": "10s", "channels": [c["id"]]}, {"after": "1h"}]})
        self.assertFieldError(r, "escalations[0].after")
        self.assertIn("escalations[1]", r.field_errors())
        r = self.req("POST", "/api/v1/alert-rules",
                     {"name": "escalates", "expr": "up", "severity": "info",
                      "escalations": [{"after": "15m", "channels": [c["id"]]}, {"after": "1h", "channels": [c["id"]]}]})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["escalations"], [{"after": "15m", "channels": [c["id"]]},
                                                         {"after": "1h", "channels": [c["id"]]}])
        self.assertStatus(self.req("DELETE", f"/api/v1/channels/{c['id']}"), 409, "CHANNEL_IN_USE")
        self.assertStatus(self.req("DELETE", f"/api/v1/alert-rules/{r.json['data']['id']}"), 204)
        self.assertStatus(self.req("DELETE", f"/api/v1/channels/{c['id']}"), 204)

    def test_test_messages_reach_the_receiver_or_say_why_not(self):
        hook = WebhookReceiver().start()
        try:
            c = self.channel("t-ok", "webhook", {"url": hook.url, "bearer_token": "tok"})
            r = self.req("POST", f"/api/v1/channels/{c['id']}/test")
            self.assertStatus(r, 200)
            self.assertEqual(len(hook.requests), 1)
            self.assertEqual(hook.requests[0]["headers"]["Authorization"], "Bearer tok")
            self.assertEqual(hook.bodies()[0]["event"], "test")
            hook.status = 404
            r = self.req("POST", f"/api/v1/channels/{c['id']}/test", check=False)
            self.assertStatus(r, 502, "CHANNEL_TEST_FAILED")
            self.assertIn("HTTP 404", r.json["error"]["message"])
            self.assertIn("receiver says no", r.json["error"]["message"])
        finally:
            hook.stop()
        down = self.channel("t-down", "webhook", {"url": f"http://127.0.0.1:{free_port()}/"})
        r = self.req("POST", f"/api/v1/channels/{down['id']}/test", check=False)
        self.assertStatus(r, 502, "CHANNEL_TEST_FAILED")
        self.assertIn("onnect", r.json["error"]["message"])


class WebhookDeliveryTest(NotifyMixin, AdminTestCase):
    def test_firing_and_resolved_reach_the_webhook_with_the_default_message(self):
        hook = WebhookReceiver().start()
        try:
            c = self.channel("hook", "webhook", {"url": hook.url})
            self.push("tt_queue_depth", {"queue": "mail"}, 500)
            self.rule("QueueBacklog", 'tt_queue_depth{queue="mail"} > 100', [c["id"]])
            self.assertTrue(wait_until(lambda: len(hook.requests) >= 1, 15), "no firing notification")
            fired = hook.bodies()[0]
            self.assertEqual(fired["event"], "firing")
            self.assertEqual(fired["alert"]["rule"], "QueueBacklog")
            self.assertEqual(fired["alert"]["labels"]["queue"], "mail")
            self.assertEqual(fired["alert"]["value"], 500)
            self.assertEqual(fired["title"], "[FIRING] QueueBacklog (critical)")
            self.assertIn("mail is backed up", fired["text"])
            self.assertIn("Labels: alertname=QueueBacklog, queue=mail, severity=critical", fired["text"])
            self.assertIsNotNone(fired["alert"]["fired_at"])
            self.assertTrue(hook.requests[0]["headers"]["Idempotency-Key"].startswith("telltale-"))
            self.push("tt_queue_depth", {"queue": "mail"}, 3)
            self.assertTrue(wait_until(lambda: len(hook.requests) >= 2, 15), "no resolved notification")
            resolved = hook.bodies()[1]
            self.assertEqual(resolved["event"], "resolved")
            self.assertEqual(resolved["alert"]["id"], fired["alert"]["id"])
            self.assertIsNotNone(resolved["alert"]["resolved_at"])
            # The firing text is said as past in the message, and kept as it was in the JSON.
            self.assertTrue(resolved["text"].startswith("While firing: mail is backed up\n"), resolved["text"])
            self.assertEqual(resolved["alert"]["annotations"]["summary"], "mail is backed up")
            # The outcome is recorded after the receiver answers (once per chain): wait for it.
            delivered = lambda: self.req("GET", f"/api/v1/notifications?channel={c['id']}&state=delivered").json["data"]
            self.assertTrue(wait_until(lambda: len(delivered()) == 2, 10), "the deliveries were not recorded")
            rows = delivered()
            self.assertEqual([x["event"] for x in rows], ["resolved", "firing"])
            self.assertEqual(rows[0]["attempts"], 1)
            self.assertEqual(rows[0]["rule"], "QueueBacklog")
            self.assertIsNotNone(rows[0]["sent_at"])
            time.sleep(2)
            self.assertEqual(len(hook.requests), 2)
        finally:
            hook.stop()


class GroupingTest(NotifyMixin, AdminTestCase):
    def test_a_grouped_channel_sends_one_message_per_group_and_then_its_news(self):
        hook = WebhookReceiver().start()
        try:
            r = self.req("POST", "/api/v1/channels",
                         {"name": "grouped", "kind": "webhook", "config": {"url": hook.url},
                          "grouping": {"group_wait": "2s", "group_interval": "3s"}})
            self.assertStatus(r, 201)
            c = r.json["data"]
            self.assertEqual(c["grouping"], {"group_by": ["alertname"], "group_wait": "2s",
                                             "group_interval": "3s", "repeat_interval": "4h"})
            for q in ("mail", "jobs"):
                self.push("tt_queue_depth", {"queue": q}, 500)
            self.rule("QueueBacklog", "tt_queue_depth > 100", [c["id"]])
            self.assertTrue(wait_until(lambda: len(hook.requests) >= 1, 15), "no group notification")
            first = hook.bodies()[0]
            self.assertEqual(first["title"], "[FIRING:2] QueueBacklog (critical)")
            self.assertEqual(first["group"]["labels"], {"alertname": "QueueBacklog"})
            self.assertEqual(sorted(a["labels"]["queue"] for a in first["group"]["alerts"]), ["jobs", "mail"])
            self.assertEqual(hook.requests[0]["headers"]["Idempotency-Key"], f"telltale-{first['notification_id']}")

            self.push("tt_queue_depth", {"queue": "mail"}, 3)
            self.assertTrue(wait_until(lambda: len(hook.requests) >= 2, 15), "no news of the group")
            news = hook.bodies()[1]
            self.assertEqual({a["labels"]["queue"]: a["event"] for a in news["group"]["alerts"]},
                             {"mail": "resolved", "jobs": "firing"})
            self.assertFalse(news["group"]["repeat"])

            # A row is marked delivered in a commit after the receiver answered: wait for it.
            def rows():
                r = self.req("GET", f"/api/v1/notifications?channel={c['id']}")
                self.assertStatus(r, 200)
                return r.json["data"]
            wait_until(lambda: [x["state"] for x in rows() if x["event"] == "group"] ==
                       ["delivered", "delivered"], 15)
            rows = rows()
            groups = [x for x in rows if x["event"] == "group"]
            self.assertEqual([x["state"] for x in groups], ["delivered", "delivered"])
            self.assertEqual(groups[0]["group"], {"alertname": "QueueBacklog"})
            members = [x for x in rows if x["event"] != "group"]
            self.assertEqual(sorted(x["event"] for x in members), ["firing", "firing", "resolved"])
            self.assertTrue(all(x["state"] == "grouped" and x["group_id"] in (g["id"] for g in groups)
                                for x in members))
            time.sleep(4)  # past group_interval: nothing new to say, nothing sent
            self.assertEqual(len(hook.requests), 2)
        finally:
            hook.stop()


class MutedTest(NotifyMixin, AdminTestCase):
    def test_a_silenced_alert_is_not_sent_until_its_silence_ends(self):
        hook = WebhookReceiver().start()
        try:
            c = self.channel("muted-hook", "webhook", {"url": hook.url})
            r = self.req("POST", "/api/v1/silences", {"matchers": '{alertname="Hushed"}', "ends_at": "2099-01-01T00:00:00Z",
                                                       "comment": "works"})
            self.assertStatus(r, 201)
            silence = r.json["data"]
            self.push("tt_queue_depth", {"queue": "hush"}, 500)
            self.rule("Hushed", 'tt_queue_depth{queue="hush"} > 100', [c["id"]])
            self.assertTrue(wait_until(lambda: any(x["state"] == "muted" for x in self.req(
                "GET", f"/api/v1/notifications?channel={c['id']}").json["data"]), 15), "nothing muted")
            self.assertEqual(len(hook.requests), 0)
            self.assertStatus(self.req("DELETE", f"/api/v1/silences/{silence['id']}"), 204)
            self.assertTrue(wait_until(lambda: len(hook.requests) >= 1, 15), "not sent after the silence ended")
            self.assertEqual(hook.bodies()[0]["alert"]["rule"], "Hushed")
        finally:
            hook.stop()


class InhibitionTest(NotifyMixin, AdminTestCase):
    def test_a_node_that_is_down_sends_one_message_not_one_per_check(self):
        hook = WebhookReceiver().start()
        try:
            r = self.req("POST", "/api/v1/nodes", {"name": "gw1", "type": "network"})
            self.assertStatus(r, 201)
            node = r.json["data"]
            checks = []
            for name in ("gw1-web", "gw1-dns"):
                r = self.req("POST", "/api/v1/checks", {"name": name, "kind": "push", "interval": "1h",
                                                        "node_id": node["id"]})
                self.assertStatus(r, 201)
                checks.append(r.json["data"])
            r = self.req("POST", "/api/v1/channels",
                         {"name": "pager", "kind": "webhook", "config": {"url": hook.url},
                          "grouping": {"group_by": ["node"], "group_wait": "3s", "group_interval": "5s"}})
            self.assertStatus(r, 201)
            channel = r.json["data"]
            # The server's built-in CheckDown and NodeDown, narrowed to this node and made quick.
            rules = {r["name"]: r for r in self.req("GET", "/api/v1/alert-rules?per_page=100").json["data"]}
            for body in ({"name": "CheckDown", "kind": "check_state", "check_selector": '{node="gw1"}'},
                         {"name": "NodeDown", "expr": "max by (node) (probe_up) == 0", "for": "0s"}):
                body.update({"severity": "critical", "interval": "1s", "channels": [channel["id"]]})
                self.assertStatus(self.req("PATCH", f"/api/v1/alert-rules/{rules[body['name']]['id']}", body), 200)
            for c in checks:
                self.assertStatus(self.server.request("GET", c["push_url"] + "?status=down&msg=unreachable"), 200)

            self.assertTrue(wait_until(lambda: len(hook.requests) >= 1, 20), "no notification")
            first = hook.bodies()[0]
            self.assertEqual([a["labels"]["alertname"] for a in first["group"]["alerts"]], ["NodeDown"], first)
            alerts = self.req("GET", "/api/v1/alerts?state=firing").json["data"]
            node_alert = next(a for a in alerts if a["labels"]["alertname"] == "NodeDown")
            check_alerts = [a for a in alerts if a["labels"]["alertname"] == "CheckDown"]
            self.assertEqual(len(check_alerts), 2, alerts)
            self.assertTrue(all(a["inhibited_by"] == node_alert["id"] and a["muted"] for a in check_alerts), alerts)
            self.assertIsNone(node_alert["inhibited_by"])

            # One check comes back: the node is degraded, not down, and the other check's alert
            # is news again.
            self.assertStatus(self.server.request("GET", checks[0]["push_url"]), 200)
            self.assertTrue(wait_until(lambda: len(hook.requests) >= 2, 30), "no news after the node came back")
            news = hook.bodies()[1]
            events = {(a["labels"]["alertname"], a["labels"].get("check")): a["event"] for a in news["group"]["alerts"]}
            self.assertEqual(events.get(("NodeDown", None)), "resolved", news)
            self.assertEqual(events.get(("CheckDown", "gw1-dns")), "firing", news)
        finally:
            hook.stop()

    def test_inhibit_rules_are_a_resource_and_mute_their_targets(self):
        r = self.req("POST", "/api/v1/inhibit-rules", {"source": '{a=~"("}', "equal": ["1x"], "colour": "red"})
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        self.assertEqual(sorted(r.field_errors()), ["colour", "equal", "name", "source", "target"])
        r = self.req("POST", "/api/v1/inhibit-rules",
                     {"name": "backlog mutes lag", "source": '{alertname="Backlog"}', "target": '{alertname="Lag"}',
                      "equal": ["queue"], "comment": "lag follows a backlog"})
        self.assertStatus(r, 201)
        rule = r.json["data"]
        self.assertEqual(r.header("Location"), f"/api/v1/inhibit-rules/{rule['id']}")
        self.assertEqual(rule["created_by"], "admin")
        for q in ("mail", "jobs"):
            self.push("tt_queue_depth", {"queue": q}, 500)
            self.push("tt_queue_lag_seconds", {"queue": q}, 600)
        self.push("tt_queue_lag_seconds", {"queue": "audit"}, 600)
        self.rule("Backlog", 'tt_queue_depth{queue="mail"} > 100', [])
        self.rule("Lag", "tt_queue_lag_seconds > 300", [])

        def lag():
            alerts = self.req("GET", "/api/v1/alerts?state=firing&label=alertname=Lag").json["data"]
            return {a["labels"]["queue"]: a for a in alerts} if len(alerts) == 3 else None
        self.assertTrue(wait_until(lambda: lag() and self.req("GET", "/api/v1/alerts?state=firing&label=alertname=Backlog").json["data"], 15))
        backlog = self.req("GET", "/api/v1/alerts?state=firing&label=alertname=Backlog").json["data"][0]
        by_queue = lag()
        self.assertEqual(by_queue["mail"]["inhibited_by"], backlog["id"])
        self.assertIsNone(by_queue["jobs"]["inhibited_by"])  # no backlog alert for jobs
        self.assertIsNone(by_queue["audit"]["inhibited_by"])

        r = self.req("PATCH", f"/api/v1/inhibit-rules/{rule['id']}", {"equal": []})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["equal"], [])
        self.assertTrue(all(a["inhibited_by"] == backlog["id"] for a in lag().values()))
        self.assertStatus(self.req("PATCH", f"/api/v1/inhibit-rules/{rule['id']}", {"target": "{"}), 422)
        self.assertStatus(self.req("DELETE", f"/api/v1/inhibit-rules/{rule['id']}"), 204)
        self.assertTrue(all(a["inhibited_by"] is None for a in lag().values()))
        self.assertStatus(self.req("GET", f"/api/v1/inhibit-rules/{rule['id']}"), 404, "INHIBIT_RULE_NOT_FOUND")
        actions = [e["action"] for e in self.req("GET", "/api/v1/audit?per_page=100").json["data"]]
        for action in ("inhibit_rule.create", "inhibit_rule.update", "inhibit_rule.delete"):
            self.assertIn(action, actions)


class OutageTest(NotifyMixin, unittest.TestCase):
    def test_receiver_down_then_kill_9_then_up_delivers_each_transition_once(self):
        hook = WebhookReceiver()  # not started: the port refuses connections
        server = Server().start()
        try:
            token = server.admin_token()
            c = self.channel("hook", "webhook", {"url": hook.url}, server=server, token=token)
            self.push("tt_disk_full", {"disk": "sda"}, 1, server=server, token=token)
            self.rule("DiskFull", "tt_disk_full > 0", [c["id"]], server=server, token=token)

            def failed_attempt():
                r = server.request("GET", "/api/v1/notifications?state=pending", token=token)
                rows = r.json["data"]
                return rows and rows[0]["attempts"] >= 1 and rows[0]["last_error"]
            self.assertTrue(wait_until(failed_attempt, 20), "no failed attempt recorded")
            row = server.request("GET", "/api/v1/notifications", token=token).json["data"][0]
            self.assertEqual(row["state"], "pending")
            self.assertIn("onnect", row["last_error"])
            server.kill()  # kill -9: nothing is flushed on the way out

            hook.start()
            server.start()
            self.assertTrue(wait_until(lambda: len(hook.requests) >= 1, 20), "nothing delivered after the restart")
            time.sleep(3)
            bodies = hook.bodies()
            self.assertEqual(len(bodies), 1, bodies)
            self.assertEqual(bodies[0]["event"], "firing")
            rows = server.request("GET", "/api/v1/notifications", token=token).json["data"]
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0]["state"], "delivered")
            self.assertGreaterEqual(rows[0]["attempts"], 2)

            # Resolved while the receiver is down again, delivered once it is back.
            hook.stop()
            self.push("tt_disk_full", {"disk": "sda"}, 0, server=server, token=token)
            self.assertTrue(wait_until(lambda: len(server.request(
                "GET", "/api/v1/notifications?state=pending", token=token).json["data"]) == 1, 15))
            server.kill()
            hook.start()
            server.start()
            self.assertTrue(wait_until(lambda: len(hook.requests) >= 2, 20), "resolution not delivered")
            time.sleep(2)
            self.assertEqual([b["event"] for b in hook.bodies()], ["firing", "resolved"])
        finally:
            hook.stop()
            server.stop() if server.alive() else None
            server.cleanup()


@unittest.skipUnless(os.path.exists("/usr/bin/prometheus-alertmanager"), "prometheus-alertmanager is not installed")
class AlertmanagerTest(NotifyMixin, AdminTestCase):
    def test_alertmanager_receives_the_alert(self):
        am = Alertmanager().start()
        try:
            c = self.channel("am", "alertmanager", {"url": am.url})
            self.assertStatus(self.req("POST", f"/api/v1/channels/{c['id']}/test"), 200)
            self.assertTrue(wait_until(lambda: any(a["labels"].get("alertname") == "TelltaleTest" for a in am.alerts()), 10))
            self.push("tt_temp", {"room": "lab"}, 90)
            self.rule("RoomHot", "tt_temp > 50", [c["id"]])

            def found():
                return [a for a in am.alerts() if a["labels"].get("alertname") == "RoomHot"]
            alerts = wait_until(found, 20)
            self.assertTrue(alerts, "alertmanager has no RoomHot")
            self.assertEqual(alerts[0]["labels"]["room"], "lab")
            self.assertEqual(alerts[0]["labels"]["severity"], "critical")
            self.assertEqual(alerts[0]["annotations"]["summary"], " is backed up")
            self.assertEqual(alerts[0]["status"]["state"], "active")
        finally:
            am.stop()


@unittest.skipUnless(os.path.exists("/usr/lib/python3/dist-packages/aiosmtpd"), "python3-aiosmtpd is not installed")
class EmailTest(NotifyMixin, AdminTestCase):
    def test_email_over_starttls_reaches_the_smtp_server(self):
        smtp = SmtpServer().start()
        try:
            c = self.channel("mail", "email", {"url": f"smtp://127.0.0.1:{smtp.port}", "from": "telltale@example.org",
                                               "to": ["ops@example.org", "oncall@example.org"], "starttls": "require",
                                               "insecure_skip_verify": True})
            self.assertStatus(self.req("POST", f"/api/v1/channels/{c['id']}/test"), 200)
            self.assertTrue(wait_until(lambda: len(smtp.messages()) == 1, 10))
            self.push("tt_queue_depth", {"queue": "smtp"}, 1000)
            self.rule("MailQueue", 'tt_queue_depth{queue="smtp"} > 100', [c["id"]])
            self.assertTrue(wait_until(lambda: len(smtp.messages()) == 2, 20), "no alert email")
            msgs = sorted(smtp.messages(), key=lambda m: m["Subject"])
            alert = [m for m in msgs if m["Subject"].startswith("[FIRING]")][0]
            self.assertEqual(alert["Subject"], "[FIRING] MailQueue (critical)")
            self.assertEqual(alert["From"], "telltale@example.org")
            self.assertEqual(alert["To"], "ops@example.org, oncall@example.org")
            self.assertEqual(alert["X-RcptTo"], "ops@example.org, oncall@example.org")
            body = alert.get_payload()
            self.assertIn("smtp is backed up", body)
            self.assertIn("queue=smtp", body)
            self.assertTrue([m for m in msgs if m["Subject"].startswith("[TEST]")])
            # STARTTLS really happened: the server's self-signed certificate is refused unless told.
            strict = self.channel("mail-strict", "email", {"url": f"smtp://127.0.0.1:{smtp.port}",
                                                           "from": "telltale@example.org", "to": ["ops@example.org"],
                                                           "starttls": "require"})
            r = self.req("POST", f"/api/v1/channels/{strict['id']}/test", check=False)
            self.assertStatus(r, 502, "CHANNEL_TEST_FAILED")
            self.assertIn("SMTP", r.json["error"]["message"])
        finally:
            smtp.stop()
