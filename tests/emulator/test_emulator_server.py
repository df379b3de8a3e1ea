"""The HTTP layer: keep-alive, Content-Length, microversions, and what LocalCloud exposes."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from rackimg_driver.emulator import LocalCloud, local_cloud

from .conftest import TIMEOUT, Client, login_rackspace


def test_a_session_reuses_one_connection_for_several_requests(rackspace_cloud: LocalCloud) -> None:
    before = rackspace_cloud.connections_opened
    client = login_rackspace(rackspace_cloud)
    for _ in range(3):
        assert client.get("/images").status_code == 200

    assert rackspace_cloud.connections_opened == before + 1


def test_connection_close_is_honoured(rackspace_cloud: LocalCloud, rs: Client) -> None:
    before = rackspace_cloud.connections_opened  # the login connection, still open
    closing = [rs.get("/images", headers={"Connection": "close"}) for _ in range(2)]
    assert rs.get("/images").status_code == 200

    assert [r.headers["Connection"] for r in closing] == ["close", "close"]
    assert rackspace_cloud.connections_opened == before + 2


def test_every_answer_has_a_content_length_over_raw_http_1_1(rackspace_cloud: LocalCloud, rs: Client) -> None:
    connection = http.client.HTTPConnection(rackspace_cloud.host, rackspace_cloud.port, timeout=TIMEOUT)
    try:
        for method, path in [("GET", "/v2/123456/images"), ("DELETE", "/v2/123456/images/nope"), ("GET", "/nowhere")]:
            connection.request(method, path, headers={"X-Auth-Token": rs.token})
            response = connection.getresponse()
            body = response.read()
            assert response.version == 11
            assert response.getheader("Content-Length") == str(len(body))
            assert response.getheader("Content-Type") == "application/json"
    finally:
        connection.close()


def test_query_string_and_body_reach_the_app_through_one_kept_alive_connection(rs: Client) -> None:
    assert rs.get("/images", params={"limit": 1}).json()["images_links"]
    response = rs.post("/servers/nope/action", json={"createImage": {"name": "n"}})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 200),
        ({"X-OpenStack-Nova-API-Version": "2.35"}, 200),
        ({"X-OpenStack-Nova-API-Version": "2.36"}, 404),
        ({"OpenStack-API-Version": "compute 2.36"}, 404),
        ({"OpenStack-API-Version": "compute latest"}, 404),
        ({"OpenStack-API-Version": "compute 2.1"}, 200),
        ({"X-OpenStack-Nova-API-Version": "2.999"}, 406),
        ({"X-OpenStack-Nova-API-Version": "two"}, 400),
    ],
)
def test_openstack_microversions_remove_the_images_proxy_from_2_36(
    osc: Client, headers: dict[str, str], status: int
) -> None:
    for path in ("/images", "/images/detail", "/images/some-id"):
        response = osc.get(path, headers=headers)
        expected = 404 if status == 200 and path == "/images/some-id" else status
        assert response.status_code == expected, (path, response.text)


def test_openstack_answers_with_the_microversion_it_used(osc: Client) -> None:
    default = osc.get("/images")
    pinned = osc.get("/servers", headers={"OpenStack-API-Version": "compute 2.60"})

    assert default.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert default.headers["OpenStack-API-Version"] == "compute 2.1"
    assert pinned.status_code == 200  # servers are still there after 2.35
    assert pinned.headers["OpenStack-API-Version"] == "compute 2.60"


def test_rackspace_dialect_ignores_microversion_headers(rs: Client) -> None:
    response = rs.get("/images", headers={"X-OpenStack-Nova-API-Version": "2.60"})
    assert response.status_code == 200
    assert "X-OpenStack-Nova-API-Version" not in response.headers


def test_driver_kwargs_for_each_dialect(rackspace_cloud: LocalCloud, openstack_cloud: LocalCloud) -> None:
    assert rackspace_cloud.driver_kwargs == {
        "key": "demo",
        "secret": rackspace_cloud.api_key,
        "ex_force_auth_url": rackspace_cloud.url,
        "ex_force_auth_version": "2.0_apikey",
        "region": "dfw",
        "ex_dialect": "rackspace",
    }
    assert openstack_cloud.driver_kwargs == {
        "key": "demo",
        "secret": openstack_cloud.password,
        "ex_force_auth_url": openstack_cloud.url,
        "ex_force_auth_version": "3.x_password",
        "ex_tenant_name": openstack_cloud.project_name,
        "ex_domain_name": "Default",
        "ex_force_service_region": "RegionOne",
        "ex_dialect": "openstack",
    }
    assert rackspace_cloud.url == f"http://127.0.0.1:{rackspace_cloud.port}"
    assert rackspace_cloud.port != 0


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        LocalCloud("aws")


def test_an_unseeded_cloud_is_empty() -> None:
    with local_cloud(seed=False) as cloud:
        assert login_rackspace(cloud).ids() == []


def test_serve_runs_in_the_foreground_until_ctrl_c() -> None:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", "from rackimg_driver.emulator import serve; serve(port=0, dialect='openstack')"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in first
        url = first.rsplit(" ", 1)[-1].strip()
        printed = []
        while (line := process.stdout.readline()) not in ("", "Press Ctrl-C to stop.\n"):
            printed.append(line)

        assert requests.get(url + "/v2.1/images", timeout=TIMEOUT).status_code == 401
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert printed[0].strip() == f"compute endpoint: {url}/v2.1/123456"
    assert "  ex_force_auth_version = 3.x_password\n" in printed
    assert process.returncode == 0
    assert rest == "stopping\n"
