"""The cycle collector: paused over each page's parse and mapping, and never left paused."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator

import pytest
from libcloud.common.exceptions import BaseHTTPError

from rackimg_driver import InvalidResponseError
from tests.conftest import TENANT, image, page
from tests.fixedserver import Answer, FixedServer, Seen

DETAIL = f"/v2/{TENANT}/images/detail"
PAGE = 1000


def pages_of(count: int, fail_at: Answer | None = None):
    """Pages of ``PAGE`` images, ``count`` in all; the second page answers ``fail_at`` if given.

    The pages are encoded up front: the server runs in this process, and building them
    on request would run the collector too.
    """
    ids = [f"img-{n:05d}" for n in range(count)]
    answers = {}
    for start in range(0, count, PAGE):
        chunk = ids[start : start + PAGE]
        more = start + PAGE < count
        body = page([image(i, metadata={"image_type": "base", "n": i}) for i in chunk], chunk[-1] if more else None)
        answers[ids[start - 1] if start else None] = Answer(
            200, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )

    def respond(seen: Seen) -> Answer:
        marker = seen.query.get("marker")
        if marker is not None and fail_at is not None:
            return fail_at
        return answers[marker]

    return respond


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection the cycle collector starts during the test."""
    started: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield started
    finally:
        gc.callbacks.remove(note)


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_listing_runs_the_collector_far_less_than_once_per_700_objects(
    driver, server: FixedServer, collections: list[int]
) -> None:
    server.route("GET", DETAIL, pages_of(3 * PAGE))
    driver.list_images(ex_filters={"limit": 1})  # authenticated, connected
    collections.clear()
    consumed = sum(1 for _ in driver.ex_iterate_images())
    assert consumed == 3 * PAGE
    # Each page is tens of thousands of new objects: unpaused, the collector would start
    # dozens of times a page. Paused over the parse and the mapping, it starts about once
    # a page, when it resumes (the HTTP exchange itself may start one more).
    assert len(collections) <= 3 * 3, collections
    assert gc.isenabled()


def test_the_collector_runs_while_the_caller_holds_an_image(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, pages_of(2 * PAGE))
    states = {gc.isenabled() for _ in driver.ex_iterate_images()}
    assert states == {True}
    assert gc.isenabled()


def test_list_images_resumes_the_collector(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, pages_of(2 * PAGE))
    assert len(driver.list_images()) == 2 * PAGE
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, pages_of(2 * PAGE))
    gc.disable()
    assert len(driver.list_images()) == 2 * PAGE
    assert sum(1 for _ in driver.ex_iterate_images()) == 2 * PAGE
    assert not gc.isenabled()


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (Answer(500, {"computeFault": {"code": 500, "message": "boom"}}), BaseHTTPError),
        (Answer(200, "{not json", {"Content-Type": "application/json"}), InvalidResponseError),
        (Answer(200, {"images": [{"id": 7.5}]}), InvalidResponseError),
        (Answer(200, {"images": [image("x")], "images_links": "nope"}), InvalidResponseError),
    ],
    ids=["server error", "not json", "bad image", "bad links"],
)
def test_a_failed_page_leaves_the_collector_running(
    make_driver, server: FixedServer, failure: Answer, error: type[Exception]
) -> None:
    server.route("GET", DETAIL, pages_of(2 * PAGE, fail_at=failure))
    driver = make_driver(ex_max_retries=0)
    seen = 0
    with pytest.raises(error):
        for _ in driver.ex_iterate_images():
            seen += 1
    assert seen == PAGE  # the first page, whole; nothing of the bad one
    assert gc.isenabled()
    with pytest.raises(error):
        driver.list_images()
    assert gc.isenabled()


def test_an_abandoned_iteration_leaves_the_collector_running(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, pages_of(2 * PAGE))
    images = driver.ex_iterate_images()
    next(images)
    images.close()
    assert gc.isenabled()


def test_other_requests_leave_the_collector_running(driver, server: FixedServer) -> None:
    server.route("GET", f"/v2/{TENANT}/images/one", Answer(200, {"image": image("one")}))
    assert driver.get_image("one").id == "one"
    assert gc.isenabled()


def test_listings_in_several_threads_leave_the_collector_running(make_driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, pages_of(3 * PAGE))
    drivers = [make_driver() for _ in range(3)]
    counts: list[int] = []

    def consume(driver) -> None:
        counts.append(sum(1 for _ in driver.ex_iterate_images()))

    threads = [threading.Thread(target=consume, args=(d,)) for d in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert counts == [3 * PAGE] * 3
    assert gc.isenabled()
