"""The driver against the local cloud, in both dialects: filters mean the same everywhere,
and snapshots are made and waited for. Fault modes are in test_reliability.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.base import Node, NodeImage
from libcloud.compute.types import NodeState

from rackimg_driver import ImageState, ImageType, RackImgNodeDriver
from rackimg_driver.emulator import LocalCloud, seed
from rackimg_driver.errors import ImageWaitError, ImageWaitTimeout
from rackimg_driver.filters import parse_timestamp
from tests.conftest import FAST_RETRIES

DIALECTS = ("rackspace", "openstack")


@pytest.fixture(scope="module", params=DIALECTS)
def shared_cloud(request) -> Iterator[LocalCloud]:
    """One seeded cloud per dialect for the read-only tests of this module."""
    with LocalCloud(request.param) as cloud:
        yield cloud


@pytest.fixture
def cloud(request) -> Iterator[LocalCloud]:
    dialect = getattr(request, "param", "rackspace")
    with LocalCloud(dialect, saving_seconds=0.6) as fresh:
        yield fresh


def driver_for(cloud: LocalCloud, **kwargs) -> RackImgNodeDriver:
    return RackImgNodeDriver(**{**cloud.driver_kwargs, **FAST_RETRIES, **kwargs})


def matches(image: NodeImage, filters: dict) -> bool:
    """What each filter means, written out once more for the test."""
    extra = image.extra
    for key, value in filters.items():
        if key == "name" and image.name != value:
            return False
        if key == "server" and extra["serverId"] != value:
            return False
        if key == "status" and extra["state"] != str(value).upper():
            return False
        if key == "type" and extra["image_type"] != str(value).upper():
            return False
        if key == "minDisk" and not extra["minDisk"] >= value:
            return False
        if key == "minRam" and not extra["minRam"] >= value:
            return False
        if key == "changes-since" and parse_timestamp(extra["updated"]) < parse_timestamp(value):
            return False
    return True


FILTER_CASES = [
    {"status": "ACTIVE"},
    {"status": "SAVING"},
    {"status": "DELETED"},
    {"status": "ERROR"},
    {"status": "UNKNOWN"},
    {"type": "BASE"},
    {"type": "SNAPSHOT"},
    {"type": "snapshot", "status": "saving"},
    {"name": "Debian 12 (Bookworm) (PVHVM)"},
    {"name": "no such image"},
    {"server": seed.WEB_SERVER_ID},
    {"server": seed.DB_SERVER_ID, "status": "ACTIVE"},
    {"minDisk": 20},
    {"minRam": 1024},
    {"minRam": 512, "minDisk": 40, "type": "BASE"},
    {"changes-since": "2024-02-01T00:00:00Z"},
    {"changes-since": "2024-02-01T00:00:00Z", "type": "SNAPSHOT", "status": "DELETED"},
]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
def test_every_filter_gives_exactly_the_matching_images(shared_cloud: LocalCloud, filters: dict) -> None:
    driver = driver_for(shared_cloud)
    everything = driver.list_images()
    expected = [i.id for i in everything if matches(i, filters)]
    assert [i.id for i in driver.list_images(ex_filters=filters)] == expected
    assert [i.id for i in driver.list_images(ex_filters=filters, ex_detailed=False)] == expected
    assert [i.id for i in driver.list_images(ex_filters=filters, ex_page_size=2)] == expected


def test_the_seeded_cloud_has_every_state_and_type(shared_cloud: LocalCloud) -> None:
    images = driver_for(shared_cloud).list_images()
    assert {i.extra["state"] for i in images} == set(ImageState)
    assert {i.extra["image_type"] for i in images} == set(ImageType)
    assert seed.OTHER_TENANT_IMAGE_ID not in {i.id for i in images}


def test_limit_and_marker_walk_the_listing_in_steps(shared_cloud: LocalCloud) -> None:
    driver = driver_for(shared_cloud)
    everything = [i.id for i in driver.list_images()]
    walked: list[str] = []
    marker = None
    while True:
        step = driver.list_images(ex_filters={"limit": 4, "marker": marker})
        if not step:
            break
        walked += [i.id for i in step]
        marker = step[-1].id
    assert walked == everything


def test_an_unknown_marker_is_a_400(shared_cloud: LocalCloud) -> None:
    with pytest.raises(BaseHTTPError) as raised:
        driver_for(shared_cloud).list_images(ex_filters={"marker": "no-such-image"})
    assert raised.value.code == 400


def test_get_image_reads_the_seeded_states(shared_cloud: LocalCloud) -> None:
    driver = driver_for(shared_cloud)
    expected = {
        seed.UBUNTU_2204_ID: (ImageState.ACTIVE, ImageType.BASE, 100),
        seed.SNAPSHOT_QUEUED_ID: (ImageState.SAVING, ImageType.SNAPSHOT, 25),
        seed.SNAPSHOT_KILLED_ID: (ImageState.ERROR, ImageType.SNAPSHOT, 0),
        seed.SNAPSHOT_PENDING_DELETE_ID: (ImageState.DELETED, ImageType.SNAPSHOT, 0),
        seed.SNAPSHOT_IMPORTING_ID: (ImageState.UNKNOWN, ImageType.SNAPSHOT, 0),
        seed.BACKUP_ACTIVE_ID: (ImageState.ACTIVE, ImageType.SNAPSHOT, 100),
    }
    for image_id, (state, kind, progress) in expected.items():
        image = driver.get_image(image_id)
        assert (image.extra["state"], image.extra["image_type"], image.extra["progress"]) == (state, kind, progress)


def test_many_images_page_through_in_both_dialects(shared_cloud: LocalCloud) -> None:
    ids = shared_cloud.store.add_images_bulk(2500, owner=shared_cloud.tenant_id, name_prefix="bulk")
    try:
        driver = driver_for(shared_cloud)
        names = [i.name for i in driver.ex_iterate_images(ex_filters={"type": "BASE"}) if i.name.startswith("bulk")]
        assert len(names) == 2500
        assert len(set(names)) == 2500
    finally:
        for image_id in ids:
            shared_cloud.store.delete_image(shared_cloud.tenant_id, image_id)


@pytest.mark.parametrize("cloud", DIALECTS, indirect=True)
def test_delete_then_404_and_a_protected_image_is_403(cloud: LocalCloud) -> None:
    driver = driver_for(cloud)
    assert driver.delete_image(driver.get_image(seed.SNAPSHOT_ACTIVE_ID)) is True
    with pytest.raises(BaseHTTPError) as gone:
        driver.get_image(seed.SNAPSHOT_ACTIVE_ID)
    assert gone.value.code == 404
    with pytest.raises(BaseHTTPError) as again:
        driver.delete_image(seed.SNAPSHOT_ACTIVE_ID)
    assert again.value.code == 404
    with pytest.raises(BaseHTTPError) as protected:
        driver.delete_image(seed.PROTECTED_IMAGE_ID)
    assert protected.value.code == 403
    assert seed.PROTECTED_IMAGE_ID in {i.id for i in driver.list_images()}


@pytest.mark.parametrize("cloud", DIALECTS, indirect=True)
def test_another_tenants_image_is_not_found(cloud: LocalCloud) -> None:
    with pytest.raises(BaseHTTPError) as raised:
        driver_for(cloud).get_image(seed.OTHER_TENANT_IMAGE_ID)
    assert raised.value.code == 404


# -- snapshots and waiting -------------------------------------------------------------------


@pytest.mark.parametrize("cloud", DIALECTS, indirect=True)
def test_create_image_then_wait_until_active_with_rising_progress(cloud: LocalCloud) -> None:
    driver = driver_for(cloud)
    node = Node(seed.WEB_SERVER_ID, "web01", NodeState.RUNNING, [], [], driver)
    image = driver.create_image(node, "nightly", description="before upgrade", ex_metadata={"team": "ops"})
    assert image.name == "nightly"
    assert image.extra["state"] == ImageState.SAVING
    assert image.extra["image_type"] == ImageType.SNAPSHOT
    assert image.extra["serverId"] == seed.WEB_SERVER_ID
    assert image.extra["metadata"]["team"] == "ops"
    assert image.extra["metadata"]["description"] == "before upgrade"
    seen: list[int] = []
    done = driver.ex_wait_for_image(image, timeout=10, interval=0.05, callback=seen.append)
    assert done.extra["state"] == ImageState.ACTIVE
    assert seen == sorted(seen) and seen[-1] == 100 and len(seen) >= 3
    assert len(set(seen)) == len(seen)
    found = driver.list_images(ex_filters={"server": node, "name": "nightly"})
    assert [i.id for i in found] == [image.id]


def test_create_image_of_an_unknown_server_is_a_404(cloud: LocalCloud) -> None:
    with pytest.raises(BaseHTTPError) as raised:
        driver_for(cloud).create_image("no-such-server", "x")
    assert raised.value.code == 404


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"node": "", "name": "x"}, "node"),
        ({"node": seed.WEB_SERVER_ID, "name": ""}, "name"),
        ({"node": seed.WEB_SERVER_ID, "name": "x", "ex_metadata": {"a": 1}}, "ex_metadata"),
        ({"node": seed.WEB_SERVER_ID, "name": "x", "description": 5}, "description"),
    ],
)
def test_create_image_refuses_bad_arguments_before_any_request(cloud: LocalCloud, kwargs, named) -> None:
    driver = driver_for(cloud)
    before = cloud.store.list_images(cloud.tenant_id)
    with pytest.raises(ValueError, match=named):
        driver.create_image(**kwargs)
    assert cloud.store.list_images(cloud.tenant_id) == before


def test_wait_times_out_with_the_last_state(cloud: LocalCloud) -> None:
    cloud.saving_seconds = 30
    driver = driver_for(cloud)
    image = driver.create_image(seed.DB_SERVER_ID, "slow")
    with pytest.raises(ImageWaitTimeout) as raised:
        driver.ex_wait_for_image(image, timeout=0.3, interval=0.1)
    assert raised.value.state == ImageState.SAVING
    assert raised.value.image_id == image.id
    assert "SAVING" in str(raised.value) and "ACTIVE" in str(raised.value)


@pytest.mark.parametrize(
    ("image_id", "state"), [(seed.SNAPSHOT_KILLED_ID, ImageState.ERROR), (seed.SNAPSHOT_DELETED_ID, ImageState.DELETED)]
)
def test_wait_stops_at_error_or_deleted(cloud: LocalCloud, image_id: str, state: ImageState) -> None:
    with pytest.raises(ImageWaitError) as raised:
        driver_for(cloud).ex_wait_for_image(image_id, timeout=5, interval=0.05)
    assert raised.value.state == state
    assert not isinstance(raised.value, ImageWaitTimeout)


def test_wait_for_deleted_accepts_an_image_that_disappears(cloud: LocalCloud) -> None:
    driver = driver_for(cloud)
    image = driver.get_image(seed.LEGACY_SNAPSHOT_ID)
    first = driver.ex_wait_for_image(image, state="ACTIVE", timeout=1, interval=0.05)
    assert first.extra["state"] == ImageState.ACTIVE
    driver.delete_image(image)
    with pytest.raises(ImageWaitError, match="disappeared"):
        driver.ex_wait_for_image(image, timeout=1, interval=0.05)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"state": "DONE"}, "state"),
        ({"timeout": 0}, "timeout"),
        ({"interval": -1}, "interval"),
        ({"timeout": True}, "timeout"),
    ],
)
def test_wait_refuses_bad_arguments(cloud: LocalCloud, kwargs, named) -> None:
    with pytest.raises(ValueError, match=named):
        driver_for(cloud).ex_wait_for_image(seed.SNAPSHOT_ACTIVE_ID, **kwargs)


def test_a_changes_since_datetime_matches_the_string_form(shared_cloud: LocalCloud) -> None:
    driver = driver_for(shared_cloud)
    moment = datetime(2024, 2, 1, tzinfo=timezone.utc)
    by_datetime = [i.id for i in driver.list_images(ex_filters={"changes-since": moment})]
    by_string = [i.id for i in driver.list_images(ex_filters={"changes-since": "2024-02-01T00:00:00Z"})]
    assert by_datetime == by_string and by_datetime
