"""New samples stream live to WebSocket subscribers of series:<selector>."""
import json
import time
import unittest

from telltale_harness import ServerTestCase, WebSocket


class SeriesLiveTest(ServerTestCase):
    def setUp(self):
        self.token = self.server.admin_token()

    def ingest(self, text):
        r = self.server.request("POST", "/api/v1/import/prometheus", body=text.encode(),
                                headers={"Content-Type": "text/plain"}, token=self.token)
        self.assertStatus(r, 200)

    def test_only_matching_series_arrive(self):
        ws, resp, _ = WebSocket.handshake(self.server.port, {"Authorization": "Bearer " + self.token})
        self.assertEqual(resp.status, 101)
        ws.send_json({"type": "subscribe", "topics": ['series:rtt_ms{host="a"}']})
        self.assertEqual(ws.recv_json()["type"], "subscribed")
        now = int(time.time() * 1000)
        self.ingest(f'rtt_ms{{host="b"}} 9 {now}\nrtt_ms{{host="a"}} 12.5 {now}\nother 1 {now}\n')
        msg = ws.wait_json(lambda m: m.get("type") == "event")
        self.assertEqual(msg["topic"], 'series:rtt_ms{host="a"}')
        series = msg["data"]["series"]
        self.assertEqual(len(series), 1)
        self.assertEqual(series[0]["metric"], "rtt_ms")
        self.assertEqual(series[0]["labels"], {"host": "a"})
        self.assertEqual(series[0]["timestamps"], [now])
        self.assertEqual(series[0]["values"], [12.5])

    def test_unsubscribed_clients_get_nothing(self):
        ws, _, _ = WebSocket.handshake(self.server.port, {"Authorization": "Bearer " + self.token})
        ws.send_json({"type": "subscribe", "topics": ["series:quiet_metric", "nodes"]})
        ws.recv_json()
        ws.send_json({"type": "unsubscribe", "topics": ["series:quiet_metric"]})
        ws.recv_json()
        self.ingest(f"quiet_metric 1 {int(time.time() * 1000)}\n")
        ws.send_json({"type": "ping"})
        # The pong comes back before any event would: nothing was queued for this client.
        self.assertEqual(ws.recv_json()["type"], "pong")


if __name__ == "__main__":
    unittest.main()
