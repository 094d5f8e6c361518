"""A local HTTP receiver for bench/alerts: asyncio, keep-alive, answers every POST with 200 at
once and counts per path the requests, the alerts they carry (Alertmanager's and vmalert's JSON
hold a list of alerts; anything else counts as one) and the times of the first and last.
GET /stats answers the counts as JSON. Usage: python3 receiver.py PORT"""

import asyncio
import json
import sys
import time

stats = {}


def count(path, body):
    items = 1
    if path != "/tt":  # Telltale's webhook: one notification per request
        try:
            doc = json.loads(body)
            items = len(doc["alerts"] if isinstance(doc, dict) else doc)
        except (ValueError, KeyError, TypeError):
            pass
    now = time.time()
    s = stats.setdefault(path, {"requests": 0, "items": 0, "first": now, "last": now})
    s["requests"] += 1
    s["items"] += items
    s["last"] = now


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = await reader.readexactly(length) if length else b""
            if method == "GET" and path == "/stats":
                out = json.dumps(stats).encode()
            else:
                count(path, body)
                out = b"{}"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
