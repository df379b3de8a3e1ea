"""HTTP on a socket for the WSGI app: the standard library's ``ThreadingHTTPServer`` with a small
handler that adapts each request to WSGI and writes the answer with a Content-Length.

Why stdlib: it adds no runtime dependency (the package needs only apache-libcloud, stevedore and
requests), it speaks HTTP/1.1 with keep-alive (so clients' connection pools are exercised for
real), and it runs one daemon thread per connection. The app can also be served by any other
WSGI server; this one is only the convenient one. The handler honours :class:`DropConnection`
by closing the socket without writing a byte.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any

from .faults import DropConnection
from .wsgi import StartResponse

WSGIApp = Callable[[Mapping[str, Any], StartResponse], Iterable[bytes]]
# An idle keep-alive connection is closed after this many seconds.
IDLE_TIMEOUT = 30.0


class WSGIServer(ThreadingHTTPServer):
    """Serves a WSGI app, one daemon thread per connection, and keeps count of the connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: WSGIApp, verbose: bool) -> None:
        self.app = app
        self.verbose = verbose
        self.connections_opened = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self.connections_opened += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (and stop() cutting idle connections) are normal here.
        if self.verbose:
            super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        """Cut idle keep-alive connections, so no client talks to a stopped server."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into a WSGI call and writes the answer with a Content-Length."""

    protocol_version = "HTTP/1.1"
    server_version = "rackimg-emulator"
    # Headers and body go out in two writes; without TCP_NODELAY each answer waits ~40 ms.
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: WSGIServer

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        content_type = self.headers.get("Content-Type")
        if content_type:
            environ["CONTENT_TYPE"] = content_type
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                continue
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _handle(self) -> None:
        environ = self._environ(self._read_body())
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = status, headers

        try:
            body = b"".join(self.server.app(environ, start_response))
        except DropConnection:
            self.close_connection = True
            return
        code, _, reason = answer["status"].partition(" ")
        self.send_response(int(code), reason)
        for name, value in answer["headers"]:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:  # the client asked for it
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)
