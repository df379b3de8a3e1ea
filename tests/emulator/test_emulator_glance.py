"""Glance v2 in the local cloud: ``/v2/images`` at the catalog's ``image`` endpoint, with the
shapes, filters, paging and errors observed on real Glance 33 (see docs/dialects.rst)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from rackimg_driver.emulator import LocalCloud, local_cloud, seed
from rackimg_driver.emulator.store import to_text

from .conftest import TIMEOUT, Client, login_glance, login_openstack

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DEMO_IMAGE_COUNT = 18
CORE_KEYS = [
    "name", "disk_format", "container_format", "visibility", "size", "virtual_size", "status",
    "checksum", "protected", "min_ram", "min_disk", "owner", "os_hidden", "os_hash_algo",
    "os_hash_value", "id", "created_at", "updated_at", "tags", "self", "file", "schema",
]  # fmt: skip


def listing(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get("/v2/images", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def ids(client: Client, **params: Any) -> list[str]:
    return [image["id"] for image in listing(client, **params)["images"]]


def html_error(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert f"<h1>{status} " in response.text
    assert f"  {message}<br /><br />" in response.text


# -- where Glance is --------------------------------------------------------------------------------


def test_the_catalogs_image_endpoint_is_the_root_and_glance_answers_there(glance_cloud: LocalCloud, gl: Client) -> None:
    assert gl.compute == glance_cloud.url == glance_cloud.image_url
    assert len(ids(gl)) == DEMO_IMAGE_COUNT


def test_the_openstack_cloud_answers_as_glance_too_and_both_apis_share_the_images(
    openstack_cloud: LocalCloud,
) -> None:
    nova, glance = login_openstack(openstack_cloud), login_glance(openstack_cloud)

    assert ids(glance, limit=1000) == nova.ids()
    assert glance.delete(f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}").status_code == 204
    assert nova.get(f"/images/{seed.SNAPSHOT_ACTIVE_ID}").status_code == 404


def test_the_rackspace_cloud_has_cloud_images_at_v2(rackspace_cloud: LocalCloud) -> None:
    assert rackspace_cloud.image_url == rackspace_cloud.url + "/v2"
    body = {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "demo", "apiKey": rackspace_cloud.api_key}}}
    access = requests.post(rackspace_cloud.url + "/v2.0/tokens", json=body, timeout=TIMEOUT).json()["access"]
    images = next(service for service in access["serviceCatalog"] if service["type"] == "image")
    assert images["name"] == "cloudImages"
    assert {e["publicURL"] for e in images["endpoints"]} == {rackspace_cloud.image_url}
    # Cloud Images is Glance v2: /v2/images answers with Glance's listing, and its errors are HTML.
    headers = {"X-Auth-Token": access["token"]["id"]}
    answer = requests.get(rackspace_cloud.image_url + "/images", headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert "next" in answer.json() or "first" in answer.json()
    missing = requests.get(rackspace_cloud.image_url + "/images/nope", headers=headers, timeout=TIMEOUT)
    html_error(missing, 404, "No image found with ID nope")


def test_driver_kwargs_of_the_glance_cloud_choose_the_glance_dialect(glance_cloud: LocalCloud) -> None:
    assert glance_cloud.driver_kwargs == {
        "key": "demo",
        "secret": glance_cloud.password,
        "ex_force_auth_url": glance_cloud.url,
        "ex_force_auth_version": "3.x_password",
        "ex_tenant_name": glance_cloud.project_name,
        "ex_domain_name": "Default",
        "ex_force_service_region": "RegionOne",
        "ex_dialect": "glance",
    }


# -- the image object ----------------------------------------------------------------------------------


def test_an_image_has_its_custom_properties_then_the_core_fields_at_the_top_level(gl: Client) -> None:
    response = gl.get(f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}")

    assert response.status_code == 200
    image = response.json()
    properties = ["auto_disk_config", "base_image_ref", "image_type", "instance_uuid", "os_distro", "os_type"]
    assert list(image) == [*properties, "user_id", *CORE_KEYS]
    assert image["instance_uuid"] == seed.WEB_SERVER_ID and image["image_type"] == "snapshot"
    assert (image["id"], image["status"], image["visibility"], image["owner"]) == (
        seed.SNAPSHOT_ACTIVE_ID,
        "active",
        "private",
        "123456",
    )
    assert (image["min_disk"], image["min_ram"], image["size"]) == (20, 0, 21_474_836_480)
    assert ISO_Z.match(image["created_at"]) and ISO_Z.match(image["updated_at"])
    assert image["self"] == f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}"
    assert image["file"] == f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert image["checksum"] and image["os_hash_algo"] == "sha512"


def test_an_image_without_data_has_null_size_and_checksums(gl: Client) -> None:
    image = gl.get(f"/v2/images/{seed.SNAPSHOT_QUEUED_ID}").json()

    assert image["status"] == "queued"
    assert [image[key] for key in ("size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value")] == [None] * 5


def test_glance_shows_its_own_status_words(gl: Client) -> None:
    statuses = {image["id"]: image["status"] for image in listing(gl)["images"]}

    assert statuses[seed.SNAPSHOT_KILLED_ID] == "killed"
    assert statuses[seed.SNAPSHOT_PENDING_DELETE_ID] == "pending_delete"
    assert statuses[seed.SNAPSHOT_DEACTIVATED_ID] == "deactivated"


# -- listing and paging --------------------------------------------------------------------------------


def test_the_listing_is_newest_first_like_nova(openstack_cloud: LocalCloud) -> None:
    glance, nova = login_glance(openstack_cloud), login_openstack(openstack_cloud)
    body = listing(glance)

    assert [image["id"] for image in body["images"]] == nova.ids()
    assert (body["first"], body["schema"]) == ("/v2/images", "/v2/schemas/images")
    assert "next" not in body


def test_without_limit_a_page_holds_25_images_and_links_to_the_next() -> None:
    with local_cloud("glance", seed=False) as cloud:
        cloud.store.add_images_bulk(60, owner=cloud.tenant_id)
        client = login_glance(cloud)
        pages = []
        body = listing(client)
        while True:
            pages.append([image["id"] for image in body["images"]])
            if "next" not in body:
                break
            response = client.session.get(cloud.url + body["next"], timeout=TIMEOUT)
            body = response.json()

    assert [len(page) for page in pages] == [25, 25, 10]
    assert len({image_id for page in pages for image_id in page}) == 60


def test_a_full_last_page_links_to_an_empty_page_without_next(gl: Client) -> None:
    full = listing(gl, limit=DEMO_IMAGE_COUNT)
    assert len(full["images"]) == DEMO_IMAGE_COUNT
    assert full["next"] == f"/v2/images?limit={DEMO_IMAGE_COUNT}&marker={full['images'][-1]['id']}"

    after = gl.session.get(gl.compute + full["next"], timeout=TIMEOUT).json()

    assert after == {"images": [], "first": f"/v2/images?limit={DEMO_IMAGE_COUNT}", "schema": "/v2/schemas/images"}


def test_next_keeps_the_filters_in_their_order_and_first_drops_the_marker(gl: Client) -> None:
    everything = ids(gl, status="active")
    body = listing(gl, status="active", limit=2, marker=everything[0])

    assert [image["id"] for image in body["images"]] == everything[1:3]
    assert body["first"] == "/v2/images?status=active&limit=2"
    assert body["next"] == f"/v2/images?status=active&limit=2&marker={everything[2]}"


def test_limit_and_marker_walk_the_listing(gl: Client) -> None:
    everything = ids(gl)
    walked, marker = [], None
    while True:
        page = ids(gl, limit=4, **({"marker": marker} if marker else {}))
        if not page:
            break
        walked += page
        marker = page[-1]
    assert walked == everything


@pytest.mark.parametrize(
    ("limit", "message"), [("-1", "limit param must be positive"), ("abc", "limit param must be an integer")]
)
def test_a_bad_limit_is_a_400_page(gl: Client, limit: str, message: str) -> None:
    html_error(gl.get("/v2/images", params={"limit": limit}), 400, message)


def test_limit_0_is_an_empty_page_and_a_large_limit_is_capped() -> None:
    with local_cloud("glance", max_limit=10) as cloud:
        client = login_glance(cloud)
        assert listing(client, limit=0) == {"images": [], "first": "/v2/images?limit=0", "schema": "/v2/schemas/images"}
        assert len(ids(client, limit=5000)) == 10


def test_an_unknown_marker_is_a_400_and_another_tenants_image_a_403(gl: Client) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    html_error(gl.get("/v2/images", params={"marker": unknown}), 400, f"No image found with ID {unknown}")
    html_error(
        gl.get("/v2/images", params={"marker": seed.OTHER_TENANT_IMAGE_ID, "limit": 0}),
        403,
        f"Forbidding request, image {seed.OTHER_TENANT_IMAGE_ID} not visible",
    )


def test_only_the_default_order_is_served(gl: Client) -> None:
    assert ids(gl, sort_key="created_at", sort_dir="desc") == ids(gl)
    assert gl.get("/v2/images", params={"sort_key": "name"}).status_code == 400


# -- filters ---------------------------------------------------------------------------------------------


def names(client: Client, **params: Any) -> list[str]:
    return [image["name"] for image in listing(client, limit=1000, **params)["images"]]


def test_name_is_exact_and_case_sensitive_and_takes_in(gl: Client) -> None:
    assert names(gl, name="Fedora 39 (PVHVM)") == ["Fedora 39 (PVHVM)"]
    assert names(gl, name="fedora 39 (pvhvm)") == []
    assert sorted(names(gl, name="in:Fedora 39 (PVHVM),db01-saving")) == ["Fedora 39 (PVHVM)", "db01-saving"]


def test_status_is_glances_own_word_case_sensitive_and_takes_in(gl: Client) -> None:
    assert names(gl, status="queued") == ["web01-queued"]
    assert names(gl, status="QUEUED") == []
    assert names(gl, status="SAVING") == []
    assert names(gl, status="in:queued,saving,killed") == ["db01-saving", "web01-queued", "db01-failed"]


def test_instance_uuid_and_any_custom_property_are_exact_property_filters(gl: Client) -> None:
    by_server = names(gl, instance_uuid=seed.DB_SERVER_ID)
    assert by_server == ["db01-saving", "db01-daily-backup", "db01-failed"]
    assert names(gl, image_type="backup") == ["db01-daily-backup"]
    assert names(gl, image_type="SNAPSHOT") == []
    assert names(gl, os_distro="arch") == ["Arch 2015.7 (PVHVM)"]
    assert names(gl, bogus="1") == []  # an unknown key is a property nobody has


TOTAL_WITH_NEWEST = DEMO_IMAGE_COUNT + 1
UPDATED_AT_COUNTS = {
    "gte": 2, "gt": 1, "lte": TOTAL_WITH_NEWEST - 1, "lt": TOTAL_WITH_NEWEST - 2, "eq": 1,
    "neq": TOTAL_WITH_NEWEST - 1, "": 1,
}  # fmt: skip


@pytest.mark.parametrize("operator", list(UPDATED_AT_COUNTS))
def test_updated_at_compares_to_the_microsecond_with_each_operator(operator: str) -> None:
    with local_cloud("glance") as cloud:
        # db01-saving is the demo's last update; one more image is updated a microsecond later.
        moment = cloud.store.get_image(cloud.tenant_id, seed.SNAPSHOT_SAVING_ID).updated
        newest = cloud.store.add_image(
            name="newest", owner=cloud.tenant_id, created=moment, updated=moment + timedelta(microseconds=1)
        )
        value = f"{to_text(moment)}Z"
        got = ids(login_glance(cloud), updated_at=f"{operator}:{value}" if operator else value, limit=1000)

    assert len(got) == UPDATED_AT_COUNTS[operator]
    assert (newest.id in got) == (operator in ("gte", "gt", "neq"))


def test_bad_time_filters_and_changes_since_are_400_pages(gl: Client) -> None:
    html_error(
        gl.get("/v2/images", params={"updated_at": "gte:bogus"}),
        400,
        "Bad &quot;updated_at&quot; query filter format. Use ISO 8601 DateTime notation.",
    )
    html_error(
        gl.get("/v2/images", params={"updated_at": "bogus:2000-01-01"}), 400, "Unable to filter on a unknown operator."
    )
    html_error(
        gl.get("/v2/images", params={"changes-since": "2000-01-01"}),
        400,
        "The &quot;changes-since&quot; filter is no longer available on v2.",
    )
    assert len(ids(gl, created_at="gte:2024-03-01T00:00:00Z")) == 4


def test_visibility_filters_and_refuses_unknown_values(gl: Client) -> None:
    assert len(ids(gl, visibility="public")) == 7
    assert len(ids(gl, visibility="private")) == DEMO_IMAGE_COUNT - 7
    assert len(ids(gl, visibility="all")) == DEMO_IMAGE_COUNT
    html_error(gl.get("/v2/images", params={"visibility": "bogus"}), 400, "Invalid visibility value: bogus")


def test_min_disk_and_min_ram_are_exact_and_not_validated(gl: Client) -> None:
    assert names(gl, min_ram="2048") == ["Windows Server 2019 Standard"]
    assert names(gl, min_ram="600") == []
    assert names(gl, min_disk="abc") == []


def test_protected_is_true_or_false(gl: Client) -> None:
    assert names(gl, protected="true") == ["golden-web-protected"]
    assert len(ids(gl, protected="false")) == DEMO_IMAGE_COUNT - 1
    html_error(
        gl.get("/v2/images", params={"protected": "maybe"}),
        400,
        "Invalid value &#x27;maybe&#x27; for &#x27;protected&#x27; filter. Valid values are &#x27;true&#x27; or &#x27;false&#x27;.",
    )


# -- get, delete, errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("image_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", seed.OTHER_TENANT_IMAGE_ID])
def test_get_of_an_image_you_cannot_see_is_a_404_page(gl: Client, image_id: str) -> None:
    html_error(gl.get(f"/v2/images/{image_id}"), 404, f"No image found with ID {image_id}")


def test_delete_is_204_and_then_404(gl: Client) -> None:
    response = gl.delete(f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}")
    assert (response.status_code, response.content) == (204, b"")

    html_error(
        gl.get(f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}"), 404, f"No image found with ID {seed.SNAPSHOT_ACTIVE_ID}"
    )
    html_error(
        gl.delete(f"/v2/images/{seed.SNAPSHOT_ACTIVE_ID}"),
        404,
        f"Failed to find image {seed.SNAPSHOT_ACTIVE_ID} to delete",
    )


def test_delete_of_a_protected_image_and_of_another_owners_public_image_are_403s(gl: Client) -> None:
    html_error(
        gl.delete(f"/v2/images/{seed.PROTECTED_IMAGE_ID}"),
        403,
        f"Image {seed.PROTECTED_IMAGE_ID} is protected and cannot be deleted.",
    )
    html_error(
        gl.delete(f"/v2/images/{seed.UBUNTU_2204_ID}"), 403, "You are not authorized to complete delete_image action."
    )
    html_error(
        gl.delete(f"/v2/images/{seed.OTHER_TENANT_IMAGE_ID}"),
        404,
        f"Failed to find image {seed.OTHER_TENANT_IMAGE_ID} to delete",
    )


def test_without_a_valid_token_glance_answers_keystonemiddlewares_401_page(glance_cloud: LocalCloud) -> None:
    for headers in ({}, {"X-Auth-Token": "bogus"}):
        response = requests.get(glance_cloud.url + "/v2/images", headers=headers, timeout=TIMEOUT)
        html_error(
            response,
            401,
            "This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.",
        )
        assert response.headers["WWW-Authenticate"] == f'Keystone uri="{glance_cloud.url}"'


def test_other_methods_and_paths(gl: Client) -> None:
    html_error(gl.post("/v2/images/x"), 405, "The method POST is not allowed for this resource. ")
    html_error(gl.get("/v2/images/x/y"), 404, "The resource could not be found.")


def test_faults_apply_to_glance(glance_cloud: LocalCloud, gl: Client) -> None:
    glance_cloud.faults.configure({"errors": {"statuses": [503], "count": 1}})

    assert gl.get("/v2/images").status_code == 503
    assert gl.get("/v2/images").status_code == 200


def test_a_link_is_relative_and_names_only_path_and_query(gl: Client) -> None:
    body = listing(gl, limit=3, name="in:web01-queued,db01-saving,db01-failed,web01-legacy")
    link = urlsplit(body["next"])
    assert (link.scheme, link.netloc, link.path) == ("", "", "/v2/images")
    assert dict(parse_qsl(link.query))["marker"] == body["images"][-1]["id"]
