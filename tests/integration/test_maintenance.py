"""Maintenance windows against the real binary: CRUD with per-field 422s, the audit trail and
the `active` filter; a check_state rule firing for a node's push check is muted while a one-off
window covering that node is active (another node's alert is not), the node's status stays as
its checks say, and the alert is no longer muted once the window ends."""

import datetime
import time
import unittest
import zoneinfo

from telltale_harness import AdminTestCase, wait_until


def rfc3339(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def now_ms():
    return int(time.time() * 1000)


class MaintenanceTest(AdminTestCase):
    def window(self, **fields):
        r = self.req("POST", "/api/v1/maintenance", fields)
        self.assertStatus(r, 201)
        return r.json["data"]

    def alerts(self, query=""):
        r = self.req("GET", "/api/v1/alerts" + query)
        self.assertStatus(r, 200)
        return r.json["data"]

    def test_crud_validation_and_audit(self):
        node = self.server.create_node(name="maint-crud", type="vm")
        weekly = {"every": "week", "days": ["sat", "sun"], "start_time": "22:00", "duration": "4h",
                  "time_zone": "+01:00"}
        w = self.window(name="weekend backups", comment="nightly", node_ids=[node["id"]], recurrence=weekly)
        self.assertEqual(w["created_by"], "admin")
        self.assertEqual(w["recurrence"], weekly)
        self.assertNotIn("starts_at", w)
        r = self.req("PATCH", f"/api/v1/maintenance/{w['id']}",
                     {"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-01-01T02:00:00Z", "matchers": '{a="b"}'})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["starts_at"], "2026-01-01T00:00:00.000Z")
        self.assertNotIn("recurrence", r.json["data"])
        self.assertFalse(r.json["data"]["active"])
        self.assertEqual(self.req("GET", f"/api/v1/maintenance/{w['id']}").json["data"]["matchers"], '{a="b"}')
        self.assertStatus(self.req("PATCH", f"/api/v1/maintenance/{w['id']}", {"ends_at": "2025-01-01T00:00:00Z"}),
                          422, "VALIDATION_FAILED")

        end = rfc3339(now_ms() + 3600_000)
        cases = [
            ({"name": "x", "node_ids": [node["id"]], "starts_at": end, "ends_at": rfc3339(now_ms())}, ["ends_at"]),
            ({"name": "x", "matchers": '{a="b"}', "recurrence": dict(weekly, days=["sat", "caturday"])},
             ["recurrence.days"]),
            ({"name": "x", "matchers": '{a="b"}', "recurrence": dict(weekly, duration="forever")},
             ["recurrence.duration"]),
            ({"name": "x", "matchers": '{a="b"}', "recurrence": dict(weekly, time_zone="Mars/Olympus_Mons")},
             ["recurrence.time_zone"]),
            ({"name": "x", "node_ids": [999999], "starts_at": rfc3339(now_ms()), "ends_at": end}, ["node_ids"]),
            ({"starts_at": rfc3339(now_ms()), "ends_at": end, "colour": "red"}, ["name", "node_ids", "colour"]),
            ({"name": "x", "matchers": "{a=~\"(\"}"}, ["matchers", "starts_at"]),
        ]
        for body, fields in cases:
            with self.subTest(body=body):
                r = self.req("POST", "/api/v1/maintenance", body)
                self.assertStatus(r, 422, "VALIDATION_FAILED")
                for f in fields:
                    self.assertIn(f, r.field_errors(), r)
        self.assertStatus(self.req("POST", "/api/v1/maintenance", [1]), 400, "INVALID_JSON")
        self.assertStatus(self.req("GET", "/api/v1/maintenance?active=maybe"), 422, "VALIDATION_FAILED")

        # A node deleted after the window was made does not block later changes.
        gone = self.server.create_node(name="maint-gone", type="vm")
        w2 = self.window(name="gone", node_ids=[gone["id"], node["id"]], recurrence=weekly)
        self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{gone['id']}"), 204)
        r = self.req("PATCH", f"/api/v1/maintenance/{w2['id']}", {"comment": "still planned"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["node_ids"], sorted([gone["id"], node["id"]]))
        self.assertStatus(self.req("PATCH", f"/api/v1/maintenance/{w2['id']}", {"node_ids": [999999]}),
                          422, "VALIDATION_FAILED")
        self.assertStatus(self.req("DELETE", f"/api/v1/maintenance/{w['id']}"), 204)
        self.assertStatus(self.req("GET", f"/api/v1/maintenance/{w['id']}"), 404, "MAINTENANCE_NOT_FOUND")
        self.assertStatus(self.req("DELETE", f"/api/v1/maintenance/{w['id']}"), 404, "MAINTENANCE_NOT_FOUND")
        audit = self.req("GET", "/api/v1/audit?action=maintenance.*").json["data"]
        mine = sorted(x["action"] for x in audit if x["target"] == str(w["id"]))
        self.assertEqual(mine, ["maintenance.create", "maintenance.delete", "maintenance.update"])
        events = self.req("GET", "/api/v1/events?topic=alerts&limit=1000").json["data"]
        kinds = [e["kind"] for e in events if e["kind"].startswith("maintenance.") and e["subject"] == str(w["id"])]
        self.assertEqual(kinds, ["maintenance.created", "maintenance.updated", "maintenance.deleted"])
        updated = next(e for e in events if e["kind"] == "maintenance.updated" and e["subject"] == str(w["id"]))
        self.assertEqual(sorted(updated["data"]["changed"]), ["ends_at", "matchers", "recurrence", "starts_at"])

    def test_zz_a_named_time_zone_is_the_windows_wall_clock(self):  # last: the others count windows
        # The time of day in Berlin now, whatever its offset today (CET or CEST).
        berlin = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Berlin"))
        at = lambda minutes: (berlin + datetime.timedelta(minutes=minutes)).strftime("%H:%M")
        daily = {"every": "day", "start_time": at(-5), "duration": "1h", "time_zone": "Europe/Berlin"}
        w = self.window(name="berlin now", matchers='{team="tz"}', recurrence=daily)
        self.assertEqual(w["recurrence"]["time_zone"], "Europe/Berlin")
        self.assertTrue(w["active"], w)
        later = self.window(name="berlin later", matchers='{team="tz"}',
                            recurrence=dict(daily, start_time=at(120)))
        self.assertFalse(later["active"], later)

    def test_a_window_mutes_its_nodes_alerts_while_active(self):
        checks = {}
        for name in ("maint-gw", "maint-sw"):
            node = self.server.create_node(name=name, type="network")
            r = self.req("POST", "/api/v1/checks", {"name": name + "-job", "kind": "push", "interval": "1h",
                                                    "node_id": node["id"], "labels": {"team": "maint"}})
            self.assertStatus(r, 201)
            checks[name] = (node, r.json["data"])
        r = self.req("POST", "/api/v1/alert-rules", {"name": "MaintJobDown", "kind": "check_state",
                                                     "check_selector": '{team="maint"}', "interval": "1s",
                                                     "severity": "critical"})
        self.assertStatus(r, 201)
        for node, check in checks.values():
            self.assertStatus(self.server.request("GET", check["push_url"] + "?status=down&msg=failed"), 200)
        firing = wait_until(lambda: len(self.alerts("?state=firing&label=alertname=MaintJobDown")) == 2
                            and self.alerts("?state=firing&label=alertname=MaintJobDown"), timeout=15)
        self.assertEqual(sorted(a["labels"]["node"] for a in firing), ["maint-gw", "maint-sw"])
        self.assertFalse(any(a["muted"] for a in firing))

        gw = checks["maint-gw"][0]
        ends = now_ms() + 4000
        w = self.window(name="gw swap", node_ids=[gw["id"]], starts_at=rfc3339(now_ms() - 60_000), ends_at=rfc3339(ends))
        self.assertTrue(w["active"])
        by_node = {a["labels"]["node"]: a for a in self.alerts("?state=firing&label=alertname=MaintJobDown")}
        self.assertEqual(by_node["maint-gw"]["maintenance"], [{"id": w["id"], "name": "gw swap"}])
        self.assertTrue(by_node["maint-gw"]["muted"])
        self.assertFalse(by_node["maint-gw"]["silenced"])
        self.assertEqual(by_node["maint-sw"]["maintenance"], [])
        self.assertFalse(by_node["maint-sw"]["muted"])
        one = self.req("GET", f"/api/v1/alerts/{by_node['maint-gw']['id']}").json["data"]
        self.assertTrue(one["muted"])
        self.assertEqual([x["id"] for x in self.req("GET", "/api/v1/maintenance?active=true").json["data"]], [w["id"]])
        # The window mutes alerts only: the node's status is still what its checks say.
        self.assertEqual(self.req("GET", f"/api/v1/nodes/{gw['id']}").json["data"]["status"], "down")

        time.sleep(max(0, ends - now_ms()) / 1000 + 0.05)
        one = self.req("GET", f"/api/v1/alerts/{by_node['maint-gw']['id']}").json["data"]
        self.assertEqual(one["state"], "firing")
        self.assertEqual(one["maintenance"], [])
        self.assertFalse(one["muted"])
        self.assertEqual(self.req("GET", "/api/v1/maintenance?active=true").json["data"], [])
        listed = self.req("GET", "/api/v1/maintenance").json["data"]
        self.assertIn(w["id"], [x["id"] for x in listed if not x["active"]])


if __name__ == "__main__":
    unittest.main()
