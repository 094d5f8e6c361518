"""Queries pinned to a node's page: pinned, listed and unpinned over the API, validated (the
query must be PromQL that draws), capped per node, deleted with their node, and refused to
viewers; the changes are events about the node and audit rows."""

import unittest

from telltale_harness import AdminTestCase


class PinsTest(AdminTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_user("vera", "viewer")
        cls.viewer = cls.server.token_for("vera")

    def node(self, name):
        return self.server.create_node(name=name, type="iot")["id"]

    def test_pin_list_unpin(self):
        nid = self.node("sensor-pin")
        cursor = self.req("GET", "/api/v1/events?order=desc&limit=1").json["data"][0]["id"]
        body = {"title": "Temperature", "query": 'avg_over_time(room_temp{node="sensor-pin"}[5m])'}
        r = self.req("POST", f"/api/v1/nodes/{nid}/pins", body)
        self.assertStatus(r, 201)
        pin = r.json["data"]
        self.assertEqual(r.header("Location"), f"/api/v1/nodes/{nid}/pins/{pin['id']}")
        self.assertEqual((pin["node_id"], pin["title"], pin["query"]), (nid, body["title"], body["query"]))
        self.assertEqual(pin["created_by"], "admin")
        self.assertTrue(pin["created_at"].endswith("Z"))

        r = self.server.request("GET", f"/api/v1/nodes/{nid}/pins", token=self.viewer)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"], [pin])

        self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{nid}/pins/{pin['id']}"), 204)
        self.assertEqual(self.req("GET", f"/api/v1/nodes/{nid}/pins").json["data"], [])
        self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{nid}/pins/{pin['id']}"), 404, "PIN_NOT_FOUND")
        self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{nid}/pins/x"), 404, "PIN_NOT_FOUND")

        # Events about the node (its page hears of them), and audit rows.
        events = self.req("GET", f"/api/v1/events?after={cursor}&topic=nodes&subject={nid}").json["data"]
        self.assertEqual([e["kind"] for e in events], ["node_pin.created", "node_pin.deleted"])
        self.assertEqual(events[0]["data"]["pin"], pin)
        audit = self.req("GET", "/api/v1/audit?action=node_pin.*").json["data"]
        self.assertEqual({a["action"] for a in audit if a["target"] == str(pin["id"])},
                         {"node_pin.create", "node_pin.delete"})

    def test_unknown_node_and_other_nodes_pin(self):
        a, b = self.node("sensor-a"), self.node("sensor-b")
        pin = self.req("POST", f"/api/v1/nodes/{a}/pins", {"title": "t", "query": "up"}).json["data"]
        self.assertStatus(self.req("GET", "/api/v1/nodes/999999/pins"), 404, "NODE_NOT_FOUND")
        self.assertStatus(self.req("POST", "/api/v1/nodes/999999/pins", {"title": "t", "query": "up"}), 404,
                          "NODE_NOT_FOUND")
        # A pin is unpinned through its own node only.
        self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{b}/pins/{pin['id']}"), 404, "PIN_NOT_FOUND")

    def test_bad_bodies(self):
        nid = self.node("sensor-bad")
        r = self.req("POST", f"/api/v1/nodes/{nid}/pins", {"title": "t", "query": "room_temp{"})
        self.assertStatus(r, 422, "BAD_QUERY")
        self.assertIn("position", r.field_errors()["query"])
        r = self.req("POST", f"/api/v1/nodes/{nid}/pins", {"title": "t", "query": "room_temp[5m]"})
        self.assertStatus(r, 422, "BAD_QUERY")
        self.assertIn("range vector", r.field_errors()["query"])
        self.assertFieldError(self.req("POST", f"/api/v1/nodes/{nid}/pins", {"query": "up"}), "title")
        self.assertFieldError(self.req("POST", f"/api/v1/nodes/{nid}/pins", {"title": "x" * 101, "query": "up"}),
                              "title")
        self.assertFieldError(self.req("POST", f"/api/v1/nodes/{nid}/pins", {"title": "t", "query": 3}), "query")
        self.assertStatus(self.req("POST", f"/api/v1/nodes/{nid}/pins", ["up"]), 400, "INVALID_JSON")
        self.assertEqual(self.req("GET", f"/api/v1/nodes/{nid}/pins").json["data"], [])

    def test_cap_per_node(self):
        nid = self.node("sensor-cap")
        for i in range(32):
            self.assertStatus(self.req("POST", f"/api/v1/nodes/{nid}/pins", {"title": f"p{i}", "query": "up"}), 201)
        r = self.req("POST", f"/api/v1/nodes/{nid}/pins", {"title": "one more", "query": "up"})
        self.assertStatus(r, 409, "TOO_MANY_PINS")
        self.assertEqual(len(self.req("GET", f"/api/v1/nodes/{nid}/pins").json["data"]), 32)

    def test_deleted_with_the_node(self):
        nid = self.node("sensor-gone")
        self.assertStatus(self.req("POST", f"/api/v1/nodes/{nid}/pins", {"title": "t", "query": "up"}), 201)
        self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{nid}"), 204)
        self.assertStatus(self.req("GET", f"/api/v1/nodes/{nid}/pins"), 404, "NODE_NOT_FOUND")
        # A new node does not inherit them, whatever id it gets.
        again = self.node("sensor-gone")
        self.assertEqual(self.req("GET", f"/api/v1/nodes/{again}/pins").json["data"], [])

    def test_viewer_cannot_pin(self):
        nid = self.node("sensor-view")
        pin = self.req("POST", f"/api/v1/nodes/{nid}/pins", {"title": "t", "query": "up"}).json["data"]
        r = self.server.request("POST", f"/api/v1/nodes/{nid}/pins", {"title": "t", "query": "up"}, token=self.viewer)
        self.assertStatus(r, 403, "FORBIDDEN")
        r = self.server.request("DELETE", f"/api/v1/nodes/{nid}/pins/{pin['id']}", token=self.viewer)
        self.assertStatus(r, 403, "FORBIDDEN")
        self.assertEqual(len(self.req("GET", f"/api/v1/nodes/{nid}/pins").json["data"]), 1)


if __name__ == "__main__":
    unittest.main()
