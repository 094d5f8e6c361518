"""Nodes: CRUD, validation, list filters, sorting, pagination; the events feed."""

import unittest
import urllib.parse

from telltale_harness import AdminTestCase


class NodesTest(AdminTestCase):
    def test_crud_and_events(self):
        r = self.req("GET", "/api/v1/events?limit=1000")
        self.assertStatus(r, 200)
        cursor = r.json["pagination"]["next_cursor"]

        body = {"name": "web-01", "type": "vm", "address": "10.0.0.1", "labels": {"site": "lab", "tier": "web"},
                "metadata": {"os": "debian", "cpus": 4}, "location": {"lat": 52.5, "lon": 13.4, "place": "Berlin"},
                "mac": "AA-BB-CC-DD-EE-0F"}
        r = self.req("POST", "/api/v1/nodes", body)
        self.assertStatus(r, 201)
        n = r.json["data"]
        nid = n["id"]
        self.assertEqual(r.header("Location"), f"/api/v1/nodes/{nid}")
        self.assertEqual(n["name"], "web-01")
        self.assertEqual(n["status"], "unknown")
        self.assertEqual(n["mac"], "aa:bb:cc:dd:ee:0f")
        self.assertEqual(n["labels"], {"site": "lab", "tier": "web"})
        self.assertEqual(n["location"]["place"], "Berlin")
        self.assertEqual(n["metadata"], {"os": "debian", "cpus": 4})

        r = self.req("GET", f"/api/v1/nodes/{nid}")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"], n)

        r = self.req("PATCH", f"/api/v1/nodes/{nid}", {"address": "10.0.0.2", "labels": {"site": "prod"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["address"], "10.0.0.2")
        self.assertEqual(r.json["data"]["labels"], {"site": "prod"})
        self.assertEqual(r.json["data"]["name"], "web-01")
        # A no-op patch changes nothing (no event).
        r = self.req("PATCH", f"/api/v1/nodes/{nid}", {"address": "10.0.0.2"})
        self.assertStatus(r, 200)
        # Clearing mac and location with null.
        r = self.req("PATCH", f"/api/v1/nodes/{nid}", {"mac": None, "location": None})
        self.assertStatus(r, 200)
        self.assertIsNone(r.json["data"]["mac"])
        self.assertIsNone(r.json["data"]["location"])

        r = self.req("DELETE", f"/api/v1/nodes/{nid}")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assertStatus(self.req("GET", f"/api/v1/nodes/{nid}"), 404, "NODE_NOT_FOUND")
        self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{nid}"), 404, "NODE_NOT_FOUND")
        self.assertStatus(self.req("PATCH", f"/api/v1/nodes/{nid}", {"address": "1.2.3.4"}), 404, "NODE_NOT_FOUND")

        # Events, in order, with a working cursor.
        r = self.req("GET", f"/api/v1/events?after={cursor}")
        self.assertStatus(r, 200)
        mine = [e for e in r.json["data"] if e["subject"] == str(nid)]
        self.assertEqual([e["kind"] for e in mine], ["node.created", "node.updated", "node.updated", "node.deleted"])
        ids = [e["id"] for e in r.json["data"]]
        self.assertEqual(ids, sorted(ids))
        self.assertTrue(all(i > cursor for i in ids))
        created, upd, upd2, deleted = mine
        self.assertEqual(created["topic"], "nodes")
        self.assertEqual(created["data"]["node"]["name"], "web-01")
        self.assertEqual(sorted(upd["data"]["changed"]), ["address", "labels"])
        self.assertEqual(upd["data"]["before"], {"address": "10.0.0.1", "labels": {"site": "lab", "tier": "web"}})
        self.assertEqual(upd["data"]["node"]["address"], "10.0.0.2")
        self.assertEqual(sorted(upd2["data"]["changed"]), ["location", "mac"])
        self.assertEqual(upd2["data"]["before"]["mac"], "aa:bb:cc:dd:ee:0f")
        self.assertEqual(deleted["data"]["node"]["id"], nid)
        self.assertEqual(created["actor"], "admin")
        nxt = r.json["pagination"]["next_cursor"]
        self.assertEqual(nxt, ids[-1])
        r = self.req("GET", f"/api/v1/events?after={nxt}")
        self.assertEqual(r.json["data"], [])
        self.assertEqual(r.json["pagination"]["next_cursor"], nxt)

        # limit + cursor paging walks the same sequence.
        walked, cur = [], cursor
        for _ in range(10):
            r = self.req("GET", f"/api/v1/events?after={cur}&limit=1")
            if not r.json["data"]:
                break
            self.assertEqual(len(r.json["data"]), 1)
            walked.append(r.json["data"][0]["id"])
            cur = r.json["pagination"]["next_cursor"]
        self.assertEqual(walked, ids)

        # Newest first: from the newest without a cursor, then below `before`; the same events reversed.
        back, before = [], None
        for _ in range(10):
            r = self.req("GET", "/api/v1/events?order=desc&limit=2" + (f"&before={before}" if before else ""))
            self.assertStatus(r, 200)
            back += [e["id"] for e in r.json["data"] if e["id"] > cursor]
            if not r.json["data"] or r.json["data"][-1]["id"] <= cursor:
                break
            before = r.json["pagination"]["next_cursor"]
        self.assertEqual(back, ids[::-1])
        r = self.req("GET", f"/api/v1/events?order=desc&before={ids[0]}&topic=nodes&limit=1000")
        self.assertTrue(all(e["id"] < ids[0] and e["topic"] == "nodes" for e in r.json["data"]))
        for bad in ("order=sideways", f"before={ids[0]}", "order=desc&before=0"):
            r = self.req("GET", "/api/v1/events?" + bad)
            self.assertStatus(r, 422, "VALIDATION_FAILED")

        r = self.req("GET", f"/api/v1/events?after={cursor}&topic=nodes")
        self.assertTrue(r.json["data"])
        self.assertTrue(all(e["topic"] == "nodes" for e in r.json["data"]))
        r = self.req("GET", f"/api/v1/events?after={cursor}&topic=alerts")
        self.assertEqual(r.json["data"], [])

    def test_events_bad_params(self):
        for q in ("after=abc", "after=-1", "after=1.5", "after=", "limit=0", "limit=1001", "limit=x",
                  "after=99999999999999999999999"):
            with self.subTest(q=q):
                r = self.req("GET", f"/api/v1/events?{q}")
                self.assertStatus(r, 422, "VALIDATION_FAILED")
                self.assertTrue(r.field_errors())

    def test_non_numeric_and_bad_ids(self):
        for nid in ("abc", "0", "-1", "1.0", "99999999999999999999", "1abc", "%20"):
            with self.subTest(id=nid):
                self.assertStatus(self.req("GET", f"/api/v1/nodes/{nid}"), 404, "NODE_NOT_FOUND")
                self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{nid}"), 404, "NODE_NOT_FOUND")
        self.assertStatus(self.req("GET", "/api/v1/nodes/424242"), 404, "NODE_NOT_FOUND")

    def test_validation(self):
        cases = [
            ({"name": "loc1", "type": "vm", "location": {"lat": 91, "lon": 0}}, "location.lat"),
            ({"name": "loc2", "type": "vm", "location": {"lat": 0, "lon": -180.5}}, "location.lon"),
            ({"name": "loc3", "type": "vm", "location": {"lat": "1", "lon": 0}}, "location.lat"),
            ({"name": "loc4", "type": "vm", "location": {"lon": 0}}, "location.lat"),
            ({"name": "loc5", "type": "vm", "location": {"lat": 1, "lon": 0, "alt": 3}}, "location.alt"),
            ({"name": "loc6", "type": "vm", "location": [1, 2]}, "location"),
            ({"name": "st", "type": "vm", "status": "up"}, "status"),
            ({"name": "cr", "type": "vm", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
            ({"name": "id", "type": "vm", "id": 5}, "id"),
            ({"name": "unk", "type": "vm", "colour": "blue"}, "colour"),
            ({"name": "mac1", "type": "vm", "mac": "aa:bb:cc:dd:ee"}, "mac"),
            ({"name": "mac2", "type": "vm", "mac": "gg:bb:cc:dd:ee:ff"}, "mac"),
            ({"name": "mac3", "type": "vm", "mac": 12}, "mac"),
            ({"name": "mac4", "type": "vm", "mac": "aa:bb:cc:dd:ee:ff:00"}, "mac"),
            ({"name": "addr", "type": "vm", "address": "a b"}, "address"),
            ({"name": "meta", "type": "vm", "metadata": {"x": "y" * 70000}}, "metadata"),
            ({"name": "lbl", "type": "vm", "labels": {"k": "v" * 1025}}, "labels.k"),
            ({"name": "lbls", "type": "vm", "labels": {f"l{i}": "v" for i in range(65)}}, "labels"),
            ({"name": "typ", "type": "VM"}, "type"),
            ({"name": "typ2", "type": None}, "type"),
            ({"name": None, "type": "vm"}, "name"),
        ]
        for body, field in cases:
            with self.subTest(field=field, body=str(body)[:60]):
                self.assertFieldError(self.req("POST", "/api/v1/nodes", body), field)
        # Multiple fields reported at once.
        r = self.req("POST", "/api/v1/nodes", {"name": "multi", "type": "vm", "status": "up",
                                               "location": {"lat": 91, "lon": 181}})
        fe = r.field_errors()
        for f in ("status", "location.lat", "location.lon"):
            self.assertIn(f, fe)
        # PATCH validates too, and status cannot be set.
        n = self.server.create_node(name="patchme", type="vm")
        self.assertFieldError(self.req("PATCH", f"/api/v1/nodes/{n['id']}", {"status": "down"}), "status")
        self.assertFieldError(self.req("PATCH", f"/api/v1/nodes/{n['id']}", {"location": {"lat": 91, "lon": 0}}),
                              "location.lat")
        self.assertFieldError(self.req("PATCH", f"/api/v1/nodes/{n['id']}", {"nope": 1}), "nope")
        self.assertStatus(self.req("PATCH", f"/api/v1/nodes/{n['id']}", [1]), 422, "VALIDATION_FAILED")
        # None of the bad ones were created.
        r = self.req("GET", "/api/v1/nodes?q=loc&per_page=100")
        self.assertEqual([x for x in r.json["data"] if x["name"].startswith("loc")], [])

    def test_display_names_refuse_control_and_bidi_characters(self):
        # "Trojan Source": a right-to-left override makes "gw1\u202e1wg" read as another name.
        n = self.server.create_node(name="bidi-ok", type="vm")
        for bad in ("gw\u202e1", "gw\u2066x\u2069", "gw\u200f", "gw\u061c", "gw\u0085", "gw\x7f", "gw\n"):
            with self.subTest(name=repr(bad)):
                self.assertFieldError(self.req("POST", "/api/v1/nodes", {"name": bad, "type": "vm"}), "name")
                self.assertFieldError(self.req("PATCH", f"/api/v1/nodes/{n['id']}", {"name": bad}), "name")
                self.assertFieldError(self.req("POST", "/api/v1/checks", {"name": bad, "kind": "push"}), "name")
                self.assertFieldError(self.req("POST", "/api/v1/channels", {
                    "name": bad, "kind": "webhook", "config": {"url": "http://127.0.0.1:9/"}}), "name")
                self.assertFieldError(self.req("POST", "/api/v1/alert-rules", {
                    "name": bad, "severity": "info", "expr": "up"}), "name")
                self.assertFieldError(self.req("POST", "/api/v1/inhibit-rules", {
                    "name": bad, "source": '{a="b"}', "target": '{c="d"}'}), "name")
                self.assertFieldError(self.req("POST", "/api/v1/maintenance", {
                    "name": bad, "matchers": '{a="b"}', "starts_at": "2030-01-01T00:00:00Z",
                    "ends_at": "2030-01-01T01:00:00Z"}), "name")
        self.assertIn("bidirectional", self.req("POST", "/api/v1/nodes", {"name": "a\u202eb", "type": "vm"})
                      .field_errors()["name"])
        # Other scripts and invisible-but-harmless characters stay allowed.
        for good in ("Büro-Drucker", "東京-core", "x\u00a0y"):
            self.assertStatus(self.req("POST", "/api/v1/nodes", {"name": good, "type": "vm"}), 201)

    def test_mac_normalisation(self):
        for i, mac in enumerate(("00:11:22:AA:bb:CC", "00-11-22-aa-BB-cc")):
            n = self.server.create_node(name=f"mac-{i}", type="network", mac=mac)
            self.assertEqual(n["mac"], "00:11:22:aa:bb:cc")
            self.assertEqual(self.req("GET", f"/api/v1/nodes/{n['id']}").json["data"]["mac"], "00:11:22:aa:bb:cc")

    def test_list_filters_sort_pagination(self):
        s = self.server
        specs = [("flt-alpha", "vm", {"site": "lab"}, "alpha in the lab"),
                 ("flt-bravo", "container", {"site": "lab", "tier": "db"}, "bravo"),
                 ("flt-charlie", "vm", {"site": "prod"}, "charlie"),
                 ("flt-delta", "iot", {"site": "lab"}, "delta"),
                 ("flt-echo", "baremetal", {}, "echo")]
        made = {}
        for name, typ, labels, place in specs:
            made[name] = s.create_node(name=name, type=typ, labels=labels, metadata={"note": place})

        def names(query):
            r = self.req("GET", "/api/v1/nodes?" + query)
            self.assertStatus(r, 200)
            return [n["name"] for n in r.json["data"] if n["name"].startswith("flt-")], r

        got, _ = names("q=flt-&type=vm&per_page=100")
        self.assertEqual(sorted(got), ["flt-alpha", "flt-charlie"])
        got, _ = names("q=flt-&status=unknown&per_page=100")
        self.assertEqual(len(got), 5)
        got, _ = names("q=flt-&status=up")
        self.assertEqual(got, [])
        got, _ = names("q=flt-&label=site=lab&per_page=100")
        self.assertEqual(sorted(got), ["flt-alpha", "flt-bravo", "flt-delta"])
        got, _ = names("q=flt-&" + urllib.parse.urlencode({"label": "site=lab"}) + "&per_page=100")
        self.assertEqual(sorted(got), ["flt-alpha", "flt-bravo", "flt-delta"])
        got, _ = names("q=flt-&label=site%3Dlab&label=tier%3Ddb")
        self.assertEqual(got, ["flt-bravo"])
        got, _ = names("q=flt-&label=site=lab&type=iot")
        self.assertEqual(got, ["flt-delta"])
        got, _ = names("q=charlie")
        self.assertEqual(got, ["flt-charlie"])
        got, _ = names("q=" + urllib.parse.quote("flt-b"))
        self.assertEqual(got, ["flt-bravo"])
        got, _ = names("q=no-such-node-anywhere")
        self.assertEqual(got, [])

        got, _ = names("q=flt-&sort=name&per_page=100")
        self.assertEqual(got, sorted(got))
        self.assertEqual(len(got), 5)
        got, _ = names("q=flt-&sort=-name&per_page=100")
        self.assertEqual(got, sorted(got, reverse=True))
        # created_at has millisecond resolution: nodes made in the same millisecond tie, and ties
        # are broken by id in the same direction, so "-created_at" reads newest first throughout.
        for sort, desc in (("created_at", False), ("-created_at", True)):
            _, r = names(f"q=flt-&sort={sort}&per_page=100")
            keys = [(n["created_at"], n["id"]) for n in r.json["data"]]
            self.assertEqual(len(keys), 5)
            self.assertEqual(keys, sorted(keys, reverse=desc), sort)
        for bad in ("colour", "-", "--name", "name;drop table nodes", "password"):
            with self.subTest(sort=bad):
                self.assertFieldError(self.req("GET", "/api/v1/nodes?sort=" + urllib.parse.quote(bad)), "sort")

        # Pagination: 5 nodes, 2 per page.
        seen = []
        for page in (1, 2, 3):
            r = self.req("GET", f"/api/v1/nodes?q=flt-&sort=name&per_page=2&page={page}")
            self.assertStatus(r, 200)
            p = r.json["pagination"]
            self.assertEqual(p["total"], 5)
            self.assertEqual(p["total_pages"], 3)
            self.assertEqual(p["per_page"], 2)
            self.assertEqual(p["page"], page)
            self.assertEqual(p["has_next"], page < 3)
            self.assertEqual(p["has_prev"], page > 1)
            self.assertEqual(len(r.json["data"]), 2 if page < 3 else 1)
            seen += [n["name"] for n in r.json["data"]]
        self.assertEqual(seen, sorted(x[0] for x in specs))
        r = self.req("GET", "/api/v1/nodes?q=flt-&per_page=2&page=4")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"], [])
        self.assertFalse(r.json["pagination"]["has_next"])
        for q in ("per_page=0", "per_page=1000", "per_page=-1", "per_page=two", "page=0"):
            with self.subTest(q=q):
                r = self.req("GET", "/api/v1/nodes?" + q)
                self.assertStatus(r, 422, "VALIDATION_FAILED")
                self.assertIn(q.split("=")[0], r.field_errors())


if __name__ == "__main__":
    unittest.main()
