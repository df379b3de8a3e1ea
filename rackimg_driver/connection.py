"""The driver's raw transport: a libcloud Connection for the compute images API.

Authentication is libcloud's own OpenStack identity code; this module picks the
endpoint for the dialect, adds the microversion header, turns every answer that is
not the JSON asked for into a libcloud exception, retries what is worth retrying,
and keeps the driver's secrets out of every error it raises (see :mod:`.redaction`;
where requests may go and for how long is :mod:`.transport`).
"""

from __future__ import annotations

import codecs
import copy
import html
import json
import re
import threading
import time
from collections.abc import Callable
from email.utils import mktime_tz, parsedate_tz
from typing import Any
from urllib.parse import urlsplit

import requests
from libcloud.common.base import Connection, Response
from libcloud.common.exceptions import BaseHTTPError, RateLimitReachedError, exception_from_message
from libcloud.common.openstack import OpenStackBaseConnection
from libcloud.common.openstack_identity import OpenStackServiceCatalog
from libcloud.common.rackspace import AUTH_URL as RACKSPACE_AUTH_URL
from libcloud.common.types import InvalidCredsError, MalformedResponseError
from libcloud.utils.misc import lowercase_keys
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from rackimg_driver.errors import InvalidResponseError, RedirectRefusedError, TransportError, excerpt
from rackimg_driver.redaction import Secrets, redact
from rackimg_driver.retry import RetryPolicy
from rackimg_driver.transport import Deadline, deadline_seconds, http_class
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


def retry_after_seconds(value: str | None) -> float:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date."""
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_tz(value)
        if moment is None:
            return 0.0
        return max(0.0, float(mktime_tz(moment)) - time.time())
    except (ValueError, OverflowError, TypeError):
        return 0.0  # a date past any calendar: no usable wait


def _orjson_loads(text: str | bytes) -> Any:
    try:
        return _orjson.loads(text)
    except _orjson.JSONDecodeError:
        # What orjson refuses and json takes (NaN, integers past 64 bits) is still read;
        # JSON nested past orjson's limit is read by json, which may recurse too deep.
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
    except (ValueError, RecursionError):
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
    """A JSON answer of the images API; any other answer becomes a libcloud exception.

    libcloud's ``Response.__init__`` (3.6 to 3.9) reads ``response.text`` three times, and
    requests decodes the whole body on every read (a page of 1000 images is 1.5 MB), so
    ``__init__`` is ours: the body is read once, whole (see ``_read_body``), and parsed
    from bytes. The rest is libcloud's shape: ``success``, ``parse_body``, ``parse_error``.
    """

    def __init__(self, response: Any, connection: Any) -> None:
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

    def _scrubbed_body(self) -> str:
        secrets = getattr(self.connection, "secrets", None)
        return secrets.scrub(self.body) if secrets is not None else redact(self.body)

    def parse_body(self) -> Any:
        if not self._content:
            return None
        # UTF-8 bytes go to the parser as they are: decoding 1.5 MB a page first costs time
        # and memory. A body in another declared charset is decoded first.
        source = self._content if self._encoding in ("utf-8", "ascii") else self.body
        try:
            return _loads(source)
        except (ValueError, RecursionError):
            # Not JSON, invalid UTF-8, or nested past what a parser can follow.
            raise InvalidResponseError("the answer is not JSON", self.status, self._scrubbed_body()) from None

    def parse_error(self) -> str:
        status = int(self.status)
        message = f"{status} {self.error}: {_fault_message(self._scrubbed_body())}"
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


class _SharedAuth:
    """What the connections of one driver (one per thread) share: one token, one catalog."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.catalog: Any = None


def _never_sent(error: requests.exceptions.RequestException) -> bool:
    """Whether a transport failure happened before the request reached the server."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason: Any = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError))


def _public_url(url: str) -> str:
    """A URL without any user or password in it, for a message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


class RackImgConnection(OpenStackBaseConnection):  # type: ignore[misc]
    """The compute endpoint of one region, authenticated through libcloud's identity classes.

    ``dialect`` chooses the catalog entry (Rackspace: ``cloudServersOpenStack`` in
    ``region``; OpenStack: type ``compute``) and, for upstream Nova, the compute
    microversion header. A 401 clears the cached token, re-authenticates once and
    repeats the request, so a token that expires in the middle of a listing costs
    one extra request and no images. Failures worth another try are retried per
    ``retry`` (see :mod:`rackimg_driver.retry`).

    One connection serves one thread: libcloud's Connection keeps each request's
    response on itself. :meth:`for_another_thread` makes a sibling that shares the
    token, the catalog and the secrets, and has its own HTTP connection.
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
        self.attempts = 0
        #: Whether a failed try of the last request may have reached the server (see request).
        self.may_have_acted = False
        self._shared = _SharedAuth()
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
        self.secrets = Secrets([self.key, self._ex_force_auth_token])
        self._use_safe_http()
        if self._ex_force_auth_token:
            # libcloud builds an identity object even when it never authenticates;
            # v2.0 is the one that asks for no project or domain.
            self._auth_version = "2.0_apikey"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} dialect={self.dialect.value} host={self.host!r}>"

    def for_another_thread(self) -> RackImgConnection:
        """A connection for another thread: the same token, catalog and secrets, its own HTTP."""
        self.get_auth_class()  # one identity object for all, made before the copy
        sibling = copy.copy(self)
        sibling.connection = None
        sibling.attempts = 0
        sibling.may_have_acted = False
        return sibling

    def _use_safe_http(self) -> None:
        """libcloud's connection class in use (its logging one under LIBCLOUD_DEBUG), made safe
        (see :mod:`.transport`); the identity connection takes it over through ``parent_conn``."""
        base = type(self).conn_class
        if getattr(self, "_http_base", None) is not base:
            self.conn_class = http_class(base, self.secrets)  # type: ignore[assignment]
            self._http_base = base

    @property
    def images_path(self) -> str:
        """Where the images are, relative to the endpoint: Nova's ``/images``, Glance's
        ``/v2/images`` (or ``/images`` when the catalog's image endpoint ends in ``/v2``)."""
        if self.dialect != Dialect.GLANCE:
            return "/images"
        if not self.request_path:
            self._authenticate()
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
        self._use_safe_http()
        return super().connect(*args, **kwargs)

    def _populate_hosts_and_request_paths(self) -> None:
        """libcloud's (3.6 to 3.9), made safe for the connections of many threads: one of them
        authenticates at a time, and each takes the token and catalog that it got."""
        if self._ex_force_auth_token:
            self._set_up_connection_info(url=self._ex_force_base_url)
            return
        shared = self._shared
        with shared.lock:
            identity = self.get_auth_class()
            if not identity.is_token_valid() or shared.catalog is None:
                if self._auth_version == "2.0_apikey":
                    identity = identity.authenticate(auth_type="api_key")
                elif self._auth_version == "2.0_password":
                    identity = identity.authenticate(auth_type="password")
                else:
                    identity = identity.authenticate()
                self.secrets.add(identity.auth_token)
                shared.catalog = OpenStackServiceCatalog(service_catalog=identity.urls, auth_version=self._auth_version)
            self.auth_token = identity.auth_token
            self.auth_token_expires = identity.auth_token_expires
            self.auth_user_info = identity.auth_user_info
            self.service_catalog = shared.catalog
        self._set_up_connection_info(url=self._ex_force_base_url or self.get_endpoint())

    def _forget_token(self) -> None:
        """The API refused our token: forget it, unless another thread already has a new one."""
        with self._shared.lock:
            identity = self.get_auth_class()
            if identity.auth_token == self.auth_token:
                identity.clear_cached_auth_context()
            self.auth_token = None  # type: ignore[assignment]

    def _identity_where(self) -> str:
        return f"identity at {_public_url(self._get_auth_url() or '')}"

    def _authenticate(self) -> None:
        """Have a token and an endpoint; an identity failure is said to be the identity's."""
        try:
            self._populate_hosts_and_request_paths()
        except requests.exceptions.RequestException as error:
            failure = TransportError("POST", "identity", error, where=self._identity_where())
            failure.__cause__ = error
            raise failure from error
        except RedirectRefusedError as error:
            error.message = f"{self._identity_where()}: {error.message}"
            error.args = (error.message,)
            raise
        except InvalidCredsError as error:
            said = getattr(error, "value", None) or str(error)
            message = f"{self._identity_where()} refused the credentials: {excerpt(self.secrets.scrub(str(said)))}"
            raise InvalidCredsError(message) from None
        except MalformedResponseError as error:
            # libcloud's identity classes put the whole body in the error: it may hold a token.
            body = self.secrets.scrub(str(error.body))
            status = re.match(r"code: (\d+)", body)
            if status is not None:
                code = int(status.group(1))
                raise BaseHTTPError(
                    code, f"{self._identity_where()} answered {code}: {_fault_message(body[status.end() :])}", {}
                ) from None
            raise InvalidResponseError(f"{self._identity_where()}: the answer is not understood", None, body) from None
        except BaseHTTPError as error:
            error.message = f"{self._identity_where()}: {self.secrets.scrub(str(error.message))}"
            error.args = (error.message,)
            raise

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        headers = super().add_default_headers(headers)
        if self.dialect == Dialect.OPENSTACK:
            headers["X-OpenStack-Nova-API-Version"] = NOVA_MICROVERSION
            headers["OpenStack-API-Version"] = f"compute {NOVA_MICROVERSION}"
        return headers

    def _request_once(self, action: str, params: Any, data: Any, headers: Any, method: str, raw: bool) -> Any:
        """One try: libcloud's ``Connection.request``, streamed, so that the response reads
        the body in one go (see ``_read_body``), within one :class:`Deadline`.
        ``OpenStackBaseConnection.request`` takes no ``stream``; what it adds is done here
        (the content type of a POST or PUT) or by :meth:`request` (a 401 forgets the token,
        authenticates anew and asks once more)."""
        headers = dict(headers or {})
        if method.upper() in ("POST", "PUT") and self.default_content_type:
            headers.setdefault("Content-Type", self.default_content_type)
        seconds = deadline_seconds(self.timeout)
        if seconds is None:
            return Connection.request(
                self, action, params=params or {}, data=data, headers=headers, method=method, raw=raw, stream=True
            )
        with Deadline(seconds):
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

        ``attempts`` is set to the number of tries the request took, and ``may_have_acted``
        to whether a failed try may have reached the server (its answer was lost, it timed
        out, or a 5xx came back), so a caller can tell a 404 on a retried DELETE that an
        earlier try did from a 404 for an image that never was. Every error raised is
        scrubbed of the driver's secrets.
        """
        try:
            return self._request_with_retries(action, params, data, headers, method, raw)
        except Exception as error:
            raise self.secrets.scrub_exception(error)  # noqa: B904 (the same error, scrubbed)

    def _request_with_retries(self, action: str, params: Any, data: Any, headers: Any, method: str, raw: bool) -> Any:
        started = time.monotonic()
        self.attempts = 0
        self.may_have_acted = False
        reauthenticated = False
        verb = method.upper()
        while True:
            self.attempts += 1
            retry_after: float | None = None
            reached = False  # whether this failed try may have reached the server
            try:
                self._authenticate()
            except (TransportError, BaseHTTPError) as error:
                # Nothing was sent to the API yet: any request may be tried again.
                failure: Exception = error
                code = getattr(error, "code", None)
                retryable = code is None or int(code) in RETRY_STATUSES_FOR_IDENTITY
            else:
                try:
                    return self._request_once(action, params, data, headers, method, raw)
                except TokenRejectedError:
                    if self._ex_force_auth_token is not None or reauthenticated:
                        raise
                    # The token expired or was revoked: authenticate anew and ask once more.
                    reauthenticated = True
                    self._forget_token()
                    self.attempts -= 1
                    continue
                except InvalidResponseError as error:
                    # A body cut short or replaced by a proxy's page: a read can simply be asked again.
                    failure, reached = error, True
                    retryable = self.retry.may_retry(method, None if verb in ("GET", "HEAD") else error.code)
                except RedirectRefusedError:
                    raise
                except BaseHTTPError as error:
                    failure, status = error, int(error.code)
                    retry_after = getattr(error, "retry_after", None) or retry_after_seconds(
                        (error.headers or {}).get("retry-after")
                    )
                    reached = status not in (413, 429)  # a rate limit is answered before anything is done
                    retryable = self.retry.may_retry(method, status)
                except requests.exceptions.RequestException as error:
                    failure = TransportError(method, action, error)
                    failure.__cause__ = error
                    if isinstance(error, requests.exceptions.SSLError):
                        raise _gave_up(failure, self.attempts) from error
                    reached = not _never_sent(error)
                    retryable = self.retry.may_retry(method, None) or not reached
            if self.attempts >= self.retry.attempts or not retryable:
                raise _gave_up(failure, self.attempts) from failure.__cause__
            wait = self.retry.delay(self.attempts, retry_after)
            if wait is None or time.monotonic() - started + wait > self.retry.total:
                raise _gave_up(failure, self.attempts) from failure.__cause__
            self.may_have_acted = self.may_have_acted or reached
            time.sleep(wait)


#: Identity failures worth another try (the API request itself was never sent).
RETRY_STATUSES_FOR_IDENTITY = frozenset({413, 429, 500, 502, 503, 504})


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
