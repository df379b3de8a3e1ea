"""Paging: next links, limit, marker, page size, and servers that page badly."""

from __future__ import annotations

import pytest

from rackimg_driver import PagingError
from tests.conftest import TENANT, image, page
from tests.fixedserver import Answer, FixedServer, Seen

DETAIL = f"/v2/{TENANT}/images/detail"


def paged(ids: list[str], size: int, full_last_link: bool = True):
    """A responder that pages ``ids`` like Nova: ``size`` a page, marker = last id."""

    def respond(seen: Seen) -> Answer:
        start = ids.index(seen.query["marker"]) + 1 if "marker" in seen.query else 0
        limit = min(int(seen.query.get("limit", size)), size)
        chunk = ids[start : start + limit]
        full = len(chunk) == limit and (full_last_link or start + limit < len(ids))
        return Answer(200, page([image(i) for i in chunk], chunk[-1] if chunk and full else None))

    return respond


def test_listing_follows_next_links_until_the_last_page(driver, server: FixedServer) -> None:
    ids = [f"img-{n:03d}" for n in range(7)]
    server.route("GET", DETAIL, paged(ids, 3))
    assert [i.id for i in driver.list_images()] == ids
    calls = server.api_requests()
    # 3 + 3 + 1: the short last page carries no next link.
    assert [c.query.get("marker") for c in calls] == [None, "img-002", "img-005"]


def test_a_full_last_page_costs_exactly_one_more_request(driver, server: FixedServer) -> None:
    ids = [f"img-{n}" for n in range(6)]
    server.route("GET", DETAIL, paged(ids, 3))
    assert len(driver.list_images()) == 6
    assert len(server.api_requests()) == 3


def test_limit_caps_the_total_and_sizes_the_requests(driver, server: FixedServer) -> None:
    ids = [f"img-{n}" for n in range(10)]
    server.route("GET", DETAIL, paged(ids, 3))
    images = driver.list_images(ex_filters={"limit": 5})
    assert [i.id for i in images] == ids[:5]
    calls = server.api_requests()
    assert [c.query["limit"] for c in calls] == ["5", "2"]


def test_limit_smaller_than_a_page_is_one_request(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, paged([f"i{n}" for n in range(10)], 1000))
    assert [i.id for i in driver.list_images(ex_filters={"limit": 2})] == ["i0", "i1"]
    assert len(server.api_requests()) == 1


def test_marker_starts_after_that_image(driver, server: FixedServer) -> None:
    ids = [f"img-{n}" for n in range(5)]
    server.route("GET", DETAIL, paged(ids, 1000))
    assert [i.id for i in driver.list_images(ex_filters={"marker": "img-1"})] == ids[2:]
    assert server.api_requests()[0].query["marker"] == "img-1"


def test_page_size_is_sent_as_limit_on_every_request(make_driver, server: FixedServer) -> None:
    ids = [f"img-{n}" for n in range(5)]
    server.route("GET", DETAIL, paged(ids, 1000))
    driver = make_driver(ex_page_size=2)
    assert [i.id for i in driver.list_images()] == ids
    assert [c.query["limit"] for c in server.api_requests()] == ["2", "2", "2"]
    server.requests.clear()
    assert len(driver.list_images(ex_page_size=4)) == 5
    assert [c.query["limit"] for c in server.api_requests()] == ["4", "4"]


def test_without_page_size_or_limit_no_limit_is_sent(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, paged(["a"], 1000))
    driver.list_images()
    assert "limit" not in server.api_requests()[0].query


def test_iterate_fetches_one_page_at_a_time(driver, server: FixedServer) -> None:
    ids = [f"img-{n}" for n in range(6)]
    server.route("GET", DETAIL, paged(ids, 2))
    images = driver.ex_iterate_images()
    assert server.api_requests() == []  # nothing until asked
    first = next(images)
    assert first.id == "img-0"
    assert len(server.api_requests()) == 1
    assert [i.id for i in images] == ids[1:]


def test_brief_listing_uses_the_brief_endpoint(driver, server: FixedServer) -> None:
    brief = {"images": [{"id": "a", "name": "A", "links": []}, {"id": "b", "name": "B", "links": []}]}
    server.route("GET", f"/v2/{TENANT}/images", Answer(200, brief))
    images = driver.list_images(ex_detailed=False)
    assert [(i.id, i.name) for i in images] == [("a", "A"), ("b", "B")]
    assert images[0].extra["state"] is None and images[0].extra["image_type"] is None
    assert server.api_requests()[0].path == f"/v2/{TENANT}/images"


def test_a_next_link_that_repeats_its_marker_is_stopped(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, lambda seen: Answer(200, page([image("a"), image("b")], "b")))
    with pytest.raises(PagingError, match="'b'"):
        driver.list_images()
    assert len(server.api_requests()) == 2


def test_a_next_link_that_loops_back_is_stopped(driver, server: FixedServer) -> None:
    def respond(seen: Seen) -> Answer:
        marker = seen.query.get("marker")
        if marker is None:
            return Answer(200, page([image("a")], "a"))
        if marker == "a":
            return Answer(200, page([image("b")], "b"))
        return Answer(200, page([image("c")], "a"))  # back to the start

    server.route("GET", DETAIL, respond)
    with pytest.raises(PagingError):
        driver.list_images()


def test_an_image_repeated_by_the_server_is_returned_once(driver, server: FixedServer) -> None:
    def respond(seen: Seen) -> Answer:
        if "marker" not in seen.query:
            return Answer(200, page([image("a"), image("b"), image("b")], "b"))
        return Answer(200, page([image("b"), image("c")]))

    server.route("GET", DETAIL, respond)
    assert [i.id for i in driver.list_images()] == ["a", "b", "c"]


def test_next_link_without_marker_continues_after_the_last_id(driver, server: FixedServer) -> None:
    def respond(seen: Seen) -> Answer:
        if "marker" not in seen.query:
            body = page([image("a")])
            body["images_links"] = [{"rel": "next", "href": "http://x.invalid/images/detail?limit=1"}]
            return Answer(200, body)
        return Answer(200, page([image("b")]))

    server.route("GET", DETAIL, respond)
    assert [i.id for i in driver.list_images()] == ["a", "b"]
    assert server.api_requests()[1].query["marker"] == "a"


def test_an_empty_listing_is_an_empty_list(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, Answer(200, {"images": []}))
    assert driver.list_images() == []


def test_the_whole_listing_uses_one_connection_and_one_token(driver, server: FixedServer, identity) -> None:
    ids = [f"img-{n}" for n in range(9)]
    server.route("GET", DETAIL, paged(ids, 2))
    assert len(driver.list_images()) == 9
    assert identity.issued == 1
    assert server.connections == 2  # one for identity, one for all of the API's pages
