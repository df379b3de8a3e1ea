"""Private: the Response class of the driver's connection, and how a body is read.

libcloud's ``Response`` (3.6 to 3.9 checked) reads ``response.text`` three times in its
``__init__``, and requests decodes the whole body on every read; a page of 1000 images is
1.5 MB. So ``__init__`` is ours and reads the body once, whole, as bytes; the rest keeps
libcloud's shape (``success``, ``parse_body``, ``parse_error``).
"""

from __future__ import annotations

import codecs
from typing import Any

from libcloud.common.base import Response
from libcloud.common.exceptions import RateLimitReachedError, exception_from_message
from libcloud.common.types import InvalidCredsError
from libcloud.utils.misc import lowercase_keys

from rackimg_driver._json import loads
from rackimg_driver.error_bodies import fault_message
from rackimg_driver.errors import InvalidResponseError
from rackimg_driver.redaction import redact
from rackimg_driver.retry import retry_after_seconds

__all__ = ["RackImgResponse", "TokenRejectedError"]


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
            return loads(source)
        except (ValueError, RecursionError):
            # Not JSON, invalid UTF-8, or nested past what a parser can follow.
            raise InvalidResponseError("the answer is not JSON", self.status, self._scrubbed_body()) from None

    def parse_error(self) -> str:
        status = int(self.status)
        message = f"{status} {self.error}: {fault_message(self._scrubbed_body())}"
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
