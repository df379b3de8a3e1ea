"""Comparing what the openstack and glance dialects read of the same images (local and real)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.base import NodeImage

from rackimg_driver import RackImgNodeDriver

#: extra keys that differ by design: ``links`` point at different APIs, ``glance_status`` is set
#: only in the glance dialect, and Nova's view has no ``visibility``, ``owner``, ``protected``,
#: ``tags``, ``checksum`` nor formats (always None there).
DIALECT_ONLY = (
    "links", "glance_status", "visibility", "owner", "protected", "tags", "checksum", "disk_format",
    "container_format",
)  # fmt: skip


def comparable(image: NodeImage, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    skip = DIALECT_ONLY + leave_out
    return {"id": image.id, "name": image.name, **{k: v for k, v in image.extra.items() if k not in skip}}


def answers(
    drivers: dict[str, RackImgNodeDriver], call: Callable[[RackImgNodeDriver], Any], leave_out: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``call`` through each dialect: comparable images, or ("error", code)."""
    got: dict[str, Any] = {}
    for dialect, driver in drivers.items():
        try:
            result = call(driver)
        except BaseHTTPError as error:
            got[dialect] = ("error", error.code)
            continue
        images = result if isinstance(result, list) else [result]
        got[dialect] = [comparable(image, leave_out) for image in images]
    return got
