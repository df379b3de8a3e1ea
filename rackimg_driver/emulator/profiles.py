"""The clouds the emulator can play (its profiles), and where they differ.

A profile is the emulator's side of a dialect: what the local cloud does when asked to play
``rackspace``, ``openstack`` or ``glance``. It is named apart from the driver's dialects
(``rackimg_driver.types.Dialect``, the classes of ``rackimg_driver.dialects``) on purpose: the
emulator never imports the driver, and its profiles are written from the services'
documentation and observed behaviour, not from what the driver expects.

``rackspace``: Rackspace Cloud Servers v2 under ``/v2/{tenant}``; filters mean what the
Rackspace documentation says. ``openstack``: upstream Nova under ``/v2.1[/{project}]``, with
the quirks of its images proxy reproduced on purpose (status compared with the Glance status,
``type`` case-sensitive against ``image_type``, ``minDisk``/``minRam`` exact) and with compute
microversions (the proxy is gone from 2.36 on), plus Glance v2 (``/v2/images``) at the
catalog's ``image`` endpoint. ``glance``: the same cloud, for clients of the Image service
(only the name, and so the driver arguments it suggests, differ).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .records import ImageRecord
from .views import nova_status

RACKSPACE_REGIONS = ("DFW", "ORD", "IAD", "LON", "SYD", "HKG")

# Nova's microversions as documented. The driver keeps its own limit of the images proxy; like
# every table here, these are the test oracle, written apart from the driver's on purpose.
MIN_MICROVERSION = (2, 1)
MAX_MICROVERSION = (2, 96)
LAST_IMAGES_MICROVERSION = (2, 35)


class MicroversionError(ValueError):
    """A microversion header that cannot be served (``status`` is 400 or 406)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ComputeRoot:
    """Where a compute path starts: the prefix the request came in on (``/v2/123456``,
    ``/v2.1/{project}`` or ``/v2.1``), the tenant named in it (None when the URL names none),
    and the segments after it."""

    prefix: str
    url_tenant: str | None
    rest: tuple[str, ...]


class CloudProfile:
    """What a profile decides. Subclasses fill it in."""

    name = ""
    version_segment = ""
    region_names: tuple[str, ...] = ()
    project_optional = False
    #: Answer as upstream Nova was observed to (image views, Glance's marker errors).
    upstream_nova = False
    #: Serve Glance v2 (``/v2/images``) at the root, the catalog's ``image`` endpoint.
    serves_glance = True
    #: The tenant of an identity v2.0 token is named by its id (Rackspace), not by its name.
    tenant_name_is_id = False

    def compute_url(self, root: str, tenant: str) -> str:
        return f"{root}/{self.version_segment}/{tenant}"

    def image_url(self, root: str) -> str:
        """The catalog's ``image`` endpoint (Glance v2's images are ``/v2/images`` under the root)."""
        return root

    def compute_root(self, parts: tuple[str, ...]) -> ComputeRoot | None:
        """Split a path (its segments) at the end of the compute prefix; None when it has none."""
        if not parts or parts[0] != self.version_segment:
            return None
        if self.project_optional and (len(parts) == 1 or parts[1] in ("images", "servers")):
            return ComputeRoot(f"/{parts[0]}", None, parts[1:])
        if len(parts) < 2:
            return None
        return ComputeRoot(f"/{parts[0]}/{parts[1]}", parts[1], parts[2:])

    def catalog(self, root: str, tenant: str) -> list[dict[str, Any]]:
        """Services as ``{"type", "name", "regions": [...], "url"}``; identity renders v2 or v3 forms."""
        raise NotImplementedError

    def status_matches(self, record: ImageRecord, wanted: str) -> bool:
        raise NotImplementedError

    def type_matches(self, record: ImageRecord, wanted: str) -> bool:
        raise NotImplementedError

    def minimum_matches(self, actual: int, wanted: int) -> bool:
        raise NotImplementedError

    def microversion(self, headers: Mapping[str, str]) -> tuple[int, int] | None:
        """The requested compute microversion; None when the profile has none."""
        return None


class RackspaceProfile(CloudProfile):
    """Rackspace Cloud Servers: filters as documented."""

    name = "rackspace"
    version_segment = "v2"
    region_names = RACKSPACE_REGIONS
    tenant_name_is_id = True

    def catalog(self, root: str, tenant: str) -> list[dict[str, Any]]:
        return [
            {
                "type": "compute",
                "name": "cloudServersOpenStack",
                "regions": list(self.region_names),
                "url": self.compute_url(root, tenant),
                "version": "2",
            },
            # Cloud Images: Glance v2 at /v2 (its images are /v2/images, see glance_api.py).
            {"type": "image", "name": "cloudImages", "regions": list(self.region_names), "url": self.image_url(root)},
            {
                "type": "object-store",
                "name": "cloudFiles",
                "regions": list(self.region_names),
                "url": f"{root}/v1/MossoCloudFS_{tenant}",
                "version": "1",
            },
        ]

    def image_url(self, root: str) -> str:
        return f"{root}/v2"

    def status_matches(self, record: ImageRecord, wanted: str) -> bool:
        return nova_status(record)[0] == wanted.upper()

    def type_matches(self, record: ImageRecord, wanted: str) -> bool:
        image_type = record.properties.get("image_type")
        if image_type is None:  # older snapshots carry only the server they came from
            snapshot = bool(record.properties.get("instance_uuid"))
        else:
            snapshot = image_type in ("snapshot", "backup")
        return ("SNAPSHOT" if snapshot else "BASE") == wanted.upper()

    def minimum_matches(self, actual: int, wanted: int) -> bool:
        return actual >= wanted


class OpenStackProfile(CloudProfile):
    """Upstream Nova's images proxy, quirks included."""

    name = "openstack"
    version_segment = "v2.1"
    region_names = ("RegionOne",)
    project_optional = True
    upstream_nova = True

    def catalog(self, root: str, tenant: str) -> list[dict[str, Any]]:
        return [
            {
                "type": "compute",
                "name": "nova",
                "regions": list(self.region_names),
                "url": self.compute_url(root, tenant),
                "version": "2.1",
            },
            # Glance v2: /v2/images under this root (see glance_api.py).
            {"type": "image", "name": "glance", "regions": list(self.region_names), "url": self.image_url(root)},
            {"type": "identity", "name": "keystone", "regions": list(self.region_names),
             "url": f"{root}/v3"},
        ]  # fmt: skip

    def status_matches(self, record: ImageRecord, wanted: str) -> bool:
        # Nova lowercases the filter and hands it to Glance, which compares its own status.
        return record.status == wanted.lower()

    def type_matches(self, record: ImageRecord, wanted: str) -> bool:
        # Nova passes it on as the property image_type, compared as is.
        return record.properties.get("image_type") == wanted

    def minimum_matches(self, actual: int, wanted: int) -> bool:
        return actual == wanted

    def microversion(self, headers: Mapping[str, str]) -> tuple[int, int] | None:
        value: str | None = None
        modern = headers.get("openstack-api-version")
        if modern:
            for part in modern.split(","):
                service, _, requested = part.strip().partition(" ")
                if service.lower() == "compute":
                    value = requested.strip()
        if value is None:
            value = headers.get("x-openstack-nova-api-version")
        if not value:
            return MIN_MICROVERSION
        if value.lower() == "latest":
            return MAX_MICROVERSION
        major, _, minor = value.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            raise MicroversionError(400, f"Invalid format for API version: {value}")
        version = (int(major), int(minor))
        if not MIN_MICROVERSION <= version <= MAX_MICROVERSION:
            raise MicroversionError(
                406,
                f"Version {value} is not supported by the API. Minimum is 2.1 and maximum is 2.96.",
            )
        return version


class GlanceProfile(OpenStackProfile):
    """The OpenStack cloud seen by a client of Glance v2: the same identity, catalog, Nova and
    Glance; only the name differs (and with it :attr:`LocalCloud.driver_kwargs`)."""

    name = "glance"


PROFILES: dict[str, CloudProfile] = {p.name: p for p in (RackspaceProfile(), OpenStackProfile(), GlanceProfile())}


def get_profile(dialect: str | CloudProfile) -> CloudProfile:
    """The profile that plays the dialect of that name (or the profile itself); ValueError for an
    unknown name."""
    if isinstance(dialect, CloudProfile):
        return dialect
    try:
        return PROFILES[dialect]
    except KeyError:
        raise ValueError(f"unknown dialect {dialect!r}; choose from {sorted(PROFILES)}") from None
