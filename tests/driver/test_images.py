"""get_image, delete_image, and how error answers reach the caller."""

from __future__ import annotations

import pytest
from libcloud.common.exceptions import BaseHTTPError, RateLimitReachedError
from libcloud.common.types import InvalidCredsError
from libcloud.compute.base import NodeImage

from rackimg_driver import InvalidResponseError
from tests.conftest import TENANT, image
from tests.fixedserver import Answer, FixedServer

IMAGES = f"/v2/{TENANT}/images"
NOT_FOUND = Answer(404, {"itemNotFound": {"code": 404, "message": "Image not found."}})


def test_get_image_returns_the_detailed_image(driver, server: FixedServer) -> None:
    server.route(
        "GET", f"{IMAGES}/abc", Answer(200, {"image": image("abc", name="Ubuntu", status="SAVING", progress=30)})
    )
    got = driver.get_image("abc")
    assert isinstance(got, NodeImage)
    assert (got.id, got.name, got.extra["state"], got.extra["progress"]) == ("abc", "Ubuntu", "SAVING", 30)
    assert got.driver is driver


def test_an_id_is_percent_encoded_in_the_url(driver, server: FixedServer) -> None:
    server.route("GET", f"{IMAGES}/a%2Fb%3Fc%20d", Answer(200, {"image": image("a/b?c d")}))
    assert driver.get_image("a/b?c d").id == "a/b?c d"
    (call,) = server.api_requests()
    assert call.query == {}


def test_get_of_a_missing_image_is_a_404_with_the_servers_message(driver, server: FixedServer) -> None:
    server.route("GET", f"{IMAGES}/gone", NOT_FOUND)
    with pytest.raises(BaseHTTPError) as raised:
        driver.get_image("gone")
    assert raised.value.code == 404
    assert "Image not found." in str(raised.value)


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_empty_or_non_string_ids_are_refused_before_any_request(driver, server: FixedServer, bad) -> None:
    with pytest.raises(ValueError, match="image_id"):
        driver.get_image(bad)
    with pytest.raises(ValueError, match="node_image"):
        driver.delete_image(bad)
    assert server.requests == []


def test_delete_image_is_true_on_204(driver, server: FixedServer) -> None:
    server.route("DELETE", f"{IMAGES}/abc", Answer(204))
    target = NodeImage("abc", "x", driver)
    assert driver.delete_image(target) is True
    assert driver.delete_image("abc") is True
    assert [c.method for c in server.api_requests()] == ["DELETE", "DELETE"]


def test_delete_of_a_missing_image_is_a_404(driver, server: FixedServer) -> None:
    server.route("DELETE", f"{IMAGES}/gone", NOT_FOUND)
    with pytest.raises(BaseHTTPError) as raised:
        driver.delete_image(NodeImage("gone", "x", driver))
    assert raised.value.code == 404


def test_delete_of_a_protected_image_is_a_403(driver, server: FixedServer) -> None:
    server.route(
        "DELETE", f"{IMAGES}/locked", Answer(403, {"forbidden": {"code": 403, "message": "Image is protected."}})
    )
    with pytest.raises(BaseHTTPError) as raised:
        driver.delete_image(NodeImage("locked", "x", driver))
    assert raised.value.code == 403
    assert "Image is protected." in raised.value.message


@pytest.mark.parametrize(
    ("status", "retry_after", "seconds"),
    [(413, "30", 30.0), (429, "7", 7.0), (429, None, 0.0), (413, "Fri, 31 Dec 1999 23:59:59 GMT", 0.0)],
)
def test_rate_limits_raise_rate_limit_reached_with_retry_after(driver, server, status, retry_after, seconds) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    body = {"overLimit": {"code": status, "message": "This request was rate-limited.", "retryAfter": retry_after}}
    server.route("GET", f"{IMAGES}/detail", Answer(status, body, headers))
    with pytest.raises(RateLimitReachedError) as raised:
        driver.list_images()
    assert raised.value.code == status
    assert raised.value.retry_after == seconds
    assert "rate-limited" in str(raised.value)


def test_retry_after_as_a_future_http_date_is_seconds_from_now(driver, server) -> None:
    import time
    from email.utils import formatdate

    server.route(
        "GET", f"{IMAGES}/detail", Answer(429, {}, {"Retry-After": formatdate(time.time() + 120, usegmt=True)})
    )
    with pytest.raises(RateLimitReachedError) as raised:
        driver.list_images()
    assert 100 <= raised.value.retry_after <= 121


@pytest.mark.parametrize("status", [400, 405, 409, 500, 503])
def test_other_errors_are_base_http_errors_with_the_message(driver, server, status) -> None:
    server.route(
        "GET", f"{IMAGES}/detail", Answer(status, {"someFault": {"code": status, "message": f"fault {status}"}})
    )
    with pytest.raises(BaseHTTPError) as raised:
        driver.list_images()
    assert raised.value.code == status
    assert f"fault {status}" in str(raised.value)


def test_an_html_error_page_is_an_error_with_an_excerpt(driver, server) -> None:
    html = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 5000 + "</body></html>"
    server.route("GET", f"{IMAGES}/detail", Answer(502, html, {"Content-Type": "text/html"}))
    with pytest.raises(BaseHTTPError) as raised:
        driver.list_images()
    assert raised.value.code == 502
    assert "502 Bad Gateway" in str(raised.value)
    assert len(str(raised.value)) < 400


@pytest.mark.parametrize("body", ["<html>oops</html>", '{"images": [', "null"])
def test_a_200_that_is_not_the_expected_json_is_a_clear_error(driver, server, body) -> None:
    server.route("GET", f"{IMAGES}/detail", Answer(200, body, {"Content-Type": "application/json"}))
    with pytest.raises(InvalidResponseError) as raised:
        driver.list_images()
    assert raised.value.code == 200


def test_get_without_an_image_key_is_a_clear_error(driver, server) -> None:
    server.route("GET", f"{IMAGES}/a", Answer(200, {"server": {}}))
    with pytest.raises(InvalidResponseError, match="'image'"):
        driver.get_image("a")


def test_a_401_that_survives_a_fresh_token_is_invalid_creds(driver, server, identity) -> None:
    server.route("GET", f"{IMAGES}/detail", Answer(401, {"unauthorized": {"code": 401, "message": "No."}}))
    with pytest.raises(InvalidCredsError):
        driver.list_images()
    assert identity.issued == 2  # one re-authentication, then the error


def test_glances_json_error_shape_gives_its_message_without_markup(driver, server) -> None:
    # Real Glance, asked for JSON, answers errors as a top-level message with HTML breaks in it.
    body = {
        "message": "Image x is protected and cannot be deleted.<br /><br />\n\n\n",
        "code": "403 Forbidden",
        "title": "Forbidden",
    }
    server.route("DELETE", f"{IMAGES}/x", Answer(403, body))
    with pytest.raises(BaseHTTPError) as raised:
        driver.delete_image("x")
    assert str(raised.value) == "403 Forbidden: Image x is protected and cannot be deleted."
