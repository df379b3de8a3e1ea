"""Exceptions of our own, each a subclass of a libcloud type callers already catch.

Private module: its public names are re-exported as the exceptions in ``rackimg_driver``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from libcloud.common.exceptions import BaseHTTPError
from libcloud.common.types import LibcloudError, MalformedResponseError

__all__ = [
    "ImageWaitError",
    "ImageWaitTimeout",
    "InvalidResponseError",
    "PagingError",
    "RedirectRefusedError",
    "TransportError",
    "excerpt",
    "origin",
]

_EXCERPT_CHARS = 200


_JSON_KINDS = {dict: "object", list: "array", str: "string", int: "number", float: "number"}


def excerpt(body: Any, limit: int = _EXCERPT_CHARS) -> str:
    """A short, single-line excerpt of a body (text or parsed JSON) for an error message.

    Whatever the body: one nested past the recursion limit, or holding an integer too long
    to render, is described instead; lone surrogates are escaped, so that the message can
    always be printed.
    """
    if isinstance(body, bytes):
        body = body[: limit * 8].decode("utf-8", "replace")
    if not isinstance(body, str):
        try:
            body = json.dumps(body, default=str)
        except (TypeError, ValueError, RecursionError):
            try:
                body = repr(body)
            except (ValueError, RecursionError):
                body = f"(a JSON {_JSON_KINDS.get(type(body), 'value')} too deep or too long to show)"
    text = " ".join(body[: limit * 8].split())
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class _Message:
    """``str`` and ``repr`` of an error are its ``message`` (libcloud's own types show
    ``repr(value)`` or their driver instead)."""

    message: str

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidResponseError(_Message, MalformedResponseError):
    """The server answered, but not with the JSON the API documents.

    ``code`` is the HTTP status (None when unknown); the message carries a short
    excerpt of the body.
    """

    def __init__(self, what: str, code: int | None, body: Any) -> None:
        self.code = code
        status = f"HTTP {code}" if code is not None else "HTTP status unknown"
        shown = excerpt(body)
        message = f"{what} ({status}): {shown}"
        super().__init__(message, body=shown)
        self.message = message


class PagingError(_Message, LibcloudError):
    """The server's paging cannot be followed safely (a next link that repeats or loops)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImageWaitError(_Message, LibcloudError):
    """An image reached a state it cannot leave (ERROR, DELETED) before the one waited for.

    ``image_id`` names the image, ``state`` is the last state seen (an ``ImageState``
    or None) and ``image`` the last NodeImage read (None if it was never read).
    """

    def __init__(self, message: str, image_id: str, state: Any = None, image: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.image_id = image_id
        self.state = state
        self.image = image


class ImageWaitTimeout(ImageWaitError):
    """The wait ran out of time; ``state`` and ``image`` are the last seen."""


class TransportError(_Message, LibcloudError):
    """No answer came: the connection failed, was dropped, or timed out.

    ``method`` and ``path`` name the request, ``attempts`` how many tries were made;
    the requests exception is the ``__cause__``. ``where`` names the service when it is
    not the API itself (``"identity at https://..."``), and then starts the message.
    """

    def __init__(self, method: str, path: str, error: BaseException, where: str | None = None) -> None:
        self.method = method
        self.path = path
        self.where = where
        self.attempts = 1
        reason = f"{type(error).__name__}: {excerpt(_reason(error), 200)}"
        self.message = f"{where or f'{method} {path}'}: no answer ({reason})"
        super().__init__(self.message)


def _reason(error: BaseException) -> str:
    """The innermost reason requests and urllib3 wrap a failure in (a TLS or socket error)."""
    reason: Any = error
    for _ in range(4):
        inner = reason.args[0] if getattr(reason, "args", None) else None
        inner = getattr(inner, "reason", None) or getattr(reason, "reason", None)
        if inner is None or inner is reason:
            break
        reason = inner
    return str(reason)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}" if port is not None else f"{scheme}://{host}"


class RedirectRefusedError(BaseHTTPError):  # type: ignore[misc]
    """The server redirected to another origin (scheme, host or port); the request was not
    sent there, so that the token or password stays with its host.

    ``code`` is the redirect's status, ``location`` the URL it named.
    """

    def __init__(self, status: int, url: str, location: str) -> None:
        message = (
            f"{status} redirect from {_origin_text(url)} to another host, {_origin_text(location)}: not followed,"
            " so that credentials stay with their host"
        )
        super().__init__(status, message, None)
        self.location = location

    def __str__(self) -> str:
        return str(self.message)
