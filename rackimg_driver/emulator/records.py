"""What the store hands out: image and server records, the errors it raises, and its clock.

Plain values, no sqlite and no HTTP; ``store`` makes them, ``views`` turns them into JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

Clock = Callable[[], datetime]
# The UTC singleton, spelled so that it works on 3.10 (datetime.UTC is 3.11+).
UTC = timezone(timedelta(0))


def utc_now() -> datetime:
    """The default clock: the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def to_text(moment: datetime) -> str:
    """A fixed-width UTC text form that sorts like the time it names."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def from_text(text: str) -> datetime:
    """Inverse of :func:`to_text`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class ImageRecord:
    """One image as Glance would hold it.

    ``status`` is the Glance status (``queued``, ``saving``, ``active``, ``killed``...).
    ``progress`` is set only for a snapshot this store is making (derived from the clock);
    it is None for every other image, whose progress follows from its status.
    """

    id: str
    name: str
    status: str
    owner: str
    visibility: str
    created: datetime
    updated: datetime
    min_disk: int
    min_ram: int
    size: int | None
    protected: bool
    disk_config: str | None
    properties: dict[str, str | None] = field(default_factory=dict)
    progress: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class MemberRecord:
    """A project an image is shared with, and its answer (``pending``, ``accepted``, ``rejected``)."""

    image_id: str
    member: str
    status: str
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class ServerRecord:
    """A server, only as much of it as snapshots need."""

    id: str
    name: str
    tenant: str
    status: str
    image_id: str | None
    created: datetime


class ImageNotFound(LookupError):
    """No image with that id is visible to the tenant."""


class ImageNotVisible(ImageNotFound):
    """The image exists, but belongs to another tenant and is not public."""


class ImageProtected(PermissionError):
    """The image is protected (or not the tenant's own) and cannot be deleted."""


class ImageNotOwned(ImageProtected):
    """The image is visible to the tenant (a public one) but belongs to someone else."""


class NotAllowed(PermissionError):
    """The tenant may not do this to the image (Glance's 403); the message says why."""


class Conflict(ValueError):
    """The change contradicts the image's state (Glance's 409); the message says why."""


class Invalid(ValueError):
    """A value the image service refuses (400); the message says which."""


class ServerNotFound(LookupError):
    """No server with that id belongs to the tenant."""


class SnapshotInProgress(RuntimeError):
    """The server is already being snapshotted (Nova's task_state image_snapshot)."""
