"""The glance dialect: the same filters and the same ``extra``, from Glance v2's /v2/images."""

from __future__ import annotations

from typing import Any

import pytest
from libcloud.common.exceptions import BaseHTTPError

from rackimg_driver import EXTRA_KEYS, ImageState, ImageType, RackImgNodeDriver
from tests.fixedserver import Answer, FixedServer, Seen

IMAGES = "/glance/v2/images"
SERVER_ID = "5a8f3a9e-0000-4000-8000-000000000001"


def glance_image(image_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": image_id,
        "name": f"image {image_id}",
        "status": "active",
        "visibility": "private",
        "protected": False,
        "size": 1024,
        "virtual_size": None,
        "min_disk": 10,
        "min_ram": 512,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-02T00:00:00Z",
        "tags": [],
        "disk_format": "raw",
        "container_format": "bare",
        "owner": "proj",
        "checksum": None,
        "self": f"/v2/images/{image_id}",
        "file": f"/v2/images/{image_id}/file",
        "schema": "/v2/schemas/image",
        "image_type": "base",
    }
    body.update(fields)
    return body


def paged(images: list[dict[str, Any]], size: int):
    ids = [i["id"] for i in images]

    def respond(seen: Seen) -> Answer:
        start = ids.index(seen.query["marker"]) + 1 if "marker" in seen.query else 0
        limit = min(int(seen.query.get("limit", size)), size)
        chunk = images[start : start + limit]
        body: dict[str, Any] = {"images": chunk, "first": "/v2/images", "schema": "/v2/schemas/images"}
        if len(chunk) == limit and start + limit < len(images):
            body["next"] = f"/v2/images?limit={limit}&marker={chunk[-1]['id']}"
        return Answer(200, body)

    return respond


@pytest.fixture
def glance(make_driver) -> RackImgNodeDriver:
    return make_driver("glance")


def test_the_listing_pages_through_next_links_at_the_image_endpoint(glance, server: FixedServer) -> None:
    images = [glance_image(f"g{n}") for n in range(7)]
    server.route("GET", IMAGES, paged(images, 3))
    assert [i.id for i in glance.list_images()] == [f"g{n}" for n in range(7)]
    calls = server.api_requests("/glance/")
    assert [c.query.get("marker") for c in calls] == [None, "g2", "g5"]
    assert all("x-openstack-nova-api-version" not in c.headers for c in calls)


def test_an_endpoint_that_ends_in_v2_is_not_doubled(server: FixedServer) -> None:
    server.route("GET", "/images-v/v2/images", Answer(200, {"images": [glance_image("a")]}))
    driver = RackImgNodeDriver(
        "u", ex_dialect="glance", region=None, ex_force_auth_token="t", ex_force_base_url=server.url + "/images-v/v2"
    )
    assert [i.id for i in driver.list_images()] == ["a"]


@pytest.mark.parametrize(
    ("glance_status", "state", "progress"),
    [
        ("active", ImageState.ACTIVE, 100),
        ("queued", ImageState.SAVING, 25),
        ("saving", ImageState.SAVING, 50),
        ("deleted", ImageState.DELETED, 0),
        ("pending_delete", ImageState.DELETED, 0),
        ("killed", ImageState.ERROR, 0),
        ("deactivated", ImageState.UNKNOWN, 0),
        ("importing", ImageState.UNKNOWN, 0),
    ],
)
def test_glance_statuses_map_as_nova_maps_them(glance, server, glance_status, state, progress) -> None:
    server.route("GET", IMAGES, Answer(200, {"images": [glance_image("a", status=glance_status)]}))
    (got,) = glance.list_images()
    assert (got.extra["state"], got.extra["progress"], got.extra["status"]) == (state, progress, state.value)
    assert got.extra["glance_status"] == glance_status


def test_every_extra_key_from_a_glance_image(glance, server) -> None:
    snapshot = glance_image(
        "s",
        image_type="snapshot",
        instance_uuid=SERVER_ID,
        os_type="linux",
        os_distro="ubuntu",
        auto_disk_config="False",
        visibility="shared",
        size=2048,
    )
    server.route("GET", IMAGES, Answer(200, {"images": [snapshot]}))
    (got,) = glance.list_images()
    assert set(EXTRA_KEYS) <= set(got.extra)
    assert got.extra["image_type"] == ImageType.SNAPSHOT and got.extra["serverId"] == SERVER_ID
    assert got.extra["metadata"] == {
        "image_type": "snapshot",
        "instance_uuid": SERVER_ID,
        "os_type": "linux",
        "os_distro": "ubuntu",
        "auto_disk_config": "False",
    }
    assert (got.extra["os_type"], got.extra["os_distro"], got.extra["disk_config"]) == ("linux", "ubuntu", "MANUAL")
    assert (got.extra["minDisk"], got.extra["minRam"], got.extra["size"]) == (10, 512, 2048)
    assert (got.extra["created"], got.extra["updated"], got.extra["visibility"]) == (
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:00Z",
        "shared",
    )


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"image_type": "base"}, ImageType.BASE),
        ({"image_type": "backup"}, ImageType.SNAPSHOT),
        ({"image_type": None, "instance_uuid": SERVER_ID}, ImageType.SNAPSHOT),
        ({"image_type": None}, ImageType.BASE),
    ],
)
def test_type_from_properties_then_instance_uuid(glance, server, properties, expected) -> None:
    body = glance_image("a", **properties)
    body = {k: v for k, v in body.items() if v is not None or k != "image_type"}
    server.route("GET", IMAGES, Answer(200, {"images": [body]}))
    assert glance.list_images()[0].extra["image_type"] is expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"name": "x"}, {"name": "x"}),
        ({"server": SERVER_ID}, {"instance_uuid": SERVER_ID}),
        ({"changes-since": "2026-03-04T05:06:07+01:00"}, {"updated_at": "gte:2026-03-04T04:06:07Z"}),
        ({"status": "ACTIVE"}, {"status": "active"}),
        ({"status": "error"}, {"status": "killed"}),
        ({"status": "SAVING"}, {}),
        ({"status": "DELETED"}, {}),
        ({"type": "SNAPSHOT"}, {}),
        ({"minDisk": 20, "minRam": 1024}, {}),
        ({"limit": 3}, {"limit": "3"}),
    ],
)
def test_filters_in_glance_words(glance, server, filters, expected) -> None:
    server.route("GET", IMAGES, Answer(200, {"images": []}))
    glance.list_images(ex_filters=filters)
    (call,) = server.api_requests("/glance/")
    # Pages of 1000 unless said otherwise: Glance's own default is 25.
    assert call.query == {"limit": "1000", **expected}


def test_held_back_filters_are_checked_on_the_client(glance, server) -> None:
    images = [
        glance_image("queued", status="queued", image_type="snapshot"),
        glance_image("saving", status="saving", image_type="snapshot", min_disk=40),
        glance_image("active", status="active", image_type="snapshot"),
        glance_image("base-queued", status="queued"),
    ]
    server.route("GET", IMAGES, Answer(200, {"images": images}))
    found = glance.list_images(ex_filters={"status": "SAVING", "type": "SNAPSHOT"})
    assert [i.id for i in found] == ["queued", "saving"]
    assert [i.id for i in glance.list_images(ex_filters={"minDisk": 20})] == ["saving"]
    brief = glance.list_images(ex_filters={"status": "SAVING"}, ex_detailed=False)
    assert [(i.id, i.extra["state"]) for i in brief] == [("queued", None), ("saving", None), ("base-queued", None)]


def test_get_and_delete(glance, server) -> None:
    server.route("GET", f"{IMAGES}/a%2Fb", Answer(200, glance_image("a/b", status="queued")))
    server.route("DELETE", f"{IMAGES}/gone", Answer(204))
    assert glance.get_image("a/b").extra["state"] == ImageState.SAVING
    assert glance.delete_image("gone") is True
    with pytest.raises(BaseHTTPError) as raised:
        glance.get_image("missing")
    assert raised.value.code == 404


def test_create_image_needs_the_compute_api(glance, server) -> None:
    with pytest.raises(NotImplementedError, match="compute"):
        glance.create_image(SERVER_ID, "x")
    assert server.requests == []
