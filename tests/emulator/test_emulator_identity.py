"""Identity: Rackspace v2.0 (API key, password), Keystone v3, and tokens on the compute API."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import requests

from rackimg_driver.emulator import LocalCloud, local_cloud

from .conftest import TIMEOUT, login_openstack, login_rackspace, v3_body

REGIONS = {"DFW", "ORD", "IAD", "LON", "SYD", "HKG"}


def _post(cloud: LocalCloud, path: str, body: object) -> requests.Response:
    return requests.post(cloud.url + path, json=body, timeout=TIMEOUT)


def test_api_key_login_returns_token_and_a_catalog_with_every_region_on_this_server(
    rackspace_cloud: LocalCloud,
) -> None:
    body = {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "demo", "apiKey": rackspace_cloud.api_key}}}
    response = _post(rackspace_cloud, "/v2.0/tokens", body)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    access = response.json()["access"]
    assert access["token"]["tenant"] == {"id": "123456", "name": "123456"}
    expires = datetime.fromisoformat(access["token"]["expires"].replace("Z", "+00:00"))
    assert expires > datetime.now(timezone.utc)
    compute = next(s for s in access["serviceCatalog"] if s["type"] == "compute")
    assert compute["name"] == "cloudServersOpenStack"
    assert {e["region"] for e in compute["endpoints"]} == REGIONS
    assert {e["publicURL"] for e in compute["endpoints"]} == {f"{rackspace_cloud.url}/v2/123456"}
    assert access["user"]["name"] == "demo"


def test_password_login_with_tenant_name_works_and_a_wrong_tenant_is_401(rackspace_cloud: LocalCloud) -> None:
    creds = {"username": "demo", "password": rackspace_cloud.password}
    ok = _post(rackspace_cloud, "/v2.0/tokens", {"auth": {"passwordCredentials": creds, "tenantName": "123456"}})
    wrong = _post(rackspace_cloud, "/v2.0/tokens", {"auth": {"passwordCredentials": creds, "tenantName": "999"}})

    assert ok.status_code == 200
    assert ok.json()["access"]["token"]["id"]
    assert wrong.status_code == 401


def test_wrong_api_key_is_401_with_an_unauthorized_fault(rackspace_cloud: LocalCloud) -> None:
    body = {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "demo", "apiKey": "nope"}}}
    response = _post(rackspace_cloud, "/v2.0/tokens", body)

    assert response.status_code == 401
    assert response.json()["unauthorized"]["code"] == 401


def test_identity_body_without_credentials_is_400(rackspace_cloud: LocalCloud) -> None:
    assert _post(rackspace_cloud, "/v2.0/tokens", {"auth": {}}).status_code == 400
    bad_json = requests.post(rackspace_cloud.url + "/v2.0/tokens", data=b"{", timeout=TIMEOUT)
    assert bad_json.status_code == 400


def test_v3_login_gives_subject_token_and_nova_and_glance_in_region_one(openstack_cloud: LocalCloud) -> None:
    response = _post(openstack_cloud, "/v3/auth/tokens", v3_body(openstack_cloud))

    assert response.status_code == 201
    assert response.headers["X-Subject-Token"]
    token = response.json()["token"]
    assert token["project"]["id"] == "123456"
    assert token["project"]["name"] == openstack_cloud.project_name
    assert token["expires_at"].endswith("Z")
    by_type = {service["type"]: service for service in token["catalog"]}
    compute = by_type["compute"]
    assert compute["name"] == "nova"
    assert compute["endpoints"] == [
        {
            "id": compute["endpoints"][0]["id"],
            "interface": "public",
            "region": "RegionOne",
            "region_id": "RegionOne",
            "url": f"{openstack_cloud.url}/v2.1/123456",
        }
    ]
    assert by_type["image"]["endpoints"][0]["url"] == openstack_cloud.url


def test_v3_wrong_password_or_project_is_401(openstack_cloud: LocalCloud) -> None:
    wrong_password = _post(openstack_cloud, "/v3/auth/tokens", v3_body(openstack_cloud, password="x"))
    wrong_project = _post(openstack_cloud, "/v3/auth/tokens", v3_body(openstack_cloud, project="nope"))

    assert wrong_password.status_code == 401
    assert wrong_password.json()["error"]["code"] == 401
    assert wrong_project.status_code == 401


def test_v3_unscoped_token_has_no_catalog_and_is_refused_by_compute(openstack_cloud: LocalCloud) -> None:
    body = v3_body(openstack_cloud)
    del body["auth"]["scope"]
    response = _post(openstack_cloud, "/v3/auth/tokens", body)
    assert response.status_code == 201
    assert "catalog" not in response.json()["token"]

    images = requests.get(
        openstack_cloud.url + "/v2.1/images",
        headers={"X-Auth-Token": response.headers["X-Subject-Token"]},
        timeout=TIMEOUT,
    )
    assert images.status_code == 401


def test_compute_refuses_missing_and_unknown_tokens(rackspace_cloud: LocalCloud) -> None:
    url = rackspace_cloud.url + "/v2/123456/images"
    missing = requests.get(url, timeout=TIMEOUT)
    unknown = requests.get(url, headers={"X-Auth-Token": "made-up"}, timeout=TIMEOUT)

    for response in (missing, unknown):
        assert response.status_code == 401
        assert response.json()["unauthorized"]["code"] == 401


def test_token_expires_after_its_lifetime() -> None:
    with local_cloud(token_lifetime=0.3) as cloud:
        client = login_rackspace(cloud)
        assert client.get("/images").status_code == 200
        time.sleep(0.4)
        assert client.get("/images").status_code == 401


def test_token_of_one_tenant_cannot_use_another_tenants_url(rs: object, rackspace_cloud: LocalCloud) -> None:
    client = login_rackspace(rackspace_cloud)
    response = client.session.get(rackspace_cloud.url + "/v2/654321/images", timeout=TIMEOUT)
    assert response.status_code == 401


def test_openstack_project_mismatch_in_url_is_400_like_nova(openstack_cloud: LocalCloud) -> None:
    client = login_openstack(openstack_cloud)
    response = client.session.get(openstack_cloud.url + "/v2.1/654321/images", timeout=TIMEOUT)
    assert response.status_code == 400
    assert "doesn't match" in response.json()["badRequest"]["message"]


def test_configured_credentials_replace_the_defaults() -> None:
    with local_cloud(username="alice", api_key="k-1", tenant_id="777") as cloud:
        client = login_rackspace(cloud)
        assert client.compute == f"{cloud.url}/v2/777"
        body = {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "demo", "apiKey": "demo-api-key"}}}
        assert _post(cloud, "/v2.0/tokens", body).status_code == 401
