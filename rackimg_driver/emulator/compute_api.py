"""The compute API over HTTP: images and servers under the compute prefix (routed in ``routes``).

The prefix is the profile's: ``/v2/{tenant}`` for rackspace, ``/v2.1/{project}`` or ``/v2.1``
for openstack. Every request needs a scoped token (``X-Auth-Token``) and, with a tenant in the
URL, the token's tenant; openstack reads the compute microversion and names it in its answer.
The images proxy is gone from microversion 2.36 on (404). Errors are Nova's fault bodies.
The state is the store's; filters and paging are ``listing``'s; the JSON is ``views``'.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .answers import AUTH_REQUIRED, NOT_FOUND, nova_fault
from .compute_metadata import ComputeMetadataHandlers
from .faults import Faults
from .identity import Identity, Token
from .listing import BadQuery, ImageQuery, select_page
from .profiles import LAST_IMAGES_MICROVERSION, CloudProfile, MicroversionError
from .records import (
    ImageNotFound,
    ImageNotVisible,
    ImageProtected,
    ImageRecord,
    ServerNotFound,
    SnapshotInProgress,
)
from .store import Store
from .views import Links, image_detail, image_summary, server_detail, server_summary
from .wsgi import Request, Response, json_response

_MAX_NAME_LENGTH = 255
# createImage answers with a JSON body instead of a Location header from this microversion on.
_CREATE_IMAGE_BODY_MICROVERSION = (2, 45)
_NOT_ALLOWED = "The method specified is not allowed for this resource."


@dataclass(frozen=True)
class ComputeContext:
    """A compute request once authenticated: whose it is, and how its answer's links look."""

    request: Request
    tenant: str
    links: Links
    microversion: tuple[int, int] | None


class ComputeAPI(ComputeMetadataHandlers):
    """The handlers of the compute API; each takes a :class:`ComputeContext` and the path's values.

    :param store: the images and servers.
    :param identity: the tokens that may be used.
    :param faults: counts the uses of each token (for ``token_expiry``).
    :param profile: the cloud being played.
    :param max_limit: the largest page a list returns.
    :param saving_seconds: how long a new snapshot stays SAVING.
    """

    def __init__(
        self,
        store: Store,
        identity: Identity,
        faults: Faults,
        profile: CloudProfile,
        *,
        max_limit: int,
        saving_seconds: float,
    ) -> None:
        self.store = store
        self.identity = identity
        self.faults = faults
        self.profile = profile
        self.max_limit = max_limit
        self.saving_seconds = saving_seconds

    def answer(self, request: Request, call: Callable[[ComputeContext], Response]) -> Response:
        """Authenticate, read the microversion, call the handler, and name the microversion."""
        root = self.profile.compute_root(request.parts)
        assert root is not None, "routes send only compute paths here"
        token = self.identity.validate(request.headers.get("x-auth-token"))
        if token is None or token.tenant_id is None:
            return nova_fault(401, AUTH_REQUIRED)
        if self.faults.token_expired_by_use(token.id):
            self.identity.revoke(token.id)
            return nova_fault(401, AUTH_REQUIRED)
        denied = self._check_tenant(token, root.url_tenant)
        if denied is not None:
            return denied
        try:
            version = self.profile.microversion(request.headers)
        except MicroversionError as exc:
            return nova_fault(exc.status, str(exc))
        if root.rest[:1] == ("images",) and version is not None and version > LAST_IMAGES_MICROVERSION:
            response = nova_fault(404, NOT_FOUND)
        else:
            response = call(ComputeContext(request, token.tenant_id, Links(request.root, root.prefix), version))
        if version is not None:
            text = f"{version[0]}.{version[1]}"
            response.headers += [
                ("X-OpenStack-Nova-API-Version", text),
                ("OpenStack-API-Version", f"compute {text}"),
                ("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
            ]
        response.headers.append(("X-Compute-Request-Id", f"req-{uuid.uuid4()}"))
        return response

    def _check_tenant(self, token: Token, url_tenant: str | None) -> Response | None:
        if url_tenant is None or url_tenant == token.tenant_id:
            return None
        if self.profile.upstream_nova:
            return nova_fault(
                400,
                f"Malformed request URL: URL's project_id '{url_tenant}' doesn't match "
                f"Context's project_id '{token.tenant_id}'",
            )
        return nova_fault(401, AUTH_REQUIRED)

    def not_found(self, ctx: ComputeContext) -> Response:
        return nova_fault(404, NOT_FOUND)

    def method_not_allowed(self, ctx: ComputeContext, **path_values: str) -> Response:
        """A method not routed for a path (whatever the values of its ``{names}``)."""
        return nova_fault(405, _NOT_ALLOWED)

    # -- images ---------------------------------------------------------------------------------

    def list_images(self, ctx: ComputeContext) -> Response:
        return self._list_images(ctx, detailed=False)

    def list_images_in_detail(self, ctx: ComputeContext) -> Response:
        return self._list_images(ctx, detailed=True)

    def _list_images(self, ctx: ComputeContext, detailed: bool) -> Response:
        try:
            query = ImageQuery.from_params(ctx.request.query)
            images = self.store.iter_images(ctx.tenant, after=query.marker)
            page = select_page(images, query, self.profile, self.max_limit)
        except BadQuery as exc:
            return nova_fault(400, str(exc))
        except ImageNotVisible:
            if self.profile.upstream_nova:  # Glance's 403, passed through by Nova
                return nova_fault(403, f"HTTP 403 Forbidden: Forbidding request, image {query.marker} not visible")
            return nova_fault(400, f"marker [{query.marker}] not found")
        except ImageNotFound:
            if self.profile.upstream_nova:  # Glance's 400, passed through by Nova
                return nova_fault(400, f"HTTP 400 Bad Request: No image found with ID {query.marker}")
            return nova_fault(400, f"marker [{query.marker}] not found")
        if detailed:
            body: dict[str, Any] = {"images": [self._image_detail(record, ctx) for record in page.images]}
        else:
            body = {"images": [image_summary(record, ctx.links) for record in page.images]}
        if page.next_marker is not None:
            params = [(k, v) for k, v in ctx.request.raw_query if k not in ("limit", "marker")]
            params += [("limit", str(page.page_size)), ("marker", page.next_marker)]
            href = f"{ctx.request.root}{ctx.request.path}?{urlencode(params)}"
            body["images_links"] = [{"rel": "next", "href": href}]
        return json_response(200, body)

    def get_image(self, ctx: ComputeContext, image_id: str) -> Response:
        try:
            record = self.store.get_image(ctx.tenant, image_id)
        except ImageNotFound:
            return nova_fault(404, "Image not found.")
        return json_response(200, {"image": self._image_detail(record, ctx)})

    def _image_detail(self, record: ImageRecord, ctx: ComputeContext) -> dict[str, Any]:
        return image_detail(record, ctx.links, upstream_nova=self.profile.upstream_nova)

    def delete_image(self, ctx: ComputeContext, image_id: str) -> Response:
        try:
            self.store.delete_image(ctx.tenant, image_id)
        except ImageNotFound:
            return nova_fault(404, "Image not found.")
        except ImageProtected:
            return nova_fault(403, "You are not allowed to delete the image.")
        return Response(204)

    # -- servers --------------------------------------------------------------------------------

    def list_servers(self, ctx: ComputeContext) -> Response:
        servers = self.store.list_servers(ctx.tenant)
        return json_response(200, {"servers": [server_summary(s, ctx.links) for s in servers]})

    def list_servers_in_detail(self, ctx: ComputeContext) -> Response:
        servers = self.store.list_servers(ctx.tenant)
        return json_response(200, {"servers": [server_detail(s, ctx.links) for s in servers]})

    def get_server(self, ctx: ComputeContext, server_id: str) -> Response:
        try:
            server = self.store.get_server(ctx.tenant, server_id)
        except ServerNotFound:
            return nova_fault(404, f"Instance {server_id} could not be found.")
        return json_response(200, {"server": server_detail(server, ctx.links)})

    def server_action(self, ctx: ComputeContext, server_id: str) -> Response:
        """``{"createImage": {"name", "metadata"}}``: 202, and the new image's Location (or, from
        microversion 2.45 on, its id in the body). The only action the emulator knows."""
        try:
            action = ctx.request.json()
        except ValueError:
            return nova_fault(400, "Malformed request body.")
        if not isinstance(action, dict) or "createImage" not in action:
            return nova_fault(400, "The emulator only knows the createImage action.")
        spec = action["createImage"]
        if not isinstance(spec, dict):
            return nova_fault(400, "Invalid input for field/attribute createImage.")
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME_LENGTH:
            return nova_fault(400, "Invalid input for field/attribute name.")
        metadata = spec.get("metadata") or {}
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            return nova_fault(400, "Invalid input for field/attribute metadata.")
        try:
            server = self.store.get_server(ctx.tenant, server_id)
        except ServerNotFound:
            return nova_fault(404, f"Instance {server_id} could not be found.")
        if server.status not in ("ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED"):
            return nova_fault(
                409,
                f"Cannot 'createImage' instance {server_id} while it is in vm_state {server.status.lower()}",
            )
        try:
            record = self.store.create_snapshot(
                ctx.tenant, server_id, name, metadata, saving_seconds=self.saving_seconds
            )
        except SnapshotInProgress:
            return nova_fault(
                409,
                f"Cannot 'createImage' instance {server_id} while it is in task_state image_snapshot",
            )
        if ctx.microversion is not None and ctx.microversion >= _CREATE_IMAGE_BODY_MICROVERSION:
            return json_response(202, {"image_id": record.id})
        location = f"{ctx.links.root}{ctx.links.prefix}/images/{record.id}"
        return Response(202, b"", [("Location", location)])
