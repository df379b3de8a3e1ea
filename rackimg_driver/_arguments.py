"""Private: the driver's arguments checked (ids, metadata, seconds, states) before any request,
and errors scrubbed of the driver's secrets on the way out."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from libcloud.compute.base import Node, NodeImage

from rackimg_driver.types import ImageState, member_of

__all__ = ["id_of", "metadata", "scrubs_errors", "seconds", "segment", "wanted_state"]


def id_of(value: Any, argument: str, kind: type[NodeImage] | type[Node] = NodeImage) -> str:
    """The id of a NodeImage (or Node), or the id string itself; ValueError naming ``argument``.

    ``.`` and ``..`` are refused as well as empty ids: in a URL's path they are not a
    segment but a step up, so a DELETE could reach something other than an image.
    """
    if isinstance(value, kind):
        value = value.id
    if not isinstance(value, str) or not value.strip() or value in (".", ".."):
        noun = "image" if kind is NodeImage else "server"
        raise ValueError(
            f"{argument} must be a libcloud {kind.__name__} or a {noun} id (not empty, '.' or '..'), got {value!r}"
        )
    return value


def segment(identifier: str) -> str:
    """An id as one path segment: every character but letters, digits and ``-._~`` percent-encoded."""
    return quote(identifier, safe="")


_Method = TypeVar("_Method", bound=Callable[..., Any])


def scrubs_errors(method: _Method) -> _Method:
    """Errors leave the driver without its secrets (the connection's errors are scrubbed
    already; this covers what the driver raises itself from an answer's content)."""

    @functools.wraps(method)
    def scrubbed(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            raise self.connection.secrets.scrub_exception(error)  # noqa: B904 (the same error)

    return scrubbed  # type: ignore[return-value]


def metadata(value: Any, description: Any) -> dict[str, str]:
    if value is None:
        metadata: dict[str, str] = {}
    elif isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        metadata = dict(value)
    else:
        raise ValueError(f"ex_metadata must map strings to strings, got {value!r}")
    if description is not None:
        if not isinstance(description, str):
            raise ValueError(f"description must be a string, got {description!r}")
        metadata["description"] = description
    return metadata


def seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
    return float(value)


def wanted_state(value: Any) -> ImageState:
    member = member_of(ImageState, value)
    if member is not None:
        return member
    allowed = ", ".join(s.value for s in ImageState)
    raise ValueError(f"state must be one of {allowed}, got {value!r}")
