"""Private: a listing, as a paging loop that feeds a per-item pipeline.

:func:`pages` asks for one page after another and hands over each page's raw items,
following the server's ``next`` links by their marker only (never their host), and stops
a link that repeats or loops back. :class:`Pipeline` turns raw items into libcloud
objects: map, de-duplicate, check on the client, trim, and stop at the limit. Both are
lazy: a page is asked for only when the caller wants the next item, and a page is let go
before the next one is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rackimg_driver.errors import InvalidResponseError, PagingError

__all__ = ["Pipeline", "pages"]

#: What a mapping of a hostile answer might raise, were it to miss a case.
MAPPING_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError, UnicodeError)

#: (query, whether it is the caller's own marker) -> the parsed answer (``.object``, ``.status``).
Fetch = Callable[[dict[str, str], bool], Any]
#: A page's parsed body and status -> (its raw items, the next link or None).
ReadPage = Callable[[Any, "int | None"], "tuple[list[Any], str | None]"]


def pages(
    fetch: Fetch,
    read_page: ReadPage,
    params: dict[str, Any],
    marker: str | None,
    page_limit: Callable[[], int | None],
) -> Iterator[tuple[list[Any], int]]:
    """Each page's raw items and status; ``page_limit()`` sizes the next request."""
    first_marker = marker
    followed: set[str] = set()
    while True:
        query = dict(params)
        if marker is not None:
            query["marker"] = marker
        limit = page_limit()
        if limit is not None:
            query["limit"] = str(limit)
        response = fetch(query, marker is not None and marker == first_marker)
        status = int(response.status)
        items, next_href = read_page(response.object, status)
        del response  # the page's body and parsed answer go as soon as it is read
        yield items, status
        last_item = items[-1] if items else None
        del items
        if next_href is None or last_item is None:
            return
        next_marker = _next_marker(next_href, last_item, status)
        if next_marker == marker or next_marker in followed:
            raise PagingError(f"the server's next link repeats marker {next_marker!r}; stopped to avoid a loop")
        followed.add(next_marker)
        marker = next_marker


def _next_marker(next_href: str, last_item: Any, status: int) -> str:
    """The marker to continue from: the next link's, else the page's last id."""
    markers = parse_qs(urlsplit(next_href).query).get("marker")
    if markers and markers[-1]:
        return markers[-1]
    if isinstance(last_item, dict) and isinstance(last_item.get("id"), str):
        return str(last_item["id"])
    raise InvalidResponseError("a next link without a marker after a page without ids", status, next_href)


class Pipeline:
    """Raw items -> libcloud objects, each yielded once, checked, trimmed, up to ``limit``.

    ``to_item(raw, status)`` maps one raw item; ``check(item)`` keeps an item only when it
    truly matches (a filter the server was not trusted with); ``trim(item)`` cuts a
    detailed item to a brief one. ``remaining`` is how many the caller still wants (None:
    all), which also sizes the pages when the server filters ``exact``-ly.
    """

    def __init__(
        self,
        to_item: Callable[[Any, int], Any],
        check: Callable[[Any], bool] | None = None,
        trim: Callable[[Any], Any] | None = None,
        limit: int | None = None,
    ) -> None:
        self.to_item = to_item
        self.check = check
        self.trim = trim
        self.remaining = limit
        # Every id yielded so far: a server that repeats an item, on the next page or
        # pages later, must not make us repeat it (about 100 bytes an item: see the docs).
        self.seen: set[str] = set()

    def page_limit(self, page_size: int | None, exact: bool) -> int | None:
        """The ``limit`` of the next request: the page size, or fewer near the caller's limit."""
        if exact and self.remaining is not None:
            return min(page_size or self.remaining, self.remaining)
        return page_size

    def run(self, pages_: Iterator[tuple[list[Any], int]]) -> Iterator[Any]:
        for items, status in pages_:
            found = self._map(items, status)
            del items
            if self.remaining is not None and len(found) >= self.remaining:
                yield from found[: self.remaining]
                return
            yield from found
            if self.remaining is not None:
                self.remaining -= len(found)
            # The caller keeps what it wants; the page's list goes before the next request.
            del found

    def _map(self, items: list[Any], status: int) -> list[Any]:
        found: list[Any] = []
        keep, seen, check, trim, to_item = found.append, self.seen, self.check, self.trim, self.to_item
        try:
            for raw in items:
                item = to_item(raw, status)
                if item.id in seen:
                    continue
                seen.add(item.id)
                if check is not None and not check(item):
                    continue
                keep(trim(item) if trim is not None else item)
        except MAPPING_ERRORS as error:
            raise InvalidResponseError(f"a page is not understood ({type(error).__name__})", status, "") from None
        return found
