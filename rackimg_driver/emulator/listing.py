"""The image list: query parameters -> filters -> one page, as Nova does it.

Filter *parsing* and paging are the same for every profile; what a filter *matches* is the
profile's call. Keys other than the filters of :class:`ImageQuery`, ``limit`` and ``marker`` are
ignored, as Nova ignores them. Errors are :class:`BadQuery` (``compute_api`` answers 400 badRequest).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .profiles import CloudProfile
from .records import UTC, ImageRecord


class BadQuery(ValueError):
    """A query parameter Nova would refuse with 400."""


_ISO8601 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)"
    r"(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?"
    r"(Z|[+-]\d\d:?\d\d)?",
    re.IGNORECASE,
)


def parse_iso8601(value: str) -> datetime:
    """An ISO 8601 date or date-time, any fraction of a second, ``Z`` or an offset (none: UTC).

    Written out rather than ``datetime.fromisoformat``, which on Python 3.10 refuses ``Z`` and
    fractions that are not 3 or 6 digits long.
    """
    match = _ISO8601.fullmatch(value.strip())
    if match is None:
        raise BadQuery(f"Invalid changes-since value: {value}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = UTC
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        raise BadQuery(f"Invalid changes-since value: {value}") from None


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise BadQuery(f"{name} param must be an integer") from None
    if number <= 0:
        raise BadQuery(f"{name} param must be positive")
    return number


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BadQuery(f"Invalid {name} filter [{value}]") from None


@dataclass(frozen=True)
class ImageQuery:
    """The filters, marker and limit of one list request."""

    server: str | None = None
    name: str | None = None
    status: str | None = None
    changes_since: datetime | None = None
    image_type: str | None = None
    min_disk: int | None = None
    min_ram: int | None = None
    marker: str | None = None
    limit: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> ImageQuery:
        """Parse query parameters (one value per key); raises :class:`BadQuery`."""
        server = params.get("server")
        if server is not None:
            server = server.rstrip("/").rsplit("/", 1)[-1]
        changes = params.get("changes-since")
        min_disk, min_ram, limit = params.get("minDisk"), params.get("minRam"), params.get("limit")
        return cls(
            server=server,
            name=params.get("name"),
            status=params.get("status"),
            changes_since=None if changes is None else parse_iso8601(changes),
            image_type=params.get("type"),
            min_disk=None if min_disk is None else _int("minDisk", min_disk),
            min_ram=None if min_ram is None else _int("minRam", min_ram),
            marker=params.get("marker"),
            limit=None if limit is None else _positive_int("limit", limit),
        )

    def matches(self, record: ImageRecord, profile: CloudProfile) -> bool:
        """Whether the image passes every filter, in the profile's sense."""
        if self.server is not None and record.properties.get("instance_uuid") != self.server:
            return False
        if self.name is not None and record.name != self.name:
            return False
        if self.status is not None and not profile.status_matches(record, self.status):
            return False
        if self.changes_since is not None and record.updated < self.changes_since:
            return False
        if self.image_type is not None and not profile.type_matches(record, self.image_type):
            return False
        minimums = ((record.min_disk, self.min_disk), (record.min_ram, self.min_ram))
        return all(wanted is None or profile.minimum_matches(actual, wanted) for actual, wanted in minimums)


@dataclass(frozen=True)
class Page:
    """One page of images; ``next_marker`` is set when the page is full."""

    images: list[ImageRecord]
    page_size: int
    next_marker: str | None


def select_page(images: Iterable[ImageRecord], query: ImageQuery, profile: CloudProfile, max_limit: int) -> Page:
    """Filter ``images`` (newest first, those after the marker) and cut out one page.

    The page holds at most ``min(limit, max_limit)`` images; it stops reading ``images`` as soon
    as the page is full.
    """
    page_size = min(query.limit or max_limit, max_limit)
    selected: list[ImageRecord] = []
    for record in images:
        if query.matches(record, profile):
            selected.append(record)
            if len(selected) == page_size:
                break
    next_marker = selected[-1].id if len(selected) == page_size else None
    return Page(selected, page_size, next_marker)
