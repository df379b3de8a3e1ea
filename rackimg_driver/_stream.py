"""Private module: a listing's items in batches, as they arrive.

The driver's ``ex_iterate_images`` asks for a page only when the caller wants the item after
the last one it has. :func:`batches` reads it in a thread of its own and hands over whatever
has arrived whenever the reader is waiting for the server: the first batch is the first page
(the table's layout comes from it), each later one what came while the previous one was
written. The caller's thread writes; the reading thread stops when the caller does.

Items go through a deque (appending and popping are atomic), not a ``queue.Queue``: a listing
of 100,000 images would otherwise spend a second on the queue's locks.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["batches"]

_T = TypeVar("_T")

#: The most items held between the reading thread and the writer (a slow reader of the
#: output, such as a pager, holds the listing back instead of filling the memory).
_HELD = 5000
#: A batch is at most this many items, so that the output keeps moving.
_MOST = 2000
#: Seconds the first batch waits for more items after the last one came: the rest of the
#: first page, which is read in one go; a new page takes a request, which takes longer.
_SETTLE = 0.05
#: Seconds the writer sleeps when nothing has arrived, before it looks again.
_POLL = 0.005


class _End:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def _read(items: Iterable[Any], into: deque[Any], arrived: threading.Event, stop: threading.Event) -> None:
    try:
        for item in items:
            while len(into) >= _HELD:
                if stop.is_set():
                    return
                time.sleep(_POLL)
            into.append(item)
            arrived.set()
            if stop.is_set():
                return
    except BaseException as error:  # handed to the writer's thread, which raises it
        into.append(_End(error))
    else:
        into.append(_End())
    arrived.set()


def batches(items: Iterable[_T]) -> Iterator[list[_T]]:
    """``items`` in lists, each as soon as the reader has to wait (see the module's docstring).

    An error raised while reading is raised here, after the items read before it.
    """
    into: deque[Any] = deque()
    arrived = threading.Event()
    stop = threading.Event()
    reader = threading.Thread(target=_read, args=(items, into, arrived, stop), name="rackimg-listing", daemon=True)
    reader.start()
    first = True
    try:
        while True:
            while not into:
                arrived.wait(_POLL * 20)
                arrived.clear()
            if first:  # the rest of the first page: until nothing new came for a moment
                held = -1
                while held != len(into) and len(into) < _MOST and not isinstance(into[-1], _End):
                    held = len(into)
                    arrived.wait(_SETTLE)
                    arrived.clear()
                first = False
            batch: list[_T] = []
            while into and len(batch) < _MOST:
                item = into.popleft()
                if isinstance(item, _End):
                    if batch:
                        yield batch
                    if item.error is not None:
                        raise item.error
                    return
                batch.append(item)
            yield batch
    finally:
        stop.set()
