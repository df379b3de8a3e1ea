"""Private: the arguments of a prune checked before any request, and ``older_than`` read as a
moment (``"30d"``, ``"12h"``, a ``timedelta``, a ``datetime`` or an ISO date) with the words a
reason uses for it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

__all__ = ["Cutoff", "check_exclude_metadata", "check_keep", "check_per", "cutoff_of", "moment_of", "utc_now"]

UTC = timezone.utc

_AGE = re.compile(r"\s*(\d{1,6})\s*([smhdw])\s*", re.ASCII)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_OLDER_THAN = "older_than must be an age such as '30d' or '12h' (s, m, h, d, w), a timedelta, a datetime or an ISO date"


@dataclass(frozen=True)
class Cutoff:
    """Images created before ``moment`` are old; ``words`` say so in a reason ("30 days")."""

    moment: datetime
    words: str
    relative: bool

    def keeps(self) -> str:
        return f"created within {self.words}" if self.relative else f"created since {self.words}"

    def deletes(self) -> str:
        return f"older than {self.words}" if self.relative else f"created before {self.words}"


def utc_now() -> datetime:
    return datetime.now(UTC)


def moment_of(value: datetime) -> datetime:
    """A datetime in UTC; a naive one is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _span_words(span: timedelta) -> str:
    """A span as a reason says it: in the largest of days, hours, minutes that divides it."""
    total = span.total_seconds()
    for word, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if total >= size and total % size == 0:
            count = int(total // size)
            return f"{count} {word}{'' if count == 1 else 's'}"
    return f"{total:g} second{'' if total == 1 else 's'}"


def _shown(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC").replace(" 00:00:00 UTC", "")


def cutoff_of(older_than: Any, now: datetime) -> Cutoff | None:
    """``older_than`` as a :class:`Cutoff` (None for None); ValueError naming it when it is not one."""
    if older_than is None:
        return None
    if isinstance(older_than, str):
        found = _AGE.fullmatch(older_than)
        older_than = timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)]) if found else _iso(older_than)
    if isinstance(older_than, timedelta):
        if older_than <= timedelta(0):
            raise ValueError(f"{_OLDER_THAN}, longer than 0; got {older_than!r}")
        return Cutoff(now - older_than, _span_words(older_than), relative=True)
    if isinstance(older_than, datetime):
        moment = moment_of(older_than)
        return Cutoff(moment, _shown(moment), relative=False)
    raise ValueError(f"{_OLDER_THAN}; got {older_than!r}")


def _iso(text: str) -> datetime:
    cleaned = text.strip()
    try:
        if len(cleaned) == 10:
            day = date.fromisoformat(cleaned)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment_of(datetime.fromisoformat(cleaned[:-1] + "+00:00" if cleaned.endswith("Z") else cleaned))
    except ValueError:
        raise ValueError(f"{_OLDER_THAN}; got {text!r}") from None


def check_keep(keep: Any) -> int | None:
    if keep is None:
        return None
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"keep must be a whole number of images, 1 or more; got {keep!r}")
    return keep


def check_per(per: Any) -> str | None:
    if per is None or per == "server":
        return None if per is None else "server"
    raise ValueError(f"per must be 'server' (the newest of each server) or None (of all snapshots); got {per!r}")


def check_exclude_metadata(exclude: Any) -> dict[str, str]:
    if exclude is None:
        return {}
    if not isinstance(exclude, Mapping) or not all(
        isinstance(key, str) and key and isinstance(value, str) for key, value in exclude.items()
    ):
        raise ValueError(f"exclude_metadata must map metadata keys to values (strings); got {exclude!r}")
    return dict(exclude)
