"""The glance dialect against the local cloud: the same filters, pages, images and errors as the
openstack dialect, from one cloud that answers both (Nova at ``/v2.1``, Glance at ``/v2/images``).

Fields that legitimately differ between the dialects are left out of the comparison (see
``DIALECT_ONLY``); the tests at the end pin the differences the driver once made (size of an
image without data, diskConfig words, HTML error pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from libcloud.common.exceptions import BaseHTTPError

from rackimg_driver import EXTRA_KEYS, ImageState, RackImgNodeDriver
from rackimg_driver.emulator import LocalCloud, seed
from tests.conftest import FAST_RETRIES
from tests.dialects import DIALECT_ONLY, answers

#: Nothing else is left out: an image without data is size 0 in both (Nova shows 0).
SIZE_OF_AN_IMAGE_WITHOUT_DATA: tuple[str, ...] = ()


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud("glance") as local:
        yield local


def drivers_of(cloud: LocalCloud, **kwargs: Any) -> dict[str, RackImgNodeDriver]:
    options = {**cloud.driver_kwargs, **FAST_RETRIES, "region": None, **kwargs}
    return {
        "openstack": RackImgNodeDriver(**{**options, "ex_dialect": "openstack"}),
        "glance": RackImgNodeDriver(**options),
    }


@pytest.fixture(scope="module")
def drivers(cloud: LocalCloud) -> dict[str, RackImgNodeDriver]:
    return drivers_of(cloud)


SERVER_URL = f"https://servers.example.com/v2.1/123456/servers/{seed.DB_SERVER_ID}"

# name -> ex_filters: every filter alone, then together.
FILTER_CASES: dict[str, dict[str, Any]] = {
    "nothing": {},
    **{f"status-{state.value}": {"status": state.value} for state in ImageState},
    "status-lowercase": {"status": "saving"},
    "type-base": {"type": "BASE"},
    "type-snapshot": {"type": "snapshot"},
    "name": {"name": "Fedora 39 (PVHVM)"},
    "name-is-case-sensitive": {"name": "fedora 39 (pvhvm)"},
    "name-of-another-tenants-image": {"name": "other-tenant-secret"},
    "server": {"server": seed.WEB_SERVER_ID},
    "server-as-url": {"server": SERVER_URL},
    "server-unknown": {"server": "00000000-0000-0000-0000-000000000000"},
    "changes-since-long-ago": {"changes-since": "2000-01-01T00:00:00Z"},
    "changes-since-2024": {"changes-since": "2024-01-01"},
    "changes-since-with-a-fraction": {"changes-since": "2024-03-01T12:09:00.000001Z"},
    "changes-since-datetime": {"changes-since": datetime(2024, 2, 20, 12, tzinfo=timezone.utc)},
    "changes-since-the-future": {"changes-since": "2099-01-01T00:00:00Z"},
    "minDisk": {"minDisk": 30},
    "minDisk-0": {"minDisk": 0},
    "minRam": {"minRam": 1024},
    "minRam-between-values": {"minRam": 600},
    "limit": {"limit": 5},
    "marker": {"marker": seed.SNAPSHOT_KILLED_ID},
    "marker-and-limit": {"marker": seed.SNAPSHOT_KILLED_ID, "limit": 3},
    "saving-snapshots": {"type": "SNAPSHOT", "status": "SAVING"},
    "active-bases": {"type": "BASE", "status": "ACTIVE"},
    "server-type-status": {"server": seed.WEB_SERVER_ID, "type": "SNAPSHOT", "status": "ACTIVE"},
    "server-and-error": {"server": seed.DB_SERVER_ID, "status": "ERROR"},
    "minimums-and-type": {"minRam": 512, "minDisk": 20, "type": "BASE"},
    "name-and-wrong-status": {"name": "Fedora 39 (PVHVM)", "status": "SAVING"},
    "changes-since-and-type": {"changes-since": "2024-01-01", "type": "SNAPSHOT"},
    "deleted-with-limit": {"status": "DELETED", "limit": 1},
    "everything": {
        "server": seed.WEB_SERVER_ID,
        "name": "web01-2024-03-01",
        "status": "ACTIVE",
        "changes-since": "2024-01-01",
        "type": "SNAPSHOT",
        "minDisk": 20,
        "minRam": 0,
        "limit": 10,
    },
}


@pytest.mark.parametrize("case", list(FILTER_CASES))
@pytest.mark.parametrize("page_size", [None, 2], ids=["one-page", "pages-of-2"])
def test_every_filter_gives_the_same_images_and_fields_in_both_dialects(
    drivers: dict[str, RackImgNodeDriver], case: str, page_size: int | None
) -> None:
    filters = FILTER_CASES[case]

    got = answers(
        drivers, lambda d: d.list_images(ex_filters=filters, ex_page_size=page_size), SIZE_OF_AN_IMAGE_WITHOUT_DATA
    )

    assert got["glance"] == got["openstack"]


def test_the_filters_are_not_all_empty(drivers: dict[str, RackImgNodeDriver]) -> None:
    """Guards the comparison above from comparing nothing with nothing."""
    counts = {case: len(drivers["glance"].list_images(ex_filters=filters)) for case, filters in FILTER_CASES.items()}

    assert counts["nothing"] == 18
    assert sum(1 for count in counts.values() if count) >= len(FILTER_CASES) - 6


@pytest.mark.parametrize("case", ["status-SAVING", "type-snapshot", "minRam", "name", "server", "nothing"])
def test_a_brief_listing_is_the_same_in_both_dialects(drivers: dict[str, RackImgNodeDriver], case: str) -> None:
    got = answers(drivers, lambda d: d.list_images(ex_filters=FILTER_CASES[case], ex_detailed=False))

    assert got["glance"] == got["openstack"]
    assert all(image["state"] is None for image in got["glance"])


@pytest.mark.parametrize("page_size", [1, 3, 7, 18, 1000])
def test_paging_with_any_page_size_gives_every_image_once_newest_first(
    drivers: dict[str, RackImgNodeDriver], page_size: int
) -> None:
    expected = [image.id for image in drivers["openstack"].list_images()]

    got = [image.id for image in drivers["glance"].ex_iterate_images(ex_page_size=page_size)]

    assert got == expected and len(got) == 18


def test_the_glance_dialect_follows_next_links_page_by_page() -> None:
    with LocalCloud("glance", seed=False) as cloud:
        cloud.store.add_images_bulk(60, owner=cloud.tenant_id)
        driver = drivers_of(cloud)["glance"]
        # Without a page size Glance answers 25 a page.
        assert [image.name for image in driver.list_images()] == [f"bulk-image-{i:02d}" for i in range(59, -1, -1)]
        assert len(driver.list_images(ex_filters={"limit": 30}, ex_page_size=7)) == 30


@pytest.mark.parametrize(
    "marker",
    ["00000000-0000-0000-0000-000000000000", seed.OTHER_TENANT_IMAGE_ID],
    ids=["unknown-400", "another-tenants-403"],
)
def test_a_bad_marker_is_the_same_error_in_both_dialects(drivers: dict[str, RackImgNodeDriver], marker: str) -> None:
    got = answers(drivers, lambda d: d.list_images(ex_filters={"marker": marker}))

    assert got["glance"] == got["openstack"]
    assert got["glance"][0] == "error"


# -- get and delete ------------------------------------------------------------------------------------

SEEDED_IDS = [
    seed.UBUNTU_2204_ID,
    seed.WINDOWS_2019_ID,
    seed.ARCH_LEGACY_ID,
    seed.SNAPSHOT_ACTIVE_ID,
    seed.BACKUP_ACTIVE_ID,
    seed.LEGACY_SNAPSHOT_ID,
    seed.SNAPSHOT_QUEUED_ID,
    seed.SNAPSHOT_SAVING_ID,
    seed.SNAPSHOT_DELETED_ID,
    seed.SNAPSHOT_PENDING_DELETE_ID,
    seed.SNAPSHOT_KILLED_ID,
    seed.SNAPSHOT_IMPORTING_ID,
    seed.SNAPSHOT_DEACTIVATED_ID,
    seed.PROTECTED_IMAGE_ID,
]


@pytest.mark.parametrize("image_id", SEEDED_IDS)
def test_get_maps_every_seeded_image_the_same_in_both_dialects(
    drivers: dict[str, RackImgNodeDriver], image_id: str
) -> None:
    got = answers(drivers, lambda d: d.get_image(image_id), SIZE_OF_AN_IMAGE_WITHOUT_DATA)

    assert got["glance"] == got["openstack"]
    (image,) = got["glance"]
    assert set(image) >= {"id", "name", *EXTRA_KEYS} - set(DIALECT_ONLY + SIZE_OF_AN_IMAGE_WITHOUT_DATA)


def test_the_fields_only_glance_shows(drivers: dict[str, RackImgNodeDriver]) -> None:
    image = drivers["glance"].get_image(seed.UBUNTU_2204_ID)
    via_nova = drivers["openstack"].get_image(seed.UBUNTU_2204_ID)

    assert (image.extra["visibility"], via_nova.extra["visibility"]) == ("public", None)
    assert image.extra["glance_status"] == "active" and via_nova.extra["glance_status"] is None
    assert image.extra["links"] == [{"rel": "self", "href": f"/v2/images/{seed.UBUNTU_2204_ID}"}]


@pytest.mark.parametrize("image_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", seed.OTHER_TENANT_IMAGE_ID])
def test_get_of_an_image_you_cannot_see_is_a_404_in_both_dialects(
    drivers: dict[str, RackImgNodeDriver], image_id: str
) -> None:
    got = answers(drivers, lambda d: d.get_image(image_id))

    assert got["glance"] == got["openstack"] == ("error", 404)


def test_delete_then_get_and_delete_are_404s() -> None:
    with LocalCloud("glance") as cloud:
        glance = drivers_of(cloud)["glance"]

        assert glance.delete_image(seed.SNAPSHOT_ACTIVE_ID) is True

        for call in (glance.get_image, glance.delete_image):
            with pytest.raises(BaseHTTPError) as raised:
                call(seed.SNAPSHOT_ACTIVE_ID)
            assert raised.value.code == 404
        assert seed.SNAPSHOT_ACTIVE_ID not in [image.id for image in glance.list_images()]


@pytest.mark.parametrize(
    "image_id", [seed.PROTECTED_IMAGE_ID, seed.UBUNTU_2204_ID], ids=["protected", "another-owners-public-image"]
)
def test_deleting_an_image_you_may_not_delete_is_a_403_in_both_dialects(
    drivers: dict[str, RackImgNodeDriver], image_id: str
) -> None:
    got = answers(drivers, lambda d: d.delete_image(image_id))

    assert got["glance"] == got["openstack"] == ("error", 403)
    assert drivers["glance"].get_image(image_id).extra["state"] == ImageState.ACTIVE


# -- what the driver should do and does not (fixes reported; strict: they fail until fixed) ----------


@pytest.mark.parametrize("image_id", [seed.SNAPSHOT_QUEUED_ID, seed.SNAPSHOT_KILLED_ID])
def test_an_image_without_data_has_the_same_size_in_both_dialects(
    drivers: dict[str, RackImgNodeDriver], image_id: str
) -> None:
    got = answers(drivers, lambda d: d.get_image(image_id))

    assert got["glance"] == got["openstack"]


@pytest.mark.parametrize("word", ["yes", "1", "on", "bogus"])
def test_disk_config_is_the_same_in_both_dialects_for_any_auto_disk_config(word: str) -> None:
    with LocalCloud("glance", seed=False) as cloud:
        image = cloud.store.add_image(
            name="odd-disk-config", owner=cloud.tenant_id, size=1, properties={"auto_disk_config": word}
        )
        got = answers(drivers_of(cloud), lambda d: d.get_image(image.id))

    assert got["glance"] == got["openstack"]


def test_an_error_message_from_glance_is_text_not_html(drivers: dict[str, RackImgNodeDriver]) -> None:
    with pytest.raises(BaseHTTPError) as raised:
        drivers["glance"].delete_image(seed.PROTECTED_IMAGE_ID)

    assert str(raised.value) == f"403 Forbidden: Image {seed.PROTECTED_IMAGE_ID} is protected and cannot be deleted."
