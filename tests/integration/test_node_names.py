"""A node's name is its `node` label: unique among nodes of every type, and a renamed node's checks
write the new name from their next run, keeping their state."""

import urllib.parse

from telltale_harness import AdminTestCase, wait_until


class NodeNamesTest(AdminTestCase):
    def runs(self, selector):
        q = urllib.parse.urlencode({"match": selector, "from": "0"})
        r = self.req("GET", "/api/v1/query_range?" + q)
        self.assertStatus(r, 200)
        return sum(len(s["values"]) for s in r.json["data"]["series"])

    def test_a_renamed_nodes_checks_write_its_new_name(self):
        node = self.server.create_node(name="edge-old", type="network", address="127.0.0.1")
        r = self.req("POST", "/api/v1/checks", {
            "name": "edge-port", "kind": "tcp", "target": f"127.0.0.1:{self.server.port}",
            "interval": "1s", "timeout": "500ms", "node_id": node["id"]})
        self.assertStatus(r, 201)
        check = r.json["data"]
        self.assertTrue(wait_until(lambda: self.runs('probe_up{node="edge-old"}') >= 2, timeout=15))

        r = self.req("PATCH", f"/api/v1/nodes/{node['id']}", {"name": "edge-new"})
        self.assertStatus(r, 200)
        self.assertTrue(wait_until(lambda: self.runs('probe_up{node="edge-new"}') >= 2, timeout=15))
        before = self.runs('probe_up{node="edge-old"}')
        self.assertTrue(wait_until(lambda: self.runs('probe_up{node="edge-new"}') >= 4, timeout=15))
        self.assertEqual(self.runs('probe_up{node="edge-old"}'), before)  # no more runs there
        r = self.req("GET", f"/api/v1/checks/{check['id']}")
        self.assertEqual(r.json["data"]["state"], "up")

        # The old name is free again; the new one is taken for every type.
        self.assertStatus(self.req("POST", "/api/v1/nodes", {"name": "edge-old", "type": "vm"}), 201)
        r = self.req("POST", "/api/v1/nodes", {"name": "edge-new", "type": "iot"})
        self.assertStatus(r, 409, "NODE_EXISTS")


if __name__ == "__main__":
    import unittest

    unittest.main()
