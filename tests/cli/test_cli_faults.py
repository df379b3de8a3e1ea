"""What ``rackimg`` makes of a cloud that misbehaves: each failure is one line and an exit code.

The driver retries reads and rate limits; ``--retries 0`` (or RACKIMG_RETRIES=0) lets a fault
reach the command at once, and the default retries are tested with faults that fire once.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator

import pytest

from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import DEMO_TENANT, SNAPSHOT_ACTIVE_ID, WEB_SERVER_ID

from .conftest import SEEDED_IDS, Rackimg, ids_of, run_together

EXCERPT_CHARS = 200
NOT_JSON = "rackimg: error: the answer is not JSON (HTTP 200): "


def post_faults(cloud: LocalCloud, spec: dict[str, object]) -> dict[str, object]:
    """Switch faults on through the emulator's admin route, as another process would."""
    request = urllib.request.Request(
        cloud.url + "/_emulator/faults",
        data=json.dumps(spec).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return dict(json.load(response))


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("rackimg: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def image_count(cloud: LocalCloud) -> int:
    return len(cloud.store.list_images(DEMO_TENANT))


def test_a_rate_limit_exits_5_and_says_when_to_retry(
    rs: Rackimg, osk: Rackimg, cloud: LocalCloud, openstack_cloud: LocalCloud
) -> None:
    state = post_faults(cloud, {"rate_limit": {"status": 429, "retry_after": 7}})
    assert state["rate_limit"] is not None
    openstack_cloud.faults.set_rate_limit(status=413, retry_after=3)

    over_http, from_python = run_together(
        lambda: rs("--retries", "0", "images", "show", SNAPSHOT_ACTIVE_ID),
        lambda: osk("--retries", "0", "images", "list"),
    )

    assert over_http.returncode == 5
    assert over_http.stdout == ""
    assert over_http.stderr.splitlines() == [
        "rackimg: error: 429 Too Many Requests: This request was rate-limited. (retry after 7 s)"
    ]
    assert from_python.returncode == 5
    assert from_python.stderr.splitlines() == [
        "rackimg: error: 413 Request Entity Too Large: This request was rate-limited. (retry after 3 s)"
    ]
    assert cloud.faults.injected()["rate_limit"] == 1
    assert openstack_cloud.faults.injected()["rate_limit"] == 1


def test_a_rate_limit_is_waited_out_when_it_passes(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_rate_limit(status=429, retry_after=1, count=1)

    result = rs("images", "list", "--brief")

    assert result.returncode == 0, result.stderr
    assert ids_of(result.stdout) == SEEDED_IDS
    assert cloud.faults.injected()["rate_limit"] == 1


def test_a_server_error_exits_1_with_the_servers_message(rs: Rackimg, cloud: LocalCloud) -> None:
    post_faults(cloud, {"errors": {"statuses": [500]}})

    listed, made = run_together(
        lambda: rs("--retries", "0", "images", "list"),
        lambda: rs("images", "snapshot", WEB_SERVER_ID, "--name", "never-made"),  # a POST is never retried
    )

    for result in (listed, made):
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "rackimg: error: 500 Internal Server Error: Injected fault: the server failed."
        ]
    assert image_count(cloud) == len(SEEDED_IDS)


def test_retries_are_counted_in_the_message_when_they_run_out(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_errors(statuses=[502, 503])

    result = rs("images", "list", env={"RACKIMG_RETRIES": "1"})

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "rackimg: error: 503 Service Unavailable: Injected fault: the server failed. (gave up after 2 attempts)"
    ]
    assert cloud.faults.injected()["errors"] == 2


def test_a_single_server_error_on_a_read_is_retried_away(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_errors(statuses=[503], count=1)

    result = rs("images", "list", "--brief")

    assert result.returncode == 0, result.stderr
    assert ids_of(result.stdout) == SEEDED_IDS
    assert cloud.faults.injected()["errors"] == 1


def test_an_html_page_instead_of_json_exits_1_with_a_short_excerpt(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_bad_body(kind="html")

    result = rs("--retries", "0", "images", "list")

    assert result.returncode == 1
    assert one_error_line(result.stderr) == (
        NOT_JSON + "<html><head><title>200 OK</title></head><body><h1>OK</h1>"
        "<p>The proxy answered in HTML.</p></body></html>"
    )


def test_a_long_truncated_body_is_cut_to_a_short_excerpt(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_bad_body(kind="truncated")

    result = rs("--retries", "0", "images", "list")

    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith(NOT_JSON + '{"images": [{"id": ')
    assert line.endswith("...")
    assert len(line) == len(NOT_JSON) + EXCERPT_CHARS


def test_an_html_error_page_exits_1_with_its_status_and_its_words(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_bad_body(kind="html", status=502)

    result = rs("--retries", "0", "images", "show", SNAPSHOT_ACTIVE_ID)

    assert result.returncode == 1
    assert one_error_line(result.stderr) == "rackimg: error: 502 Bad Gateway: The proxy answered in HTML."


def test_a_dropped_connection_exits_non_zero_with_one_line(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_drop()

    listed, made = run_together(
        lambda: rs("--retries", "0", "images", "list"),
        lambda: rs("images", "snapshot", WEB_SERVER_ID, "--name", "n"),
    )

    for result in (listed, made):
        assert result.returncode == 1
        assert result.stdout == ""
        assert "Connection aborted" in one_error_line(result.stderr)
    assert cloud.faults.injected()["drop"] == 2
    assert image_count(cloud) == len(SEEDED_IDS)


def test_tokens_that_expire_mid_listing_are_renewed(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_token_expiry(after_requests=1)

    result = rs("--retries", "0", "images", "list", "--brief", "--page-size", "3")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert ids_of(result.stdout) == SEEDED_IDS
    assert cloud.faults.injected()["token_expiry"] >= 2  # every page after the first needed a new token


def test_http_timeout_from_the_option_or_the_environment_bounds_each_answer(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_delay(3.0)

    by_option, by_variable = run_together(
        lambda: rs("--retries", "0", "--http-timeout", "0.5", "servers"),
        lambda: rs("--retries", "0", "servers", env={"RACKIMG_HTTP_TIMEOUT": "0.5"}),
    )

    for result in (by_option, by_variable):
        assert result.returncode == 1
        line = one_error_line(result.stderr)
        assert line.startswith("rackimg: error: GET /servers/detail: no answer (ReadTimeout: "), line
        assert line.endswith("Read timed out. (read timeout=0.5))"), line


def test_a_bad_retries_value_exits_2(rs: Rackimg) -> None:
    result = rs("--retries", "many", "images", "list")

    assert result.returncode == 2
    assert result.stderr.splitlines() == ["rackimg: error: --retries must be a whole number, got 'many'"]


def test_a_rate_limited_delete_exits_5_and_says_when_to_retry(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_rate_limit(status=429, retry_after=9)

    result = rs("--retries", "0", "images", "delete", "-y", SNAPSHOT_ACTIVE_ID)

    assert result.returncode == 5
    assert one_error_line(result.stderr) == (
        f"rackimg: error: {SNAPSHOT_ACTIVE_ID}: 429 Too Many Requests: This request was rate-limited. (retry after 9 s)"
    )
    cloud.faults.clear()
    assert SNAPSHOT_ACTIVE_ID in {image.id for image in cloud.store.list_images(DEMO_TENANT)}


def test_a_failure_on_one_delete_does_not_stop_the_others(rs: Rackimg, cloud: LocalCloud) -> None:
    from rackimg_driver.emulator.seed import BACKUP_ACTIVE_ID

    cloud.faults.set_drop(count=1)

    result = rs("--retries", "0", "images", "delete", "-y", SNAPSHOT_ACTIVE_ID, BACKUP_ACTIVE_ID)

    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith(f"rackimg: error: {SNAPSHOT_ACTIVE_ID}: ") and "no answer" in line
    assert result.stdout == f"deleted {BACKUP_ACTIVE_ID}\n"
    remaining = {image.id for image in cloud.store.list_images(DEMO_TENANT)}
    assert SNAPSHOT_ACTIVE_ID in remaining and BACKUP_ACTIVE_ID not in remaining


# -- identity ------------------------------------------------------------------------------------


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """A root URL on 127.0.0.1 that refuses connections: its port is bound, but never listened on."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"


def test_an_unreachable_identity_service_is_reported_as_identity(rackimg: Rackimg, refusing_url: str) -> None:
    openstack, rackspace = run_together(
        lambda: rackimg(
            "--cloud", "openstack", "--auth-url", f"{refusing_url}/v3", "--auth-version", "3.x_password",
            "--user", "demo", "--password", "a-password", "--tenant", "demo", "--retries", "0", "images", "list",
        ),
        lambda: rackimg(
            "--auth-url", refusing_url, "--user", "demo", "--api-key", "a-key", "--retries", "0", "images", "list"
        ),
    )  # fmt: skip

    for result in (openstack, rackspace):
        assert result.returncode == 1
        assert result.stdout == ""
        line = one_error_line(result.stderr)
        assert line.startswith(f"rackimg: error: identity at {refusing_url}"), line
        assert "refused" in line.lower(), line
        assert "/images" not in line, line


def test_an_identity_service_that_answers_500_is_reported_as_identity(
    rs: Rackimg, osk: Rackimg, cloud: LocalCloud, openstack_cloud: LocalCloud
) -> None:
    for local in (cloud, openstack_cloud):
        local.faults.include_identity = True
        local.faults.set_errors(statuses=[500])

    results = run_together(
        lambda: rs("--retries", "0", "images", "list"),
        lambda: osk("--retries", "0", "images", "list"),
    )

    for result, local in zip(results, (cloud, openstack_cloud), strict=True):
        assert result.returncode == 1
        assert result.stdout == ""
        line = one_error_line(result.stderr)
        assert line.startswith(f"rackimg: error: identity at {local.url}"), line
        assert "500" in line, line
        assert "/images" not in line, line
        assert local.faults.injected()["errors"] == 1  # the token request; no images request followed
