"""Private: a progress bar on stderr, redrawn in place when stderr is a terminal."""

from __future__ import annotations

from typing import TextIO

__all__ = ["TerminalBar"]


class TerminalBar:
    """``live`` when ``err`` is a terminal: then :meth:`draw` redraws one line in place, and
    :meth:`done` ends it. What to write elsewhere is the caller's."""

    width = 30

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.live = err.isatty()

    def draw(self, label: str, done: int, total: int, count: str) -> None:
        filled = max(0, min(self.width, done * self.width // max(total, 1)))
        self.err.write(f"\r{label} [{'#' * filled}{'.' * (self.width - filled)}] {count}")
        self.err.flush()

    def done(self) -> None:
        if self.live:
            self.err.write("\n")
            self.err.flush()
