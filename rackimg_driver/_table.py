"""Private module: the layout of the ``rackimg`` command's tables.

A table is laid out once, from its header and its first batch of rows, so that rows can be
written as they arrive. When it is wider than its width: timestamps first lose their time of
day (``2024-03-01T12:09:00Z`` is shown ``2024-03-01``), then the widest column other than
the id is cut, down to 8 characters (or its header), its values ending in ``…``. A later row
whose value is longer than its column is cut the same way in a cut column; elsewhere it is
written in full.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

__all__ = ["Table", "max_width"]

#: The narrowest a cut column becomes.
_MIN_CUT = 8
_GAP = "  "
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
_NO_CUT = ("id",)


def max_width(text: str) -> int:
    """``--max-width``: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0 (0 = unlimited), got {text}")
    return value


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class Table:
    """The layout of a table: each column's width, and which columns are cut or show dates only.

    :param headers: The header's cells.
    :param first: The first rows' cells, which the widths are taken from.
    :param width: The widest a line may be, or None for no limit.
    :param names: Each column's field name (``id`` is never cut).
    """

    def __init__(
        self, headers: Sequence[str], first: Sequence[Sequence[str]], width: int | None, names: Sequence[str]
    ) -> None:
        self.headers = list(headers)
        count = len(self.headers)
        self.widths = [max([len(self.headers[i]), *(len(row[i]) for row in first)]) for i in range(count)]
        self.dates_only = [False] * count
        self.cut = [False] * count
        if width is not None:
            self._fit(first, width, names)

    def _total(self) -> int:
        return sum(self.widths) + len(_GAP) * (len(self.widths) - 1)

    def _fit(self, first: Sequence[Sequence[str]], width: int, names: Sequence[str]) -> None:
        if self._total() <= width:
            return
        for i in range(len(self.widths)):
            cells = [row[i] for row in first]
            if cells and all(cell == "-" or _TIMESTAMP.match(cell) for cell in cells):
                self.dates_only[i] = True
                self.widths[i] = max(len(self.headers[i]), *(len(self._date(cell)) for cell in cells))
        while self._total() > width:
            candidates = [
                i
                for i, name in enumerate(names)
                if name not in _NO_CUT
                and not self.dates_only[i]
                and self.widths[i] > max(_MIN_CUT, len(self.headers[i]))
            ]
            if not candidates:
                return
            widest = max(candidates, key=lambda i: self.widths[i])
            floor = max(_MIN_CUT, len(self.headers[widest]))
            self.widths[widest] = max(floor, self.widths[widest] - (self._total() - width))
            self.cut[widest] = True

    @staticmethod
    def _date(cell: str) -> str:
        return cell[:10] if _TIMESTAMP.match(cell) else cell

    def _line(self, cells: Sequence[str]) -> str:
        shown = []
        for i, text in enumerate(cells):
            if self.dates_only[i]:
                text = self._date(text)
            if self.cut[i]:
                text = _cut(text, self.widths[i])
            shown.append(text.ljust(self.widths[i]))
        return _GAP.join(shown).rstrip() + "\n"

    def header(self) -> str:
        return self._line(self.headers)

    def lines(self, rows: Sequence[Sequence[str]]) -> str:
        return "".join(self._line(row) for row in rows)
