"""Private module: the output options of the ``rackimg`` command, and what they ask for.

:func:`add_output_options` and :func:`add_show_options` add them to a parser;
:func:`output_plan` reads them into an :class:`OutputPlan`, checked before anything is sent.
:mod:`._output` re-exports every name here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rackimg_driver._table import max_width

__all__ = [
    "FORMATS",
    "Fields",
    "OutputPlan",
    "UsageError",
    "add_output_options",
    "add_show_options",
    "output_plan",
]

FORMATS = ("table", "json", "jsonl", "csv", "value")


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


def _format_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "-f",
        "--format",
        dest="format",
        choices=FORMATS,
        help="table (default), json (one list), jsonl (one object a line), csv, or value (space-separated)",
    )
    group.add_argument("--json", dest="format", action="store_const", const="json", help="the same as --format json")


def _column_option(group: argparse._ArgumentGroup, fields: Fields) -> None:
    group.add_argument(
        "-c",
        "--column",
        dest="columns",
        action="append",
        metavar="FIELD",
        help=f"show this field (repeatable, or comma-separated): {', '.join(fields.names)}",
    )


def add_output_options(parser: argparse.ArgumentParser, fields: Fields) -> None:
    """Add the output options of a listing to ``parser``: -f/--format, --json, -c/--column,
    --sort, --long, --no-header, --max-width. :func:`output_plan` reads them."""
    group = parser.add_argument_group("output")
    _format_option(group)
    _column_option(group, fields)
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
    _column_option(group, fields)
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

    @property
    def fields(self) -> tuple[str, ...] | None:
        """The fields the rows need (the columns, then the sort keys), or None for every one."""
        if self.every_field:
            return None
        return tuple(dict.fromkeys([*self.columns, *(name for name, _ in self.sort)]))


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
