"""Faults turned into answers, in one place: the error bodies each service answers with, and
what an injected :class:`~.faults.FaultPlan` does to a request.

Nova and Rackspace answer errors with ``{"<faultName>": {"code", "message"}}``, Keystone v3 with
``{"error": {...}}``, Glance (webob) with an HTML page. :func:`with_faults` is the one place
that applies the faults ``faults`` decided on: it waits, drops the connection, or answers
instead of the handler, or spoils the handler's answer.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable
from typing import Any

from .faults import DropConnection, FaultPlan
from .wsgi import REASONS, Response, json_response

NOT_FOUND = "The resource could not be found."
AUTH_REQUIRED = "The request you have made requires authentication."

_FAULT_NAMES = {
    400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
    405: "badMethod", 406: "notAcceptable", 409: "conflictingRequest", 413: "overLimit",
    429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable",
}  # fmt: skip


def nova_fault(status: int, message: str, **extra: Any) -> Response:
    """The error body Nova and Rackspace use: ``{"<faultName>": {"code", "message"}}``."""
    name = _FAULT_NAMES.get(status, "computeFault")
    return json_response(status, {name: {"code": status, "message": message, **extra}})


def keystone_error(status: int, message: str, title: str) -> Response:
    """The error body of Keystone v3: ``{"error": {"code", "message", "title"}}``."""
    return json_response(status, {"error": {"code": status, "message": message, "title": title}})


def glance_fault(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """The error page Glance (webob) answers with: HTML, the message escaped."""
    title = f"{status} {REASONS.get(status, 'Error')}"
    page = (
        f"<html>\n <head>\n  <title>{title}</title>\n </head>\n <body>\n  <h1>{title}</h1>\n"
        f"  {html.escape(message)}<br /><br />\n\n\n\n </body>\n</html>"
    )
    return Response(status, page.encode(), [("Content-Type", "text/html; charset=UTF-8"), *headers])


def _proxy_page(status: int) -> Response:
    """What a proxy in front of the cloud answers with: HTML, whatever the client asked for."""
    page = (
        f"<html><head><title>{status} {REASONS.get(status, '')}</title></head>"
        f"<body><h1>{REASONS.get(status, 'Error')}</h1>"
        "<p>The proxy answered in HTML.</p></body></html>"
    )
    return Response(status, page.encode(), [("Content-Type", "text/html")])


def with_faults(plan: FaultPlan, handle: Callable[[], Response]) -> Response:
    """The answer of ``handle`` (which answers the request), as ``plan`` spoils it; raises
    :class:`DropConnection` for a dropped connection."""
    if plan.delay:
        time.sleep(plan.delay)
    if plan.drop:
        raise DropConnection()
    if plan.rate_limit is not None:
        retry_after = str(plan.rate_limit.retry_after)
        response = nova_fault(plan.rate_limit.status, "This request was rate-limited.", retryAfter=retry_after)
        response.headers.append(("Retry-After", retry_after))
        return response
    if plan.error_status is not None:
        return nova_fault(plan.error_status, "Injected fault: the server failed.")
    bad_body = plan.bad_body
    if bad_body is not None and bad_body.kind == "html":
        return _proxy_page(bad_body.status or 200)
    response = handle()
    if bad_body is not None:  # truncated
        response.body = response.body[: len(response.body) // 2]
        if bad_body.status is not None:
            response.status = bad_body.status
    return response
