"""The driver against real Keystone v3, Glance and Nova: filters, paging, get, delete, errors,
the state and type of every seeded image, and a token revoked in the middle of a listing.

What each filter should return is worked out here from the seeded images themselves (what the
filter *means*), not from what any server answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from libcloud.common.exceptions import BaseHTTPError
from libcloud.common.types import InvalidCredsError
from libcloud.compute.base import NodeImage

from rackimg_driver import ImageState, ImageType, RackImgNodeDriver

from .conftest import Seeded, Stack

# Glance status -> what Nova shows (nova/api/openstack/compute/views/images.py).
NOVA_STATE = {"active": ("ACTIVE", 100), "queued": ("SAVING", 25), "deactivated": ("UNKNOWN", 0)}
TRUE_WORDS = ("1", "t", "true", "on", "y", "yes")


def expected_state(image: Seeded) -> ImageState:
    return ImageState(NOVA_STATE[image.glance_status][0])


def expected_type(image: Seeded) -> ImageType:
    word = image.properties.get("image_type")
    if word in ("snapshot", "backup"):
        return ImageType.SNAPSHOT
    if word == "base":
        return ImageType.BASE
    return ImageType.SNAPSHOT if image.properties.get("instance_uuid") else ImageType.BASE


def expected_disk_config(image: Seeded) -> str | None:
    value = image.properties.get("auto_disk_config")
    if value is None:
        return None
    return "AUTO" if value.lower() in TRUE_WORDS else "MANUAL"


def whole_seconds(image: Seeded, field: str) -> str:
    return getattr(image, field).strftime("%Y-%m-%dT%H:%M:%SZ")


def means(image: Seeded, filters: dict[str, Any]) -> bool:
    """Whether ``image`` matches ``filters`` in the sense the driver documents."""
    for key, value in filters.items():
        if key == "server" and image.properties.get("instance_uuid") != value.rstrip("/").rsplit("/", 1)[-1]:
            return False
        if key == "name" and image.name != value:
            return False
        if key == "status" and expected_state(image) != value.upper():
            return False
        if key == "type" and expected_type(image) != value.upper():
            return False
        if key == "minDisk" and image.min_disk < value:
            return False
        if key == "minRam" and image.min_ram < value:
            return False
        if key == "changes-since" and image.updated < as_time(value):
            return False
    return True


def as_time(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ids(images: list[NodeImage]) -> list[str]:
    return [image.id for image in images]


def server_of(stack: Stack, key: str) -> str:
    return stack.image(key).properties["instance_uuid"]


# Each case: name -> filters, built from the stack (server ids, times) when it needs them.
FILTER_CASES: dict[str, Callable[[Stack], dict[str, Any]]] = {
    "status-active": lambda s: {"status": "ACTIVE"},
    "status-saving": lambda s: {"status": "SAVING"},
    "status-unknown": lambda s: {"status": "UNKNOWN"},
    "status-error": lambda s: {"status": "ERROR"},
    "status-deleted": lambda s: {"status": "DELETED"},
    "type-base": lambda s: {"type": "BASE"},
    "type-snapshot": lambda s: {"type": "snapshot"},
    "name": lambda s: {"name": "Fedora 41"},
    "name-is-case-sensitive": lambda s: {"name": "fedora 41"},
    "name-of-another-projects-image": lambda s: {"name": "other-private-snapshot"},
    "server": lambda s: {"server": server_of(s, "snap-active")},
    "server-as-url": lambda s: {"server": f"{s.nova_url}/{s.project_id()}/servers/{server_of(s, 'snap-db')}"},
    "server-of-the-bulk": lambda s: {"server": s.info["bulk"]["properties"]["instance_uuid"]},
    "changes-since-long-ago": lambda s: {"changes-since": "2000-01-01T00:00:00Z"},
    "changes-since-the-future": lambda s: {"changes-since": s.image("base-ubuntu").updated + timedelta(days=365)},
    "changes-since-the-first-bulk-second": lambda s: {
        "changes-since": s.image("bulk-0001").updated.replace(microsecond=0)
    },
    "minDisk": lambda s: {"minDisk": 15},
    "minDisk-0": lambda s: {"minDisk": 0},
    "minRam": lambda s: {"minRam": 1024},
    "minRam-between-values": lambda s: {"minRam": 600},
    "saving-snapshots": lambda s: {"type": "SNAPSHOT", "status": "SAVING"},
    "active-bases": lambda s: {"type": "BASE", "status": "ACTIVE"},
    "server-and-type": lambda s: {"server": server_of(s, "snap-active"), "type": "SNAPSHOT", "status": "ACTIVE"},
    "server-and-status-saving": lambda s: {"server": server_of(s, "snap-active"), "status": "SAVING"},
    "minimums-and-type": lambda s: {"minRam": 512, "minDisk": 20, "type": "BASE"},
    "name-and-wrong-status": lambda s: {"name": "Fedora 41", "status": "SAVING"},
    "changes-since-and-type": lambda s: {
        "changes-since": s.image("bulk-0001").updated.replace(microsecond=0),
        "type": "BASE",
    },
}


@pytest.mark.parametrize("case", list(FILTER_CASES))
def test_every_filter_returns_exactly_the_images_it_means(stack: Stack, driver: RackImgNodeDriver, case: str) -> None:
    filters = FILTER_CASES[case](stack)
    expected = [image.id for image in stack.visible() if means(image, filters)]

    got = driver.list_images(ex_filters=filters)

    assert ids(got) == expected
    assert all(image.extra["state"] is not None for image in got)


@pytest.mark.parametrize("case", ["status-saving", "type-snapshot", "minRam", "name", "server"])
def test_a_brief_listing_returns_the_same_images_as_a_detailed_one(
    stack: Stack, driver: RackImgNodeDriver, case: str
) -> None:
    filters = FILTER_CASES[case](stack)

    brief = driver.list_images(ex_filters=filters, ex_detailed=False)

    assert ids(brief) == ids(driver.list_images(ex_filters=filters))
    assert all(image.extra["state"] is None and image.extra["links"] for image in brief)


def test_changes_since_with_a_fraction_of_a_second_keeps_images_updated_after_it(
    stack: Stack, driver: RackImgNodeDriver
) -> None:
    """Glance compares ``updated_at`` to the microsecond; Nova shows whole seconds."""
    image = stack.image("plain-queued")
    since = image.updated - timedelta(microseconds=1)
    expected = [i.id for i in stack.visible() if i.updated >= since]
    assert image.id in expected

    assert ids(driver.list_images(ex_filters={"changes-since": since})) == expected


# -- paging, limit and marker ---------------------------------------------------------------------


def test_the_listing_is_newest_first_and_complete(stack: Stack, driver: RackImgNodeDriver) -> None:
    everything = driver.list_images()

    assert ids(everything) == [image.id for image in stack.visible()]
    assert len(everything) == 13 + stack.info["bulk"]["count"]


@pytest.mark.parametrize("page_size", [7, 50, "all", 1000])
def test_paging_with_any_page_size_gives_the_same_images(
    stack: Stack, driver: RackImgNodeDriver, page_size: int | str
) -> None:
    expected = [image.id for image in stack.visible()]
    # "all": one full page, which real Nova follows with a next link to an empty page.
    size = len(expected) if page_size == "all" else page_size
    assert isinstance(size, int)

    got = ids(list(driver.ex_iterate_images(ex_page_size=size)))

    assert got == expected


def test_paging_with_a_small_page_size_and_held_back_filters(stack: Stack, driver: RackImgNodeDriver) -> None:
    filters = {"type": "SNAPSHOT", "status": "SAVING", "minRam": 128}
    expected = [image.id for image in stack.visible() if means(image, filters)]

    got = ids(driver.list_images(ex_filters=filters, ex_page_size=9))

    assert got == expected and len(got) > 300


@pytest.mark.parametrize(
    "filters",
    [{"limit": 5}, {"limit": 37, "type": "SNAPSHOT"}, {"limit": 3, "status": "ACTIVE"}, {"limit": 100000}],
    ids=["limit", "limit-with-held-back-filter", "limit-with-sent-filter", "limit-above-everything"],
)
def test_limit_caps_the_total(stack: Stack, driver: RackImgNodeDriver, filters: dict[str, Any]) -> None:
    expected = [image.id for image in stack.visible() if means(image, filters)][: filters["limit"]]

    assert ids(driver.list_images(ex_filters=filters, ex_page_size=10)) == expected


def test_marker_continues_after_that_image(stack: Stack, driver: RackImgNodeDriver) -> None:
    everything = [image.id for image in stack.visible()]

    assert ids(driver.list_images(ex_filters={"marker": everything[9]})) == everything[10:]
    assert ids(driver.list_images(ex_filters={"marker": everything[9], "limit": 4})) == everything[10:14]
    assert driver.list_images(ex_filters={"marker": everything[-1]}) == []


def test_limit_and_marker_walk_the_whole_listing(stack: Stack, driver: RackImgNodeDriver) -> None:
    walked: list[str] = []
    marker = None
    while True:
        step = driver.list_images(ex_filters={"limit": 60, "marker": marker})
        if not step:
            break
        walked += ids(step)
        marker = step[-1].id
    assert walked == [image.id for image in stack.visible()]


def test_an_unknown_marker_is_a_400(driver: RackImgNodeDriver) -> None:
    with pytest.raises(BaseHTTPError) as raised:
        driver.list_images(ex_filters={"marker": "00000000-0000-0000-0000-000000000000"})
    assert raised.value.code == 400
    assert "No image found with ID 00000000-0000-0000-0000-000000000000" in str(raised.value)


def test_another_projects_image_as_marker_is_a_403(stack: Stack, driver: RackImgNodeDriver) -> None:
    other = stack.image("other-private")
    with pytest.raises(BaseHTTPError) as raised:
        driver.list_images(ex_filters={"marker": other.id})
    assert raised.value.code == 403
    assert "not visible" in str(raised.value)


# -- get, state and type mapping -----------------------------------------------------------------

SEEDED_KEYS = [
    "base-ubuntu",
    "base-debian",
    "base-windows",
    "base-fedora",
    "base-centos-queued",
    "snap-active",
    "snap-queued",
    "snap-db",
    "backup",
    "untyped-server",
    "protected",
    "deactivated",
    "plain-queued",
    "bulk-0001",
]


def assert_maps(image: NodeImage, seeded: Seeded) -> None:
    state, progress = NOVA_STATE[seeded.glance_status]
    extra = image.extra
    assert (image.id, image.name) == (seeded.id, seeded.name)
    assert (extra["state"], extra["status"], extra["progress"]) == (ImageState(state), state, progress)
    assert extra["image_type"] == expected_type(seeded)
    assert extra["serverId"] == seeded.properties.get("instance_uuid")
    assert (extra["minDisk"], extra["minRam"]) == (seeded.min_disk, seeded.min_ram)
    assert extra["size"] == (seeded.size or 0)
    assert extra["disk_config"] == expected_disk_config(seeded)
    assert extra["metadata"] == seeded.properties
    assert extra["os_type"] == seeded.properties.get("os_type")
    assert extra["os_distro"] == seeded.properties.get("os_distro")
    assert (extra["created"], extra["updated"]) == (whole_seconds(seeded, "created"), whole_seconds(seeded, "updated"))
    assert extra["visibility"] is None  # Nova's view does not show it
    assert {link["rel"] for link in extra["links"]} == {"self", "bookmark", "alternate"}


@pytest.mark.parametrize("key", SEEDED_KEYS)
def test_get_maps_state_type_and_fields_of_every_seeded_image(
    stack: Stack, driver: RackImgNodeDriver, key: str
) -> None:
    seeded = stack.image(key)
    assert_maps(driver.get_image(seeded.id), seeded)


def test_a_listing_maps_every_image_as_get_does(stack: Stack, driver: RackImgNodeDriver) -> None:
    listed = {image.id: image for image in driver.list_images()}
    for seeded in stack.visible():
        assert_maps(listed[seeded.id], seeded)


@pytest.mark.parametrize("image_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_get_of_an_unknown_image_is_a_404(driver: RackImgNodeDriver, image_id: str) -> None:
    with pytest.raises(BaseHTTPError) as raised:
        driver.get_image(image_id)
    assert raised.value.code == 404
    assert "Image not found." in str(raised.value)


def test_another_projects_private_image_cannot_be_seen_nor_deleted(stack: Stack, driver: RackImgNodeDriver) -> None:
    other = stack.image("other-private")

    for call in (driver.get_image, driver.delete_image):
        with pytest.raises(BaseHTTPError) as raised:
            call(other.id)
        assert raised.value.code == 404
    assert other.id not in ids(driver.list_images(ex_filters={"name": other.name}))
    # ... while its owner sees it, and none of demo's private images.
    theirs = ids(stack.driver("other").list_images())
    assert theirs == [image.id for image in stack.visible("other")]
    assert other.id in theirs and stack.image("snap-active").id not in theirs


def test_wrong_password_is_invalid_credentials(stack: Stack) -> None:
    with pytest.raises(InvalidCredsError):
        stack.driver(secret="not-the-password").list_images()


# -- delete ----------------------------------------------------------------------------------------


def test_delete_answers_true_and_the_image_is_gone(stack: Stack, scratch_image: Callable[..., str]) -> None:
    image_id = scratch_image("rackimg-integration-delete-me", image_type="snapshot")
    driver = stack.driver()
    image = driver.get_image(image_id)
    assert (image.extra["state"], image.extra["image_type"]) == (ImageState.SAVING, ImageType.SNAPSHOT)

    assert driver.delete_image(image) is True

    for call in (driver.get_image, driver.delete_image):
        with pytest.raises(BaseHTTPError) as raised:
            call(image_id)
        assert raised.value.code == 404
    assert image_id not in ids(driver.list_images(ex_filters={"name": "rackimg-integration-delete-me"}))


@pytest.mark.parametrize("key", ["protected", "base-ubuntu"], ids=["protected", "public-image-of-another-project"])
def test_deleting_an_image_you_may_not_delete_is_a_clear_403(stack: Stack, driver: RackImgNodeDriver, key: str) -> None:
    seeded = stack.image(key)

    with pytest.raises(BaseHTTPError) as raised:
        driver.delete_image(seeded.id)

    assert raised.value.code == 403
    assert str(raised.value) == "403 Forbidden: You are not allowed to delete the image."
    assert driver.get_image(seeded.id).extra["state"] == ImageState.ACTIVE


# -- authentication ---------------------------------------------------------------------------------


def test_a_token_revoked_during_a_listing_is_renewed_and_the_listing_resumes(stack: Stack) -> None:
    driver = stack.driver(ex_page_size=50)
    pages = driver.ex_iterate_images()
    first_page = [next(pages) for _ in range(50)]
    revoked = driver.connection.auth_token
    assert revoked

    stack.revoke(revoked)
    assert stack.nova_get("/images", revoked, limit="1").status_code == 401  # Nova refuses it now
    rest = list(pages)

    assert ids(first_page + rest) == [image.id for image in stack.visible()]
    assert driver.connection.auth_token not in (None, revoked)
