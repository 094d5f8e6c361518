"""A test server of the Docker Engine API on a unix socket, for the agent's containers collector:
it serves the documented JSON of GET /v1.41/containers/json?all=1 and GET
/v1.41/containers/{id}/json from a fixture file ({"containers": [...], "inspect": {id: {...}}}),
with the framing asked for: "chunked" (small chunks, an extension and a trailer), "length"
(Content-Length) or "close" (the body ends with the connection), and answers 404 with the API's
{"message": ...} for anything else. Every request's path is kept in `requests`.

Run alone: python3 engine_api_server.py SOCKET FIXTURE [chunked|length|close]
"""

import json
import os
import re
import socketserver
import sys
import threading

INSPECT = re.compile(r"^/v[0-9.]+/containers/([^/]+)/json$")
LIST = re.compile(r"^/v[0-9.]+/containers/json(\?.*)?$")


def frame(status, body, transfer):
    reason = {200: "OK", 404: "Not Found"}.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n"
    if transfer == "chunked":
        chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100])
                          for i in range(0, len(body), 100))
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + \
            b"0\r\nX-Trailer: yes\r\n\r\n"
    if transfer == "length":
        return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    return (head + "Connection: close\r\n\r\n").encode() + body


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        request = self.rfile.readline().decode("latin-1").split()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        path = request[1] if len(request) >= 2 else ""
        server = self.server
        server.requests.append(path)
        status, body = 404, {"message": f"page not found: {path}"}
        if LIST.match(path):
            status, body = 200, server.fixture["containers"]
        elif m := INSPECT.match(path):
            found = server.fixture["inspect"].get(m.group(1))
            status, body = (200, found) if found else (404, {"message": f"No such container: {m.group(1)}"})
        self.wfile.write(frame(status, json.dumps(body).encode(), server.transfer))


class EngineApiServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, socket_path, fixture_path, transfer="chunked"):
        with open(fixture_path) as f:
            self.fixture = json.load(f)
        self.transfer = transfer
        self.requests = []
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        super().__init__(socket_path, Handler)

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
        os.unlink(self.server_address)


if __name__ == "__main__":
    EngineApiServer(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "chunked").serve_forever()
