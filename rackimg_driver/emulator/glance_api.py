"""Glance v2 over HTTP: ``/v2/images`` at the catalog's ``image`` endpoint (routed in ``routes``).

Served by the profiles that have an image service (openstack, glance, and rackspace's Cloud
Images under ``/v2``); the calls beyond list, show and delete are ``glance_admin``'s. ``GET /v2/images`` lists with
Glance's filters and paging (``glance_listing``), ``GET /v2/images/{id}`` shows one image,
``DELETE /v2/images/{id}`` deletes it (204). Glance answers errors as real Glance does: HTML
pages, not JSON; a missing or expired token gets keystonemiddleware's 401 page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .answers import NOT_FOUND, glance_fault
from .faults import Faults
from .glance_admin import GlanceAdminHandlers
from .glance_listing import DEFAULT_LIMIT, GlanceQuery, glance_page
from .identity import Identity
from .listing import BadQuery
from .records import ImageNotFound, ImageNotOwned, ImageNotVisible, ImageProtected
from .store import Store
from .views import glance_image
from .wsgi import Request, Response, json_response

# keystonemiddleware's words for a request without a valid token.
_UNAUTHORIZED = (
    "This server could not verify that you are authorized to access the document you requested. "
    "Either you supplied the wrong credentials (e.g., bad password), or your browser does not "
    "understand how to supply the credentials required."
)


@dataclass(frozen=True)
class GlanceContext:
    """A Glance request once authenticated."""

    request: Request
    tenant: str


class GlanceAPI(GlanceAdminHandlers):
    """The handlers of Glance v2; each takes a :class:`GlanceContext` and the path's values.

    :param store: the images (the same ones the compute API shows).
    :param identity: the tokens that may be used.
    :param faults: counts the uses of each token (for ``token_expiry``).
    :param max_limit: the largest page a list returns.
    :param default_limit: the page size of a list without ``limit``.
    """

    def __init__(
        self,
        store: Store,
        identity: Identity,
        faults: Faults,
        *,
        max_limit: int,
        default_limit: int = DEFAULT_LIMIT,
    ) -> None:
        self.store = store
        self.identity = identity
        self.faults = faults
        self.max_limit = max_limit
        self.default_limit = default_limit

    def answer(self, request: Request, call: Callable[[GlanceContext], Response]) -> Response:
        """Authenticate, call the handler, and add Glance's request id."""
        token = self.identity.validate(request.headers.get("x-auth-token"))
        if token is not None and self.faults.token_expired_by_use(token.id):
            self.identity.revoke(token.id)
            token = None
        if token is None or token.tenant_id is None:
            return glance_fault(401, _UNAUTHORIZED, [("WWW-Authenticate", f'Keystone uri="{request.root}"')])
        response = call(GlanceContext(request, token.tenant_id))
        response.headers.append(("x-openstack-request-id", f"req-{uuid.uuid4()}"))
        return response

    def not_found(self, ctx: GlanceContext) -> Response:
        return glance_fault(404, NOT_FOUND)

    def method_not_allowed(self, ctx: GlanceContext, **path_values: str) -> Response:
        """A method not routed for a path (whatever the values of its ``{names}``)."""
        return glance_fault(405, f"The method {ctx.request.method} is not allowed for this resource. ")

    def list_images(self, ctx: GlanceContext) -> Response:
        request = ctx.request
        try:
            query = GlanceQuery.from_params(request.raw_query, self.max_limit, self.default_limit)
            if query.marker is not None:
                self.store.get_image(ctx.tenant, query.marker)  # also with limit=0
            images = self.store.iter_images(
                ctx.tenant,
                after=None if query.order else query.marker,
                member_status=query.member_status,
                community=query.community,
            )
            page = glance_page(images, query)
        except BadQuery as exc:
            return glance_fault(400, str(exc))
        except ImageNotVisible:
            return glance_fault(403, f"Forbidding request, image {query.marker} not visible")
        except ImageNotFound:
            return glance_fault(400, f"No image found with ID {query.marker}")
        params = [(key, value) for key, value in request.raw_query if key != "marker"]
        body: dict[str, Any] = {
            "images": [glance_image(record) for record in page.images],
            "first": "/v2/images" + (f"?{urlencode(params)}" if params else ""),
            "schema": "/v2/schemas/images",
        }
        if page.next_marker is not None:
            body["next"] = f"/v2/images?{urlencode([*params, ('marker', page.next_marker)])}"
        return json_response(200, body)

    def get_image(self, ctx: GlanceContext, image_id: str) -> Response:
        try:
            record = self.store.get_image(ctx.tenant, image_id)
        except ImageNotFound:
            return glance_fault(404, f"No image found with ID {image_id}")
        return json_response(200, glance_image(record))

    def delete_image(self, ctx: GlanceContext, image_id: str) -> Response:
        try:
            self.store.delete_image(ctx.tenant, image_id)
        except ImageNotFound:
            return glance_fault(404, f"Failed to find image {image_id} to delete")
        except ImageNotOwned:
            return glance_fault(403, "You are not authorized to complete delete_image action.")
        except ImageProtected:
            return glance_fault(403, f"Image {image_id} is protected and cannot be deleted.")
        return Response(204, b"", [("Content-Type", "text/html; charset=UTF-8")])
