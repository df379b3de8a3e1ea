"""Pausing CPython's cycle collector over a burst of new objects.

Parsing a page of 1000 images and mapping it to NodeImages makes tens of thousands of
new objects, none in a cycle. With the collector running, they set it off again and
again, and each page that survives one of those runs is scanned again by the next,
older generation: on a listing, most of the collector's work is wasted. Paused, the
burst costs at most one young-generation run when it resumes. Only the driver's own
CPU-bound work is paused, never a wait on the network or the caller's code between
two images.

The callers resume it with ``gc.enable()`` in a ``finally`` (no context manager: its
exit would itself allocate, and so run the collector, inside the driver's call).
"""

from __future__ import annotations

import gc
import threading

__all__ = ["CollectorHandOver", "pause_collector"]


def pause_collector() -> bool:
    """Pause the cycle collector; True if it was running (then the caller resumes it)."""
    if gc.isenabled():
        gc.disable()
        return True
    return False


class CollectorHandOver(threading.local):
    """Between a listing and the parse of its page's answer, in each thread of its own.

    The listing sets ``hold`` around its request; a parse that paused the collector then
    leaves it paused and sets ``held``, and the listing resumes it once the page is
    mapped, so that parse and mapping are one pause.
    """

    hold = False
    held = False
