"""A real HTTP server on 127.0.0.1 that answers with fixed, test-chosen pages.

Each test says what a (method, path) answers, optionally depending on the query,
and reads back every request the driver made: the wire, seen from the server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes -> as is
    headers: dict[str, str] = field(default_factory=dict)
    #: How the body goes on the wire: "length" (Content-Length), "chunked" (chunks of
    #: 1000 bytes), or "cut" (the whole body's Content-Length, half of it, then a hang-up).
    framing: str = "length"

    def encode(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            payload = json.dumps(self.body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(self.body, str):
            payload = self.body.encode()
        else:
            payload = self.body or b""
        return payload, headers


Responder = Callable[[Seen], Answer]

#: Answer with this to close the connection without a word (after doing the work, if any).
HANG_UP = Answer(-1)


class FixedServer:
    """Routes ``(method, path)`` to an :class:`Answer` or a function of the request."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[tuple[str, str], Responder] = {}
        self.requests: list[Seen] = []
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                outer.connections += 1

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                seen = Seen(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                outer.requests.append(seen)
                responder = outer.routes.get((seen.method, seen.path))
                answer = (
                    responder(seen)
                    if responder
                    else Answer(404, {"itemNotFound": {"code": 404, "message": "no route"}})
                )
                if answer is HANG_UP:
                    self.close_connection = True  # no answer at all: the client sees the connection drop
                    return
                payload, headers = answer.encode()
                self.send_response(answer.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if answer.framing == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(payload), 1000):
                        piece = payload[start : start + 1000]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if answer.framing == "cut":
                    self.wfile.write(payload[: len(payload) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def route(self, method: str, path: str, answer: Answer | Responder) -> None:
        self.routes[(method, path)] = answer if callable(answer) else (lambda _seen, a=answer: a)

    def api_requests(self, prefix: str = "/v2/") -> list[Seen]:
        """The requests made to the compute API (identity calls left out)."""
        return [seen for seen in self.requests if seen.path.startswith(prefix)]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
