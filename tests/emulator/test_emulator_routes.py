"""Routing over HTTP: which API answers which method and path, its 404s and 405s, and which
requests faults reach. Written against the emulator before its routes became a table, so the
table answers as the if-chains did."""

from __future__ import annotations

import pytest
import requests

from rackimg_driver.emulator import LocalCloud, local_cloud, seed

from .conftest import TIMEOUT, login_openstack, login_rackspace

# (method, path, status, what the body is: a Nova fault name, "html", "json" or a message)
RACKSPACE_CASES = [
    ("GET", "/v2/123456/images", 200, "json"),
    ("GET", "//v2//123456//images/", 200, "json"),
    ("POST", "/v2/123456/images", 405, "badMethod"),
    ("DELETE", "/v2/123456/images/detail", 405, "badMethod"),
    ("PUT", f"/v2/123456/images/{seed.SNAPSHOT_ACTIVE_ID}", 405, "badMethod"),
    ("GET", "/v2/123456/images/a/b", 404, "itemNotFound"),
    ("GET", "/v2/123456/servers/detail", 200, "json"),
    ("POST", "/v2/123456/servers", 404, "itemNotFound"),
    ("DELETE", f"/v2/123456/servers/{seed.WEB_SERVER_ID}", 404, "itemNotFound"),
    ("GET", f"/v2/123456/servers/{seed.WEB_SERVER_ID}/action", 404, "itemNotFound"),
    ("GET", "/v2/123456", 404, "itemNotFound"),
    ("GET", "/v2/654321/images", 401, "unauthorized"),
    ("GET", "/v2/images", 200, "json"),  # Cloud Images (Glance v2), not a tenant named "images"
    ("GET", f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}/members", 403, "html"),  # a private image
    ("PUT", f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}/members", 405, "html"),
    ("GET", f"/v2/123456/images/{seed.SNAPSHOT_ACTIVE_ID}/metadata", 200, "json"),
    ("PATCH", f"/v2/123456/images/{seed.SNAPSHOT_ACTIVE_ID}/metadata", 405, "badMethod"),
    ("DELETE", f"/v2/123456/images/{seed.SNAPSHOT_ACTIVE_ID}/metadata/nope", 404, "Invalid metadata key"),
    ("GET", "/v2", 404, "itemNotFound"),
    ("GET", "/", 404, "itemNotFound"),
    ("GET", "/v2.0/tokens", 405, "Use POST."),
    ("GET", "/v3/auth/tokens", 405, "Use POST."),
    ("GET", "/_emulator/faults", 200, "json"),
    ("PUT", "/_emulator/faults", 405, "Use GET, POST or DELETE."),
    ("GET", "/_emulator/reset", 405, "Use POST."),
    ("GET", "/_emulator", 404, "itemNotFound"),
    ("GET", "/_emulator/other", 404, "itemNotFound"),
]

OPENSTACK_CASES = [
    ("GET", "/v2.1/images", 200, "json"),
    ("GET", "/v2.1/123456/images/detail", 200, "json"),
    ("GET", "/v2.1/images/images", 404, "itemNotFound"),  # the image "images", not a project
    ("GET", "/v2.1", 404, "itemNotFound"),
    ("GET", "/v2.1/123456", 404, "itemNotFound"),
    ("GET", "/v2.1/654321/images", 400, "badRequest"),
    ("GET", "/v2/images", 200, "json"),
    ("POST", "/v2/images", 405, "html"),
    ("PUT", f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}", 405, "html"),
    ("PATCH", f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}", 415, "html"),  # not a JSON patch
    ("GET", f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}/actions/deactivate", 405, "html"),
    ("GET", f"/v2.1/images/{seed.SNAPSHOT_ACTIVE_ID}/metadata/nope", 404, "Metadata item was not found"),
    ("GET", f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}/file", 404, "html"),
    ("GET", "/v2/servers", 404, "itemNotFound"),
]


def check(response: requests.Response, status: int, body: str) -> None:
    assert response.status_code == status, response.text
    if body == "html":
        assert response.headers["Content-Type"].startswith("text/html")
    elif body == "json":
        assert response.headers["Content-Type"] == "application/json"
    elif " " in body:
        assert next(iter(response.json().values()))["message"] == body
    else:
        assert response.json()[body]["code"] == status


@pytest.mark.parametrize(("method", "path", "status", "body"), RACKSPACE_CASES)
def test_rackspace_routes(rackspace_cloud: LocalCloud, method: str, path: str, status: int, body: str) -> None:
    token = login_rackspace(rackspace_cloud).token
    response = requests.request(method, rackspace_cloud.url + path, headers={"X-Auth-Token": token}, timeout=TIMEOUT)
    check(response, status, body)


@pytest.mark.parametrize(("method", "path", "status", "body"), OPENSTACK_CASES)
def test_openstack_routes(openstack_cloud: LocalCloud, method: str, path: str, status: int, body: str) -> None:
    token = login_openstack(openstack_cloud).token
    response = requests.request(method, openstack_cloud.url + path, headers={"X-Auth-Token": token}, timeout=TIMEOUT)
    check(response, status, body)


def test_a_path_under_the_compute_prefix_is_authenticated_before_it_is_found_missing(
    openstack_cloud: LocalCloud,
) -> None:
    anonymous = requests.get(openstack_cloud.url + "/v2.1/flavors", timeout=TIMEOUT)
    outside = requests.get(openstack_cloud.url + "/v3/other", timeout=TIMEOUT)

    assert anonymous.status_code == 401
    assert anonymous.json()["unauthorized"]["code"] == 401
    assert outside.status_code == 404
    assert outside.json()["itemNotFound"]["code"] == 404


def test_from_2_36_every_method_on_the_images_proxy_is_404_not_405(openstack_cloud: LocalCloud) -> None:
    client = login_openstack(openstack_cloud)
    headers = {"X-OpenStack-Nova-API-Version": "2.36"}

    post = client.post("/images", headers=headers)
    servers = client.get("/servers", headers=headers)

    assert post.status_code == 404
    assert post.json()["itemNotFound"]["code"] == 404
    assert post.headers["X-OpenStack-Nova-API-Version"] == "2.36"
    assert servers.status_code == 200


def test_faults_reach_compute_and_glance_paths_even_unrouted_ones_but_not_admin_or_unknown_paths() -> None:
    with local_cloud("openstack") as cloud:
        client = login_openstack(cloud)
        cloud.faults.set_errors(statuses=[503], count=3)

        admin = requests.get(cloud.url + "/_emulator/faults", timeout=TIMEOUT)
        unknown = requests.get(cloud.url + "/nowhere", timeout=TIMEOUT)
        token = requests.post(cloud.url + "/v3/auth/tokens", json={}, timeout=TIMEOUT)
        unrouted = client.get("/flavors")
        glance = client.session.get(cloud.url + "/v2/images", timeout=TIMEOUT)
        listed = client.get("/images")

        assert (admin.status_code, unknown.status_code, token.status_code) == (200, 404, 400)
        assert [unrouted.status_code, glance.status_code, listed.status_code] == [503, 503, 503]
        assert client.get("/images").status_code == 200
        assert cloud.faults.injected()["errors"] == 3


def test_identity_is_faulted_only_when_asked() -> None:
    with local_cloud("rackspace") as cloud:
        cloud.faults.set_errors(statuses=[500], count=1)
        spared = requests.get(cloud.url + "/v2.0/tokens", timeout=TIMEOUT)
        cloud.faults.include_identity = True
        faulted = requests.get(cloud.url + "/v2.0/tokens", timeout=TIMEOUT)

        assert spared.status_code == 405
        assert faulted.status_code == 500
