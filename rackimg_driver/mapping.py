"""API JSON -> :class:`NodeImage`, with typed values in ``extra``.

Bodies of the wrong shape raise :class:`InvalidResponseError`, never a KeyError
or TypeError.

Private module: not part of the public API (see docs/reference.rst).
"""

from __future__ import annotations

from typing import Any, cast

from libcloud.compute.base import NodeDriver, NodeImage

from rackimg_driver.errors import InvalidResponseError
from rackimg_driver.types import (
    STATES,
    TYPE_WORDS,
    state_from_glance,
    state_from_status,
    type_from_image,
)

__all__ = ["EXTRA_KEYS", "brief_image", "image_from_api", "images_from_page", "trim_to_brief"]

#: Every key of ``NodeImage.extra``: libcloud's OpenStack 1.1 keys, then ours.
EXTRA_KEYS = (
    "visibility",
    "updated",
    "created",
    "status",
    "progress",
    "metadata",
    "os_type",
    "os_distro",
    "os_version",
    "serverId",
    "minDisk",
    "minRam",
    "state",
    "image_type",
    "size",
    "disk_config",
    "links",
)

_EMPTY_EXTRA = dict.fromkeys(EXTRA_KEYS)


def _as_int(value: Any) -> int | None:
    """An int from an int or a numeric string (some servers send sizes as strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _identity(data: Any, status: int | None) -> tuple[str, str | None]:
    if not isinstance(data, dict):
        raise InvalidResponseError("an image is not a JSON object", status, data)
    image_id = data.get("id")
    if isinstance(image_id, int) and not isinstance(image_id, bool):
        image_id = str(image_id)
    if not isinstance(image_id, str) or not image_id:
        raise InvalidResponseError("an image has no id", status, data)
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidResponseError(f"image {image_id} has a name that is not a string", status, data)
    return image_id, name


def _metadata_text(metadata: dict[str, Any], key: str) -> str | None:
    return _as_str(metadata.get(key)) or _as_str(metadata.get(f"org.openstack__1__{key}"))


def image_from_api(data: Any, driver: NodeDriver, status: int | None = None) -> NodeImage:
    """Build a NodeImage from a detailed image object.

    The hot path of every listing: values of the expected type are taken as they are,
    with a type test each; only a value of another type goes through the converters.
    """
    if type(data) is not dict:
        _identity(data, status)  # raises
    get = data.get
    image_id = get("id")
    name = get("name")
    if type(image_id) is not str or not image_id or (name is not None and type(name) is not str):
        image_id, name = _identity(data, status)
    metadata = get("metadata")
    if type(metadata) is not dict:
        metadata = {}  # (a dict fresh from the JSON parser is nobody else's: kept as it is)
    server = get("server")
    server_id = server.get("id") if type(server) is dict else None
    if type(server_id) is not str:
        server_id = None
    # Inline type tests, not helper calls: this runs once per image of every listing.
    str_, int_ = str, int
    api_status = get("status")
    if type(api_status) is str_:
        state = STATES.get(api_status) or state_from_status(api_status)
    else:
        state = state_from_status(api_status)
        api_status = None
    mget = metadata.get
    word = mget("image_type")
    image_type = TYPE_WORDS.get(word) if type(word) is str_ else None
    if image_type is None:  # another case, an unknown word or none: the general rule
        image_type = type_from_image(metadata, server_id)
    extra = {
        "visibility": v if type(v := get("visibility")) is str_ else None,
        "updated": v if type(v := get("updated")) is str_ else None,
        "created": v if type(v := get("created")) is str_ else None,
        "status": api_status,
        "progress": v if type(v := get("progress")) is int_ else _as_int(v),
        "metadata": metadata,
        # The image's own field, else metadata's, else metadata's org.openstack__1__ one.
        "os_type": v
        if (type(v := get("os_type")) is str_ and v) or (type(v := mget("os_type")) is str_ and v)
        else _metadata_os(mget, _ORG_OS_TYPE),
        "os_distro": v
        if (type(v := get("os_distro")) is str_ and v) or (type(v := mget("os_distro")) is str_ and v)
        else _metadata_os(mget, _ORG_OS_DISTRO),
        "os_version": v
        if (type(v := get("os_version")) is str_ and v) or (type(v := mget("os_version")) is str_ and v)
        else _metadata_os(mget, _ORG_OS_VERSION),
        "serverId": server_id,
        "minDisk": v if type(v := get("minDisk")) is int_ else _as_int(v),
        "minRam": v if type(v := get("minRam")) is int_ else _as_int(v),
        "state": state,
        "image_type": image_type,
        "size": v if type(v := get("OS-EXT-IMG-SIZE:size")) is int_ else _as_int(v),
        "disk_config": v if type(v := get("OS-DCF:diskConfig")) is str_ else None,
        "links": v if type(v := get("links")) is list else [],
    }
    # Glance allows an image without a name; libcloud's annotation says str.
    return NodeImage(image_id, cast(str, name), driver, extra)


_ORG_OS_TYPE = "org.openstack__1__os_type"
_ORG_OS_DISTRO = "org.openstack__1__os_distro"
_ORG_OS_VERSION = "org.openstack__1__os_version"


def _metadata_os(mget: Any, org_key: str) -> str | None:
    value = mget(org_key)
    return value if type(value) is str and value else None


def brief_image(data: Any, driver: NodeDriver, status: int | None = None) -> NodeImage:
    """Build a NodeImage from a brief listing item: id and name only."""
    image_id, name = _identity(data, status)
    extra = dict(_EMPTY_EXTRA)
    links = data.get("links")
    extra["links"] = links if isinstance(links, list) else []
    return NodeImage(id=image_id, name=cast(str, name), driver=driver, extra=extra)


def trim_to_brief(image: NodeImage) -> NodeImage:
    """What a brief listing shows of a detailed image."""
    extra = dict(_EMPTY_EXTRA)
    extra["links"] = image.extra.get("links", [])
    return NodeImage(id=image.id, name=image.name, driver=image.driver, extra=extra)


def images_from_page(body: Any, status: int | None) -> tuple[list[Any], str | None]:
    """Split a listing page into its image objects and its ``next`` link (or None)."""
    if not isinstance(body, dict) or not isinstance(body.get("images"), list):
        raise InvalidResponseError("a listing has no 'images' list", status, body)
    next_href = None
    links = body.get("images_links")
    if isinstance(links, list):
        for link in links:
            if isinstance(link, dict) and link.get("rel") == "next":
                href = link.get("href")
                if not isinstance(href, str) or not href:
                    raise InvalidResponseError("a 'next' link has no href", status, body)
                next_href = href
    elif links is not None:
        raise InvalidResponseError("'images_links' is not a list", status, body)
    return body["images"], next_href


# Glance v2's own image fields; every other top-level key is a custom property.
_GLANCE_CORE = frozenset(
    {
        "id", "name", "status", "visibility", "protected", "size", "virtual_size", "min_disk",
        "min_ram", "created_at", "updated_at", "tags", "file", "self", "schema", "owner",
        "disk_format", "container_format", "checksum", "os_hash_algo", "os_hash_value",
        "os_hidden", "direct_url", "locations", "stores",
    }
)  # fmt: skip

# Nova's OS-DCF:diskConfig from the auto_disk_config property: oslo's true words are AUTO,
# any other word MANUAL, no property no key.
_TRUE_WORDS = frozenset({"1", "t", "true", "on", "y", "yes"})


def glance_image_from_api(data: Any, driver: NodeDriver, status: int | None = None) -> NodeImage:
    """Build a NodeImage from a Glance v2 image, with the same ``extra`` as from Nova.

    ``status``, ``state`` and ``progress`` are what Nova would show (the Glance status
    itself stays in ``glance_status``); ``metadata`` holds the custom properties.
    """
    image_id, name = _identity(data, status)
    properties = {
        key: value for key, value in data.items() if key not in _GLANCE_CORE and not key.startswith("os_glance")
    }
    server_id = _as_str(properties.get("instance_uuid")) or None
    state, progress = state_from_glance(data.get("status"))
    auto_disk = properties.get("auto_disk_config")
    self_link = data.get("self")
    extra = {
        "visibility": _as_str(data.get("visibility")),
        "updated": _as_str(data.get("updated_at")),
        "created": _as_str(data.get("created_at")),
        "status": state.value,
        "progress": progress,
        "metadata": properties,
        "os_type": _metadata_text(properties, "os_type"),
        "os_distro": _metadata_text(properties, "os_distro"),
        "os_version": _metadata_text(properties, "os_version"),
        "serverId": server_id,
        "minDisk": _as_int(data.get("min_disk")),
        "minRam": _as_int(data.get("min_ram")),
        "state": state,
        "image_type": type_from_image(properties, server_id),
        "size": _as_int(data.get("size")) or 0,  # Nova shows 0 for an image without data
        "disk_config": _disk_config(auto_disk),
        "links": [{"rel": "self", "href": self_link}] if isinstance(self_link, str) else [],
        "glance_status": _as_str(data.get("status")),
    }
    # Glance allows an image without a name; libcloud's annotation says str.
    return NodeImage(id=image_id, name=cast(str, name), driver=driver, extra=extra)


def _disk_config(auto_disk: Any) -> str | None:
    if not isinstance(auto_disk, str):
        return None
    return "AUTO" if auto_disk.strip().lower() in _TRUE_WORDS else "MANUAL"


def glance_images_from_page(body: Any, status: int | None) -> tuple[list[Any], str | None]:
    """Split a Glance v2 listing into its images and its ``next`` link (or None)."""
    if not isinstance(body, dict) or not isinstance(body.get("images"), list):
        raise InvalidResponseError("a listing has no 'images' list", status, body)
    next_href = body.get("next")
    if next_href is not None and (not isinstance(next_href, str) or not next_href):
        raise InvalidResponseError("'next' is not a link", status, body)
    return body["images"], next_href
