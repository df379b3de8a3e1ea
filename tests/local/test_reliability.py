"""Reliability: each fault the local cloud can inject, what the caller sees, and that no
image is lost or duplicated. Set RACKIMG_RELIABILITY_REPORT=path to write the figures
(docs/reliability.rst shows the last run's)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pytest
from libcloud.common.exceptions import BaseHTTPError, RateLimitReachedError

from rackimg_driver import InvalidResponseError, RackImgNodeDriver
from rackimg_driver.emulator import LocalCloud
from rackimg_driver.errors import TransportError
from tests.conftest import FAST_RETRIES, TENANT, image, page
from tests.fixedserver import HANG_UP, Answer, FixedServer, Seen

BULK = 300
PAGE = 50


@dataclass
class Outcome:
    scenario: str
    injected: str
    caller_saw: str
    images: int
    lost: int
    duplicated: int
    requests_injected: int
    seconds: float


REPORT: list[Outcome] = []


@pytest.fixture(scope="module", autouse=True)
def write_report() -> Iterator[None]:
    yield
    target = os.environ.get("RACKIMG_RELIABILITY_REPORT")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            json.dump([asdict(outcome) for outcome in REPORT], out, indent=2)


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud("rackspace") as local:
        local.store.add_images_bulk(BULK, owner=local.tenant_id, name_prefix="bulk")
        yield local


@pytest.fixture
def faults(cloud: LocalCloud) -> Iterator[Any]:
    cloud.faults.clear()
    yield cloud.faults
    cloud.faults.clear()


@pytest.fixture(scope="module")
def truth(cloud: LocalCloud) -> list[str]:
    return [i.id for i in RackImgNodeDriver(**cloud.driver_kwargs).list_images()]


def driver_for(cloud: LocalCloud, **kwargs: Any) -> RackImgNodeDriver:
    return RackImgNodeDriver(**{**cloud.driver_kwargs, **FAST_RETRIES, "ex_page_size": PAGE, **kwargs})


def record(name: str, injected: str, saw: str, ids: list[str], truth: list[str], count: int, started: float) -> None:
    lost = len(set(truth) - set(ids))
    duplicated = len(ids) - len(set(ids))
    REPORT.append(Outcome(name, injected, saw, len(ids), lost, duplicated, count, round(time.monotonic() - started, 2)))
    assert (lost, duplicated) == (0, 0)
    assert ids == truth


RECOVERED = [
    ("rate limit, 413 overLimit", {"rate_limit": {"status": 413, "retry_after": 0, "count": 3}}, "rate_limit"),
    ("rate limit, 429", {"rate_limit": {"status": 429, "retry_after": 0, "count": 2}}, "rate_limit"),
    ("server errors 500, 502, 503, 504", {"errors": {"statuses": [500, 502, 503, 504], "count": 4}}, "errors"),
    ("dropped connections", {"drop": {"count": 3}}, "drop"),
    ("HTML error page with 200", {"bad_body": {"kind": "html", "status": 200, "count": 2}}, "bad_body"),
    ("HTML error page with 502", {"bad_body": {"kind": "html", "status": 502, "count": 2}}, "bad_body"),
    ("JSON cut in half", {"bad_body": {"kind": "truncated", "count": 2}}, "bad_body"),
    ("token expires every 3 requests", {"token_expiry": {"after_requests": 3}}, "token_expiry"),
    (
        "20% of requests fail at random",
        {"seed": 11, "errors": {"statuses": [500, 503], "probability": 0.1}, "drop": {"probability": 0.05},
         "bad_body": {"kind": "truncated", "probability": 0.05}},
        "errors",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "spec", "kind"), RECOVERED, ids=[r[0] for r in RECOVERED])
def test_the_listing_recovers_from(cloud, faults, truth, name, spec, kind) -> None:
    faults.configure(spec)
    started = time.monotonic()
    ids = [i.id for i in driver_for(cloud).ex_iterate_images()]
    injected = faults.injected()
    assert injected[kind] >= 1, injected
    record(name, json.dumps(spec), "the full listing", ids, truth, sum(injected.values()), started)


def test_a_read_timeout_is_retried(cloud, faults, truth) -> None:
    # Without retries the slow answer is a timeout (so the fault does trip the read timeout)...
    faults.set_delay(seconds=0.6, count=1)
    with pytest.raises(TransportError, match=r"timed out|within"):
        driver_for(cloud, ex_read_timeout=0.2, ex_max_retries=0).list_images()
    assert faults.injected()["delay"] == 1
    # ...and with them, the same fault costs one more try and no image.
    faults.set_delay(seconds=0.6, count=1)
    started = time.monotonic()
    ids = [i.id for i in driver_for(cloud, ex_read_timeout=0.2).list_images()]
    record("slow answer past the read timeout", "delay 0.6 s, read timeout 0.2 s", "the full listing", ids, truth,
           faults.injected()["delay"], started)  # fmt: skip


def test_retry_after_is_honoured(cloud, faults, truth) -> None:
    faults.set_rate_limit(status=429, retry_after=1, count=1)
    started = time.monotonic()
    ids = [i.id for i in driver_for(cloud, ex_retry_max_delay=5).list_images()]
    took = time.monotonic() - started
    assert took >= 1.0
    record(
        "Retry-After: 1", "one 429 with Retry-After 1", f"the full listing after {took:.1f} s", ids, truth, 1, started
    )


def raises(call: Any, kind: type[BaseException]) -> BaseException:
    with pytest.raises(kind) as raised:
        call()
    return raised.value


def test_retries_run_out_with_the_count_and_the_last_answer(cloud, faults) -> None:
    faults.set_errors(statuses=[503], count=10)
    error = raises(driver_for(cloud, ex_max_retries=2).list_images, BaseHTTPError)
    assert error.code == 503
    assert "Injected fault" in str(error) and "gave up after 3 attempts" in str(error)
    assert faults.injected()["errors"] == 3
    REPORT.append(Outcome("persistent 503", "503 on 10 requests, 2 retries", str(error), 0, 0, 0, 3, 0))


def test_retries_off_fails_at_the_first_fault(cloud, faults) -> None:
    faults.set_drop(count=1)
    error = raises(driver_for(cloud, ex_max_retries=0).list_images, TransportError)
    assert "no answer" in str(error) and "/images/detail" in str(error)
    assert faults.injected()["drop"] == 1
    REPORT.append(Outcome("retries off (ex_max_retries=0)", "one dropped connection", str(error), 0, 0, 0, 1, 0))


def test_a_retry_after_longer_than_the_longest_wait_is_left_to_the_caller(cloud, faults) -> None:
    faults.set_rate_limit(status=413, retry_after=60, count=5)
    started = time.monotonic()
    error = raises(driver_for(cloud).list_images, RateLimitReachedError)
    assert time.monotonic() - started < 5
    assert (error.code, error.retry_after) == (413, 60.0)
    assert faults.injected()["rate_limit"] == 1
    REPORT.append(Outcome("Retry-After beyond ex_retry_max_delay", "413, Retry-After 60", str(error), 0, 0, 0, 1, 0))


def test_a_persistent_non_json_answer_is_an_error_with_an_excerpt(cloud, faults) -> None:
    faults.set_bad_body(kind="html", status=200, count=10)
    error = raises(driver_for(cloud, ex_max_retries=1).list_images, InvalidResponseError)
    assert error.code == 200 and "<html>" in str(error) and len(str(error)) < 400


def test_the_total_time_bounds_the_retries(cloud, faults) -> None:
    faults.set_errors(statuses=[500], count=100)
    started = time.monotonic()
    driver = driver_for(cloud, ex_max_retries=50, ex_retry_backoff=0.2, ex_retry_max_delay=0.2, ex_retry_total=0.5)
    raises(driver.list_images, BaseHTTPError)
    assert time.monotonic() - started < 1.5
    assert faults.injected()["errors"] < 6


def test_create_image_is_not_repeated_after_a_server_error(cloud, faults) -> None:
    before = len(cloud.store.list_images(cloud.tenant_id))
    faults.set_errors(statuses=[500], count=1)
    raises(lambda: driver_for(cloud).create_image("6a1d8b2f-3c4e-4f6a-8b7c-8d9e0f1a2b3c", "once"), BaseHTTPError)
    assert len(cloud.store.list_images(cloud.tenant_id)) == before


def test_create_image_is_retried_after_a_rate_limit(cloud, faults) -> None:
    faults.set_rate_limit(status=413, retry_after=0, count=1)
    image = driver_for(cloud).create_image("7b2e9c3a-4d5f-4a7b-9c8d-9e0f1a2b3c4d", "after-limit")
    assert image.name == "after-limit"
    assert len([i for i in cloud.store.list_images(cloud.tenant_id) if i.name == "after-limit"]) == 1


# -- DELETE: retried only where that is safe (fixed pages, to control what the server did) ---


def deleting_server(server: FixedServer, first: Answer | None) -> dict[str, int]:
    """A DELETE route: the first try does the delete and answers ``first``; later tries see 404."""
    state = {"deleted": 0, "tries": 0}

    def respond(seen: Seen) -> Answer:
        state["tries"] += 1
        if state["deleted"]:
            return Answer(404, {"itemNotFound": {"code": 404, "message": "Image not found."}})
        state["deleted"] += 1
        return first if first is not None else Answer(204)

    server.route("DELETE", f"/v2/{TENANT}/images/img-1", respond)
    return state


def test_a_delete_whose_answer_was_lost_counts_as_done(make_driver, server: FixedServer) -> None:
    state = deleting_server(server, HANG_UP)
    assert make_driver().delete_image("img-1") is True
    assert state == {"deleted": 1, "tries": 2}
    REPORT.append(
        Outcome("DELETE answer lost", "connection closed after the delete", "True (retry saw 404)", 1, 0, 0, 1, 0)
    )


def test_a_delete_after_a_503_that_finds_the_image_gone_counts_as_done(make_driver, server: FixedServer) -> None:
    state = deleting_server(server, Answer(503, {"serviceUnavailable": {"code": 503, "message": "busy"}}))
    assert make_driver().delete_image("img-1") is True
    assert state["tries"] == 2


def test_a_404_on_the_first_delete_is_an_error(make_driver, server: FixedServer) -> None:
    server.route(
        "DELETE",
        f"/v2/{TENANT}/images/img-1",
        Answer(404, {"itemNotFound": {"code": 404, "message": "Image not found."}}),
    )
    error = raises(lambda: make_driver().delete_image("img-1"), BaseHTTPError)
    assert error.code == 404
    assert len(server.api_requests()) == 1


def test_a_delete_of_a_protected_image_is_not_retried(make_driver, server: FixedServer) -> None:
    server.route(
        "DELETE", f"/v2/{TENANT}/images/img-1", Answer(403, {"forbidden": {"code": 403, "message": "protected"}})
    )
    raises(lambda: make_driver().delete_image("img-1"), BaseHTTPError)
    assert len(server.api_requests()) == 1


# -- paging integrity ------------------------------------------------------------------------


def test_a_retry_repeats_the_same_marker(make_driver, server: FixedServer) -> None:
    calls = {"n": 0}

    def respond(seen: Seen) -> Answer:
        calls["n"] += 1
        if calls["n"] == 2:
            return Answer(502, "<html>bad gateway</html>", {"Content-Type": "text/html"})
        if "marker" not in seen.query:
            return Answer(200, page([image("a"), image("b")], "b"))
        return Answer(200, page([image("c")]))

    server.route("GET", f"/v2/{TENANT}/images/detail", respond)
    assert [i.id for i in make_driver().list_images()] == ["a", "b", "c"]
    assert [c.query.get("marker") for c in server.api_requests()] == [None, "b", "b"]


def test_an_unknown_marker_names_the_marker(make_driver, server: FixedServer) -> None:
    body = {"badRequest": {"code": 400, "message": "marker [gone] not found"}}
    server.route("GET", f"/v2/{TENANT}/images/detail", Answer(400, body))
    error = raises(lambda: make_driver().list_images(ex_filters={"marker": "gone"}), BaseHTTPError)
    assert error.code == 400
    assert "unknown marker 'gone'" in str(error) and "marker [gone] not found" in str(error)
    assert len(server.api_requests()) == 1


def test_an_ssl_failure_is_not_retried(make_driver, server: FixedServer) -> None:
    # The test server speaks plain HTTP: a TLS handshake with it fails at once.
    https = server.url.replace("http://", "https://")
    driver = RackImgNodeDriver("u", ex_force_auth_token="t", ex_force_base_url=https + "/v2/1", **FAST_RETRIES)
    error = raises(driver.list_images, TransportError)
    assert "SSLError" in str(error)
    assert server.requests == []
