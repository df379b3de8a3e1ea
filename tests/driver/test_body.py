"""Reading answers: the body is read whole in one go, however the server frames it."""

from __future__ import annotations

import gzip
import json

import pytest

from rackimg_driver import TransportError
from tests.conftest import TENANT, image, page
from tests.fixedserver import Answer, FixedServer, Seen

DETAIL = f"/v2/{TENANT}/images/detail"
IDS = [f"img-{n:04d}" for n in range(1500)]


def body_bytes() -> bytes:
    return json.dumps(page([image(i, name=f"naïve {i}") for i in IDS])).encode()


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_large_page_arrives_whole_in_any_framing(driver, server: FixedServer, framing: str) -> None:
    server.route("GET", DETAIL, Answer(200, body_bytes(), {"Content-Type": "application/json"}, framing))
    images = driver.list_images()
    assert [i.id for i in images] == IDS
    assert images[-1].name == "naïve img-1499"  # UTF-8, decoded as such


def test_a_gzipped_page_is_decoded(driver, server: FixedServer) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    server.route("GET", DETAIL, Answer(200, gzip.compress(body_bytes()), headers))
    assert [i.id for i in driver.list_images()] == IDS


def test_json_without_a_charset_is_read_as_utf_8(driver, server: FixedServer) -> None:
    # No Content-Type at all: requests would guess the encoding; JSON is UTF-8.
    server.route("GET", DETAIL, Answer(200, body_bytes(), {}))
    assert driver.list_images()[0].name == "naïve img-0000"


def test_a_body_cut_short_is_asked_for_again(driver, server: FixedServer) -> None:
    tries: list[int] = []

    def respond(seen: Seen) -> Answer:
        tries.append(1)
        framing = "cut" if len(tries) == 1 else "length"
        return Answer(200, body_bytes(), {"Content-Type": "application/json"}, framing)

    server.route("GET", DETAIL, respond)
    assert [i.id for i in driver.list_images()] == IDS
    assert len(server.api_requests()) == 2


def test_a_body_always_cut_short_is_a_transport_error(make_driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, Answer(200, body_bytes(), {"Content-Type": "application/json"}, "cut"))
    driver = make_driver(ex_max_retries=1)
    with pytest.raises(TransportError) as raised:
        driver.list_images()
    assert "2 attempts" in str(raised.value)
    assert len(server.api_requests()) == 2


def test_pages_share_one_connection(make_driver, server: FixedServer) -> None:
    ids = [f"i{n}" for n in range(5)]

    def respond(seen: Seen) -> Answer:
        start = ids.index(seen.query["marker"]) + 1 if "marker" in seen.query else 0
        chunk = ids[start : start + 2]
        return Answer(200, page([image(i) for i in chunk], chunk[-1] if len(chunk) == 2 else None))

    server.route("GET", DETAIL, respond)
    driver = make_driver(ex_page_size=2)
    assert [i.id for i in driver.list_images()] == ids
    assert len(server.api_requests()) == 3
    assert server.connections == 2  # identity, then one keep-alive connection for every page


def test_a_body_in_a_declared_charset_is_decoded_with_it(driver, server: FixedServer) -> None:
    body = json.dumps(page([image("a", name="naïve")]), ensure_ascii=False).encode("iso-8859-1")
    server.route("GET", DETAIL, Answer(200, body, {"Content-Type": "application/json; charset=iso-8859-1"}))
    assert driver.list_images()[0].name == "naïve"


def test_an_error_body_is_read_for_the_message(make_driver, server: FixedServer) -> None:
    fault = {"itemNotFound": {"code": 404, "message": "Image naïve not found"}}
    server.route("GET", f"/v2/{TENANT}/images/x", Answer(404, fault))
    driver = make_driver(ex_max_retries=0)
    with pytest.raises(Exception) as raised:
        driver.get_image("x")
    assert "Image naïve not found" in str(raised.value)
