"""WebSocket at /api/v1/ws: handshake, auth, the subscribe protocol, live events, RFC 6455."""

import json
import os
import socket
import struct
import unittest

from telltale_harness import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT,
                              ServerTestCase, WebSocket, WSClosed, encode_frame, ws_connect)


class WebSocketTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.server.admin_token()

    def setUp(self):
        self.sockets = []

    def tearDown(self):
        for ws in self.sockets:
            ws.close()
        # The server survives every case.
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)

    def open(self, **kw):
        ws = ws_connect(self.server.port, token=self.token, **kw)
        self.sockets.append(ws)
        return ws

    # ---- handshake ----

    def test_upgrade_without_credentials_401(self):
        ws, resp, _ = WebSocket.handshake(self.server.port)
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 401, resp)
        self.assertEqual(resp.json["success"], False)
        self.assertEqual(resp.json["error"]["code"], "UNAUTHENTICATED")
        self.assertTrue(resp.header("X-Request-ID"))
        self.assertEqual(resp.json["meta"]["request_id"], resp.header("X-Request-ID"))
        self.assertIn("frame-ancestors", resp.header("Content-Security-Policy"))

    def test_upgrade_bad_token_401(self):
        ws, resp, _ = WebSocket.handshake(self.server.port, {"Authorization": "Bearer tt_nope"})
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 401, resp)
        self.assertEqual(resp.json["error"]["code"], "TOKEN_INVALID")

    def test_upgrade_with_bearer_101(self):
        ws, resp, key = WebSocket.handshake(self.server.port, {"Authorization": "Bearer " + self.token})
        self.assertIsNotNone(ws, resp)
        self.sockets.append(ws)
        self.assertEqual(resp.status, 101)
        self.assertEqual(resp.header("Sec-WebSocket-Accept"), WebSocket.expected_accept(key))
        self.assertEqual(resp.header("Upgrade").lower(), "websocket")
        self.assertIn("upgrade", resp.header("Connection").lower())
        # Known test vector from RFC 6455.
        ws2, resp2, _ = WebSocket.handshake(self.server.port, {"Authorization": "Bearer " + self.token},
                                            key="dGhlIHNhbXBsZSBub25jZQ==")
        self.sockets.append(ws2)
        self.assertEqual(resp2.header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

    def test_upgrade_with_cookie_and_origin(self):
        cookie, _, _ = self.server.login()
        port = self.server.port
        ws, resp, _ = WebSocket.handshake(port, {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"})
        self.assertIsNotNone(ws, resp)
        self.sockets.append(ws)
        self.assertEqual(ws.subscribe(["nodes"])["type"], "subscribed")
        # Without Origin the cookie is refused too (scripts use tokens: test_ws_hardening).
        for origin in (None, "http://evil.example", f"http://127.0.0.1:{port}.evil.example", "null",
                       f"https://127.0.0.1:{port + 1}"):
            with self.subTest(origin=origin):
                ws, resp, _ = WebSocket.handshake(port, {"Cookie": cookie, "Origin": origin})
                self.assertIsNone(ws)
                self.assertEqual(resp.status, 403, resp)
                self.assertEqual(resp.json["success"], False)
        # A bad cookie is 401.
        ws, resp, _ = WebSocket.handshake(port, {"Cookie": "telltale_session=nope"})
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 401, resp)

    def test_bad_handshakes(self):
        port = self.server.port
        auth = {"Authorization": "Bearer " + self.token}
        ws, resp, _ = WebSocket.handshake(port, auth, version="8")
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 426, resp)
        self.assertEqual(resp.header("Sec-WebSocket-Version"), "13")
        self.assertEqual(resp.json["success"], False)
        ws, resp, _ = WebSocket.handshake(port, dict(auth, **{"Sec-WebSocket-Version": None}))
        self.assertIsNone(ws)
        self.assertEqual(resp.status, 426, resp)
        for hdrs in ({"Sec-WebSocket-Key": "short"}, {"Sec-WebSocket-Key": None}, {"Connection": "keep-alive"}):
            with self.subTest(hdrs=hdrs):
                ws, resp, _ = WebSocket.handshake(port, dict(auth, **hdrs))
                self.assertIsNone(ws)
                self.assertEqual(resp.status, 400, resp)
                self.assertEqual(resp.json["success"], False)

    # ---- protocol ----

    def test_subscribe_and_live_events(self):
        s = self.server
        ws = self.open()
        ws_all = self.open()
        m = ws.subscribe(["nodes"])
        self.assertEqual(m["type"], "subscribed")
        self.assertEqual(m["topics"], ["nodes"])
        self.assertEqual(ws_all.subscribe(["events"])["type"], "subscribed")

        n = s.create_node(name="ws-live", type="vm")
        ev = ws.wait_json(lambda x: x.get("type") == "event", 5)
        self.assertEqual(ev["topic"], "nodes")
        self.assertEqual(ev["data"]["kind"], "node.created")
        self.assertEqual(ev["data"]["data"]["node"]["id"], n["id"])
        ev2 = ws_all.wait_json(lambda x: x.get("type") == "event", 5)
        self.assertEqual(ev2["topic"], "events")
        self.assertEqual(ev2["data"]["kind"], "node.created")
        self.assertEqual(ev2["data"]["id"], ev["data"]["id"])

        r = s.request("PATCH", f"/api/v1/nodes/{n['id']}", {"address": "10.9.9.9"}, token=self.token)
        self.assertEqual(r.status, 200)
        ev = ws.wait_json(lambda x: x.get("type") == "event", 5)
        self.assertEqual(ev["data"]["kind"], "node.updated")
        self.assertEqual(ev["data"]["data"]["changed"], ["address"])
        self.assertEqual(ev["data"]["data"]["before"], {"address": ""})
        self.assertEqual(ws_all.wait_json(lambda x: x.get("type") == "event")["data"]["kind"], "node.updated")

        self.assertEqual(s.request("DELETE", f"/api/v1/nodes/{n['id']}", token=self.token).status, 204)
        ev = ws.wait_json(lambda x: x.get("type") == "event", 5)
        self.assertEqual(ev["data"]["kind"], "node.deleted")
        self.assertEqual(ws_all.wait_json(lambda x: x.get("type") == "event")["data"]["kind"], "node.deleted")

        # Unsubscribe: no more events.
        m = ws.subscribe  # noqa
        ws.send_json({"type": "unsubscribe", "topics": ["nodes"]})
        m = ws.wait_json(lambda x: x.get("type") == "subscribed")
        self.assertEqual(m["topics"], [])
        s.create_node(name="ws-after-unsub", type="vm")
        self.assertEqual(ws_all.wait_json(lambda x: x.get("type") == "event")["data"]["kind"], "node.created")
        with self.assertRaises((socket.timeout, TimeoutError)):
            ws.wait_json(lambda x: x.get("type") == "event", 1.0)

    def test_application_errors_keep_connection(self):
        ws = self.open()
        ws.send_text("{not json")
        m = ws.recv_json()
        self.assertEqual((m["type"], m["code"]), ("error", "WS_INVALID_JSON"))
        m = ws.subscribe(["nodes", "bogus-topic"])
        self.assertEqual((m["type"], m["code"]), ("error", "WS_UNKNOWN_TOPIC"))
        self.assertIn("bogus-topic", m["message"])
        for bad in ([1, 2], {"type": 5}, {"type": "dance"}, {"type": "subscribe"},
                    {"type": "subscribe", "topics": "nodes"}, {"type": "subscribe", "topics": [1]}):
            with self.subTest(bad=bad):
                ws.send_json(bad)
                m = ws.recv_json()
                self.assertEqual((m["type"], m["code"]), ("error", "WS_BAD_MESSAGE"))
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.recv_json(), {"type": "pong"})
        # Still open and working; the failed request subscribed to nothing.
        m = ws.subscribe(["nodes"])
        self.assertEqual(m, {"type": "subscribed", "topics": ["nodes"]})

    def test_ping_pong(self):
        ws = self.open()
        for payload in (b"", b"hello", os.urandom(125)):
            ws.send_frame(OP_PING, payload)
            op, got = ws.recv_message()
            self.assertEqual(op, OP_PONG)
            self.assertEqual(got, payload)
        # Unsolicited pong is ignored.
        ws.send_frame(OP_PONG, b"x")
        self.assertEqual(ws.subscribe(["nodes"])["type"], "subscribed")

    def test_fragmented_with_ping_between(self):
        ws = self.open()
        msg = json.dumps({"type": "subscribe", "topics": ["nodes", "events"]}).encode()
        ws.send_frame(OP_TEXT, msg[:10], fin=False)
        ws.send_frame(OP_CONT, msg[10:20], fin=False)
        ws.send_frame(OP_PING, b"mid")
        op, payload = ws.recv_message()
        self.assertEqual((op, payload), (OP_PONG, b"mid"))
        ws.send_frame(OP_CONT, msg[20:], fin=True)
        m = ws.recv_json()
        self.assertEqual(m["type"], "subscribed")
        self.assertEqual(sorted(m["topics"]), ["events", "nodes"])
        # A multi-byte UTF-8 character split across fragments is fine.
        text = json.dumps({"type": "subscribe", "topics": ["séries"]}, ensure_ascii=False).encode()
        cut = text.index("é".encode()) + 1
        ws.send_frame(OP_TEXT, text[:cut], fin=False)
        ws.send_frame(OP_CONT, text[cut:], fin=True)
        self.assertEqual(ws.recv_json()["code"], "WS_UNKNOWN_TOPIC")

    def test_split_frame_bytes(self):
        ws = self.open()
        frame = encode_frame(OP_TEXT, json.dumps({"type": "ping"}))
        for b in frame:
            ws.send_raw(bytes([b]))
        self.assertEqual(ws.recv_json(), {"type": "pong"})

    def assertClosedWith(self, ws, code):
        self.assertEqual(ws.expect_close(5), code)
        self.assertTrue(ws.closed_by_server(5), "server did not close the TCP connection")

    def test_unmasked_frame_1002(self):
        ws = self.open()
        ws.send_frame(OP_TEXT, '{"type":"ping"}', mask=False)
        self.assertClosedWith(ws, 1002)

    def test_reserved_bits_1002(self):
        for rsv in (1, 2, 4):
            with self.subTest(rsv=rsv):
                ws = self.open()
                ws.send_frame(OP_TEXT, '{"type":"ping"}', rsv=rsv)
                self.assertClosedWith(ws, 1002)

    def test_unknown_opcode_1002(self):
        for op in (0x3, 0x7, 0xB, 0xF):
            with self.subTest(op=op):
                ws = self.open()
                ws.send_frame(op, b"x")
                self.assertClosedWith(ws, 1002)

    def test_control_frame_too_long_1002(self):
        ws = self.open()
        ws.send_frame(OP_PING, b"p" * 126)
        self.assertClosedWith(ws, 1002)

    def test_fragmented_control_frame_1002(self):
        ws = self.open()
        ws.send_frame(OP_PING, b"abc", fin=False)
        self.assertClosedWith(ws, 1002)

    def test_bad_continuations_1002(self):
        ws = self.open()
        ws.send_frame(OP_CONT, b"orphan")
        self.assertClosedWith(ws, 1002)
        ws = self.open()
        ws.send_frame(OP_TEXT, b"{", fin=False)
        ws.send_frame(OP_TEXT, b"{}", fin=True)
        self.assertClosedWith(ws, 1002)

    def test_invalid_utf8_1007(self):
        for payload in (b"\xff\xfe", b'{"type":"\xc0\xaf"}', b"\xed\xa0\x80", b"ok\xe2\x82"):
            with self.subTest(payload=payload):
                ws = self.open()
                ws.send_frame(OP_TEXT, payload)
                self.assertClosedWith(ws, 1007)
        # Invalid UTF-8 inside a fragmented message.
        ws = self.open()
        ws.send_frame(OP_TEXT, b"abc", fin=False)
        ws.send_frame(OP_CONT, b"\xff", fin=True)
        self.assertClosedWith(ws, 1007)

    def test_message_too_big_1009(self):
        ws = self.open()
        # Only the header, declaring 1 MiB + 1: refused before the payload arrives.
        ws.send_raw(encode_frame(OP_TEXT, b"", declared_len=(1 << 20) + 1)[:14])
        self.assertClosedWith(ws, 1009)
        # The same across fragments.
        ws = self.open()
        ws.send_frame(OP_TEXT, b"a" * (1 << 19), fin=False)
        ws.send_raw(encode_frame(OP_CONT, b"", fin=True, declared_len=(1 << 19) + 1)[:14])
        self.assertClosedWith(ws, 1009)
        # 64-bit length with the top bit set.
        ws = self.open()
        ws.send_raw(struct.pack("!BBQ", 0x81, 0xFF, 1 << 63) + b"abcd")
        code = ws.expect_close(5)
        self.assertIn(code, (1002, 1009))

    def test_binary_message_unsupported(self):
        ws = self.open()
        ws.send_frame(OP_BINARY, b"\x00\x01")
        self.assertEqual(ws.expect_close(5), 1003)

    def test_client_close_echo(self):
        for code in (1000, 1001, 3000, 4999):
            with self.subTest(code=code):
                ws = self.open()
                ws.send_frame(OP_CLOSE, struct.pack("!H", code) + b"bye")
                self.assertClosedWith(ws, code)
        ws = self.open()
        ws.send_frame(OP_CLOSE, b"")
        self.assertClosedWith(ws, 1000)
        # Invalid close codes and a one-byte payload are protocol errors.
        for payload in (struct.pack("!H", 1005), struct.pack("!H", 999), struct.pack("!H", 5000), b"\x03"):
            with self.subTest(payload=payload):
                ws = self.open()
                ws.send_frame(OP_CLOSE, payload)
                self.assertClosedWith(ws, 1002)
        ws = self.open()
        ws.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"\xff")
        self.assertClosedWith(ws, 1007)

    def test_ws_clients_metric(self):
        before = self.server.metric_value("telltale_ws_clients")
        a, b = self.open(), self.open()
        a.subscribe(["nodes"])
        b.subscribe(["nodes"])
        self.assertEqual(self.server.metric_value("telltale_ws_clients"), before + 2)
        a.send_frame(OP_CLOSE, struct.pack("!H", 1000))
        a.expect_close()
        b.close()
        import time
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.server.metric_value("telltale_ws_clients") != before:
            time.sleep(0.1)
        self.assertEqual(self.server.metric_value("telltale_ws_clients"), before)


if __name__ == "__main__":
    unittest.main()
