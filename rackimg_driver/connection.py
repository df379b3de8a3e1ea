"""The driver's raw transport: a libcloud Connection for the compute images API.

Authentication is libcloud's own OpenStack identity code; this module picks the
endpoint for the dialect, adds the microversion header, turns every answer that is
not the JSON asked for into a libcloud exception, retries what is worth retrying,
and keeps the driver's secrets out of every error it raises (see :mod:`.redaction`;
where requests may go and for how long is :mod:`.transport`).

Private module: not part of the public API (see docs/reference.rst).
"""

from __future__ import annotations

import copy
import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from libcloud.common.base import Connection
from libcloud.common.exceptions import BaseHTTPError
from libcloud.common.openstack import OpenStackBaseConnection
from libcloud.common.openstack_identity import OpenStackServiceCatalog
from libcloud.common.types import InvalidCredsError, LibcloudError, MalformedResponseError
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from rackimg_driver._response import RackImgResponse, TokenRejectedError
from rackimg_driver.dialects import ImageDialect, RackspaceDialect, glance_images_path
from rackimg_driver.error_bodies import fault_message
from rackimg_driver.errors import InvalidResponseError, RedirectRefusedError, TransportError, excerpt
from rackimg_driver.redaction import Secrets
from rackimg_driver.retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds
from rackimg_driver.transport import exchange_deadline, http_class

__all__ = ["RackImgConnection"]


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
    #: (host, port, secure) of the HTTP connection in ``connection``; None while none is sure.
    _connected_to: tuple[Any, ...] | None = None
    accept_format = "application/json"  # type: ignore[assignment]
    default_content_type = "application/json"

    def __init__(
        self,
        *args: Any,
        dialect: ImageDialect | None = None,
        region: str | None = None,
        retry: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        self.dialect = dialect or RackspaceDialect()
        self.retry = retry or RetryPolicy()
        self.attempts = 0
        #: Whether a failed try of the last request may have reached the server (see request).
        self.may_have_acted = False
        self._shared = _SharedAuth()
        #: Whether this connection is the image service's (see :meth:`for_image_service`).
        self.image_service = False
        self.service_type = self.dialect.service_type  # type: ignore[assignment]
        self.service_name = self.dialect.service_name  # type: ignore[assignment]
        self.service_region = self.dialect.service_region(region)  # type: ignore[assignment]
        self._auth_version = self.dialect.auth_version
        if self.dialect.auth_url:
            self.auth_url = self.dialect.auth_url
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

    def for_image_service(self) -> RackImgConnection:
        """A connection to the catalog's image service (type ``image``: Glance v2, Rackspace's
        Cloud Images), with the same token, catalog and secrets, and its own HTTP."""
        sibling = self.for_another_thread()
        sibling.image_service = True
        sibling.service_type = "image"  # type: ignore[assignment]
        sibling.service_name = self.dialect.image_service_name  # type: ignore[assignment]
        sibling._ex_force_service_type = None
        sibling._ex_force_service_name = None
        sibling.request_path = ""
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
        """Where the images are, relative to the endpoint (the dialect knows)."""
        if not self.request_path:
            self._authenticate()
        if self.image_service:
            return glance_images_path(self.request_path or "")
        return self.dialect.images_path(self.request_path or "")

    def _set_up_connection_info(self, url: str) -> None:
        # libcloud before 3.7 reconnects here before every request; keep the one
        # keep-alive connection unless the endpoint really moved. The endpoint is compared
        # with the one the HTTP connection was made for, not with the attributes before:
        # an interrupt (KeyboardInterrupt, a signal handler's exception) between these
        # assignments and connect() would otherwise leave the old connection in place for good.
        self.host, self.port, self.secure, self.request_path = self._tuple_from_url(url)
        if self.connection is None or (self.host, self.port, self.secure) != self._connected_to:
            self.connect()

    def connect(
        self, host: str | None = None, port: int | None = None, base_url: str | None = None, **kwargs: Any
    ) -> Any:
        self._use_safe_http()
        self._connected_to = None
        connection = super().connect(host, port, base_url, **kwargs)
        if base_url is None:
            self._connected_to = (host or self.host, port or self.port, self.secure)
        return connection

    def _populate_hosts_and_request_paths(self) -> None:
        """libcloud's (3.6 to 3.9), made safe for the connections of many threads: one of them
        authenticates at a time, and each takes the token and catalog that it got."""
        if self._ex_force_auth_token:
            if self.image_service:
                raise NotImplementedError(
                    "this call needs the image service (catalog type 'image'), and with ex_force_auth_token"
                    " there is no catalog: ex_force_base_url names only the images API"
                )
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
        if self.image_service:
            self._set_up_connection_info(url=self._image_endpoint())
        else:
            self._set_up_connection_info(url=self._ex_force_base_url or self.get_endpoint())

    def _image_endpoint(self) -> str:
        try:
            return str(self.get_endpoint())
        except LibcloudError:
            name = f" named {self.service_name!r}" if self.service_name else ""
            region = f" in region {self.service_region!r}" if self.service_region else ""
            raise NotImplementedError(
                f"this call needs the image service, and the catalog has no entry of type 'image'{name}{region}"
            ) from None

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
            raise TransportError("POST", "identity", error, where=self._identity_where()) from error
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
                    code, f"{self._identity_where()} answered {code}: {fault_message(body[status.end() :])}", {}
                ) from None
            raise InvalidResponseError(f"{self._identity_where()}: the answer is not understood", None, body) from None
        except BaseHTTPError as error:
            error.message = f"{self._identity_where()}: {self.secrets.scrub(str(error.message))}"
            error.args = (error.message,)
            raise

    def morph_action_hook(self, action: str) -> str:
        # libcloud's OpenStack connection (3.6 to 3.9) authenticates here, inside every
        # request; each try of ours has authenticated just before (_authenticate, with its
        # own errors and deadline), so only the path is built here.
        return Connection.morph_action_hook(self, action)  # type: ignore[no-any-return]

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        headers = super().add_default_headers(headers)
        if not self.image_service:  # (the compute microversion is not the image service's)
            headers.update(self.dialect.headers())
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
        with exchange_deadline(self.timeout):
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
                retryable = code is None or int(code) in RETRY_STATUSES
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
