"""Private module: how the ``rackimg`` command prints what it lists and shows.

Every command that prints records goes through here, so that every format (table, json,
jsonl, csv, value) uses the same field names, the ones docs/cli.rst lists:

- a command adds the output options to its parser with :func:`add_output_options` (a listing)
  or :func:`add_show_options` (one record), and describes its records with :class:`Fields`;
- it hands rows (dicts of field names to plain values) to :func:`emit_rows`, or one row to
  :func:`emit_record`; :func:`output_plan` checks the options first, before any request.

Rows are written as they come: table, value, csv and jsonl rows go out a batch at a time (see
:mod:`._stream`), a table laid out from its first batch. ``--sort`` has to read every row first.

Whatever the server sent, the output can be written: lone surrogates are escaped, and
infinities and NaN are null in JSON.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver._output_options import (
    FORMATS,
    Fields,
    OutputPlan,
    UsageError,
    add_output_options,
    add_show_options,
    output_plan,
)
from rackimg_driver._table import Table

if TYPE_CHECKING:
    from libcloud.compute.base import Node, NodeImage

__all__ = [
    "FORMATS",
    "IMAGE_FIELDS",
    "SERVER_FIELDS",
    "Fields",
    "OutputPlan",
    "UsageError",
    "add_output_options",
    "add_show_options",
    "cell",
    "emit_record",
    "emit_rows",
    "image_row",
    "output_plan",
    "plain",
    "server_row",
    "table",
]

Row = Mapping[str, Any]


def _percent(value: Any) -> str:
    return "-" if value is None else f"{value}%"


#: An image's fields, from :func:`image_row`.
IMAGE_FIELDS = Fields(
    names=(
        "id",
        "name",
        "state",
        "type",
        "progress",
        "server_id",
        "created",
        "updated",
        "status",
        "visibility",
        "owner",
        "protected",
        "tags",
        "min_disk",
        "min_ram",
        "size",
        "checksum",
        "disk_format",
        "container_format",
        "disk_config",
        "os_type",
        "os_distro",
        "os_version",
        "glance_status",
        "member_status",
        "metadata",
    ),
    default=("id", "name", "state", "type", "created"),
    long=("id", "name", "state", "type", "progress", "server_id", "created", "updated"),
    dates=("created", "updated"),
    brief=("id", "name"),
    shown={"progress": _percent},
)

#: A server's fields, from :func:`server_row`.
SERVER_FIELDS = Fields(
    names=("id", "name", "status", "image_id"),
    default=("id", "name", "status"),
    long=("id", "name", "status", "image_id"),
)

#: The fields whose NodeImage.extra key is another.
_EXTRA_KEYS = {"type": "image_type", "server_id": "serverId", "min_disk": "minDisk", "min_ram": "minRam"}


def plain(value: Any) -> Any:
    """A value as JSON can hold it, whatever the server sent: enums by their value, lone
    surrogates escaped (they have no UTF-8), infinities and NaN as null (not JSON)."""
    try:
        return _plain(value)
    except RecursionError:
        return "(nested too deep to show)"


def _text(value: str) -> str:
    return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")


def _ascii_text(mapping: dict[Any, Any]) -> bool:
    """Whether every key and value is ASCII text (two joins in C, instead of a call a value)."""
    try:
        return "".join(mapping).isascii() and "".join(mapping.values()).isascii()
    except TypeError:  # a key or a value that is not text
        return False


def _plain(value: Any) -> Any:
    # The types an answer holds, by exact type first: this runs for every value of every row.
    kind = type(value)
    if kind is str:
        return value if value.isascii() else _text(value)
    if value is None or kind is int or kind is bool:
        return value
    if kind is dict:
        if _ascii_text(value):  # metadata, mostly: kept as it is, without a copy
            return value
        return {
            (key if type(key) is str and key.isascii() else _text(str(key))): _plain(item)
            for key, item in value.items()
        }
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _text(str(value))
    if isinstance(value, dict):
        return {_text(str(key)): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def image_row(image: NodeImage, detailed: bool = True, fields: Sequence[str] | None = None) -> dict[str, Any]:
    """An image as a row of :data:`IMAGE_FIELDS` (a brief one: id and name only), or of the
    ``fields`` asked for alone. Links are left out: they name the endpoint (for the local
    cloud, a port that is gone after the run)."""
    if not detailed:
        return {"id": plain(image.id), "name": plain(image.name)}
    extra = image.extra
    row: dict[str, Any] = {}
    for name in IMAGE_FIELDS.names if fields is None else fields:
        if name == "id":
            row[name] = plain(image.id)
        elif name == "name":
            row[name] = plain(image.name)
        else:
            row[name] = plain(extra.get(_EXTRA_KEYS.get(name, name)))
    return row


def server_row(node: Node) -> dict[str, Any]:
    """A server as a row of :data:`SERVER_FIELDS`: id, name, the raw status and the image it boots from."""
    return {
        "id": plain(node.id),
        "name": plain(node.name),
        "status": plain(node.extra.get("status")),
        "image_id": plain(node.extra.get("image_id")),
    }


def cell(value: Any) -> str:
    """A value as one cell of text: ``-`` for null, nested values as JSON."""
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(plain(value))


def table(rows: list[list[str]], out: TextIO) -> None:
    """Rows of cells (the header first) as an aligned table, all at once (for small tables)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip() + "\n")


# -- writing -----------------------------------------------------------------------------------------


def _sorted(rows: Iterable[Row], keys: Sequence[tuple[str, bool]]) -> list[Row]:
    """Every row, sorted by each key in turn (the first key given decides first); nulls last."""
    ordered = list(rows)
    for name, descending in reversed(keys):
        present = [row for row in ordered if row.get(name) is not None]
        missing = [row for row in ordered if row.get(name) is None]
        present.sort(key=lambda row: _sort_key(row[name]), reverse=descending)
        ordered = present + missing
    return ordered


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return 0, int(value)
    if isinstance(value, (int, float)):
        return 0, value
    if isinstance(value, str):
        return 1, value.casefold()
    return 2, json.dumps(value, sort_keys=True, default=str)


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def _json_texts() -> Callable[[Row], str]:
    """One row as JSON text: with orjson where the ``fast`` extra is installed (about three
    times faster), else with the standard library; what orjson refuses (integers past 64
    bits) goes to the standard library."""
    try:
        import orjson
    except ImportError:
        return _ENCODER.encode
    dumps: Callable[..., bytes] = orjson.dumps
    refused: type[Exception] = orjson.JSONEncodeError

    def text(row: Row) -> str:
        try:
            return dumps(row, default=str).decode()
        except refused:
            return _ENCODER.encode(row)

    return text


def _json_text(row: Row) -> str:
    return _ENCODER.encode(row)


def _pick(row: Row, plan: OutputPlan) -> Row:
    return row if plan.every_field else {name: row.get(name) for name in plan.columns}


def emit_rows(
    rows: Iterable[Row], plan: OutputPlan, out: TextIO, batches: Callable[[Iterable[Row]], Iterator[list[Row]]]
) -> int:
    """Write ``rows`` as ``plan`` says, a batch at a time (``batches`` groups them as they
    arrive), flushing after each; returns how many rows were written. Nothing is written
    before the first batch (so an error at the first page leaves stdout empty), except that
    an empty listing still gets its header (table, csv) or ``[]`` (json)."""
    if plan.sort:
        rows = _sorted(rows, plan.sort)
    writer = _writer(plan, out)
    count = 0
    for batch in batches(rows):
        writer.write(batch)
        out.flush()
        count += len(batch)
    writer.close()
    return count


class _Writer:
    def __init__(self, plan: OutputPlan, out: TextIO) -> None:
        self.plan = plan
        self.out = out
        self.started = False

    def write(self, batch: list[Row]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _TableWriter(_Writer):
    def __init__(self, plan: OutputPlan, out: TextIO) -> None:
        super().__init__(plan, out)
        self.table: Table | None = None

    def _cells(self, batch: list[Row]) -> list[list[str]]:
        shown, columns = self.plan.shown, self.plan.columns
        return [
            [shown[name](row.get(name)) if name in shown else cell(row.get(name)) for name in columns] for row in batch
        ]

    def write(self, batch: list[Row]) -> None:
        lines = self._cells(batch)
        if self.table is None:
            headers = [name.upper() for name in self.plan.columns]
            self.table = Table(headers, lines, self.plan.width, self.plan.columns)
            if self.plan.header:
                self.out.write(self.table.header())
        self.out.write(self.table.lines(lines))

    def close(self) -> None:
        if self.table is None:
            self.write([])


class _ValueWriter(_Writer):
    def write(self, batch: list[Row]) -> None:
        columns = self.plan.columns
        self.out.write("".join(" ".join(cell(row.get(name)) for name in columns) + "\n" for row in batch))


class _CsvWriter(_Writer):
    def __init__(self, plan: OutputPlan, out: TextIO) -> None:
        super().__init__(plan, out)
        self.csv = csv.writer(out, lineterminator="\n")

    def _start(self) -> None:
        if not self.started and self.plan.header:
            self.csv.writerow(self.plan.columns)
        self.started = True

    def write(self, batch: list[Row]) -> None:
        self._start()
        columns = self.plan.columns
        self.csv.writerows([_csv_cell(row.get(name)) for name in columns] for row in batch)

    def close(self) -> None:
        self._start()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return plain(value)


class _JsonLinesWriter(_Writer):
    def __init__(self, plan: OutputPlan, out: TextIO) -> None:
        super().__init__(plan, out)
        self.text = _json_texts()

    def write(self, batch: list[Row]) -> None:
        plan = self.plan
        text = self.text
        self.out.write("".join(text(_pick(row, plan)) + "\n" for row in batch))


class _JsonWriter(_Writer):
    """One JSON list, an object a line: ``[``, the objects, ``]``."""

    def __init__(self, plan: OutputPlan, out: TextIO) -> None:
        super().__init__(plan, out)
        self.text = _json_texts()

    def write(self, batch: list[Row]) -> None:
        if not batch:
            return
        plan = self.plan
        text = self.text
        lines = ",\n  ".join(text(_pick(row, plan)) for row in batch)
        self.out.write(("[\n  " if not self.started else ",\n  ") + lines)
        self.started = True

    def close(self) -> None:
        self.out.write("\n]\n" if self.started else "[]\n")


_WRITERS: dict[str, type[_Writer]] = {
    "table": _TableWriter,
    "value": _ValueWriter,
    "csv": _CsvWriter,
    "jsonl": _JsonLinesWriter,
    "json": _JsonWriter,
}


def _writer(plan: OutputPlan, out: TextIO) -> _Writer:
    return _WRITERS[plan.format](plan, out)


def emit_record(row: Row, plan: OutputPlan, out: TextIO) -> None:
    """Write one record: in a table, a ``field  value`` line a field; in json, one object;
    in value, a value a line."""
    if plan.format == "table":
        width = max((len(name) for name in plan.columns), default=0)
        out.write("".join(f"{name.ljust(width)}  {cell(row.get(name))}\n" for name in plan.columns))
    elif plan.format == "json":
        out.write(json.dumps(_pick(row, plan), indent=2, ensure_ascii=False, default=str) + "\n")
    elif plan.format == "value":
        out.write("".join(cell(row.get(name)) + "\n" for name in plan.columns))
    else:
        _WRITERS[plan.format](plan, out).write([row])
