"""Injected faults, switched from Python and over the admin route, with their counters."""

from __future__ import annotations

import time

import pytest
import requests

from rackimg_driver.emulator import Faults, LocalCloud, local_cloud

from .conftest import TIMEOUT, Client, login_rackspace


def admin(cloud: LocalCloud, method: str, body: object = None) -> requests.Response:
    return requests.request(method, cloud.url + "/_emulator/faults", json=body, timeout=TIMEOUT)


def test_rate_limit_answers_413_over_limit_with_retry_after_for_the_next_n_requests(
    rackspace_cloud: LocalCloud, rs: Client
) -> None:
    rackspace_cloud.faults.set_rate_limit(status=413, retry_after=7, count=2)

    statuses = [rs.get("/images") for _ in range(3)]

    assert [r.status_code for r in statuses] == [413, 413, 200]
    limited = statuses[0]
    assert limited.headers["Retry-After"] == "7"
    assert limited.headers["Content-Type"] == "application/json"
    assert limited.json()["overLimit"] == {
        "code": 413,
        "message": limited.json()["overLimit"]["message"],
        "retryAfter": "7",
    }
    assert rackspace_cloud.faults.injected()["rate_limit"] == 2


def test_rate_limit_can_be_429(rackspace_cloud: LocalCloud, rs: Client) -> None:
    rackspace_cloud.faults.set_rate_limit(status=429, retry_after=1, count=1)
    response = rs.get("/images")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"


def test_errors_go_round_the_status_list_then_stop(rackspace_cloud: LocalCloud, rs: Client) -> None:
    rackspace_cloud.faults.set_errors(statuses=[500, 503], count=3)

    responses = [rs.get("/images") for _ in range(4)]

    assert [r.status_code for r in responses] == [500, 503, 500, 200]
    assert responses[0].json()["computeFault"]["code"] == 500
    assert responses[1].json()["serviceUnavailable"]["code"] == 503


def _outcomes(seed: int) -> list[int]:
    faults = Faults(seed=seed)
    faults.set_errors(statuses=[502], probability=0.5)
    with local_cloud(faults=faults) as cloud:
        client = login_rackspace(cloud)
        return [client.get("/images").status_code for _ in range(20)]


def test_probabilistic_faults_repeat_with_the_same_seed() -> None:
    first, again, other = _outcomes(11), _outcomes(11), _outcomes(12)

    assert first == again
    assert set(first) == {200, 502}
    assert first != other


def test_delay_slows_the_answer_down(rackspace_cloud: LocalCloud, rs: Client) -> None:
    rackspace_cloud.faults.set_delay(0.3, count=1)

    started = time.monotonic()
    slow = rs.get("/images")
    slow_took = time.monotonic() - started
    started = time.monotonic()
    rs.get("/images")
    fast_took = time.monotonic() - started

    assert slow.status_code == 200
    assert slow_took >= 0.3
    assert fast_took < 0.3


def test_dropped_connection_is_a_connection_error_and_the_next_request_works(
    rackspace_cloud: LocalCloud, rs: Client
) -> None:
    rackspace_cloud.faults.set_drop(count=1)

    with pytest.raises(requests.ConnectionError):
        rs.get("/images")
    assert rs.get("/images").status_code == 200
    assert rackspace_cloud.faults.injected()["drop"] == 1


def test_html_body_instead_of_json(rackspace_cloud: LocalCloud, rs: Client) -> None:
    rackspace_cloud.faults.set_bad_body("html", status=200, count=1)
    response = rs.get("/images")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html"
    assert response.text.startswith("<html>")
    with pytest.raises(ValueError):
        response.json()


def test_html_error_page_with_a_5xx_status(rackspace_cloud: LocalCloud, rs: Client) -> None:
    rackspace_cloud.faults.set_bad_body("html", status=502, count=1)
    response = rs.get("/images")
    assert response.status_code == 502
    assert "<h1>Bad Gateway</h1>" in response.text


def test_truncated_json_body(rackspace_cloud: LocalCloud, rs: Client) -> None:
    full = rs.get("/images").content
    rackspace_cloud.faults.set_bad_body("truncated", count=1)
    cut = rs.get("/images")

    assert cut.status_code == 200
    assert cut.headers["Content-Type"] == "application/json"
    assert cut.content == full[: len(full) // 2]
    with pytest.raises(ValueError):
        cut.json()


def test_tokens_expire_after_n_api_requests_and_a_new_login_works(rackspace_cloud: LocalCloud, rs: Client) -> None:
    rackspace_cloud.faults.set_token_expiry(after_requests=2)

    statuses = [rs.get("/images").status_code for _ in range(4)]
    fresh = login_rackspace(rackspace_cloud)

    assert statuses == [200, 200, 401, 401]
    assert [fresh.get("/images").status_code for _ in range(3)] == [200, 200, 401]
    # each token expires once; later requests with it are refused as unknown tokens
    assert rackspace_cloud.faults.injected()["token_expiry"] == 2


def test_identity_is_spared_unless_asked(rackspace_cloud: LocalCloud) -> None:
    rackspace_cloud.faults.set_errors(statuses=[503])
    login_rackspace(rackspace_cloud)  # asserts 200

    rackspace_cloud.faults.include_identity = True
    body = {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "demo", "apiKey": rackspace_cloud.api_key}}}
    response = requests.post(rackspace_cloud.url + "/v2.0/tokens", json=body, timeout=TIMEOUT)
    assert response.status_code == 503


def test_admin_route_sets_reads_and_clears_faults_and_is_never_faulted(rackspace_cloud: LocalCloud, rs: Client) -> None:
    spec = {"seed": 3, "errors": {"statuses": [500]}, "rate_limit": {"status": 429, "count": 1, "retry_after": 2}}
    set_response = admin(rackspace_cloud, "POST", spec)
    assert set_response.status_code == 200
    assert set_response.json()["rate_limit"]["status"] == 429

    assert [rs.get("/images").status_code for _ in range(3)] == [429, 500, 500]
    state = admin(rackspace_cloud, "GET")  # errors fire on every API request, not here

    assert state.status_code == 200
    assert state.json()["errors"]["statuses"] == [500]
    assert state.json()["injected"]["rate_limit"] == 1
    assert state.json()["injected"]["errors"] == 2

    cleared = admin(rackspace_cloud, "DELETE")
    assert cleared.status_code == 200
    assert cleared.json()["errors"] is None
    assert cleared.json()["injected"]["errors"] == 0
    assert rs.get("/images").status_code == 200


def test_admin_post_merges_and_null_switches_one_fault_off(rackspace_cloud: LocalCloud) -> None:
    admin(rackspace_cloud, "POST", {"delay": {"seconds": 0.01}, "drop": {"count": 5}})
    state = admin(rackspace_cloud, "POST", {"drop": None}).json()

    assert state["delay"]["seconds"] == 0.01
    assert state["drop"] is None


@pytest.mark.parametrize(
    "spec",
    [
        {"volcano": {}},
        {"errors": {"statuses": [404]}},
        {"rate_limit": {"status": 500}},
        {"bad_body": {"kind": "xml"}},
        {"delay": {"seconds": 1, "colour": "red"}},
        {"drop": {"probability": 2}},
        ["not", "an", "object"],
    ],
)
def test_admin_refuses_bad_fault_specs_with_400(rackspace_cloud: LocalCloud, spec: object) -> None:
    response = admin(rackspace_cloud, "POST", spec)
    assert response.status_code == 400
    assert response.json()["badRequest"]["code"] == 400


def test_reset_reseeds_the_store(rackspace_cloud: LocalCloud, rs: Client) -> None:
    before = rs.ids()
    rs.delete(f"/images/{before[0]}")
    assert len(rs.ids()) == len(before) - 1

    reset = requests.post(rackspace_cloud.url + "/_emulator/reset", timeout=TIMEOUT)
    emptied = requests.post(rackspace_cloud.url + "/_emulator/reset", json={"seed": False}, timeout=TIMEOUT)

    assert reset.status_code == 200
    assert emptied.status_code == 200
    assert rs.ids() == []
    requests.post(rackspace_cloud.url + "/_emulator/reset", timeout=TIMEOUT)
    assert rs.ids() == before
