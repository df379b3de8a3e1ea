"""API JSON -> :class:`NodeImage`, with typed values in ``extra``.

Whatever JSON the server sends, these functions return images or raise
:class:`InvalidResponseError`; never a KeyError, TypeError, ValueError, OverflowError,
RecursionError or UnicodeError. What fails the page, and what maps to None:

- A page fails when it is not an object with an ``images`` list, when an item is not an
  object, when an image has no usable id, when a name is neither a string nor null, and
  when a next link is not a non-empty string without lone surrogates. A usable id is a
  non-empty string or an integer of 64 bits, without lone surrogates (JSON allows
  ``"\\ud800"``, but such an id cannot be sent back in a URL: the image could be neither
  fetched nor deleted, and the next page not asked for).
- A field of the wrong type or out of range is None (one odd field does not cost the whole
  listing). ``minDisk``, ``minRam`` and ``size`` are whole numbers from 0 to 2**63 - 1 (a
  signed 64-bit column, the widest Nova and Glance use), ``progress`` from 0 to 100, each
  given as an int, a float with no fraction or a string of ASCII digits. Negative,
  fractional, ``1e999`` (inf), ``NaN`` or a number of 5000 digits is None, so the value
  does not depend on which JSON parser read it (orjson reads integers past 64 bits as
  floats). A Glance ``size`` of null is 0, as Nova shows an image without data. A
  ``serverId`` that is empty, of another type or with lone surrogates is None.
- Other strings are kept as the server sent them, lone surrogates included; ``metadata``
  and ``links`` are kept as the parser made them, at any depth and with items of any
  type: the mapping never walks into them, so their depth costs nothing here.
- An error's message excerpts the body in at most 200 characters, lone surrogates
  escaped; a body nested too deep or holding a number too long to render says so instead.

Private module: not part of the public API (see docs/reference.rst).
"""

from __future__ import annotations

from typing import Any, cast

from libcloud.compute.base import NodeDriver, NodeImage

from rackimg_driver._listed_image import ListedImage
from rackimg_driver.errors import InvalidResponseError
from rackimg_driver.types import (
    STATES,
    TYPE_WORDS,
    state_from_glance,
    state_from_status,
    type_from_image,
)

__all__ = [
    "EXTRA_KEYS",
    "brief_image",
    "glance_extra",
    "glance_image_from_api",
    "glance_images_from_page",
    "image_from_api",
    "images_from_page",
    "nova_extra",
    "trim_to_brief",
]

#: Every key of ``NodeImage.extra``, in every dialect (None where a dialect has no value):
#: libcloud's OpenStack 1.1 keys, then ours.
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
    "glance_status",
    "owner",
    "protected",
    "tags",
    "checksum",
    "disk_format",
    "container_format",
    "member_status",
)

#: The keys Nova's image view has no value for (its view has no owner, protection, tags,
#: checksum or formats, and never a member's status).
_NOT_FROM_NOVA = dict.fromkeys(
    ("glance_status", "owner", "protected", "tags", "checksum", "disk_format", "container_format", "member_status")
)

_EMPTY_EXTRA = dict.fromkeys(EXTRA_KEYS)

#: The largest count kept (minDisk, minRam, size): a signed 64-bit database column's.
_MAX_COUNT = 2**63 - 1
_MIN_INT_ID = -(2**63)


def _count(value: Any, maximum: int = _MAX_COUNT) -> int | None:
    """A whole number from 0 to ``maximum``, else None.

    From an int, a float with no fraction, or a string of ASCII digits (some servers send
    sizes as strings); bools, signs, ``_`` and other scripts' digits are not numbers here.
    """
    kind = type(value)
    if kind is int:
        return value if 0 <= value <= maximum else None
    if kind is float:
        return int(value) if value.is_integer() and 0 <= value <= maximum else None
    if kind is str:
        digits = value.strip()
        # int() refuses more than 4300 digits with a ValueError; no count needs 20.
        if digits.isascii() and digits.isdigit() and len(digits.lstrip("0")) <= 19:
            number = int(digits)
            return number if number <= maximum else None
    return None


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _sendable(text: str) -> bool:
    """False for a string with lone surrogates: it has no UTF-8 form, so it cannot go in a URL."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _as_id(value: Any) -> str | None:
    """A non-empty string that can be sent back to the server, else None."""
    return value if type(value) is str and value and _sendable(value) else None


def _shown(text: str) -> str:
    """An id as an error message shows it: quoted, escaped, at most 40 characters."""
    return repr(text[:40]) + ("..." if len(text) > 40 else "")


def _identity(data: Any, status: int | None) -> tuple[str, str | None]:
    if type(data) is not dict:
        raise InvalidResponseError("an image is not a JSON object", status, data)
    image_id = data.get("id")
    if type(image_id) is int and _MIN_INT_ID <= image_id <= _MAX_COUNT:
        image_id = str(image_id)
    if type(image_id) is not str or not image_id:
        raise InvalidResponseError("an image has no id (a string or a 64-bit integer)", status, data)
    if not _sendable(image_id):
        raise InvalidResponseError(f"image {_shown(image_id)} has an id with lone surrogates", status, data)
    name = data.get("name")
    if name is not None and type(name) is not str:
        raise InvalidResponseError(f"image {_shown(image_id)} has a name that is not a string", status, data)
    return image_id, name


def _metadata_text(metadata: dict[str, Any], key: str) -> str | None:
    return _as_str(metadata.get(key)) or _as_str(metadata.get(f"org.openstack__1__{key}"))


def image_from_api(data: Any, driver: NodeDriver, status: int | None = None) -> NodeImage:
    """A NodeImage of a detailed image object: its id and name checked now, ``extra`` built
    from ``data`` when first read (:func:`nova_extra`; see :mod:`._listed_image`).

    The hot path of every listing: a usable id and name are taken as they are, after one
    type test each; anything else goes through the full check, which raises.
    """
    if type(data) is not dict:
        _identity(data, status)  # raises
    get = data.get
    image_id = get("id")
    name = get("name")
    if (
        type(image_id) is not str
        or not image_id
        or not image_id.isascii()
        or (name is not None and type(name) is not str)
    ):
        image_id, name = _identity(data, status)
    return _NovaImage(image_id, name, driver, data)


def nova_extra(data: dict[str, Any]) -> dict[str, Any]:
    """``NodeImage.extra`` of a Nova image object, with a value of the expected type taken as
    it is (one type test each) and any other through the converters; never raises."""
    get = data.get
    metadata = get("metadata")
    if type(metadata) is not dict:
        metadata = {}  # (a dict fresh from the JSON parser is nobody else's: kept as it is)
    server = get("server")
    server_id = server.get("id") if type(server) is dict else None
    if type(server_id) is not str or not server_id or not (server_id.isascii() or _sendable(server_id)):
        server_id = None
    # Inline type tests, not helper calls: this runs once per image that is read.
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
        "progress": v if type(v := get("progress")) is int_ and 0 <= v <= 100 else _count(v, 100),
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
        "minDisk": v if type(v := get("minDisk")) is int_ and 0 <= v <= _MAX_COUNT else _count(v),
        "minRam": v if type(v := get("minRam")) is int_ and 0 <= v <= _MAX_COUNT else _count(v),
        "state": state,
        "image_type": image_type,
        "size": v if type(v := get("OS-EXT-IMG-SIZE:size")) is int_ and 0 <= v <= _MAX_COUNT else _count(v),
        "disk_config": v if type(v := get("OS-DCF:diskConfig")) is str_ else None,
        "links": v if type(v := get("links")) is list else [],
    }
    # What Nova does not show, in one update: more entries in the display above have CPython
    # 3.11 build the dict in two parts and merge them, about 4% of this function.
    extra.update(_NOT_FROM_NOVA)
    return extra


class _NovaImage(ListedImage):
    extra_from = staticmethod(nova_extra)


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
    extra["links"] = links if type(links) is list else []
    return NodeImage(id=image_id, name=cast(str, name), driver=driver, extra=extra)


def trim_to_brief(image: NodeImage) -> NodeImage:
    """What a brief listing shows of a detailed image."""
    extra = dict(_EMPTY_EXTRA)
    extra["links"] = image.extra.get("links", [])
    return NodeImage(id=image.id, name=image.name, driver=image.driver, extra=extra)


def _is_link(href: Any) -> bool:
    return type(href) is str and bool(href) and _sendable(href)


def images_from_page(body: Any, status: int | None) -> tuple[list[Any], str | None]:
    """Split a listing page into its image objects and its ``next`` link (or None)."""
    if type(body) is not dict or type(images := body.get("images")) is not list:
        raise InvalidResponseError("a listing has no 'images' list", status, body)
    next_href = None
    links = body.get("images_links")
    if type(links) is list:
        for link in links:
            if type(link) is dict and link.get("rel") == "next":
                href = link.get("href")
                if not _is_link(href):
                    raise InvalidResponseError("a 'next' link has no href", status, {"images_links": links})
                next_href = href
    elif links is not None:
        raise InvalidResponseError("'images_links' is not a list", status, {"images_links": links})
    return images, next_href


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
    """A NodeImage of a Glance v2 image: its id and name checked now, ``extra`` built from
    ``data`` when first read (:func:`glance_extra`)."""
    image_id, name = _identity(data, status)
    return _GlanceImage(image_id, name, driver, data)


def glance_extra(data: dict[str, Any]) -> dict[str, Any]:
    """``NodeImage.extra`` of a Glance v2 image, with the same keys as from Nova; never raises.

    ``status``, ``state`` and ``progress`` are what Nova would show (the Glance status
    itself stays in ``glance_status``); ``metadata`` holds the custom properties.
    """
    properties = {
        key: value for key, value in data.items() if key not in _GLANCE_CORE and not key.startswith("os_glance")
    }
    server_id = _as_id(properties.get("instance_uuid"))
    state, progress = state_from_glance(data.get("status"))
    auto_disk = properties.get("auto_disk_config")
    self_link = data.get("self")
    size = data.get("size")
    return {
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
        "minDisk": _count(data.get("min_disk")),
        "minRam": _count(data.get("min_ram")),
        "state": state,
        "image_type": type_from_image(properties, server_id),
        "size": 0 if size is None else _count(size),  # Nova shows 0 for an image without data
        "disk_config": _disk_config(auto_disk),
        "links": [{"rel": "self", "href": self_link}] if isinstance(self_link, str) else [],
        "glance_status": _as_str(data.get("status")),
        "owner": _as_str(data.get("owner")),
        "protected": v if type(v := data.get("protected")) is bool else None,
        "tags": [tag for tag in v if type(tag) is str] if type(v := data.get("tags")) is list else None,
        "checksum": _as_str(data.get("checksum")),
        "disk_format": _as_str(data.get("disk_format")),
        "container_format": _as_str(data.get("container_format")),
        "member_status": None,  # an image's view never says it; see the member calls
    }


class _GlanceImage(ListedImage):
    extra_from = staticmethod(glance_extra)


def _disk_config(auto_disk: Any) -> str | None:
    if not isinstance(auto_disk, str):
        return None
    return "AUTO" if auto_disk.strip().lower() in _TRUE_WORDS else "MANUAL"


def glance_images_from_page(body: Any, status: int | None) -> tuple[list[Any], str | None]:
    """Split a Glance v2 listing into its images and its ``next`` link (or None)."""
    if type(body) is not dict or type(images := body.get("images")) is not list:
        raise InvalidResponseError("a listing has no 'images' list", status, body)
    next_href = body.get("next")
    if next_href is not None and not _is_link(next_href):
        raise InvalidResponseError("'next' is not a link", status, {"next": next_href})
    return images, next_href
