"""API JSON -> NodeImage: states, types, typed values, and the shapes Nova publishes."""

from __future__ import annotations

import pytest

from rackimg_driver import EXTRA_KEYS, ImageState, ImageType, InvalidResponseError
from tests.conftest import TENANT, image, page
from tests.fixedserver import Answer, FixedServer

DETAIL = f"/v2/{TENANT}/images/detail"

# libcloud's own OpenStack 1.1 driver sets these keys; an application that switches keeps them.
LIBCLOUD_KEYS = {
    "visibility", "updated", "created", "status", "progress", "metadata",
    "os_type", "os_distro", "os_version", "serverId", "minDisk", "minRam",
}  # fmt: skip


def listed(driver, server: FixedServer, *images: dict) -> list:
    server.route("GET", DETAIL, Answer(200, page(list(images))))
    return driver.list_images()


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("ACTIVE", ImageState.ACTIVE),
        ("SAVING", ImageState.SAVING),
        ("DELETED", ImageState.DELETED),
        ("ERROR", ImageState.ERROR),
        ("UNKNOWN", ImageState.UNKNOWN),
        ("active", ImageState.ACTIVE),
        ("PREPARING", ImageState.UNKNOWN),
        (None, ImageState.UNKNOWN),
        (7, ImageState.UNKNOWN),
    ],
)
def test_status_maps_to_a_state_and_the_raw_string_stays(driver, server, status, state) -> None:
    (got,) = listed(driver, server, image("a", status=status))
    assert got.extra["state"] is state
    assert got.extra["status"] == (status if isinstance(status, str) else None)


def test_states_compare_equal_to_their_strings() -> None:
    assert ImageState.SAVING == "SAVING"
    assert ImageType.SNAPSHOT == "SNAPSHOT"
    assert isinstance(ImageState.ACTIVE, str)


def test_saving_keeps_its_progress_as_an_int(driver, server) -> None:
    (got,) = listed(driver, server, image("a", status="SAVING", progress="42"))
    assert got.extra["state"] == ImageState.SAVING
    assert got.extra["progress"] == 42


@pytest.mark.parametrize(
    ("metadata", "server_ref", "expected"),
    [
        ({"image_type": "base"}, None, ImageType.BASE),
        ({"image_type": "BASE"}, None, ImageType.BASE),
        ({"image_type": "snapshot"}, None, ImageType.SNAPSHOT),
        ({"image_type": "Snapshot"}, None, ImageType.SNAPSHOT),
        ({"image_type": "backup"}, None, ImageType.SNAPSHOT),
        ({"image_type": "base"}, {"id": "srv"}, ImageType.BASE),
        ({}, {"id": "srv"}, ImageType.SNAPSHOT),
        ({}, None, ImageType.BASE),
        ({"image_type": "weird"}, {"id": "srv"}, ImageType.SNAPSHOT),
        (None, None, ImageType.BASE),
    ],
)
def test_type_from_metadata_then_from_server(driver, server, metadata, server_ref, expected) -> None:
    fields: dict = {"metadata": metadata}
    if server_ref is not None:
        fields["server"] = server_ref
    (got,) = listed(driver, server, image("a", **fields))
    assert got.extra["image_type"] is expected


def test_every_extra_key_is_set_with_typed_values(driver, server) -> None:
    (got,) = listed(
        driver,
        server,
        image(
            "a",
            server={"id": "srv-1", "links": []},
            metadata={"image_type": "snapshot", "os_type": "linux", "org.openstack__1__os_distro": "ubuntu"},
            **{"OS-EXT-IMG-SIZE:size": "74185822", "OS-DCF:diskConfig": "AUTO"},
        ),
    )
    assert set(got.extra) == set(EXTRA_KEYS)
    assert set(got.extra) >= LIBCLOUD_KEYS
    assert got.extra["size"] == 74185822
    assert got.extra["disk_config"] == "AUTO"
    assert got.extra["serverId"] == "srv-1"
    assert got.extra["os_type"] == "linux"
    assert got.extra["os_distro"] == "ubuntu"
    assert got.extra["minDisk"] == 10 and got.extra["minRam"] == 512
    assert got.extra["links"][0]["rel"] == "self"


FULL_NOVA = image(
    "a",
    visibility="public",
    server={"id": "srv-1", "links": []},
    metadata={"image_type": "snapshot", "os_type": "linux", "os_distro": "ubuntu", "os_version": "24.04"},
    **{"OS-EXT-IMG-SIZE:size": 1024, "OS-DCF:diskConfig": "AUTO"},
)
FULL_GLANCE = {
    "id": "a",
    "name": "image a",
    "status": "queued",
    "visibility": "private",
    "size": 1024,
    "min_disk": 10,
    "min_ram": 512,
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-02T00:00:00Z",
    "self": "/v2/images/a",
    "owner": "123456",
    "protected": False,
    "tags": ["web", "golden"],
    "checksum": "0123456789abcdef0123456789abcdef",
    "disk_format": "qcow2",
    "container_format": "bare",
    "instance_uuid": "srv-1",
    "image_type": "snapshot",
    "os_type": "linux",
    "os_distro": "ubuntu",
    "os_version": "24.04",
    "auto_disk_config": "True",
}

BRIEF_PAGE = {"images": [{"id": "a", "name": "A", "links": []}]}


@pytest.mark.parametrize(
    ("dialect", "call", "path", "body"),
    [
        pytest.param("rackspace", "list", DETAIL, page([FULL_NOVA]), id="rackspace-list"),
        pytest.param("rackspace", "brief", f"/v2/{TENANT}/images", BRIEF_PAGE, id="rackspace-brief"),
        pytest.param("rackspace", "get", f"/v2/{TENANT}/images/a", {"image": FULL_NOVA}, id="rackspace-get"),
        pytest.param("openstack", "list", "/v2.1/proj/images/detail", page([FULL_NOVA]), id="openstack-list"),
        pytest.param("openstack", "brief", "/v2.1/proj/images", BRIEF_PAGE, id="openstack-brief"),
        pytest.param("openstack", "get", "/v2.1/proj/images/a", {"image": FULL_NOVA}, id="openstack-get"),
        pytest.param("glance", "list", "/glance/v2/images", {"images": [FULL_GLANCE]}, id="glance-list"),
        # Glance has no brief listing: its images are trimmed to what Nova's shows.
        pytest.param("glance", "brief", "/glance/v2/images", {"images": [FULL_GLANCE]}, id="glance-brief"),
        pytest.param("glance", "get", "/glance/v2/images/a", FULL_GLANCE, id="glance-get"),
    ],
)
def test_extra_keys_names_every_key_of_extra_in_every_dialect(make_driver, server, dialect, call, path, body) -> None:
    server.route("GET", path, Answer(200, body))
    driver = make_driver(dialect)
    got = driver.get_image("a") if call == "get" else driver.list_images(ex_detailed=call != "brief")[0]
    assert sorted(got.extra) == sorted(EXTRA_KEYS)
    assert len(set(EXTRA_KEYS)) == len(EXTRA_KEYS)
    if call != "brief":  # a full image fills every key the dialect's view has
        empty = {key for key, value in got.extra.items() if value is None}
        assert empty == (GLANCE_NEVER if dialect == "glance" else NOVA_NEVER)


#: What an image's view never holds: Nova's has no Glance status, owner, protection, tags,
#: checksum or formats; neither has a member's status.
NOVA_NEVER = {
    "glance_status", "owner", "protected", "tags", "checksum", "disk_format", "container_format", "member_status",
}  # fmt: skip
GLANCE_NEVER = {"member_status"}


def test_extra_keys_is_the_exact_list_in_its_order() -> None:
    assert EXTRA_KEYS == (
        "visibility", "updated", "created", "status", "progress", "metadata", "os_type", "os_distro",
        "os_version", "serverId", "minDisk", "minRam", "state", "image_type", "size", "disk_config", "links",
        "glance_status", "owner", "protected", "tags", "checksum", "disk_format", "container_format",
        "member_status",
    )  # fmt: skip


def test_glance_fields_beyond_novas_are_kept(make_driver, server) -> None:
    server.route("GET", "/glance/v2/images/a", Answer(200, {**FULL_GLANCE, "protected": True, "tags": ["a", 3]}))
    got = make_driver("glance").get_image("a").extra
    assert (got["owner"], got["protected"], got["tags"]) == ("123456", True, ["a"])
    assert (got["checksum"], got["disk_format"], got["container_format"]) == (
        "0123456789abcdef0123456789abcdef",
        "qcow2",
        "bare",
    )


def test_values_of_the_wrong_type_become_none_not_errors(driver, server) -> None:
    (got,) = listed(
        driver,
        server,
        image(
            "a", progress="much", minDisk=None, minRam=[1], metadata="x", links="y", **{"OS-EXT-IMG-SIZE:size": "big"}
        ),
    )
    assert got.extra["progress"] is None and got.extra["minDisk"] is None and got.extra["minRam"] is None
    assert got.extra["size"] is None and got.extra["metadata"] == {} and got.extra["links"] == []


# Shapes of openstack/nova's published api samples (images-details-get-resp.json): sizes as
# strings, diskConfig AUTO, MANUAL or absent, metadata values that are null.
NOVA_SAMPLE_SHAPES = [
    {
        "OS-DCF:diskConfig": "AUTO",
        "OS-EXT-IMG-SIZE:size": "74185822",
        "created": "2011-01-01T01:02:03Z",
        "id": "70a599e0-31e7-49b7-b260-868f441e862b",
        "links": [
            {"href": "http://openstack.example.com/v2/openstack/images/70a599e0", "rel": "self"},
            {
                "href": "http://glance.openstack.example.com/images/70a599e0",
                "rel": "alternate",
                "type": "application/vnd.openstack.image",
            },
        ],
        "metadata": {
            "architecture": "x86_64",
            "auto_disk_config": "True",
            "kernel_id": "nokernel",
            "ramdisk_id": "nokernel",
        },
        "minDisk": 0,
        "minRam": 0,
        "name": "fakeimage7",
        "progress": 100,
        "status": "ACTIVE",
        "updated": "2011-01-01T01:02:03Z",
    },
    {
        "OS-EXT-IMG-SIZE:size": "74185822",
        "created": "2011-01-01T01:02:03Z",
        "id": "c905cedb-7281-47e4-8a62-f26bc5fc4c77",
        "links": [],
        "metadata": {"kernel_id": "155d900f-4e14-4e4c-a73d-069cbf4541e6", "ramdisk_id": None},
        "minDisk": 0,
        "minRam": 0,
        "name": "fakeimage123456",
        "progress": 100,
        "status": "ACTIVE",
        "updated": "2011-01-01T01:02:03Z",
    },
    {
        "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-IMG-SIZE:size": 74185822,
        "created": "2011-01-01T01:02:03Z",
        "id": "a440c04b-79fa-479c-bed1-0b816eaec379",
        "links": [],
        "metadata": {"architecture": "x86_64", "auto_disk_config": "False"},
        "minDisk": 0,
        "minRam": 0,
        "name": "fakeimage6",
        "progress": 100,
        "server": {"id": "71ca1a1c-0e83-4c07-9bbe-1d3e2b23a8d4", "links": []},
        "status": "ACTIVE",
        "updated": "2011-01-01T01:02:03Z",
    },
]


def test_nova_published_sample_shapes(driver, server) -> None:
    images = listed(driver, server, *NOVA_SAMPLE_SHAPES)
    assert [i.extra["disk_config"] for i in images] == ["AUTO", None, "MANUAL"]
    assert [i.extra["size"] for i in images] == [74185822] * 3
    assert [i.extra["image_type"] for i in images] == [ImageType.BASE, ImageType.BASE, ImageType.SNAPSHOT]
    assert images[1].extra["metadata"]["ramdisk_id"] is None
    assert all(i.extra["state"] is ImageState.ACTIVE for i in images)


def test_nova_get_sample_shape(driver, server) -> None:
    server.route(
        "GET",
        f"/v2/{TENANT}/images/70a599e0-31e7-49b7-b260-868f441e862b",
        Answer(200, {"image": NOVA_SAMPLE_SHAPES[0]}),
    )
    got = driver.get_image("70a599e0-31e7-49b7-b260-868f441e862b")
    assert (got.name, got.extra["size"], got.extra["disk_config"]) == ("fakeimage7", 74185822, "AUTO")


@pytest.mark.parametrize(
    "body",
    [
        {"images": {"id": "a"}},
        {"servers": []},
        ["a"],
        {"images": ["a"]},
        {"images": [{"name": "no id"}]},
        {"images": [{"id": "a", "name": 5}]},
        {"images": [], "images_links": "next"},
        {"images": [image("a")], "images_links": [{"rel": "next"}]},
    ],
)
def test_a_body_of_the_wrong_shape_is_a_clear_error(driver, server, body) -> None:
    server.route("GET", DETAIL, Answer(200, body))
    with pytest.raises(InvalidResponseError) as raised:
        driver.list_images()
    assert raised.value.code == 200
    assert "HTTP 200" in str(raised.value)


def test_json_that_only_the_standard_parser_takes_is_still_read(driver, server) -> None:
    # NaN and integers past 64 bits are JSON to Python's json; a faster parser falls back to it.
    # Such numbers are out of range: None (see mapping's docstring), the rest of the image stays.
    body = '{"images": [{"id": "a", "name": "x", "status": "ACTIVE", "progress": NaN, "minDisk": 123456789012345678901234567890, "minRam": 512}]}'
    server.route("GET", DETAIL, Answer(200, body, {"Content-Type": "application/json"}))
    (got,) = driver.list_images()
    assert (got.id, got.name, got.extra["state"]) == ("a", "x", ImageState.ACTIVE)
    assert got.extra["progress"] is None
    assert got.extra["minDisk"] is None
    assert got.extra["minRam"] == 512
