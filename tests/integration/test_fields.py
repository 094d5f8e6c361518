"""GET /api/v1/fields: the field tables the API decodes resource bodies with, as the UI reads
them (a viewer may), keyed by the path under /api/v1 that takes each body."""

import unittest

from telltale_harness import ServerTestCase


class FieldsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_user("vera", "viewer")
        r = cls.server.request("GET", "/api/v1/fields", token=cls.server.token_for("vera"))
        assert r.status == 200, r
        cls.tables = r.json["data"]

    def field(self, resource, name, fields=None):
        found = [f for f in (fields if fields is not None else self.tables[resource]) if f["name"] == name]
        self.assertEqual(len(found), 1, (resource, name))
        return found[0]

    def test_every_resource_has_its_table(self):
        self.assertEqual(set(self.tables), {"checks", "alert-rules", "nodes", "silences", "maintenance",
                                            "inhibit-rules", "channels", "snmp/trap-users", "discover/snmp"})
        for resource, table in self.tables.items():
            with self.subTest(resource=resource):
                self.assertTrue(table)
                for f in table:
                    for key in ("name", "type", "required", "default", "help", "secret"):
                        self.assertIn(key, f)

    def test_choices_are_the_enums(self):
        node_type = self.field("nodes", "type")
        self.assertEqual(node_type["type"], "choice")
        self.assertEqual(node_type["choices"], ["baremetal", "vm", "container", "network", "iot"])
        self.assertTrue(node_type["required"])
        self.assertEqual(self.field("alert-rules", "severity")["choices"], ["critical", "warning", "info"])
        self.assertIn("http", self.field("checks", "kind")["choices"])
        self.assertEqual(self.field("discover/snmp", "version")["choices"], ["1", "2c", "3"])

    def test_required_secret_nullable_and_nested(self):
        self.assertTrue(self.field("silences", "matchers")["required"])
        self.assertFalse(self.field("silences", "comment")["required"])
        for name in ("auth_password", "priv_password"):
            self.assertTrue(self.field("snmp/trap-users", name)["secret"], name)
        self.assertFalse(self.field("snmp/trap-users", "user")["secret"])
        self.assertTrue(self.field("nodes", "location").get("nullable"))
        recurrence = self.field("maintenance", "recurrence")
        self.assertEqual(recurrence["type"], "object")
        self.assertEqual(self.field("maintenance", "every", recurrence["fields"])["choices"], ["week", "day"])
        fires = self.field("alert-rules", "fires", self.field("alert-rules", "flap_damping")["fields"])
        self.assertEqual((fires["min"], fires["max"]), (2, 100))

    def test_needs_credentials(self):
        r = self.server.request("GET", "/api/v1/fields")
        self.assertStatus(r, 401, "UNAUTHENTICATED")


if __name__ == "__main__":
    unittest.main()
