"""Get, list and delete images: Nova's JSON shapes, status mapping, tenants, errors."""

from __future__ import annotations

import re

from rackimg_driver.emulator import LocalCloud, seed
from rackimg_driver.emulator.seed import (
    ARCH_LEGACY_ID,
    LEGACY_SNAPSHOT_ID,
    OTHER_TENANT_IMAGE_ID,
    PROTECTED_IMAGE_ID,
    SNAPSHOT_ACTIVE_ID,
    UBUNTU_2204_ID,
    WEB_SERVER_ID,
)

from .conftest import Client, login_openstack

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DEMO_IMAGE_COUNT = 18  # 7 public base images + 11 of the demo tenant

EXPECTED_STATUS = {
    seed.SNAPSHOT_ACTIVE_ID: ("ACTIVE", 100),
    seed.SNAPSHOT_QUEUED_ID: ("SAVING", 25),
    seed.SNAPSHOT_SAVING_ID: ("SAVING", 50),
    seed.SNAPSHOT_DELETED_ID: ("DELETED", 0),
    seed.SNAPSHOT_PENDING_DELETE_ID: ("DELETED", 0),
    seed.SNAPSHOT_KILLED_ID: ("ERROR", 0),
    seed.SNAPSHOT_IMPORTING_ID: ("UNKNOWN", 0),
    seed.SNAPSHOT_DEACTIVATED_ID: ("UNKNOWN", 0),
}


def test_detail_of_a_base_image_has_every_nova_field(rs: Client) -> None:
    response = rs.get(f"/images/{UBUNTU_2204_ID}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    image = response.json()["image"]
    assert image["id"] == UBUNTU_2204_ID
    assert image["name"] == "Ubuntu 22.04 LTS (Jammy Jellyfish) (PVHVM)"
    assert (image["status"], image["progress"]) == ("ACTIVE", 100)
    assert ISO_Z.match(image["created"]) and ISO_Z.match(image["updated"])
    assert (image["minDisk"], image["minRam"]) == (20, 512)
    assert isinstance(image["OS-EXT-IMG-SIZE:size"], int)
    assert image["OS-DCF:diskConfig"] == "AUTO"
    assert image["metadata"]["image_type"] == "base"
    assert image["metadata"]["com.rackspace__1__visible_core"] == "1"
    assert image["metadata"]["org.openstack__1__os_distro"] == "org.ubuntu"
    assert "server" not in image
    rels = {link["rel"]: link for link in image["links"]}
    assert rels["self"]["href"] == f"{rs.compute}/images/{UBUNTU_2204_ID}"
    assert rels["bookmark"]["href"].endswith(f"/123456/images/{UBUNTU_2204_ID}")
    assert rels["alternate"]["type"] == "application/vnd.openstack.image"


def test_snapshot_has_a_server_reference_and_disk_config_is_omitted_when_unknown(rs: Client) -> None:
    snapshot = rs.get(f"/images/{SNAPSHOT_ACTIVE_ID}").json()["image"]
    legacy_base = rs.get(f"/images/{ARCH_LEGACY_ID}").json()["image"]

    assert snapshot["server"]["id"] == WEB_SERVER_ID
    assert snapshot["server"]["links"][0]["href"].endswith(f"/servers/{WEB_SERVER_ID}")
    assert "OS-DCF:diskConfig" not in legacy_base
    assert "server" not in legacy_base


def test_metadata_values_may_be_null(rs: Client) -> None:
    metadata = rs.get(f"/images/{LEGACY_SNAPSHOT_ID}").json()["image"]["metadata"]
    assert "com.rackspace__1__release_build_date" in metadata
    assert metadata["com.rackspace__1__release_build_date"] is None


def test_every_glance_status_maps_to_nova_status_and_progress(rs: Client) -> None:
    images = {image["id"]: image for image in rs.get("/images/detail").json()["images"]}
    for image_id, expected in EXPECTED_STATUS.items():
        assert (images[image_id]["status"], images[image_id]["progress"]) == expected, image_id


def test_list_is_newest_first_and_short_list_items_have_only_id_name_links(rs: Client) -> None:
    detail = rs.get("/images/detail").json()["images"]
    short = rs.get("/images").json()

    assert len(detail) == DEMO_IMAGE_COUNT
    assert "images_links" not in short
    created = [image["created"] for image in detail]
    assert created == sorted(created, reverse=True)
    assert [image["id"] for image in short["images"]] == [image["id"] for image in detail]
    assert all(set(item) == {"id", "name", "links"} for item in short["images"])


def test_another_tenants_image_is_neither_listed_nor_found_nor_deletable(rs: Client) -> None:
    assert OTHER_TENANT_IMAGE_ID not in rs.ids()
    found = rs.get(f"/images/{OTHER_TENANT_IMAGE_ID}")
    deleted = rs.delete(f"/images/{OTHER_TENANT_IMAGE_ID}")

    assert found.status_code == 404
    assert deleted.status_code == 404


def test_unknown_image_is_404_item_not_found(rs: Client) -> None:
    response = rs.get("/images/00000000-0000-0000-0000-000000000000")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"itemNotFound": {"code": 404, "message": "Image not found."}}


def test_delete_is_204_with_empty_body_then_404(rs: Client) -> None:
    first = rs.delete(f"/images/{SNAPSHOT_ACTIVE_ID}")
    again = rs.delete(f"/images/{SNAPSHOT_ACTIVE_ID}")

    assert first.status_code == 204
    assert first.content == b""
    assert rs.get(f"/images/{SNAPSHOT_ACTIVE_ID}").status_code == 404
    assert again.status_code == 404
    assert SNAPSHOT_ACTIVE_ID not in rs.ids()


def test_protected_image_and_public_base_image_cannot_be_deleted(rs: Client) -> None:
    protected = rs.delete(f"/images/{PROTECTED_IMAGE_ID}")
    base = rs.delete(f"/images/{UBUNTU_2204_ID}")

    assert protected.status_code == 403
    assert protected.json()["forbidden"]["code"] == 403
    assert base.status_code == 403
    assert rs.get(f"/images/{PROTECTED_IMAGE_ID}").status_code == 200


def test_unknown_route_and_wrong_method_are_json_faults(rs: Client) -> None:
    unknown = rs.get("/flavors")
    wrong_method = rs.post("/images", json={})

    assert unknown.status_code == 404
    assert unknown.json()["itemNotFound"]["code"] == 404
    assert wrong_method.status_code == 405
    assert wrong_method.json()["badMethod"]["code"] == 405


def test_openstack_dialect_serves_images_with_and_without_project_in_url(osc: Client) -> None:
    with_project = osc.ids()
    root = osc.compute.rsplit("/", 1)[0]
    without = osc.session.get(root + "/images/detail", timeout=10)

    assert osc.compute.endswith("/v2.1/123456")
    assert without.status_code == 200
    assert [image["id"] for image in without.json()["images"]] == with_project
    self_link = without.json()["images"][0]["links"][0]["href"]
    assert self_link.startswith(root + "/images/")


def test_openstack_shows_size_0_for_an_image_without_data(osc: Client) -> None:
    queued = osc.get(f"/images/{seed.SNAPSHOT_QUEUED_ID}").json()["image"]
    assert queued["OS-EXT-IMG-SIZE:size"] == 0


def test_rackspace_shows_no_size_for_an_image_without_data(rs: Client) -> None:
    queued = rs.get(f"/images/{seed.SNAPSHOT_QUEUED_ID}").json()["image"]
    assert queued["OS-EXT-IMG-SIZE:size"] is None


def test_openstack_derives_disk_config_from_auto_disk_config(osc: Client) -> None:
    images = {image["id"]: image for image in osc.get("/images/detail").json()["images"]}
    # metadata auto_disk_config "True" -> AUTO, "False" -> MANUAL, absent -> no key,
    # whatever disk config the image itself records (Fedora records MANUAL; the legacy snapshot AUTO).
    assert images[seed.FEDORA_39_ID]["metadata"]["auto_disk_config"] == "True"
    assert images[seed.FEDORA_39_ID]["OS-DCF:diskConfig"] == "AUTO"
    assert images[seed.WINDOWS_2019_ID]["OS-DCF:diskConfig"] == "MANUAL"
    assert "OS-DCF:diskConfig" not in images[LEGACY_SNAPSHOT_ID]
    assert "OS-DCF:diskConfig" not in images[ARCH_LEGACY_ID]


def test_openstack_reads_auto_disk_config_like_oslo_bool_from_string(openstack_cloud: LocalCloud) -> None:
    for value in ("yes", "1", " ON ", "disabled", ""):
        openstack_cloud.store.add_image(
            name=f"adc-{value}", owner=openstack_cloud.tenant_id, properties={"auto_disk_config": value}
        )
    client = login_openstack(openstack_cloud)
    images = {i["name"]: i for i in client.get("/images/detail").json()["images"]}
    assert {name: images[name].get("OS-DCF:diskConfig") for name in images if name.startswith("adc-")} == {
        "adc-yes": "AUTO",
        "adc-1": "AUTO",
        "adc- ON ": "AUTO",
        "adc-disabled": "MANUAL",
        "adc-": "MANUAL",
    }
