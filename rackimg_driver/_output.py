"""Private: how the ``rackimg`` command prints images and servers (tables and JSON).

Whatever the server sent, the output can be written: lone surrogates are escaped, and
infinities and NaN are null in JSON.
"""

from __future__ import annotations

import json
import math
from enum import Enum
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from libcloud.compute.base import Node, NodeImage

__all__ = ["cell", "image_record", "plain", "print_images", "server_record", "table"]


def plain(value: Any) -> Any:
    """A value as JSON can hold it, whatever the server sent: enums by their value, lone
    surrogates escaped (they have no UTF-8), infinities and NaN as null (not JSON)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        if isinstance(value, dict):
            return {plain(str(key)): plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
    except RecursionError:
        return "(nested too deep to show)"
    return value


def image_record(image: NodeImage) -> dict[str, Any]:
    """An image as plain JSON-ready data: id, name and every extra key."""
    record: dict[str, Any] = {"id": plain(image.id), "name": plain(image.name)}
    record.update({key: plain(value) for key, value in image.extra.items()})
    return record


def cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(plain(value))


def table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


def print_images(images: list[NodeImage], detailed: bool, as_json: bool, out: TextIO) -> None:
    if as_json:
        json.dump([image_record(i) for i in images], out, indent=2, default=str)
        out.write("\n")
        return
    if detailed:
        rows = [["ID", "NAME", "STATE", "TYPE", "PROGRESS", "SERVER", "UPDATED"]]
        for image in images:
            extra = image.extra
            progress = extra.get("progress")
            rows.append(
                [
                    image.id,
                    cell(image.name),
                    cell(extra.get("state")),
                    cell(extra.get("image_type")),
                    f"{progress}%" if progress is not None else "-",
                    cell(extra.get("serverId")),
                    cell(extra.get("updated")),
                ]
            )
    else:
        rows = [["ID", "NAME"]] + [[image.id, cell(image.name)] for image in images]
    table(rows, out)


def server_record(node: Node) -> dict[str, Any]:
    """A server as plain JSON-ready data: id, name, the raw status and the image it boots from."""
    return {
        "id": node.id,
        "name": node.name,
        "status": node.extra.get("status"),
        "image_id": node.extra.get("image_id"),
    }
