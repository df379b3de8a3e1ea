"""The HTTP layer under libcloud's Connection: where requests may go, and for how long.

libcloud sends every request through its ``conn_class`` (``LibcloudConnection``, or
``LoggingConnection`` under ``LIBCLOUD_DEBUG``), a thin wrapper of a requests Session.
:func:`http_class` gives the driver's connections (and, through libcloud's
``parent_conn``, their identity connection) a subclass of whichever is in use that:

- follows a redirect only to the same origin (scheme, host and port): a token or a
  password never goes to a host it was not meant for. Any other redirect fails with
  :class:`RedirectRefusedError`, naming the status and the other origin.
- gives each exchange a deadline (:class:`Deadline`): the connect timeout plus the
  read timeout for the whole try, headers and body, however slowly the server
  trickles. requests' own read timeout is per read, so a server that sends a byte a
  second would never trip it.
- scrubs the driver's secrets from libcloud's debug log (see :mod:`.redaction`).

Nothing here changes a process-wide default: each Session gets its own hook and its
own adapters; libcloud's classes are subclassed, never altered.

Private module: not part of the public API (see docs/reference.rst).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from functools import cache
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3 import ProxyManager, connectionpool
from urllib3.connection import HTTPConnection, HTTPSConnection

from rackimg_driver.errors import RedirectRefusedError, origin
from rackimg_driver.redaction import Secrets, redact, tokens_in_identity_answer

__all__ = [
    "Deadline",
    "DeadlineExceeded",
    "RedirectRefusedError",
    "deadline_seconds",
    "exchange_deadline",
    "http_class",
    "origin",
]


def refuse_cross_origin_redirect(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A requests response hook: let a redirect through only within its own origin."""
    if response.is_redirect:
        location = urljoin(response.url, response.headers.get("location", ""))
        if origin(location) != origin(response.url):
            response.close()
            raise RedirectRefusedError(response.status_code, response.url, location)
    return response


class DeadlineExceeded(requests.exceptions.Timeout):
    """The whole exchange, headers and body, took longer than its deadline."""


_current = threading.local()


def exchange_deadline(timeout: Any) -> contextlib.AbstractContextManager[Any]:
    """A :class:`Deadline` for one exchange under this requests ``timeout``; nothing when the
    timeout leaves a part unbounded or an exchange of this thread already has one."""
    seconds = deadline_seconds(timeout)
    if seconds is None or Deadline.current() is not None:
        return contextlib.nullcontext()
    return Deadline(seconds)


def deadline_seconds(timeout: Any) -> float | None:
    """One try's deadline from a requests timeout: connect plus read (a single number is both)."""
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        if any(part is None for part in timeout):
            return None
        return float(sum(timeout))
    return 2.0 * float(timeout)


class Deadline:
    """Cut off every socket of this thread's exchange once ``seconds`` have passed.

    A timer thread shuts the sockets down (the blocked read then returns at once), and
    the exchange's error becomes :class:`DeadlineExceeded`. The sockets are watched
    through duplicates of their descriptors, which are closed when the exchange ends.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._done = False
        self._watched: dict[int, socket.socket] = {}
        self._previous: Deadline | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @staticmethod
    def current() -> Deadline | None:
        return getattr(_current, "deadline", None)

    def __enter__(self) -> Deadline:
        self._previous = Deadline.current()
        self._timer.start()
        _current.deadline = self  # last: an interrupt before it leaves no stale deadline
        return self

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        _current.deadline = self._previous  # first, whatever interrupts the rest
        self._timer.cancel()
        with self._lock:
            self._done = True
            watched, self._watched = self._watched, {}
        for duplicate in watched.values():
            duplicate.close()
        # Also without an error: a socket shut down in the middle of the headers can look,
        # to http.client, like an answer that simply ended there.
        if self.expired and (error is None or isinstance(error, Exception)) and not isinstance(error, DeadlineExceeded):
            raise DeadlineExceeded(
                f"no complete answer within {self.seconds:g} s (the connect timeout plus the read timeout)"
            ) from error

    def watch(self, sock: Any) -> None:
        """Watch a socket (plain or TLS) of this exchange."""
        try:
            descriptor = sock.fileno()
        except (OSError, AttributeError):
            return
        if descriptor < 0:
            return
        with self._lock:
            if self._done or descriptor in self._watched:
                return
            duplicate = socket.socket(fileno=os.dup(descriptor))
            self._watched[descriptor] = duplicate
            if self.expired:
                _shut(duplicate)

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for duplicate in self._watched.values():
                _shut(duplicate)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


def _watch_socket(sock: Any) -> None:
    deadline = Deadline.current()
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _Watched:
    """A urllib3 connection whose sockets the thread's Deadline watches. urllib3 1.26 and
    2.x both make the TCP socket in ``_new_conn`` and send each request in ``request``."""

    def _new_conn(self) -> Any:
        sock = super()._new_conn()  # type: ignore[misc]
        _watch_socket(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> Any:
        _watch_socket(getattr(self, "sock", None))  # a kept-alive connection
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


# Named as urllib3's own, which its error messages show ("HTTPConnectionPool(host=...)").
class HTTPConnectionPool(connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class HTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections that a :class:`Deadline` can cut off."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        # An attribute of this pool manager only (urllib3 1.26 and 2.x).
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # Behind an HTTP(S) proxy (HTTP_PROXY, or libcloud's proxy_url) the connection is to
        # the proxy, and a Deadline cuts it off the same way. A SOCKS manager keeps its own.
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:
            manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager


_WATCHED_POOLS = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}


@cache
def _safe_http_class(base: type) -> type:
    """``base`` (libcloud's LibcloudConnection or LoggingConnection) made safe, as above."""

    class RackImgHTTPConnection(base):  # type: ignore[valid-type,misc]
        secrets: Secrets | None = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.session.hooks["response"].append(refuse_cross_origin_redirect)
            for prefix in ("http://", "https://"):
                # libcloud mounts its own adapter for client certificates: that one stays.
                if type(self.session.get_adapter(prefix)) is HTTPAdapter:
                    self.session.mount(prefix, DeadlineAdapter())

        def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> Any:
            # The driver's own requests run inside a Deadline of their try (which also
            # covers reading the body); identity requests get one here.
            with exchange_deadline(self.session.timeout):
                return super().request(method, url, body=body, headers=headers, **kwargs)

        if hasattr(base, "_log_curl"):  # LIBCLOUD_DEBUG's logging connection

            def _log_curl(self, method: str, url: str, body: Any, headers: Any) -> str:
                return self._scrub(super()._log_curl(method, url, body, headers))

            def _log_response(self, r: Any) -> str:
                if self.secrets is not None:
                    with contextlib.suppress(Exception):
                        self.secrets.add(*tokens_in_identity_answer(dict(r.getheaders()), r.read()))
                return self._scrub(super()._log_response(r))

            def _scrub(self, text: str) -> str:
                return redact(text) if self.secrets is None else self.secrets.scrub(text)

    return RackImgHTTPConnection


def http_class(base: type, secrets: Secrets) -> type:
    """A connection class for libcloud's ``conn_class``: ``base`` made safe, knowing ``secrets``."""
    return type("RackImgHTTPConnection", (_safe_http_class(base),), {"secrets": secrets})
