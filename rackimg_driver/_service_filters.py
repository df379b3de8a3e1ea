"""Private module: the filters only the image service answers (``visibility``, ``owner``,
``tag``, ``protected``, ``member_status``, ``sort``), checked, and sent as Glance v2 takes them.

Nova's images proxy ignores all of them, and never lists a member its pending or rejected
shares nor community images; a listing with any of them is answered by the image service in
every dialect (see :meth:`.driver.RackImgNodeDriver.ex_iterate_images`), so the answer is the
same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MEMBER_STATUSES", "SERVICE_FILTER_KEYS", "SORT_KEYS", "VISIBILITIES", "parse_service_filters", "send"]

SERVICE_FILTER_KEYS = ("visibility", "owner", "tag", "protected", "member_status", "sort")
VISIBILITIES = ("public", "private", "shared", "community")
MEMBER_STATUSES = ("accepted", "pending", "rejected", "all")
#: The driver's field names a listing sorts by, and Glance's names for them.
SORT_KEYS = {
    "created": "created_at",
    "updated": "updated_at",
    "name": "name",
    "size": "size",
    "minDisk": "min_disk",
    "minRam": "min_ram",
    "status": "status",
    "id": "id",
}


def _one_of(key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"ex_filters[{key!r}] must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _tags(value: Any) -> tuple[str, ...]:
    tags: Iterable[Any] = (value,) if isinstance(value, str) else value
    try:
        checked = tuple(tags)
    except TypeError:
        checked = ()
    if not checked or not all(isinstance(tag, str) and tag.strip() for tag in checked):
        raise ValueError(f"ex_filters['tag'] must be a tag or a list of tags (non-empty strings), got {value!r}")
    return tuple(sorted(set(checked)))


def _sort(value: Any) -> tuple[tuple[str, str], ...]:
    example = "such as 'created:desc,name:asc'"
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"ex_filters['sort'] must be a string {example}, got {value!r}")
    order: list[tuple[str, str]] = []
    for part in value.split(","):
        field, _, direction = part.strip().partition(":")
        direction = direction or "desc"
        if field not in SORT_KEYS or direction not in ("asc", "desc"):
            raise ValueError(
                f"ex_filters['sort'] must be fields of {', '.join(SORT_KEYS)}, each with :asc or :desc"
                f" ({example}), got {value!r}"
            )
        if any(field == seen for seen, _ in order):
            raise ValueError(f"ex_filters['sort'] names {field!r} twice: {value!r}")
        order.append((field, direction))
    return tuple(order)


def parse_service_filters(given: Mapping[str, Any]) -> dict[str, Any]:
    """The image service's filters of ``given`` (None values already dropped), checked, as
    :class:`.filters.ImageQuery` fields."""
    fields: dict[str, Any] = {}
    if "visibility" in given:
        fields["visibility"] = _one_of("visibility", given["visibility"], VISIBILITIES)
    if "owner" in given:
        owner = given["owner"]
        if not isinstance(owner, str) or not owner.strip():
            raise ValueError(f"ex_filters['owner'] must be a project id (a non-empty string), got {owner!r}")
        fields["owner"] = owner
    if "tag" in given:
        fields["tags"] = _tags(given["tag"])
    if "protected" in given:
        if not isinstance(given["protected"], bool):
            raise ValueError(f"ex_filters['protected'] must be True or False, got {given['protected']!r}")
        fields["protected"] = given["protected"]
    if "member_status" in given:
        fields["member_status"] = _one_of("member_status", given["member_status"], MEMBER_STATUSES)
    if "sort" in given:
        fields["sort"] = _sort(given["sort"])
    return fields


def send(query: Any, params: dict[str, Any]) -> None:
    """Add the image service's filters of ``query`` to Glance v2 ``params`` (a list of tags
    goes as repeated ``tag`` keys; ``protected`` as Glance's only words, true and false)."""
    if query.visibility is not None:
        params["visibility"] = query.visibility
    if query.owner is not None:
        params["owner"] = query.owner
    if query.tags:
        params["tag"] = list(query.tags)
    if query.protected is not None:
        params["protected"] = "true" if query.protected else "false"
    if query.member_status is not None:
        params["member_status"] = query.member_status
    if query.sort:
        params["sort"] = ",".join(f"{SORT_KEYS[field]}:{direction}" for field, direction in query.sort)
