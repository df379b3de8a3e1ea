"""The Glance v2 image list: query parameters -> filters -> one page, as Glance 33 does it.

No HTTP here: ``glance_api`` parses the request, calls :meth:`GlanceQuery.from_params` and
:func:`glance_page`, and renders the page with ``views.glance_image``. Errors are
:class:`~.listing.BadQuery` (``glance_api`` answers Glance's 400).

What was observed on real Glance and is reproduced: ``name``, ``status`` (Glance's own,
lowercase words, case-sensitive), ``id``, ``owner``, ``container_format`` and ``disk_format``
take ``in:a,b``; ``visibility`` is ``public``, ``private``, ``shared``, ``community`` or ``all``;
``created_at``/``updated_at`` take ``gte:``, ``gt:``, ``lte:``, ``lt:``, ``eq:``, ``neq:`` (no
operator is ``eq``) and compare to the microsecond; ``min_disk``/``min_ram`` match exactly and
are not validated (``abc`` matches nothing); ``protected`` is ``true`` or ``false``; every other
key is a custom property, matched exactly (so an unknown key such as ``bogus=1`` matches nothing);
``changes-since`` is refused. ``limit`` defaults to 25 and is capped at the maximum (1000).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .listing import BadQuery, Page, parse_iso8601
from .records import ImageRecord

#: Glance's ``limit_param_default`` and ``api_limit_max``.
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000

_VISIBILITIES = ("public", "private", "shared", "community", "all")
_IN_KEYS = ("name", "status", "id", "owner", "container_format", "disk_format")
_TIME_KEYS = ("created_at", "updated_at")
_TIME_OPERATORS: dict[str, Callable[[datetime, datetime], bool]] = {
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
    "eq": operator.eq,
    "neq": operator.ne,
}
# Query keys that are not filters (sort orders the listing: see _sort_order).
_NOT_FILTERS = ("limit", "marker", "sort", "sort_key", "sort_dir", "member_status", "tag")
_MEMBER_STATUSES = ("accepted", "pending", "rejected", "all")
_DEFAULT_SORTS = (None, "created_at", "created_at:desc")

Predicate = Callable[[ImageRecord], bool]


def _core_value(record: ImageRecord, key: str) -> str:
    values = {
        "name": record.name,
        "status": record.status,
        "id": record.id,
        "owner": record.owner,
        "container_format": "bare",
        "disk_format": "raw",
    }
    return values[key]


def _in_filter(key: str, value: str) -> Predicate:
    wanted = set(value[3:].split(",")) if value.startswith("in:") else {value}
    return lambda record: _core_value(record, key) in wanted


def _time_filter(key: str, value: str) -> Predicate:
    op_name, sep, moment = value.partition(":")
    if sep and op_name in _TIME_OPERATORS:
        compare = _TIME_OPERATORS[op_name]
    elif sep and not op_name[:1].isdigit():
        raise BadQuery("Unable to filter on a unknown operator.")
    else:  # no operator: the whole value is the time, compared for equality
        compare, moment = operator.eq, value
    try:
        since = parse_iso8601(moment)
    except BadQuery:
        raise BadQuery(f'Bad "{key}" query filter format. Use ISO 8601 DateTime notation.') from None
    if key == "created_at":
        return lambda record: compare(record.created, since)
    return lambda record: compare(record.updated, since)


def _visibility_filter(value: str) -> Predicate:
    if value not in _VISIBILITIES:
        raise BadQuery(f"Invalid visibility value: {value}")
    if value == "all":
        return lambda record: True
    return lambda record: record.visibility == value


def _protected_filter(value: str) -> Predicate:
    if value not in ("true", "false"):
        raise BadQuery(f"Invalid value '{value}' for 'protected' filter. Valid values are 'true' or 'false'.")
    wanted = value == "true"
    return lambda record: record.protected is wanted


def _limit(value: str | None, max_limit: int, default: int) -> int:
    if value is None:
        return min(default, max_limit)
    try:
        number = int(value)
    except ValueError:
        raise BadQuery("limit param must be an integer") from None
    if number < 0:
        raise BadQuery("limit param must be positive")
    return min(number, max_limit)


_SORT_KEYS = ("name", "status", "id", "size", "min_disk", "min_ram", "created_at", "updated_at", "visibility", "owner")


def _sort_order(params: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """``sort=key:dir,...`` (Glance's new syntax; a key without a direction is desc); the old
    ``sort_key``/``sort_dir`` only in their default. Empty: the default order."""
    values = dict(params)
    sort = values.get("sort")
    key, direction = values.get("sort_key"), values.get("sort_dir")
    if key not in _DEFAULT_SORTS or direction not in (None, "desc"):
        raise BadQuery("The local cloud takes only sort=key:dir,... (sort_key/sort_dir only as created_at desc).")
    if sort in _DEFAULT_SORTS:
        return ()
    order = []
    for part in sort.split(","):
        name, _, way = part.strip().partition(":")
        if name not in _SORT_KEYS:
            raise BadQuery(f"Invalid sort key: {name}. It should be one of the following: {', '.join(_SORT_KEYS)}.")
        if way not in ("", "asc", "desc"):
            raise BadQuery(f"Invalid sort direction: {way}")
        order.append((name, way or "desc"))
    return tuple(order)


def _sort_value(record: ImageRecord, key: str) -> Any:
    value = {
        "created_at": record.created, "updated_at": record.updated, "min_disk": record.min_disk,
        "min_ram": record.min_ram,
    }.get(key, getattr(record, key, None))  # fmt: skip
    return (value is not None, value if value is not None else 0)


def sorted_records(records: Iterable[ImageRecord], order: tuple[tuple[str, str], ...]) -> list[ImageRecord]:
    """``records`` in Glance's order: the keys given, then created_at and id (desc) to break ties."""
    keys = [*order, *((k, "desc") for k in ("created_at", "id") if k not in dict(order))]
    result = list(records)
    for key, way in reversed(keys):  # stable sorts, the last key first
        result.sort(key=lambda record: _sort_value(record, key), reverse=way == "desc")
    return result


@dataclass(frozen=True)
class GlanceQuery:
    """The filters, marker and limit of one ``GET /v2/images``."""

    limit: int
    marker: str | None = None
    filters: tuple[Predicate, ...] = field(default=())
    #: Which shares of other projects are listed, and whether community images are.
    member_status: str = "accepted"
    community: bool = False
    #: ``sort``'s keys and directions (empty: newest first, as the store reads them).
    order: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_params(
        cls, params: Sequence[tuple[str, str]], max_limit: int = MAX_LIMIT, default_limit: int = DEFAULT_LIMIT
    ) -> GlanceQuery:
        """Parse query parameters (a repeated key: the last one); raises :class:`BadQuery`."""
        values = dict(params)
        order = _sort_order(params)
        filters: list[Predicate] = []
        for key, value in values.items():
            if key in _NOT_FILTERS:
                continue
            if key == "changes-since":
                raise BadQuery('The "changes-since" filter is no longer available on v2.')
            if key in _IN_KEYS:
                filters.append(_in_filter(key, value))
            elif key in _TIME_KEYS:
                filters.append(_time_filter(key, value))
            elif key == "visibility":
                filters.append(_visibility_filter(value))
            elif key == "protected":
                filters.append(_protected_filter(value))
            elif key in ("min_disk", "min_ram"):
                filters.append(_exact_number(key, value))
            else:
                filters.append(_property_filter(key, value))
        tags = {value for key, value in params if key == "tag"}
        if tags:
            filters.append(lambda record: tags.issubset(record.tags))
        member_status = values.get("member_status", "accepted")
        if member_status not in _MEMBER_STATUSES:
            raise BadQuery(f"Invalid status value: {member_status}")
        return cls(
            limit=_limit(values.get("limit"), max_limit, default_limit),
            marker=values.get("marker"),
            filters=tuple(filters),
            member_status=member_status,
            community=values.get("visibility") in ("community", "all"),
            order=order,
        )

    def matches(self, record: ImageRecord) -> bool:
        return all(test(record) for test in self.filters)


def _exact_number(key: str, value: str) -> Predicate:
    # Compared as text, as Glance's database does: ``abc`` or ``-5`` simply match nothing.
    if key == "min_disk":
        return lambda record: str(record.min_disk) == value
    return lambda record: str(record.min_ram) == value


def _property_filter(key: str, value: str) -> Predicate:
    return lambda record: record.properties.get(key) == value


def glance_page(images: Iterable[ImageRecord], query: GlanceQuery) -> Page:
    """Filter ``images`` (newest first, those after the marker) and cut out one page.

    ``next_marker`` is set whenever the page is full and not empty, also when nothing follows
    (real Glance then links to an empty page).
    """
    if query.order:  # the whole listing in that order, then what follows the marker
        images = sorted_records((r for r in images if query.matches(r)), query.order)
        if query.marker is not None:
            ids = [record.id for record in images]
            images = images[ids.index(query.marker) + 1 :] if query.marker in ids else []
    selected: list[ImageRecord] = []
    if query.limit > 0:
        for record in images:
            if query.matches(record):
                selected.append(record)
                if len(selected) == query.limit:
                    break
    next_marker = selected[-1].id if selected and len(selected) == query.limit else None
    return Page(selected, query.limit, next_marker)
