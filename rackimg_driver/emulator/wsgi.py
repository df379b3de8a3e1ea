"""What the handlers see of HTTP: a :class:`Request` read from a WSGI environ, and the
:class:`Response` they answer with (``app`` turns it back into WSGI)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 409: "Conflict", 413: "Request Entity Too Large",
    429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}  # fmt: skip


@dataclass
class Response:
    """An answer before it becomes WSGI."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, json.dumps(payload).encode(), [("Content-Type", "application/json"), *headers])


@dataclass(frozen=True)
class Request:
    """What the handlers need of a WSGI request.

    ``parts`` are the segments of the path, empty ones dropped (``/v2/images/`` is
    ``("v2", "images")``); ``root`` is scheme, host and port, e.g. ``http://127.0.0.1:8774``.
    """

    method: str
    path: str
    query: dict[str, str]
    raw_query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    root: str
    parts: tuple[str, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Request:
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        host = headers.get("host") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        raw_query = parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        path = str(environ.get("PATH_INFO", "/")) or "/"
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=path,
            query=dict(raw_query),
            raw_query=raw_query,
            headers=headers,
            body=body,
            root=f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
            parts=tuple(part for part in path.split("/") if part),
        )

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))
