"""Image states and types, and how the API's strings map onto them.

Private module: its public names are re-exported as ``ImageState``, ``ImageType`` and ``Dialect`` in ``rackimg_driver``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from libcloud.common.types import Type

__all__ = [
    "GLANCE_STATUSES",
    "Dialect",
    "ImageState",
    "ImageType",
    "member_of",
    "state_from_glance",
    "state_from_status",
    "type_from_image",
]

_T = TypeVar("_T", bound=Type)


class ImageState(Type):
    """The state of an image, as the compute images API reports it.

    Values are the API's own strings, so ``extra["state"] == "SAVING"`` holds.
    An in-flight image is ``SAVING`` and its ``extra["progress"]`` runs 0-100.
    """

    ACTIVE = "ACTIVE"
    SAVING = "SAVING"
    DELETED = "DELETED"
    ERROR = "ERROR"
    UNKNOWN = "UNKNOWN"


class ImageType(Type):
    """Whether an image is a provider's base image or one made from a server."""

    BASE = "BASE"
    SNAPSHOT = "SNAPSHOT"


class Dialect(Type):
    """Which server the driver talks to; each answers some filters differently.

    ``rackspace`` is Rackspace Cloud Servers v2; ``openstack`` is upstream Nova's
    images proxy (compute microversion 2.1); ``glance`` is the Image service v2
    (``/v2/images``), for clouds where the compute images proxy is gone.
    """

    RACKSPACE = "rackspace"
    OPENSTACK = "openstack"
    GLANCE = "glance"


# The API's status words and their states (mapping.image_from_api reads both tables directly).
STATES = {state.value: state for state in ImageState}

# Values of metadata["image_type"] (any case) and what they mean.
TYPE_WORDS = {
    "base": ImageType.BASE,
    "snapshot": ImageType.SNAPSHOT,
    "backup": ImageType.SNAPSHOT,
}


def state_from_status(status: Any) -> ImageState:
    """Map the API's ``status`` string onto an :class:`ImageState`.

    Anything the API may add later, or a value of the wrong type, is ``UNKNOWN``.
    """
    if isinstance(status, str):
        return STATES.get(status.upper(), ImageState.UNKNOWN)
    return ImageState.UNKNOWN


def type_from_image(metadata: Any, server_id: Any) -> ImageType:
    """Tell a base image from a snapshot.

    ``metadata["image_type"]`` decides when it names a known type (``backup``
    counts as a snapshot); otherwise an image made from a server is a snapshot.
    """
    if isinstance(metadata, dict):
        word = metadata.get("image_type")
        if isinstance(word, str) and word.lower() in TYPE_WORDS:
            return TYPE_WORDS[word.lower()]
    return ImageType.SNAPSHOT if server_id else ImageType.BASE


def member_of(kind: type[_T], value: Any) -> _T | None:
    """The member of ``kind`` that ``value`` is or names (any case, spaces ignored), else None."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        wanted = value.strip().lower()
        for member in kind:
            if member.value.lower() == wanted:
                return member
    return None


#: How Nova shows a Glance status: (status, progress). Anything else is UNKNOWN, 0.
GLANCE_STATUSES: dict[str, tuple[ImageState, int]] = {
    "active": (ImageState.ACTIVE, 100),
    "queued": (ImageState.SAVING, 25),
    "saving": (ImageState.SAVING, 50),
    "deleted": (ImageState.DELETED, 0),
    "pending_delete": (ImageState.DELETED, 0),
    "killed": (ImageState.ERROR, 0),
}


def state_from_glance(status: Any) -> tuple[ImageState, int]:
    """The state and progress Nova derives from a Glance status."""
    if isinstance(status, str):
        return GLANCE_STATUSES.get(status.lower(), (ImageState.UNKNOWN, 0))
    return ImageState.UNKNOWN, 0
