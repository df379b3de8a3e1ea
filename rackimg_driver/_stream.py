"""Private module: a listing's items in batches, as they arrive.

The driver's ``ex_iterate_images`` asks for a page only when the caller wants the item after
the last one it has. :func:`batches` reads it in a thread of its own and hands over whatever
has arrived whenever the reader is waiting for the server: the first batch is the first page
(the table's layout comes from it), each later one what came while the previous one was
written. The caller's thread writes; the reading thread stops when the caller does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["batches"]

_T = TypeVar("_T")

#: The most items held between the reading thread and the writer (a slow reader of the
#: output, such as a pager, holds the listing back instead of filling the memory).
_QUEUE = 5000
#: A batch is at most this many items, so that the output keeps moving.
_MOST = 2000
#: Seconds the first batch waits for more items after the last one came: the rest of the
#: first page, which is read in one go; a new page takes a request, which takes longer.
_SETTLE = 0.05


class _End:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def _read(items: Iterable[Any], into: queue.Queue[Any], stop: threading.Event) -> None:
    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                into.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        for item in items:
            if not put(item):
                return
    except BaseException as error:  # handed to the writer's thread, which raises it
        put(_End(error))
        return
    put(_End())


def batches(items: Iterable[_T]) -> Iterator[list[_T]]:
    """``items`` in lists, each as soon as the reader has to wait (see the module's docstring).

    An error raised while reading is raised here, after the items read before it.
    """
    into: queue.Queue[Any] = queue.Queue(_QUEUE)
    stop = threading.Event()
    reader = threading.Thread(target=_read, args=(items, into, stop), name="rackimg-listing", daemon=True)
    reader.start()
    first = True
    try:
        while True:
            item = into.get()
            batch: list[_T] = []
            while True:
                if isinstance(item, _End):
                    if batch:
                        yield batch
                    if item.error is not None:
                        raise item.error
                    return
                batch.append(item)
                if len(batch) >= _MOST:
                    break
                try:
                    item = into.get(timeout=_SETTLE) if first else into.get_nowait()
                except queue.Empty:
                    break
            first = False
            yield batch
    finally:
        stop.set()
