"""``ex_filters`` -> a checked query: what goes to the server, and what is checked on the client.

Every argument is validated here, before any request goes out. Where a server is
known to answer a filter wrongly (upstream Nova: see :func:`nova_params`), the
filter is not sent, or sent in a form the server gets right, and the result is
checked on the client so the caller always gets exactly the images the filter means.

Private module: not part of the public API (see docs/reference.rst).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from libcloud.compute.base import Node, NodeImage

from rackimg_driver._service_filters import SERVICE_FILTER_KEYS, parse_service_filters, send
from rackimg_driver.types import ImageState, ImageType, member_of

__all__ = [
    "FILTER_KEYS",
    "ImageQuery",
    "QueryPlan",
    "check_page_size",
    "format_timestamp",
    "glance_params",
    "make_plan",
    "nova_params",
    "parse_filters",
    "parse_timestamp",
]

#: Every key ``ex_filters`` accepts, in the order of the seed's table.
FILTER_KEYS = (
    "server",
    "name",
    "status",
    "changes-since",
    "marker",
    "limit",
    "type",
    "minDisk",
    "minRam",
    *SERVICE_FILTER_KEYS,
)


@cache
def _timestamp_pattern() -> re.Pattern[str]:
    # Compiled on first use: importing the driver should not pay for it.
    return re.compile(
        r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
        r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?)?"
        r"(?P<tz>Z|[+-]\d{2}:?\d{2})?",
        re.IGNORECASE | re.ASCII,
    )


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 date or date-time; without a zone it is UTC.

    Any date of the years 1 to 9999 and any offset up to +/-23:59 is accepted, also where
    the moment in UTC falls outside those years. Raises ``ValueError`` for anything
    else. The same rules on every Python.
    """
    match = _timestamp_pattern().fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    parts = match.groupdict()
    tz = timezone.utc
    zone = parts["tz"]
    if zone and zone.upper() != "Z":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise ValueError(f"{text!r} has no valid offset (hours 00-23, minutes 00-59)")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(offset if zone[0] == "+" else -offset)
    fraction = (parts["f"] or "0")[:6].ljust(6, "0")
    try:
        return datetime(
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError as error:
        raise ValueError(f"{text!r} is not a valid date-time ({error})") from None


# The first and the last moment a datetime can hold in UTC. A moment with an offset may lie
# beyond them (year 1 at +05:00 is year 0 in UTC), and converting it raises OverflowError.
_FIRST_UTC = datetime.min.replace(tzinfo=timezone.utc)
_LAST_UTC = datetime.max.replace(tzinfo=timezone.utc)


def _in_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (naive means UTC), clamped to the first and last moment UTC can hold."""
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=timezone.utc)
    # Comparing aware datetimes subtracts their offsets as timedeltas: it cannot overflow.
    if moment < _FIRST_UTC:
        return _FIRST_UTC
    if moment > _LAST_UTC:
        return _LAST_UTC
    return moment.astimezone(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """Render a datetime as the API writes them: UTC with a ``Z``.

    A naive datetime is taken as UTC. A moment before 0001-01-01T00:00:00Z is written as
    that, one after 9999-12-31T23:59:59.999999Z as that: no server holds a time outside them.
    """
    return _in_utc(moment).replace(tzinfo=None).isoformat() + "Z"


class ImageQuery(NamedTuple):
    """A validated ``ex_filters`` mapping."""

    server: str | None = None
    name: str | None = None
    status: ImageState | None = None
    changes_since: datetime | None = None
    marker: str | None = None
    limit: int | None = None
    image_type: ImageType | None = None
    min_disk: int | None = None
    min_ram: int | None = None
    # Answered by the image service only (see _service_filters).
    visibility: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    protected: bool | None = None
    member_status: str | None = None
    sort: tuple[tuple[str, str], ...] = ()

    @property
    def needs_image_service(self) -> bool:
        """Whether a filter only the image service answers is given (Nova's proxy ignores them)."""
        return bool(
            self.visibility or self.owner or self.tags or self.protected is not None or self.member_status or self.sort
        )


class QueryPlan(NamedTuple):
    """How one dialect serves a query.

    ``params`` go to the server; ``detailed`` says whether the detailed listing
    must be fetched (the client-side check needs it); ``check`` keeps an image
    only when it truly matches; ``exact`` is False when a filter was held back,
    so the server returns more than matches and ``limit`` cannot size the pages.
    """

    params: dict[str, Any]
    detailed: bool
    check: Callable[[NodeImage], bool] | None = None
    exact: bool = True


def _allowed(kind: type[ImageState] | type[ImageType]) -> str:
    return ", ".join(member.value for member in kind)


def _enum_value(key: str, value: Any, kind: Any) -> Any:
    member = member_of(kind, value)
    if member is not None:
        return member
    raise ValueError(f"ex_filters[{key!r}] must be one of {_allowed(kind)}, got {value!r}")


def _whole_number(key: str, value: Any, minimum: int) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or number < minimum:
        raise ValueError(f"ex_filters[{key!r}] must be a whole number >= {minimum}, got {value!r}")
    return number


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"ex_filters[{key!r}] must be a non-empty string, got {value!r}")
    return value


def _server_id(value: Any) -> str:
    """A server is named by its id, its full URL, or a libcloud Node."""
    if isinstance(value, Node):
        value = value.id
    text = _text("server", value)
    if "://" in text:
        path = urlsplit(text).path.rstrip("/")
        text = path.rsplit("/", 1)[-1]
        if not text:
            raise ValueError(f"ex_filters['server'] URL names no server: {value!r}")
    return text


def _changes_since(value: Any) -> datetime:
    # A datetime whose tzinfo gives no offset is naive (the datetime docs' definition).
    if isinstance(value, datetime):
        return value if value.utcoffset() is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError as error:
            if _timestamp_pattern().fullmatch(value.strip()):  # the shape is right, a field is not
                raise ValueError(f"ex_filters['changes-since']: {error}") from None
    raise ValueError(
        "ex_filters['changes-since'] must be a datetime or an ISO 8601 string"
        f" such as '2026-01-31T12:00:00Z', got {value!r}"
    )


def check_page_size(value: Any) -> int | None:
    """Validate ``ex_page_size``: None (the server's maximum) or a whole number >= 1."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ValueError(f"ex_page_size must be a whole number >= 1, got {value!r}")


def parse_filters(ex_filters: Mapping[str, Any] | None) -> ImageQuery:
    """Check ``ex_filters`` and turn it into an :class:`ImageQuery`.

    Raises ``ValueError`` naming the key and the allowed values for anything wrong.
    A key whose value is ``None`` is treated as absent.
    """
    if ex_filters is None:
        return ImageQuery()
    if not isinstance(ex_filters, Mapping):
        raise ValueError(f"ex_filters must be a mapping of filter name to value, got {ex_filters!r}")
    unknown = sorted(str(key) for key in ex_filters if key not in FILTER_KEYS)
    if unknown:
        raise ValueError(f"unknown filter key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(FILTER_KEYS)}")
    given = {key: value for key, value in ex_filters.items() if value is not None}
    return ImageQuery(
        server=_server_id(given["server"]) if "server" in given else None,
        name=_text("name", given["name"]) if "name" in given else None,
        status=_enum_value("status", given["status"], ImageState) if "status" in given else None,
        changes_since=_changes_since(given["changes-since"]) if "changes-since" in given else None,
        marker=_text("marker", given["marker"]) if "marker" in given else None,
        limit=_whole_number("limit", given["limit"], 1) if "limit" in given else None,
        image_type=_enum_value("type", given["type"], ImageType) if "type" in given else None,
        min_disk=_whole_number("minDisk", given["minDisk"], 0) if "minDisk" in given else None,
        min_ram=_whole_number("minRam", given["minRam"], 0) if "minRam" in given else None,
        **parse_service_filters(given),
    )


def _updated_since(image: NodeImage, since: datetime) -> bool:
    updated = image.extra.get("updated")
    if not isinstance(updated, str):
        return True  # nothing to check against: the server's word stands
    try:
        shown = parse_timestamp(updated)
    except ValueError:
        return True
    # Nova compares to the microsecond but shows whole seconds: an image updated later in
    # the same second as ``since`` shows an earlier time, and must stay.
    return shown >= (since.replace(microsecond=0) if shown.microsecond == 0 else since)


def _at_least(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and value >= minimum


def _matcher(query: ImageQuery) -> Callable[[NodeImage], bool] | None:
    """The client-side check of every filter that a detailed image can show."""
    tests: list[Callable[[NodeImage], bool]] = []
    if query.name is not None:
        name = query.name
        tests.append(lambda image: image.name == name)
    if query.server is not None:
        server = query.server
        tests.append(lambda image: image.extra.get("serverId") == server)
    if query.status is not None:
        status = query.status
        tests.append(lambda image: image.extra.get("state") == status)
    if query.image_type is not None:
        image_type = query.image_type
        tests.append(lambda image: image.extra.get("image_type") == image_type)
    if query.min_disk is not None:
        min_disk = query.min_disk
        tests.append(lambda image: _at_least(image.extra.get("minDisk"), min_disk))
    if query.min_ram is not None:
        min_ram = query.min_ram
        tests.append(lambda image: _at_least(image.extra.get("minRam"), min_ram))
    if query.changes_since is not None:
        since = query.changes_since
        tests.append(lambda image: _updated_since(image, since))
    if not tests:
        return None
    return lambda image: all(test(image) for test in tests)


def make_plan(query: ImageQuery, detailed: bool, params: dict[str, Any], held_back: bool) -> QueryPlan:
    """A dialect's answer to ``query``: ``params`` to send, and whether a filter was
    ``held_back`` (then the listing is fetched detailed and checked on the client).

    A detailed listing is always checked on the client; a brief listing is fetched
    detailed, then trimmed, when a filter was held back. In every dialect a
    ``changes-since`` after the last moment UTC can hold (9999-12-31T23:59:59-05:00 is in
    the year 10000 in UTC) is sent as that last moment and checked on the client.
    """
    check = _matcher(query)
    fetch_detailed = detailed or held_back
    return QueryPlan(
        params=params,
        detailed=fetch_detailed,
        check=check if fetch_detailed else None,
        exact=not held_back,
    )


def nova_params(query: ImageQuery, trusts_filters: bool) -> tuple[dict[str, str], bool]:
    """The compute API's filters, and whether one was held back.

    Rackspace answers every filter as documented (``trusts_filters``), so everything is
    sent. Upstream Nova lowercases ``status`` and hands it to Glance, so only ``ACTIVE`` is
    sent (SAVING would miss queued images, UNKNOWN matches nothing); it compares ``type``
    case-sensitively with lowercase metadata and cannot count ``backup`` or server-made
    images without the property as snapshots, so ``type`` is not sent; it matches
    ``minDisk`` and ``minRam`` exactly instead of "at least", so they are not sent either.
    """
    openstack = not trusts_filters
    params: dict[str, str] = {}
    held_back = False
    if query.server is not None:
        params["server"] = query.server
    if query.name is not None:
        params["name"] = query.name
    if query.changes_since is not None:
        params["changes-since"] = format_timestamp(query.changes_since)
        # Past the last moment in UTC nothing matches, but the clamped time sent matches an
        # image stamped with that very moment: the client's check keeps the answer exact.
        held_back = held_back or query.changes_since > _LAST_UTC
    if query.status is not None:
        if openstack and query.status != ImageState.ACTIVE:
            held_back = True
        else:
            params["status"] = query.status.value
    if query.image_type is not None:
        if openstack:
            held_back = True
        else:
            params["type"] = query.image_type.value
    for key, value in (("minDisk", query.min_disk), ("minRam", query.min_ram)):
        if value is not None:
            if openstack:
                held_back = True
            else:
                params[key] = str(value)
    return params, held_back


# The one Glance status each state can be asked for; the others are checked on the client.
_GLANCE_STATUS_FILTER = {ImageState.ACTIVE: "active", ImageState.ERROR: "killed"}


def glance_params(query: ImageQuery) -> tuple[dict[str, Any], bool]:
    """Glance v2's own filters: ``name``; ``instance_uuid`` for the server; ``updated_at=gte:``
    for changes-since; ``status`` where one Glance status is the whole state (ACTIVE is
    ``active``, ERROR is ``killed``). SAVING (queued or saving), DELETED (deleted or
    pending_delete), UNKNOWN (everything else), the type (an image without ``image_type``
    may still be a snapshot) and minDisk/minRam (not filters in Glance) are checked on the
    client."""
    params: dict[str, Any] = {}
    held_back = False
    send(query, params)
    if query.server is not None:
        params["instance_uuid"] = query.server
    if query.name is not None:
        params["name"] = query.name
    if query.changes_since is not None:
        params["updated_at"] = "gte:" + format_timestamp(query.changes_since)
        held_back = held_back or query.changes_since > _LAST_UTC  # see nova_params
    if query.status is not None:
        if query.status in _GLANCE_STATUS_FILTER:
            params["status"] = _GLANCE_STATUS_FILTER[query.status]
        else:
            held_back = True
    if query.image_type is not None or query.min_disk is not None or query.min_ram is not None:
        held_back = True
    return params, held_back
