"""Alerting against the real binary: rules over the API (validation with positions, CRUD,
filters), an expression rule over pushed samples going pending -> firing -> resolved through the
API and the WebSocket `alerts` topic, acknowledgement with its audit row, silences, a check_state
rule following a push check, and active alerts kept across a restart."""

import time
import unittest

from telltale_harness import AdminTestCase, Server, wait_until, ws_connect


def now_ms():
    return int(time.time() * 1000)


class AlertsTest(AdminTestCase):
    def rule(self, **fields):
        fields.setdefault("severity", "warning")
        r = self.req("POST", "/api/v1/alert-rules", fields)
        self.assertStatus(r, 201)
        return r.json["data"]

    def push(self, metric, labels, value):
        r = self.req("POST", "/api/v1/samples",
                     {"series": [{"metric": metric, "labels": labels, "timestamps": [now_ms()], "values": [value]}]})
        self.assertStatus(r, 204 if r.status == 204 else 200)

    def alerts(self, query=""):
        r = self.req("GET", "/api/v1/alerts" + query)
        self.assertStatus(r, 200)
        return r.json["data"]

    def test_bad_rules_are_422_with_the_position(self):
        r = self.req("POST", "/api/v1/alert-rules", {"name": "bad", "severity": "info", "expr": "rate(up[5m] > 1"})
        self.assertStatus(r, 422, "EXPR_INVALID")
        self.assertTrue(r.field_errors()["expr"].startswith("at position 12:"), r)
        r = self.req("POST", "/api/v1/alert-rules", {"name": "bad", "severity": "info", "expr": "up{job=~\"(\"}"})
        self.assertStatus(r, 422, "EXPR_INVALID")
        self.assertIn("position", r.field_errors()["expr"])
        r = self.req("POST", "/api/v1/alert-rules",
                     {"name": "bad", "severity": "info", "expr": "up", "annotations": {"s": "x {{ .Oops }}"}})
        self.assertFieldError(r, "annotations.s")
        self.assertTrue(r.field_errors()["annotations.s"].startswith("at position 2:"), r)
        cases = [
            ({"expr": "up"}, ["name", "severity"]),
            ({"name": "b", "severity": "loud", "expr": "up"}, ["severity"]),
            ({"name": "b", "severity": "info", "expr": "up", "for": "soon", "interval": "1ms"}, ["for", "interval"]),
            ({"name": "b", "severity": "info", "expr": "up[5m]"}, ["expr"]),
            ({"name": "b", "severity": "info", "kind": "check_state"}, ["check_id"]),
            ({"name": "b", "severity": "info", "expr": "up", "labels": {"alertname": "x", "1x": "y"}},
             ["labels.alertname", "labels.1x"]),
            ({"name": "b", "severity": "info", "expr": "up", "channels": [0], "colour": "red"}, ["channels", "colour"]),
            ({"name": "b", "severity": "info", "expr": "up", "flap_damping": {"fires": 1, "window": "1s"}},
             ["flap_damping.fires", "flap_damping.window"]),
        ]
        for body, fields in cases:
            with self.subTest(body=body):
                r = self.req("POST", "/api/v1/alert-rules", body)
                self.assertStatus(r, 422)
                for f in fields:
                    self.assertIn(f, r.field_errors(), r)
        self.assertStatus(self.req("POST", "/api/v1/alert-rules", [1]), 400, "INVALID_JSON")

    def test_rule_crud(self):
        c1, c2 = (self.req("POST", "/api/v1/channels", {"name": n, "kind": "webhook", "config": {"url": "http://127.0.0.1:9/"}})
                  .json["data"]["id"] for n in ("crud-c1", "crud-c2"))
        a = self.rule(name="crud-a", expr="up == 0", **{"for": "5m"}, labels={"team": "ops"}, channels=[c2, c1])
        self.assertEqual(a["interval"], "15s")
        self.assertEqual(a["for"], "5m")
        self.assertEqual(a["channels"], [c2, c1])
        self.assertEqual(a["kind"], "expr")
        self.assertStatus(self.req("POST", "/api/v1/alert-rules", {"name": "crud-a", "severity": "info", "expr": "up"}),
                          409, "ALERT_RULE_EXISTS")
        self.assertIsNone(a["flap_damping"])
        r = self.req("PATCH", f"/api/v1/alert-rules/{a['id']}", {"severity": "critical", "keep_firing_for": "1m",
                                                                "flap_damping": {"fires": 3, "window": "10m"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["severity"], "critical")
        self.assertEqual(r.json["data"]["keep_firing_for"], "1m")
        stored = self.req("GET", f"/api/v1/alert-rules/{a['id']}").json["data"]
        self.assertEqual(stored["flap_damping"], {"fires": 3, "window": "10m"})
        r = self.req("PATCH", f"/api/v1/alert-rules/{a['id']}", {"expr": "sum(rate(x[5m]) > 1"})
        self.assertStatus(r, 422, "EXPR_INVALID")
        self.rule(name="crud-b", kind="check_state", check_selector='{kind="icmp"}')
        r = self.req("GET", "/api/v1/alert-rules?per_page=1&q=crud-")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["pagination"]["total"], 2)
        self.assertEqual(r.json["data"][0]["name"], "crud-a")
        self.assertTrue(r.json["pagination"]["has_next"])
        r = self.req("GET", "/api/v1/alert-rules?severity=critical&q=crud-")
        self.assertEqual([x["name"] for x in r.json["data"]], ["crud-a"])
        self.assertStatus(self.req("GET", "/api/v1/alert-rules?severity=loud"), 422, "VALIDATION_FAILED")
        self.assertStatus(self.req("DELETE", f"/api/v1/alert-rules/{a['id']}"), 204)
        self.assertStatus(self.req("GET", f"/api/v1/alert-rules/{a['id']}"), 404, "ALERT_RULE_NOT_FOUND")
        self.assertStatus(self.req("GET", "/api/v1/alerts/999999"), 404, "ALERT_NOT_FOUND")
        self.assertStatus(self.req("GET", "/api/v1/alerts?state=burning"), 422, "VALIDATION_FAILED")

    def test_expression_rule_lifecycle_over_api_and_websocket(self):
        ws = ws_connect(self.server.port, token=self.token)
        ws.subscribe(["alerts"])
        self.push("tt_queue_depth", {"queue": "mail"}, 500)
        rule = self.rule(name="QueueBacklog", expr="tt_queue_depth > 100", severity="critical", interval="1s",
                         **{"for": "2s"}, labels={"team": "ops"},
                         annotations={"summary": "{{ $labels.queue }} holds {{ $value }} ({{ humanize $value }})"})

        def event(kind):
            def wanted(m):
                if m.get("topic") != "alerts" or m["data"]["kind"] != kind:
                    return False
                return m["data"]["data"]["alert"]["labels"].get("alertname") == "QueueBacklog"
            return ws.wait_json(wanted, timeout=10)["data"]

        pending = event("alert.pending")["data"]["alert"]
        self.assertEqual(pending["labels"], {"alertname": "QueueBacklog", "queue": "mail", "severity": "critical",
                                             "team": "ops"})
        self.assertEqual(pending["annotations"]["summary"], "mail holds 500 (500)")
        firing_event = event("alert.firing")
        firing = firing_event["data"]["alert"]
        self.assertEqual(firing["id"], pending["id"])
        self.assertEqual(firing_event["data"]["from"], "pending")
        self.assertIsInstance(firing_event["data"]["transition_id"], int)

        def ms(ts):
            return time.mktime(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(ts[20:23])
        self.assertGreaterEqual(ms(firing["fired_at"]) - ms(firing["active_at"]), 2000)

        alert_id = firing["id"]
        listed = self.alerts("?state=firing&severity=critical&label=team=ops&label=queue=mail")
        self.assertEqual([a["id"] for a in listed], [alert_id])
        self.assertEqual(self.alerts("?state=firing&label=team=dev"), [])
        r = self.req("GET", f"/api/v1/alerts/{alert_id}")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["state"], "firing")
        self.assertEqual(r.json["data"]["rule_id"], rule["id"])
        self.assertFalse(r.json["data"]["acked"])

        r = self.req("POST", f"/api/v1/alerts/{alert_id}/ack", {"comment": "draining the queue"})
        self.assertStatus(r, 200)
        self.assertTrue(r.json["data"]["acked"])
        self.assertEqual(r.json["data"]["ack"]["by"], "admin")
        self.assertEqual(r.json["data"]["ack"]["comment"], "draining the queue")
        acked = event("alert.acked")
        self.assertEqual(acked["actor"], "admin")
        audit = self.req("GET", "/api/v1/audit?action=alert.ack").json["data"]
        self.assertIn(str(alert_id), [x["target"] for x in audit])
        # The transitions are in the audit trail too, as the system's changes.
        audit = self.req("GET", "/api/v1/audit?action=alert.*&per_page=200").json["data"]
        self.assertIn(("alert.firing", "system"), [(x["action"], x["actor"]) for x in audit if x["target"] == str(alert_id)])
        self.assertStatus(self.req("POST", f"/api/v1/alerts/{alert_id}/ack", {"comment": 5}), 422, "VALIDATION_FAILED")

        self.push("tt_queue_depth", {"queue": "mail"}, 3)
        resolved = event("alert.resolved")["data"]
        self.assertEqual(resolved["alert"]["id"], alert_id)
        self.assertEqual(resolved["from"], "firing")
        r = self.req("GET", f"/api/v1/alerts/{alert_id}")
        self.assertEqual(r.json["data"]["state"], "resolved")
        self.assertTrue(r.json["data"]["acked"])
        self.assertIsNotNone(r.json["data"]["resolved_at"])
        self.assertStatus(self.req("POST", f"/api/v1/alerts/{alert_id}/ack", {}), 409, "ALERT_RESOLVED")
        r = self.req("GET", f"/api/v1/alerts?rule={rule['id']}&per_page=1")
        self.assertEqual(r.json["pagination"]["total"], 1)
        ws.close()

    def test_silences_mute_the_alerts_they_select(self):
        self.push("tt_fan_rpm", {"host": "h1"}, 0)
        self.push("tt_fan_rpm", {"host": "h2"}, 0)
        self.rule(name="FanStopped", expr="tt_fan_rpm == 0", interval="1s")
        firing = wait_until(lambda: len(self.alerts("?state=firing&label=alertname=FanStopped")) == 2 and
                            self.alerts("?state=firing&label=alertname=FanStopped"), timeout=10)
        self.assertTrue(firing)
        self.assertFalse(any(a["silenced"] for a in firing))
        end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        r = self.req("POST", "/api/v1/silences", {"matchers": '{alertname="FanStopped", host=~"h1|h9"}',
                                                  "ends_at": end, "comment": "replacing the fan"})
        self.assertStatus(r, 201)
        silence = r.json["data"]
        self.assertEqual(silence["created_by"], "admin")
        self.assertEqual(silence["state"], "active")
        muted = {a["labels"]["host"]: a["silenced"] for a in self.alerts("?label=alertname=FanStopped")}
        self.assertEqual(muted, {"h1": True, "h2": False})
        self.assertEqual([x["id"] for x in self.req("GET", "/api/v1/silences").json["data"]], [silence["id"]])
        self.assertStatus(self.req("DELETE", f"/api/v1/silences/{silence['id']}"), 204)
        self.assertEqual(self.req("GET", f"/api/v1/silences/{silence['id']}").json["data"]["state"], "expired")
        self.assertEqual(self.req("GET", "/api/v1/silences").json["data"], [])
        self.assertEqual(len(self.req("GET", "/api/v1/silences?expired=true").json["data"]), 1)
        self.assertFalse(any(a["silenced"] for a in self.alerts("?label=alertname=FanStopped")))
        audit = self.req("GET", "/api/v1/audit?action=silence.*").json["data"]
        self.assertEqual(sorted(x["action"] for x in audit), ["silence.create", "silence.expire"])
        for body, fields in [({"matchers": "{host=~\"(\"}", "ends_at": end}, ["matchers"]),
                             ({"matchers": "{host=\"\"}", "ends_at": end}, ["matchers"]),
                             ({"matchers": "{host=\"h1\"}", "ends_at": "tomorrow"}, ["ends_at"]),
                             ({"matchers": "{host=\"h1\"}", "ends_at": "2001-01-01T00:00:00Z"}, ["ends_at"]),
                             ({"ends_at": end, "who": 1}, ["matchers", "who"])]:
            with self.subTest(body=body):
                r = self.req("POST", "/api/v1/silences", body)
                self.assertStatus(r, 422, "VALIDATION_FAILED")
                for f in fields:
                    self.assertIn(f, r.field_errors(), r)
        self.assertStatus(self.req("DELETE", "/api/v1/silences/999999"), 404, "SILENCE_NOT_FOUND")

    def test_check_state_rule_follows_a_push_check(self):
        r = self.req("POST", "/api/v1/checks", {"name": "nightly-job", "kind": "push", "interval": "1h",
                                                "labels": {"team": "backup"}})
        self.assertStatus(r, 201)
        check = r.json["data"]
        self.rule(name="JobDown", kind="check_state", check_id=check["id"], interval="1s", severity="critical",
                  annotations={"summary": "{{ $labels.check }} is down"})
        self.assertStatus(self.server.request("GET", check["push_url"] + "?status=down&msg=failed"), 200)
        firing = wait_until(lambda: self.alerts("?state=firing&label=alertname=JobDown"), timeout=15)
        self.assertEqual(len(firing), 1, firing)
        self.assertEqual(firing[0]["labels"]["check"], "nightly-job")
        self.assertEqual(firing[0]["labels"]["team"], "backup")
        self.assertEqual(firing[0]["annotations"]["summary"], "nightly-job is down")
        self.assertStatus(self.server.request("GET", check["push_url"]), 200)
        resolved = wait_until(lambda: self.alerts("?state=resolved&label=alertname=JobDown"), timeout=15)
        self.assertEqual([a["id"] for a in resolved], [firing[0]["id"]])


class AlertsRestartTest(unittest.TestCase):
    def test_active_alerts_survive_a_restart(self):
        server = Server().start()
        try:
            token = server.admin_token()
            r = server.request("POST", "/api/v1/samples", {"series": [
                {"metric": "tt_disk_free", "labels": {"mount": "/"}, "timestamps": [now_ms()], "values": [0.01]}]},
                token=token)
            self.assertLess(r.status, 300, r)
            r = server.request("POST", "/api/v1/alert-rules", {"name": "DiskFull", "expr": "tt_disk_free < 0.1",
                                                               "severity": "warning", "interval": "1s", "for": "1h"},
                               token=token)
            self.assertEqual(r.status, 201, r)
            pending = wait_until(lambda: server.request("GET", "/api/v1/alerts?state=pending", token=token).json["data"])
            self.assertEqual(len(pending), 1)
            server.stop()
            server.start()
            def evaluated_again():
                a = server.request("GET", f"/api/v1/alerts/{pending[0]['id']}", token=token).json["data"]
                return a if a["last_eval_at"] > pending[0]["last_eval_at"] else None
            after = wait_until(evaluated_again)
            self.assertIsNotNone(after, "no evaluation after the restart")
            self.assertEqual(after["state"], "pending")
            self.assertEqual(after["active_at"], pending[0]["active_at"])
            self.assertEqual(len(server.request("GET", "/api/v1/alerts", token=token).json["data"]), 1)
        finally:
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
