"""The driver's raw transport: a libcloud Connection for the compute images API.

Authentication is libcloud's own OpenStack identity code; this module picks the
endpoint for the dialect, adds the microversion header, turns error answers into
libcloud exceptions, and keeps secrets out of libcloud's debug log.
"""

from __future__ import annotations

import codecs
import gc
import html
import json
import re
import sys
import time
from collections.abc import Callable
from email.utils import mktime_tz, parsedate_tz
from functools import cache
from typing import Any

import requests
from libcloud.common.base import Connection, Response
from libcloud.common.exceptions import BaseHTTPError, RateLimitReachedError, exception_from_message
from libcloud.common.openstack import OpenStackBaseConnection
from libcloud.common.rackspace import AUTH_URL as RACKSPACE_AUTH_URL
from libcloud.common.types import InvalidCredsError, MalformedResponseError
from libcloud.utils.misc import lowercase_keys

from rackimg_driver._gc import CollectorHandOver, pause_collector
from rackimg_driver.errors import InvalidResponseError, TransportError, excerpt
from rackimg_driver.retry import RetryPolicy
from rackimg_driver.types import Dialect

__all__ = [
    "JSON_PARSER",  # noqa: F822 (a module __getattr__: chosen at the first answer)
    "NOVA_MICROVERSION",
    "RACKSPACE_AUTH_URL",
    "RACKSPACE_SERVICE_NAME",
    "RackImgConnection",
    "RackImgResponse",
    "redact",
    "retry_after_seconds",
]

RACKSPACE_SERVICE_NAME = "cloudServersOpenStack"
#: The images proxy exists only up to compute microversion 2.35.
NOVA_MICROVERSION = "2.1"

_REDACTED = "<redacted>"


@cache
def _secret_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    # Compiled on first use: only a debug log or an identity failure needs them.
    return (
        re.compile(r"((?:X-Auth-Token|X-Subject-Token)\s*:\s*)[^\s'\"\r\n]+", re.I),
        re.compile(r'("(?:apiKey|api_key|password|secret|passcode)"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.I),
        re.compile(r'("token"\s*:\s*\{[^{}]*?"id"\s*:\s*")((?:[^"\\]|\\.)*)(")'),
    )


def redact(text: str) -> str:
    """Replace tokens, API keys and passwords in a logged request or response."""
    headers, fields, token_ids = _secret_patterns()
    text = headers.sub(r"\1" + _REDACTED, text)
    text = fields.sub(r"\1" + _REDACTED + r"\3", text)
    return token_ids.sub(r"\1" + _REDACTED + r"\3", text)


@cache
def _redacting_logging_connection(base: type) -> type:
    """libcloud's ``LIBCLOUD_DEBUG`` logger class, with secrets redacted."""

    class RedactingLoggingConnection(base):  # type: ignore[valid-type,misc]
        def _log_curl(self, method: str, url: str, body: Any, headers: dict[str, str]) -> str:
            return redact(super()._log_curl(method, url, body, headers))

        def _log_response(self, r: Any) -> str:
            return redact(super()._log_response(r))

    return RedactingLoggingConnection


def _use_redacting_logger(connection: Any) -> None:
    """When libcloud's debug log is on, log through the redacting class instead."""
    logging_module = sys.modules.get("libcloud.utils.loggingconnection")
    if logging_module is None:
        return  # libcloud.enable_debug() imports it: not loaded means not debugging
    base = logging_module.LoggingConnection
    redacting = _redacting_logging_connection(base)
    if issubclass(connection.conn_class, base) and not issubclass(connection.conn_class, redacting):
        connection.conn_class = redacting


def retry_after_seconds(value: str | None) -> float:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date."""
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    moment = parsedate_tz(value)
    if moment is None:
        return 0.0
    return max(0.0, float(mktime_tz(moment)) - time.time())


def _orjson_loads(text: str | bytes) -> Any:
    try:
        return _orjson.loads(text)
    except _orjson.JSONDecodeError:
        # What orjson refuses and json takes (NaN, integers past 64 bits) is still read.
        return json.loads(text)


def _choose_parser() -> tuple[Callable[[str | bytes], Any], str]:
    """The optional "fast" extra's compiled parser where it is installed, else ``json``.

    Chosen at the first answer, not at import: importing orjson costs about 20 ms
    (it loads ``dataclasses`` and more), which ``import rackimg_driver`` need not pay.
    """
    global _orjson
    try:
        import orjson
    except ImportError:
        return json.loads, "json (stdlib)"
    _orjson = orjson
    return _orjson_loads, f"orjson {orjson.__version__}"


_orjson: Any = None
_parser: tuple[Callable[[str | bytes], Any], str] | None = None


def _loads(text: str | bytes) -> Any:
    global _parser
    if _parser is None:
        _parser = _choose_parser()
    return _parser[0](text)


def __getattr__(name: str) -> Any:
    if name == "JSON_PARSER":  # the JSON parser the driver reads answers with
        global _parser
        if _parser is None:
            _parser = _choose_parser()
        return _parser[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _page_text(body: str) -> str:
    """The words of an HTML error page (Glance, proxies): after its heading, without tags."""
    if "<" not in body or ">" not in body:
        return " ".join(body.split())
    lowered = body.lower()
    start = lowered.find("</h1>")
    end = lowered.find("</body>")
    if start != -1:
        body = body[start + len("</h1>") : end if end > start else None]
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return " ".join(text.split()) or body


def _fault_message(body: str) -> str:
    """The message of an API fault body ``{"itemNotFound": {"code": 404, "message": ...}}``."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return excerpt(_page_text(body)) or "(empty body)"
    if isinstance(parsed, dict):
        # Nova and Rackspace: {"itemNotFound": {"message": ...}}; Keystone: {"error": {...}};
        # Glance: {"message": "... <br /><br />", "code": "403 Forbidden", "title": ...}.
        candidates = [parsed, *parsed.values()]
        for fault in candidates:
            if isinstance(fault, dict) and isinstance(fault.get("message"), str):
                return excerpt(_page_text(fault["message"]))
    return excerpt(body)


def _read_body(response: Any) -> bytes:
    """The whole body of a (streamed) requests response, read at once.

    Requests' own ``content`` reads a body 10 KB at a time, through urllib3 for each
    piece: about 150 reads and 8 ms for a page of 1000 images, where one read of the
    whole takes under 2 ms. ``iter_content(None)`` reads it whole and still turns
    urllib3's errors into requests' (a cut-short body is a ``ChunkedEncodingError``).
    """
    # requests keeps none of it (libcloud keeps the requests response until the next
    # request): the page's body lives only as long as this driver needs it.
    return b"".join(response.iter_content(None))


def _encoding_of(response: Any) -> str:
    """The body's declared charset; JSON without one is UTF-8 (RFC 8259), where requests would guess."""
    encoding = response.encoding or "utf-8"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "utf-8"


class TokenRejectedError(InvalidCredsError):  # type: ignore[misc]
    """The API (not the identity service) answered 401: the token expired or was revoked."""


class RackImgResponse(Response):  # type: ignore[misc]
    """A JSON answer of the images API; any other answer becomes a libcloud exception."""

    def __init__(self, response: Any, connection: Any) -> None:
        # libcloud's Response does the same, but reads ``response.text`` three times, and
        # requests decodes the whole body on every read: a page of 1000 images is 1.5 MB.
        # The body is read once, whole (see _read_body).
        self.connection = connection
        self.headers = lowercase_keys(dict(response.headers))
        self.error = response.reason
        self.status = response.status_code
        self.request = response.request
        self.iter_content = response.iter_content
        self._content = _read_body(response).strip()
        self._encoding = _encoding_of(response)
        self._body: str | None = None
        if not self.success():
            raise exception_from_message(code=self.status, message=self.parse_error(), headers=self.headers)
        self.object = self.parse_body()

    def success(self) -> bool:
        return 200 <= int(self.status) <= 299

    @property
    def body(self) -> str:
        """The body as text, decoded when first asked for (a listing parses the bytes)."""
        if self._body is None:
            self._body = self._content.decode(self._encoding, "replace")
        return self._body

    @body.setter
    def body(self, value: str) -> None:
        self._body = value

    def parse_body(self) -> Any:
        if not self._content:
            return None
        # UTF-8 bytes go to the parser as they are: decoding 1.5 MB a page first costs time
        # and memory. A body in another declared charset is decoded first.
        source = self._content if self._encoding in ("utf-8", "ascii") else self.body
        collecting = pause_collector()  # a page is tens of thousands of new objects (see _gc)
        try:
            parsed = _loads(source)
        except BaseException as error:
            if collecting:
                gc.enable()
            if isinstance(error, ValueError):
                raise InvalidResponseError("the answer is not JSON", self.status, self.body) from None
            raise
        if collecting:
            hand_over = getattr(self.connection, "collector", None)
            if hand_over is not None and hand_over.hold:
                hand_over.held = True  # the listing maps the page, then resumes it
            else:
                gc.enable()
        return parsed

    def parse_error(self) -> str:
        status = int(self.status)
        message = f"{status} {self.error}: {_fault_message(self.body or '')}"
        if status == 401:
            raise TokenRejectedError(message)
        if status in (413, 429):
            headers = dict(self.headers)
            headers["retry-after"] = str(retry_after_seconds(headers.get("retry-after")))
            error = RateLimitReachedError(headers=headers)
            error.code = status
            error.message = message
            error.args = (message,)
            raise error
        return message


class RackImgConnection(OpenStackBaseConnection):  # type: ignore[misc]
    """The compute endpoint of one region, authenticated through libcloud's identity classes.

    ``dialect`` chooses the catalog entry (Rackspace: ``cloudServersOpenStack`` in
    ``region``; OpenStack: type ``compute``) and, for upstream Nova, the compute
    microversion header. A 401 clears the cached token, re-authenticates once and
    repeats the request, so a token that expires in the middle of a listing costs
    one extra request and no images. Failures worth another try are retried per
    ``retry`` (see :mod:`rackimg_driver.retry`).
    """

    responseCls = RackImgResponse
    service_type = "compute"  # type: ignore[assignment]
    accept_format = "application/json"  # type: ignore[assignment]
    default_content_type = "application/json"
    _auth_version = "2.0_apikey"

    def __init__(
        self,
        *args: Any,
        dialect: Dialect = Dialect.RACKSPACE,
        region: str | None = None,
        retry: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        self.dialect = dialect
        self.retry = retry or RetryPolicy()
        self.collector = CollectorHandOver()  # see _gc: parse and mapping in one pause
        self.attempts = 0
        if dialect == Dialect.RACKSPACE:
            self.auth_url = RACKSPACE_AUTH_URL
            self.service_name = RACKSPACE_SERVICE_NAME  # type: ignore[assignment]
            self.service_region = region.upper() if region else None  # type: ignore[assignment]
        else:
            self._auth_version = "3.x_password"
            self.service_region = region  # type: ignore[assignment]
            if dialect == Dialect.GLANCE:
                self.service_type = "image"  # type: ignore[assignment]
            # With a fixed token no identity call is made, but libcloud insists on an auth URL.
            if kwargs.get("ex_force_auth_token") and not kwargs.get("ex_force_auth_url"):
                self.auth_url = kwargs["ex_force_base_url"]
        super().__init__(*args, **kwargs)
        if self._ex_force_auth_token:
            # libcloud builds an identity object even when it never authenticates;
            # v2.0 is the one that asks for no project or domain.
            self._auth_version = "2.0_apikey"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} dialect={self.dialect.value} host={self.host!r}>"

    @property
    def images_path(self) -> str:
        """Where the images are, relative to the endpoint: Nova's ``/images``, Glance's
        ``/v2/images`` (or ``/images`` when the catalog's image endpoint ends in ``/v2``)."""
        if self.dialect != Dialect.GLANCE:
            return "/images"
        if not self.request_path:
            self._populate_hosts_and_request_paths()  # authenticates, if not done yet
        root = (self.request_path or "").rstrip("/")
        return "/images" if root.endswith("/v2") else "/v2/images"

    def _set_up_connection_info(self, url: str) -> None:
        # libcloud before 3.7 reconnects here before every request; keep the one
        # keep-alive connection unless the endpoint really moved.
        before = (self.host, self.port, self.secure)
        self.host, self.port, self.secure, self.request_path = self._tuple_from_url(url)
        if self.connection is None or (self.host, self.port, self.secure) != before:
            self.connect()

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        _use_redacting_logger(self)
        return super().connect(*args, **kwargs)

    def get_auth_class(self) -> Any:
        identity = super().get_auth_class()
        _use_redacting_logger(identity)
        return identity

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        headers = super().add_default_headers(headers)
        if self.dialect == Dialect.OPENSTACK:
            headers["X-OpenStack-Nova-API-Version"] = NOVA_MICROVERSION
            headers["OpenStack-API-Version"] = f"compute {NOVA_MICROVERSION}"
        return headers

    def _request_once(self, action: str, params: Any, data: Any, headers: Any, method: str, raw: bool) -> Any:
        """One try: libcloud's ``Connection.request``, streamed, so that the response reads
        the body in one go (see ``_read_body``). ``OpenStackBaseConnection.request`` takes no
        ``stream``; what it adds is done here (the content type of a POST or PUT) or by
        :meth:`request` (a 401 forgets the token, authenticates anew and asks once more)."""
        headers = dict(headers or {})
        if method.upper() in ("POST", "PUT") and self.default_content_type:
            headers.setdefault("Content-Type", self.default_content_type)
        return Connection.request(
            self, action, params=params or {}, data=data, headers=headers, method=method, raw=raw, stream=True
        )

    def request(  # type: ignore[override]
        self,
        action: str,
        params: Any = None,
        data: Any = "",
        headers: Any = None,
        method: str = "GET",
        raw: bool = False,
    ) -> Any:
        """Send one API request, retrying per :attr:`retry` and re-authenticating once on a 401.

        ``attempts`` is set to the number of tries the request took, so a caller can
        tell a 404 on a retried DELETE (the first try did it) from a 404 on the first.
        """
        started = time.monotonic()
        self.attempts = 0
        reauthenticated = False
        while True:
            self.attempts += 1
            try:
                return self._request_once(action, params, data, headers, method, raw)
            except TokenRejectedError:
                if self._ex_force_auth_token is not None or reauthenticated:
                    raise
                # The token expired or was revoked: authenticate anew and ask once more.
                reauthenticated = True
                self.get_auth_class().clear_cached_auth_context()
                self.auth_token = None  # type: ignore[assignment]
                self.attempts -= 1
                continue
            except InvalidResponseError as error:
                failure: Exception = error
                # A body cut short or replaced by a proxy's page: a read can simply be asked again.
                status = None if method.upper() in ("GET", "HEAD") else error.code
                retry_after = None
            except MalformedResponseError as error:
                # libcloud's identity classes put the whole body in the error: it may hold a token.
                raise InvalidResponseError(
                    "the identity service's answer is not understood", None, redact(str(error.body))
                ) from None
            except BaseHTTPError as error:
                failure, status = error, int(error.code)
                retry_after = getattr(error, "retry_after", None) or retry_after_seconds(
                    (error.headers or {}).get("retry-after")
                )
            except requests.exceptions.RequestException as error:
                failure = TransportError(method, action, error)
                status = None
                retry_after = None
                if isinstance(error, requests.exceptions.SSLError):
                    raise _gave_up(failure, self.attempts) from error
            if self.attempts >= self.retry.attempts or not self.retry.may_retry(method, status):
                raise _gave_up(failure, self.attempts) from (None if failure.__cause__ is None else failure.__cause__)
            wait = self.retry.delay(self.attempts, retry_after)
            if wait is None or time.monotonic() - started + wait > self.retry.total:
                raise _gave_up(failure, self.attempts)
            time.sleep(wait)


def _gave_up(error: Exception, attempts: int) -> Exception:
    """The last error, its message saying how many attempts were made."""
    if attempts > 1:
        suffix = f" (gave up after {attempts} attempts)"
        message = f"{getattr(error, 'message', None) or error}{suffix}"
        if hasattr(error, "message"):
            error.message = message
        if hasattr(error, "value"):
            error.value = message
        error.args = (message,)
    if hasattr(error, "attempts"):
        error.attempts = attempts
    return error
