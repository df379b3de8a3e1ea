"""Store records -> the JSON Nova (and Rackspace) answer with, and Glance v2's image objects.

Pure functions: no HTTP, no sqlite. ``Links`` carries what the URLs of one request need.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .records import UTC, ImageRecord, MemberRecord, ServerRecord

# How Nova turns a Glance status into its own status and progress
# (nova/api/openstack/compute/views/images.py).
# The test oracle: the driver has the same table (GLANCE_STATUSES in rackimg_driver.types), and
# this copy is written apart from it, from Nova's source, on purpose. Do not import the driver's:
# the emulator never imports the driver, and a mistake made once in both would pass every test.
_NOVA_STATUS: dict[str, tuple[str, int]] = {
    "active": ("ACTIVE", 100),
    "queued": ("SAVING", 25),
    "saving": ("SAVING", 50),
    "deleted": ("DELETED", 0),
    "pending_delete": ("DELETED", 0),
    "killed": ("ERROR", 0),
}


def nova_status(record: ImageRecord) -> tuple[str, int]:
    """The Nova status and progress of an image; anything unknown is UNKNOWN/0."""
    status, progress = _NOVA_STATUS.get(record.status, ("UNKNOWN", 0))
    if record.progress is not None:
        progress = record.progress
    return status, progress


# oslo_utils.strutils.bool_from_string: what Nova reads as true in ``auto_disk_config``.
# Like the status table, a test oracle kept apart from the driver's copy (in mapping.py) on purpose.
_TRUE_WORDS = ("1", "t", "true", "on", "y", "yes")


def nova_disk_config(properties: dict[str, str | None]) -> str | None:
    """``OS-DCF:diskConfig`` as upstream Nova derives it from ``auto_disk_config``: AUTO when the
    property reads as true, MANUAL for any other value (``False``, ``disabled``...), None when absent."""
    value = properties.get("auto_disk_config")
    if value is None:
        return None
    return "AUTO" if value.strip().lower() in _TRUE_WORDS else "MANUAL"


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a trailing Z and whole seconds, as Nova prints times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Links:
    """What the URLs of one answer are made of.

    :param root: scheme, host and port, e.g. ``http://127.0.0.1:8080``.
    :param prefix: the compute path the request came in on, e.g. ``/v2/123456`` or ``/v2.1``.
    """

    root: str
    prefix: str

    @property
    def bookmark_prefix(self) -> str:
        """The prefix without its version segment (``/v2/123456`` -> ``/123456``)."""
        parts = self.prefix.strip("/").split("/")
        return "/" + "/".join(parts[1:]) if len(parts) > 1 else ""

    def resource(self, collection: str, resource_id: str) -> list[dict[str, str]]:
        path = f"{collection}/{resource_id}"
        return [
            {"rel": "self", "href": f"{self.root}{self.prefix}/{path}"},
            {"rel": "bookmark", "href": f"{self.root}{self.bookmark_prefix}/{path}"},
        ]

    def image(self, image_id: str) -> list[dict[str, str]]:
        return [
            *self.resource("images", image_id),
            {
                "rel": "alternate",
                "type": "application/vnd.openstack.image",
                "href": f"{self.root}/images/{image_id}",
            },
        ]


def image_summary(record: ImageRecord, links: Links) -> dict[str, Any]:
    """An item of ``GET /images``."""
    return {"id": record.id, "name": record.name, "links": links.image(record.id)}


def image_detail(record: ImageRecord, links: Links, upstream_nova: bool = False) -> dict[str, Any]:
    """An item of ``GET /images/detail``, or the body of ``GET /images/{id}`` under ``image``.

    ``upstream_nova`` renders two fields as upstream Nova does (observed on Nova 34): the size
    of an image without data is ``0``, not null, and ``OS-DCF:diskConfig`` follows the
    ``auto_disk_config`` property, not the image's own disk config.
    """
    status, progress = nova_status(record)
    size = record.size
    disk_config = record.disk_config
    if upstream_nova:
        size = size or 0
        disk_config = nova_disk_config(record.properties)
    body: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "status": status,
        "progress": progress,
        "created": iso_z(record.created),
        "updated": iso_z(record.updated),
        "minDisk": record.min_disk,
        "minRam": record.min_ram,
        "OS-EXT-IMG-SIZE:size": size,
        "metadata": dict(record.properties),
        "links": links.image(record.id),
    }
    if disk_config is not None:
        body["OS-DCF:diskConfig"] = disk_config
    server_id = record.properties.get("instance_uuid")
    if server_id:
        body["server"] = {"id": server_id, "links": links.resource("servers", server_id)}
    return body


def glance_image(record: ImageRecord) -> dict[str, Any]:
    """An image as Glance v2 shows it (an item of ``GET /v2/images``, or ``GET /v2/images/{id}``).

    Custom properties first and at the top level, then the core fields, in the order real
    Glance 33 sends them. Times are whole seconds with ``Z``; an image without data has
    ``size``, ``virtual_size`` and the checksums null. The checksums of an image with data are
    made up from its id (the store keeps no data).
    """
    has_data = record.size is not None
    body: dict[str, Any] = dict(record.properties)
    body.update(
        name=record.name,
        disk_format="raw",
        container_format="bare",
        visibility=record.visibility,
        size=record.size,
        virtual_size=record.size,
        status=record.status,
        checksum=hashlib.md5(record.id.encode()).hexdigest() if has_data else None,
        protected=record.protected,
        min_ram=record.min_ram,
        min_disk=record.min_disk,
        owner=record.owner,
        os_hidden=False,
        os_hash_algo="sha512" if has_data else None,
        os_hash_value=hashlib.sha512(record.id.encode()).hexdigest() if has_data else None,
        id=record.id,
        created_at=iso_z(record.created),
        updated_at=iso_z(record.updated),
        tags=list(record.tags),
        self=f"/v2/images/{record.id}",
        file=f"/v2/images/{record.id}/file",
        schema="/v2/schemas/image",
    )
    return body


def glance_member(record: MemberRecord) -> dict[str, Any]:
    """An image member as Glance v2 shows it."""
    return {
        "created_at": iso_z(record.created),
        "image_id": record.image_id,
        "member_id": record.member,
        "schema": "/v2/schemas/member",
        "status": record.status,
        "updated_at": iso_z(record.updated),
    }


def server_summary(record: ServerRecord, links: Links) -> dict[str, Any]:
    """An item of ``GET /servers``."""
    return {"id": record.id, "name": record.name, "links": links.resource("servers", record.id)}


def server_detail(record: ServerRecord, links: Links) -> dict[str, Any]:
    """An item of ``GET /servers/detail``, or the body of ``GET /servers/{id}`` under ``server``."""
    image: dict[str, Any] | str = ""
    if record.image_id:
        image = {"id": record.image_id, "links": links.resource("images", record.image_id)[1:]}
    return {
        **server_summary(record, links),
        "status": record.status,
        "tenant_id": record.tenant,
        "created": iso_z(record.created),
        "updated": iso_z(record.created),
        "image": image,
    }
