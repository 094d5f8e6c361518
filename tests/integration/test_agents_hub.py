"""The hub's side of agents, with a client written here (not the agent): enrolment tokens,
registration by identity, the ingest socket's numbered batches (ack after commit, repeats
dropped, also out of order and across a restart), an agent confined to its own node, and liveness (down after 3
missed intervals, up again with the next batch)."""
import json
import time
import unittest
import urllib.parse

from telltale_harness import AdminTestCase, Server, WebSocket, wait_until

INGEST = "/api/v1/ingest"


def body(identity, name, **extra):
    b = {"identity": identity, "name": name, "type": "baremetal",
         "metadata": {"os": "Debian GNU/Linux 12 (bookworm)", "cores": 4}}
    b.update(extra)
    return b


def batch(seq, text, t=None, **extra):
    m = {"type": "batch", "seq": seq, "prometheus": text}
    if t is not None:
        m["time"] = t
    m.update(extra)
    return m


class IngestSocket:
    def __init__(self, port, bearer):
        self.ws, self.resp, _ = WebSocket.handshake(
            port, headers={"Authorization": "Bearer " + bearer}, path=INGEST)

    def send(self, message, timeout=10):
        self.ws.send_json(message)
        return self.ws.recv_json(timeout=timeout)

    def close(self):
        if self.ws:
            self.ws.sock.close()


class AgentsHubTest(AdminTestCase):
    def enrolment_token(self, name="lab", **extra):
        r = self.req("POST", "/api/v1/enrolment-tokens", dict(name=name, **extra))
        self.assertStatus(r, 201)
        return r.json["data"]

    def register(self, bearer, b):
        return self.server.request("POST", "/api/v1/agents/register", b, token=bearer)

    def series(self, match):
        q = urllib.parse.urlencode({"match": match, "from": "0"})
        r = self.req("GET", "/api/v1/query_range?" + q)
        self.assertStatus(r, 200)
        return r.json["data"]["series"]

    def test_enrolment_tokens_are_admins_and_revocable(self):
        t = self.enrolment_token("rack-2", expires_in="7d")
        self.assertTrue(t["token"].startswith("tte_"))
        self.assertIsNotNone(t["expires_at"])
        listed = self.req("GET", "/api/v1/enrolment-tokens").json["data"]
        self.assertIn(t["id"], [x["id"] for x in listed])
        self.assertNotIn("token", listed[0])
        self.server.create_user("opal", "operator")
        operator = self.server.token_for("opal")
        r = self.server.request("POST", "/api/v1/enrolment-tokens", {"name": "x"}, token=operator)
        self.assertStatus(r, 403)
        r = self.req("POST", "/api/v1/enrolment-tokens", {"name": "x", "expires_in": "1s"})
        self.assertStatus(r, 422, "VALIDATION_FAILED")

        # Reusable by many hosts, until revoked.
        self.assertStatus(self.register(t["token"], body("machine-id:" + "a" * 32, "h-a")), 201)
        self.assertStatus(self.register(t["token"], body("machine-id:" + "b" * 32, "h-b")), 201)
        self.assertStatus(self.req("DELETE", f"/api/v1/enrolment-tokens/{t['id']}"), 204)
        r = self.register(t["token"], body("machine-id:" + "c" * 32, "h-c"))
        self.assertStatus(r, 401, "ENROLMENT_INVALID")
        self.assertStatus(self.register("tte_nonsense", body("x", "h-d")), 401, "ENROLMENT_INVALID")
        self.assertStatus(self.register("tta_nonsense", body("x", "h-d")), 401,
                          "AGENT_CREDENTIAL_INVALID")
        revoked = [x for x in self.req("GET", "/api/v1/enrolment-tokens").json["data"]
                   if x["id"] == t["id"]][0]
        self.assertEqual(revoked["uses"], 2)
        self.assertIsNotNone(revoked["revoked_at"])

    def test_registration_finds_the_node_by_identity(self):
        t = self.enrolment_token()["token"]
        ident = "machine-id:" + "1" * 32
        first = self.register(t, body(ident, "pi4", address="192.0.2.7", mac="DC:A6:32:01:02:03",
                                      location={"lat": 52.5, "lon": 13.4, "place": "shed"}))
        self.assertStatus(first, 201)
        node = first.json["data"]["node"]
        cred = first.json["data"]["credential"]
        self.assertTrue(cred.startswith("tta_"))
        self.assertEqual(node["mac"], "dc:a6:32:01:02:03")
        self.assertEqual(node["metadata"]["cores"], 4)
        self.assertEqual(first.json["data"]["ingest_path"], INGEST)

        # Renamed host, re-installed agent (no credential): the same node, a new credential.
        self.req("PATCH", f"/api/v1/nodes/{node['id']}", {"metadata": {"owner": "ops", "cores": 2}})
        again = self.register(t, body(ident, "pi4-garden"))
        self.assertStatus(again, 200)
        self.assertEqual(again.json["data"]["node"]["id"], node["id"])
        self.assertEqual(again.json["data"]["node"]["name"], "pi4-garden")
        meta = again.json["data"]["node"]["metadata"]
        self.assertEqual((meta["owner"], meta["cores"]), ("ops", 4))
        new_cred = again.json["data"]["credential"]
        self.assertNotEqual(new_cred, cred)
        # The old credential ended with the new one.
        s = IngestSocket(self.server.port, cred)
        self.assertIsNone(s.ws)
        self.assertEqual(s.resp.status, 401)
        self.assertEqual(s.resp.error_code, "AGENT_CREDENTIAL_INVALID")

        # With its own credential the agent updates its node, and gets no new credential ...
        own = self.register(new_cred, body(ident, "pi4-garden", interval="5s"))
        self.assertStatus(own, 200)
        self.assertNotIn("credential", own.json["data"])
        self.assertEqual(own.json["data"]["interval_ms"], 5000)
        # ... but no other host.
        r = self.register(new_cred, body("machine-id:" + "2" * 32, "other"))
        self.assertStatus(r, 403, "FORBIDDEN")
        # The credential is no API token.
        self.assertStatus(self.server.request("GET", "/api/v1/nodes", token=new_cred), 401)

    def test_a_hand_made_node_is_claimed_and_a_taken_name_refused(self):
        made = self.server.create_node(name="nas", type="baremetal", address="192.0.2.9")
        t = self.enrolment_token()["token"]
        r = self.register(t, body("machine-id:" + "3" * 32, "nas"))
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["node"]["id"], made["id"])
        r = self.register(t, body("machine-id:" + "4" * 32, "nas"))
        self.assertStatus(r, 409, "NODE_EXISTS")

    def test_api_tokens_of_api_and_admin_users_register(self):
        self.server.create_user("fleet-bot", "api")
        self.server.create_user("vera", "viewer")
        self.assertStatus(self.register(self.server.token_for("fleet-bot"),
                                        body("machine-id:" + "5" * 32, "bot-made")), 201)
        r = self.register(self.server.token_for("vera"), body("machine-id:" + "6" * 32, "v"))
        self.assertStatus(r, 403, "FORBIDDEN")
        r = self.register(self.token, {"name": "no-identity", "type": "baremetal"})
        self.assertStatus(r, 422, "VALIDATION_FAILED")
        self.assertFieldError(r, "identity")

    def test_batches_are_acked_after_commit_and_repeats_dropped(self):
        t = self.enrolment_token()["token"]
        reg = self.register(t, body("machine-id:" + "7" * 32, "edge-1")).json["data"]
        s = IngestSocket(self.server.port, reg["credential"])
        self.assertIsNotNone(s.ws, s.resp)
        now = int(time.time() * 1000) - 5000
        self.assertEqual(s.send(batch(1, "node_load1 0.5\n", now)), {"type": "ack", "seq": 1})
        self.assertEqual(s.send(batch(1, "node_load1 9\n", now + 1000)),
                         {"type": "ack", "seq": 1, "duplicate": True})
        self.assertEqual(s.send(batch(2, "node_load1 0.75\n", now + 1000))["type"], "ack")
        # Labels as a scrape of node_exporter gives them, and `up`.
        load = self.series('node_load1{node="edge-1"}')
        self.assertEqual(len(load), 1)
        self.assertEqual(load[0]["labels"], {"instance": "edge-1", "job": "node", "node": "edge-1"})
        self.assertEqual(load[0]["values"], [0.5, 0.75])
        up = self.series('up{node="edge-1"}')
        self.assertEqual(up[0]["values"], [1, 1])

        # Another node's samples are refused, whole; bad batches are nacked, not retried.
        r = s.send(batch(3, 'node_load1{node="edge-2"} 1\nnode_load5 1\n'))
        self.assertEqual((r["type"], r["code"], r["retry"]), ("nack", "INGEST_NOT_OWN_NODE", False))
        r = s.send(batch(4, "node_load1 not-a-number\n"))
        self.assertEqual((r["type"], r["code"]), ("nack", "INGEST_PARSE_ERROR"))
        self.assertIn("fields", r)
        s.ws.send_text("{not json")
        self.assertEqual(s.ws.recv_json()["code"], "INGEST_BAD_BATCH")
        r = s.send({"type": "batch", "seq": 0, "prometheus": ""})
        self.assertEqual(r["code"], "INGEST_BAD_BATCH")
        self.assertEqual(self.series("node_load5"), [])

        # Events become the node's events.
        r = s.send(batch(5, "", events=[{"kind": "container.died", "message": "web exited 137",
                                         "data": {"name": "web", "exit_code": 137}}],
                         dropped_records=3, dropped_bytes=4096))
        self.assertEqual(r, {"type": "ack", "seq": 5})
        events = self.req("GET", "/api/v1/events?order=desc&limit=20&topic=nodes").json["data"]
        kinds = {e["kind"]: e for e in events}
        self.assertEqual(kinds["agent.container.died"]["data"]["exit_code"], 137)
        self.assertEqual(kinds["agent.buffer_dropped"]["data"]["records"], 3)
        s.close()

    def test_an_agents_socket_ends_with_its_credential(self):
        t = self.enrolment_token()["token"]
        ident = "machine-id:" + "c" * 32
        first = self.register(t, body(ident, "edge-5")).json["data"]
        s = IngestSocket(self.server.port, first["credential"])
        self.assertEqual(s.send(batch(1, "x 1\n"))["type"], "ack")
        # The host registers again (a re-installed agent): the old credential's socket closes.
        self.register(t, body(ident, "edge-5"))
        self.assertEqual(s.ws.expect_close(), 1008)
        second = self.register(t, body(ident, "edge-5")).json["data"]
        s2 = IngestSocket(self.server.port, second["credential"])
        self.assertEqual(s2.send(batch(1, "x 1\n"))["type"], "ack")
        # The node is deleted: its credentials go, and so does the socket.
        self.assertStatus(self.req("DELETE", f"/api/v1/nodes/{second['node']['id']}"), 204)
        self.assertEqual(s2.ws.expect_close(), 1008)
        # The next host's credential may get the deleted one's row id: not its stream's seqs.
        third = self.register(t, body("machine-id:" + "d" * 32, "edge-7")).json["data"]
        s3 = IngestSocket(self.server.port, third["credential"])
        self.assertEqual(s3.send(batch(1, "x 1\n")), {"type": "ack", "seq": 1})
        s3.close()

    def test_pipelined_batches_keep_their_order(self):
        t = self.enrolment_token()["token"]
        reg = self.register(t, body("machine-id:" + "8" * 32, "edge-2")).json["data"]
        s = IngestSocket(self.server.port, reg["credential"])
        base = int(time.time() * 1000) - 600_000
        for seq in range(1, 201):
            s.ws.send_json(batch(seq, f"pipelined {seq}\n", base + seq * 1000))
        acks = [s.ws.recv_json(timeout=20) for _ in range(200)]
        self.assertEqual([a["seq"] for a in acks], list(range(1, 201)))
        self.assertTrue(all("duplicate" not in a for a in acks))
        values = self.series('pipelined{node="edge-2"}')[0]["values"]
        self.assertEqual(values, list(range(1, 201)))
        s.close()

    def test_batches_out_of_order_are_each_stored_once(self):
        t = self.enrolment_token()["token"]
        reg = self.register(t, body("machine-id:" + "e" * 32, "edge-6")).json["data"]
        s = IngestSocket(self.server.port, reg["credential"])
        base = int(time.time() * 1000) - 600_000
        # The newest ahead of a backlog, as an agent sends after an outage.
        s.ws.send_json({"type": "from", "seq": 1})  # not answered
        self.assertEqual(s.send(batch(100, "ooo 100\n", base + 100_000)), {"type": "ack", "seq": 100})
        for seq in range(1, 100):
            s.ws.send_json(batch(seq, f"ooo {seq}\n", base + seq * 1000))
        acks = [s.ws.recv_json(timeout=20) for _ in range(99)]
        self.assertEqual([a["seq"] for a in acks], list(range(1, 100)))
        self.assertTrue(all("duplicate" not in a for a in acks))
        self.assertEqual(s.send(batch(100, "ooo 0\n", base))["duplicate"], True)
        self.assertEqual(s.send(batch(50, "ooo 0\n", base))["duplicate"], True)
        # Ahead again, then the sender says it holds nothing below 150 (its buffer dropped
        # 101..149): the gap is closed, a seq in it is taken as done.
        self.assertNotIn("duplicate", s.send(batch(160, "ooo 160\n", base + 160_000)))
        s.ws.send_json({"type": "from", "seq": 150})
        self.assertEqual(s.send(batch(120, "ooo 0\n", base))["duplicate"], True)
        self.assertNotIn("duplicate", s.send(batch(150, "ooo 150\n", base + 150_000)))
        # A bad "from" is refused like a bad batch.
        s.ws.send_json({"type": "from", "seq": 0})
        self.assertEqual(s.ws.recv_json()["code"], "INGEST_BAD_BATCH")
        values = self.series('ooo{node="edge-6"}')[0]["values"]
        self.assertEqual(values, list(range(1, 101)) + [150, 160])
        s.close()

    def test_an_api_token_pushes_samples_as_they_are(self):
        self.server.create_user("pusher", "operator")
        self.server.create_user("watcher", "viewer")
        s = IngestSocket(self.server.port, self.server.token_for("pusher"))
        r = s.send({"type": "batch", "seq": 1,
                    "influx": "esp32,room=attic temperature=21.5", "precision": "ms"})
        self.assertEqual(r["type"], "ack")
        got = self.series("esp32_temperature")
        self.assertEqual(got[0]["labels"], {"room": "attic"})
        r = s.send(batch(2, "x 1\n", events=[{"kind": "thing"}]))
        self.assertEqual(r["code"], "INGEST_BAD_BATCH")
        # A precision that is not a string is refused (it once stopped the hub).
        r = s.send({"type": "batch", "seq": 3, "influx": "esp32 t=1 1", "precision": 2222})
        self.assertEqual((r["type"], r["code"]), ("nack", "INGEST_BAD_BATCH"))
        self.assertEqual(s.send(batch(4, "x 1\n"))["type"], "ack")
        s.close()
        v = IngestSocket(self.server.port, self.server.token_for("watcher"))
        self.assertEqual((v.ws, v.resp.status), (None, 403))
        anon, resp, _ = WebSocket.handshake(self.server.port, path=INGEST)
        self.assertEqual((anon, resp.status), (None, 401))


class AgentsRestartAndLivenessTest(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.token = self.server.admin_token()

    def register(self, identity, name, interval):
        t = self.server.request("POST", "/api/v1/enrolment-tokens", {"name": "t"},
                                token=self.token).json["data"]["token"]
        r = self.server.request("POST", "/api/v1/agents/register",
                                body(identity, name, interval=interval), token=t)
        return r.json["data"]

    def node(self, node_id):
        return self.server.request("GET", f"/api/v1/nodes/{node_id}", token=self.token).json["data"]

    def test_a_repeat_after_a_restart_is_not_stored_twice(self):
        reg = self.register("machine-id:" + "9" * 32, "edge-3", "10s")
        s = IngestSocket(self.server.port, reg["credential"])
        now = int(time.time() * 1000) - 5000
        self.assertEqual(s.send(batch(1, "kept 1\n", now))["type"], "ack")
        s.close()
        self.server.kill()  # kill -9: the ack was after the commit
        self.server.start()
        s = IngestSocket(self.server.port, reg["credential"])
        self.assertEqual(s.send(batch(1, "kept 5\n", now)),
                         {"type": "ack", "seq": 1, "duplicate": True})
        self.assertEqual(s.send(batch(2, "kept 2\n", now + 1000))["type"], "ack")
        # Seqs committed out of order are kept too.
        self.assertEqual(s.send(batch(9, "kept 9\n", now + 3000))["type"], "ack")
        s.close()
        self.server.kill()
        self.server.start()
        s = IngestSocket(self.server.port, reg["credential"])
        self.assertEqual(s.send(batch(9, "kept 0\n", now + 3000))["duplicate"], True)
        self.assertNotIn("duplicate", s.send(batch(3, "kept 3\n", now + 2000)))
        q = urllib.parse.urlencode({"match": "kept", "from": "0"})
        values = self.server.request("GET", "/api/v1/query_range?" + q,
                                     token=self.token).json["data"]["series"][0]["values"]
        self.assertEqual(values, [1, 2, 3, 9])
        s.close()

    def test_down_after_three_missed_intervals_and_up_with_the_next_batch(self):
        reg = self.register("machine-id:" + "f" * 32, "edge-4", "1s")
        node_id = reg["node"]["id"]
        s = IngestSocket(self.server.port, reg["credential"])
        self.assertEqual(s.send(batch(1, "x 1\n"))["type"], "ack")
        n = self.node(node_id)
        self.assertEqual(n["status"], "up")
        self.assertIsNotNone(n["last_seen"])
        # No batch for 3 s: down, told as an event.
        wait_until(lambda: self.node(node_id)["status"] == "down", timeout=10)
        events = self.server.request("GET", "/api/v1/events?order=desc&limit=10&topic=nodes",
                                     token=self.token).json["data"]
        down = [e for e in events if e["kind"] == "node.updated"
                and e["data"]["node"]["status"] == "down"]
        self.assertTrue(down)
        self.assertEqual(s.send(batch(2, "x 1\n"))["type"], "ack")
        self.assertEqual(self.node(node_id)["status"], "up")
        q = urllib.parse.urlencode({"match": 'up{node="edge-4"}', "from": "0"})
        up = self.server.request("GET", "/api/v1/query_range?" + q,
                                 token=self.token).json["data"]["series"][0]["values"]
        self.assertEqual(up, [1, 0, 1])
        s.close()


if __name__ == "__main__":
    unittest.main()
