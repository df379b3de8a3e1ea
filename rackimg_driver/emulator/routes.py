"""The URL table of the local cloud (moto's ``urls``): method + path -> handler.

Rows are grouped by the API that answers them; groups and rows are tried in order, and the
first row whose path and method match answers. In a path, ``{name}`` matches one segment and
is passed to the handler by that name, ``...`` matches whatever follows (nothing too), and
``{c}`` is the compute prefix of the profile (:meth:`~.profiles.CloudProfile.compute_root`:
``/v2/{tenant}`` for rackspace, ``/v2.1/{project}`` or ``/v2.1`` for openstack). ``ANY``
matches every method: after the rows of a path, it is that path's 405 (or 404). A path no row
matches is Nova's 404, answered without faults.

Each API (``admin_api``, ``identity_api``, ``compute_api``, ``glance_api``) authenticates in its
``answer`` and then calls the row's handler; ``app`` decides which faults apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .admin_api import AdminAPI
from .compute_api import ComputeAPI
from .glance_api import GlanceAPI
from .identity_api import IdentityAPI
from .profiles import CloudProfile, ComputeRoot
from .wsgi import Request, Response

ANY = "*"

ADMIN = "admin"
IDENTITY = "identity"
GLANCE = "glance"
COMPUTE = "compute"


@dataclass(frozen=True)
class Route:
    """One row: ``handler`` (a method of the API's class) answers ``method`` on ``path``."""

    method: str
    path: str
    handler: Callable[..., Response]
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.path.strip("/").split("/")))

    def match(self, parts: tuple[str, ...], compute_root: ComputeRoot | None) -> dict[str, str] | None:
        """The values of the path's ``{names}`` when ``parts`` (a path's segments) fit it, else None."""
        segments = self.segments
        if segments[0] == "{c}":
            if compute_root is None:
                return None
            parts, segments = compute_root.rest, segments[1:]
        values: dict[str, str] = {}
        for index, segment in enumerate(segments):
            if segment == "...":
                return values
            if index == len(parts):
                return None
            if segment.startswith("{"):
                values[segment[1:-1]] = parts[index]
            elif segment != parts[index]:
                return None
        return values if len(parts) == len(segments) else None


ROUTES: dict[str, tuple[Route, ...]] = {
    # The emulator's own controls: never faulted, no token.
    ADMIN: (
        Route("GET", "/_emulator/faults", AdminAPI.show_faults),
        Route("POST", "/_emulator/faults", AdminAPI.merge_faults),
        Route("DELETE", "/_emulator/faults", AdminAPI.clear_faults),
        Route(ANY, "/_emulator/faults", AdminAPI.faults_method_not_allowed),
        Route("POST", "/_emulator/reset", AdminAPI.reset),
        Route(ANY, "/_emulator/reset", AdminAPI.reset_method_not_allowed),
        Route(ANY, "/_emulator/...", AdminAPI.not_found),
    ),
    # Rackspace / Keystone v2.0 and Keystone v3 tokens.
    IDENTITY: (
        Route("POST", "/v2.0/tokens", IdentityAPI.tokens_v2),
        Route(ANY, "/v2.0/tokens", IdentityAPI.method_not_allowed),
        Route("POST", "/v3/auth/tokens", IdentityAPI.tokens_v3),
        Route(ANY, "/v3/auth/tokens", IdentityAPI.method_not_allowed),
    ),
    # Glance v2, only in the profiles that serve it (rackspace's /v2/... is its compute prefix).
    GLANCE: (
        Route("GET", "/v2/images", GlanceAPI.list_images),
        Route(ANY, "/v2/images", GlanceAPI.method_not_allowed),
        Route("GET", "/v2/images/{image_id}", GlanceAPI.get_image),
        Route("PATCH", "/v2/images/{image_id}", GlanceAPI.update_image),
        Route("DELETE", "/v2/images/{image_id}", GlanceAPI.delete_image),
        Route(ANY, "/v2/images/{image_id}", GlanceAPI.method_not_allowed),
        Route("GET", "/v2/images/{image_id}/members", GlanceAPI.list_members),
        Route("POST", "/v2/images/{image_id}/members", GlanceAPI.add_member),
        Route(ANY, "/v2/images/{image_id}/members", GlanceAPI.method_not_allowed),
        Route("GET", "/v2/images/{image_id}/members/{member_id}", GlanceAPI.get_member),
        Route("PUT", "/v2/images/{image_id}/members/{member_id}", GlanceAPI.update_member),
        Route("DELETE", "/v2/images/{image_id}/members/{member_id}", GlanceAPI.delete_member),
        Route(ANY, "/v2/images/{image_id}/members/{member_id}", GlanceAPI.method_not_allowed),
        Route("PUT", "/v2/images/{image_id}/tags/{tag}", GlanceAPI.add_tag),
        Route("DELETE", "/v2/images/{image_id}/tags/{tag}", GlanceAPI.remove_tag),
        Route(ANY, "/v2/images/{image_id}/tags/{tag}", GlanceAPI.method_not_allowed),
        Route("POST", "/v2/images/{image_id}/actions/deactivate", GlanceAPI.deactivate),
        Route("POST", "/v2/images/{image_id}/actions/reactivate", GlanceAPI.reactivate),
        Route(ANY, "/v2/images/{image_id}/actions/{action}", GlanceAPI.method_not_allowed),
        Route(ANY, "/v2/images/...", GlanceAPI.not_found),
    ),
    # Nova / Rackspace Cloud Servers: images (the proxy) and servers.
    COMPUTE: (
        Route("GET", "{c}/images", ComputeAPI.list_images),
        Route(ANY, "{c}/images", ComputeAPI.method_not_allowed),
        Route("GET", "{c}/images/detail", ComputeAPI.list_images_in_detail),
        Route(ANY, "{c}/images/detail", ComputeAPI.method_not_allowed),
        Route("GET", "{c}/images/{image_id}", ComputeAPI.get_image),
        Route("DELETE", "{c}/images/{image_id}", ComputeAPI.delete_image),
        Route(ANY, "{c}/images/{image_id}", ComputeAPI.method_not_allowed),
        Route("GET", "{c}/images/{image_id}/metadata", ComputeAPI.get_metadata),
        Route("PUT", "{c}/images/{image_id}/metadata", ComputeAPI.replace_metadata),
        Route("POST", "{c}/images/{image_id}/metadata", ComputeAPI.merge_metadata),
        Route(ANY, "{c}/images/{image_id}/metadata", ComputeAPI.method_not_allowed),
        Route("GET", "{c}/images/{image_id}/metadata/{key}", ComputeAPI.get_metadata_item),
        Route("PUT", "{c}/images/{image_id}/metadata/{key}", ComputeAPI.set_metadata_item),
        Route("DELETE", "{c}/images/{image_id}/metadata/{key}", ComputeAPI.delete_metadata_item),
        Route(ANY, "{c}/images/{image_id}/metadata/{key}", ComputeAPI.method_not_allowed),
        Route("GET", "{c}/servers", ComputeAPI.list_servers),
        Route("GET", "{c}/servers/detail", ComputeAPI.list_servers_in_detail),
        Route("GET", "{c}/servers/{server_id}", ComputeAPI.get_server),
        Route("POST", "{c}/servers/{server_id}/action", ComputeAPI.server_action),
        Route(ANY, "{c}/...", ComputeAPI.not_found),
    ),
}


@dataclass(frozen=True)
class Found:
    """The row that answers a request, the API it belongs to, and the values of its ``{names}``."""

    api: str
    route: Route
    values: dict[str, str]


def find_route(request: Request, profile: CloudProfile) -> Found | None:
    """The first row that matches ``request`` in ``profile``'s cloud, or None."""
    compute_root = profile.compute_root(request.parts)
    for api, routes in ROUTES.items():
        if api == GLANCE and not profile.serves_glance:
            continue
        for route in routes:
            if route.method not in (ANY, request.method):
                continue
            values = route.match(request.parts, compute_root)
            if values is not None:
                return Found(api, route, values)
    return None
