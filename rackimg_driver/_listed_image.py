"""Private: the NodeImage a listing yields, whose ``extra`` is built the first time it is read.

Building ``extra`` (25 typed keys, see :data:`.mapping.EXTRA_KEYS`) is most of what a listing
costs beyond reading the JSON: a listing that built it took 1.35x the CPU time of requests +
``json.loads`` (1.61x with orjson), one that does not takes 1.01x (docs/performance.rst, "Why
extra is built when first read"). An image checks its id and name at
once (a bad one fails the listing, as before) and keeps the image object of the answer; ``extra``
is built from it on first use and stored in the image's ``__dict__``, where later reads find
it as an ordinary attribute, as with :func:`functools.cached_property`. From then on it is a
plain ``dict`` that the caller may change, copy, compare or give to ``json.dumps``; the answer's
object is let go. Setting ``image.extra`` replaces it, as on any NodeImage.

Building never raises (:mod:`.mapping` maps every value of a wrong type to None), and two
threads that read ``extra`` at once get the same dict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from libcloud.compute.base import NodeDriver, NodeImage

__all__ = ["ListedImage"]


class _BuiltOnFirstUse:
    """``extra``: built by the class's ``extra_from`` from the kept answer, then stored."""

    def __get__(self, image: ListedImage | None, owner: type | None = None) -> Any:
        if image is None:
            return self
        state = image.__dict__
        answer = state.get("_answer")
        if answer is None:  # another thread has just built it
            return state["extra"]
        extra = state.setdefault("extra", type(image).extra_from(answer))
        state.pop("_answer", None)
        return extra


class ListedImage(NodeImage):  # type: ignore[misc]
    """A :class:`NodeImage` with its ``extra`` built from ``answer`` by ``extra_from`` when first read.

    The attributes are NodeImage's own (libcloud 3.6 to 3.9 set ``id``, ``name``, ``driver``,
    ``extra`` and ``_uuid``; a test holds them to it), set here without ``extra``.
    """

    extra_from: Callable[[dict[str, Any]], dict[str, Any]]
    extra = _BuiltOnFirstUse()

    def __init__(self, image_id: str, name: str | None, driver: NodeDriver, answer: dict[str, Any]) -> None:
        self.id = image_id
        self.name = cast(str, name)  # Glance allows an image without a name; libcloud's annotation says str
        self.driver = driver
        self._uuid = None
        self._answer = answer
