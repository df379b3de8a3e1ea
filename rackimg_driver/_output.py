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

import argparse
import csv
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver._table import Table, max_width

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
]

FORMATS = ("table", "json", "jsonl", "csv", "value")

Row = Mapping[str, Any]


class UsageError(ValueError):
    """An option that cannot be honoured; the command exits 2 with this one line."""


@dataclass(frozen=True)
class Fields:
    """The fields a command's records have.

    :param names: Every field, in the order ``json`` writes them and docs/cli.rst lists them.
    :param default: The table's columns (also value's and csv's) without ``--long`` or ``-c``.
    :param long: The columns with ``--long``.
    :param dates: Fields that hold timestamps: the date column of ``default`` and ``long``
        becomes the date the rows are sorted by.
    :param brief: The fields a brief record has (the others are never filled in).
    :param shown: How a table shows a field's value, where it differs from the value.
    """

    names: tuple[str, ...]
    default: tuple[str, ...]
    long: tuple[str, ...]
    dates: tuple[str, ...] = ()
    brief: tuple[str, ...] = ()
    shown: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)


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
        "min_disk",
        "min_ram",
        "size",
        "disk_config",
        "os_type",
        "os_distro",
        "os_version",
        "glance_status",
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

#: The field names of NodeImage.extra that the command calls otherwise.
_EXTRA_NAMES = {"image_type": "type", "serverId": "server_id", "minDisk": "min_disk", "minRam": "min_ram"}


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


def image_row(image: NodeImage, detailed: bool = True) -> dict[str, Any]:
    """An image as a row of :data:`IMAGE_FIELDS` (a brief one: id and name only). Links are
    left out: they name the endpoint (for the local cloud, a port that is gone after the run)."""
    row: dict[str, Any] = {"id": plain(image.id), "name": plain(image.name)}
    if not detailed:
        return row
    extra = image.extra
    for key, value in extra.items():
        name = _EXTRA_NAMES.get(key, key)
        if name in _IMAGE_NAMES:
            row[name] = plain(value)
    return {name: row.get(name) for name in IMAGE_FIELDS.names}


_IMAGE_NAMES = frozenset(IMAGE_FIELDS.names)


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


# -- the options -----------------------------------------------------------------------------------


def _format_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "-f",
        "--format",
        dest="format",
        choices=FORMATS,
        help="table (default), json (one list), jsonl (one object a line), csv, or value (space-separated)",
    )
    group.add_argument("--json", dest="format", action="store_const", const="json", help="the same as --format json")


def add_output_options(parser: argparse.ArgumentParser, fields: Fields) -> None:
    """Add the output options of a listing to ``parser``: -f/--format, --json, -c/--column,
    --sort, --long, --no-header, --max-width. :func:`output_plan` reads them."""
    group = parser.add_argument_group("output")
    _format_option(group)
    group.add_argument(
        "-c",
        "--column",
        dest="columns",
        action="append",
        metavar="FIELD",
        help=f"show this field (repeatable, or comma-separated): {', '.join(fields.names)}",
    )
    group.add_argument(
        "--sort",
        dest="sort",
        action="append",
        metavar="FIELD[:asc|desc]",
        help="sort by this field (repeatable; the first one given sorts first; nulls last);"
        " rows are then printed once all are read",
    )
    group.add_argument("--long", action="store_true", help=f"more columns: {', '.join(fields.long)}")
    group.add_argument("--no-header", dest="no_header", action="store_true", help="no header line (table, csv)")
    group.add_argument(
        "--max-width",
        dest="max_width",
        type=max_width,
        metavar="N",
        help="the table's width: names are cut to fit (default: the terminal's, else $COLUMNS, else 80;"
        " with --long, unlimited); 0 = unlimited",
    )
    parser.set_defaults(output_fields=fields)


def add_show_options(parser: argparse.ArgumentParser, fields: Fields) -> None:
    """Add the output options of a command that shows one record: -f/--format, --json, -c/--column."""
    group = parser.add_argument_group("output")
    _format_option(group)
    group.add_argument(
        "-c",
        "--column",
        dest="columns",
        action="append",
        metavar="FIELD",
        help=f"show this field (repeatable, or comma-separated): {', '.join(fields.names)}",
    )
    parser.set_defaults(output_fields=fields)


@dataclass(frozen=True)
class OutputPlan:
    """What to print: the format, the columns, the sort keys and the table's width."""

    format: str
    columns: tuple[str, ...]
    sort: tuple[tuple[str, bool], ...]  # (field, descending)
    header: bool
    width: int | None
    shown: Mapping[str, Callable[[Any], str]]
    every_field: bool


def _names(values: Sequence[str] | None) -> list[str]:
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


def _field(name: str, option: str, fields: Fields, available: Sequence[str]) -> str:
    wanted = name.lower()
    if wanted not in fields.names:
        raise UsageError(f"{option} must be one of {', '.join(fields.names)}, got {name!r}")
    if wanted not in available:
        raise UsageError(f"{option} {wanted} needs a detailed listing (a brief one has {', '.join(available)})")
    return wanted


def output_plan(args: argparse.Namespace, detailed: bool = True) -> OutputPlan:
    """The output the options ask for, checked before anything is sent.

    :raises UsageError: for an unknown field in -c/--column or --sort, a field a brief
        listing does not have, or a sort direction other than asc or desc.
    """
    fields: Fields = args.output_fields
    available = fields.names if detailed or not fields.brief else fields.brief
    sort: list[tuple[str, bool]] = []
    for key in _names(getattr(args, "sort", None)):
        name, _, direction = key.partition(":")
        if direction.lower() not in ("", "asc", "desc"):
            raise UsageError(f"--sort takes FIELD, FIELD:asc or FIELD:desc, got {key!r}")
        sort.append((_field(name, "--sort", fields, available), direction.lower() == "desc"))
    chosen = [_field(name, "--column", fields, available) for name in _names(args.columns)]
    long = bool(getattr(args, "long", False))
    if chosen:
        columns = list(dict.fromkeys(chosen))
    elif not hasattr(args, "long"):  # one record: every field it has
        columns = list(available)
    else:
        columns = [name for name in (fields.long if long else fields.default) if name in available]
        by_date = next((name for name, _ in sort if name in fields.dates), None)
        if by_date is not None and by_date not in columns:
            dates = [i for i, name in enumerate(columns) if name in fields.dates]
            if dates:
                columns[dates[0]] = by_date
    fmt = args.format or "table"
    width: int | None = getattr(args, "max_width", None)
    if width is None and not long and hasattr(args, "max_width"):
        import shutil

        width = shutil.get_terminal_size().columns
    return OutputPlan(
        format=fmt,
        columns=tuple(columns),
        sort=tuple(sort),
        header=not getattr(args, "no_header", False),
        width=width or None,
        shown=fields.shown,
        every_field=fmt in ("json", "jsonl") and not chosen,
    )


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


def _json_text(row: Row) -> str:
    return json.dumps(row, ensure_ascii=False, default=str)


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
    def write(self, batch: list[Row]) -> None:
        plan = self.plan
        self.out.write("".join(_json_text(_pick(row, plan)) + "\n" for row in batch))


class _JsonWriter(_Writer):
    """One JSON list, an object a line: ``[``, the objects, ``]``."""

    def write(self, batch: list[Row]) -> None:
        if not batch:
            return
        plan = self.plan
        text = ",\n  ".join(_json_text(_pick(row, plan)) for row in batch)
        self.out.write(("[\n  " if not self.started else ",\n  ") + text)
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
