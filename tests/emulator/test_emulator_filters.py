"""List filters: the documented meaning (rackspace) and upstream Nova's quirks (openstack)."""

from __future__ import annotations

import pytest

from rackimg_driver.emulator import seed

from .conftest import Client

BASE_IDS = {
    seed.UBUNTU_2204_ID,
    seed.UBUNTU_2004_ID,
    seed.DEBIAN_12_ID,
    seed.CENTOS_STREAM_9_ID,
    seed.FEDORA_39_ID,
    seed.WINDOWS_2019_ID,
}
SNAPSHOT_IDS = {  # image_type=snapshot exactly
    seed.SNAPSHOT_ACTIVE_ID,
    seed.SNAPSHOT_QUEUED_ID,
    seed.SNAPSHOT_SAVING_ID,
    seed.SNAPSHOT_DELETED_ID,
    seed.SNAPSHOT_PENDING_DELETE_ID,
    seed.SNAPSHOT_KILLED_ID,
    seed.SNAPSHOT_IMPORTING_ID,
    seed.SNAPSHOT_DEACTIVATED_ID,
    seed.PROTECTED_IMAGE_ID,
}
ALL_IDS = BASE_IDS | SNAPSHOT_IDS | {seed.ARCH_LEGACY_ID, seed.BACKUP_ACTIVE_ID, seed.LEGACY_SNAPSHOT_ID}
ACTIVE_IDS = BASE_IDS | {
    seed.ARCH_LEGACY_ID,
    seed.BACKUP_ACTIVE_ID,
    seed.LEGACY_SNAPSHOT_ID,
    seed.SNAPSHOT_ACTIVE_ID,
    seed.PROTECTED_IMAGE_ID,
}
WEB_SNAPSHOTS = {
    seed.SNAPSHOT_ACTIVE_ID,
    seed.LEGACY_SNAPSHOT_ID,
    seed.SNAPSHOT_QUEUED_ID,
    seed.SNAPSHOT_DELETED_ID,
    seed.SNAPSHOT_PENDING_DELETE_ID,
    seed.SNAPSHOT_IMPORTING_ID,
    seed.SNAPSHOT_DEACTIVATED_ID,
    seed.PROTECTED_IMAGE_ID,
}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("ACTIVE", ACTIVE_IDS),
        ("SAVING", {seed.SNAPSHOT_QUEUED_ID, seed.SNAPSHOT_SAVING_ID}),
        ("saving", {seed.SNAPSHOT_QUEUED_ID, seed.SNAPSHOT_SAVING_ID}),
        ("DELETED", {seed.SNAPSHOT_DELETED_ID, seed.SNAPSHOT_PENDING_DELETE_ID}),
        ("ERROR", {seed.SNAPSHOT_KILLED_ID}),
        ("UNKNOWN", {seed.SNAPSHOT_IMPORTING_ID, seed.SNAPSHOT_DEACTIVATED_ID}),
    ],
)
def test_rackspace_status_filter_matches_the_nova_status(rs: Client, status: str, expected: set[str]) -> None:
    assert set(rs.ids(status=status)) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("ACTIVE", ACTIVE_IDS),
        ("SAVING", {seed.SNAPSHOT_SAVING_ID}),  # the queued snapshot, shown as SAVING, is missed
        ("queued", {seed.SNAPSHOT_QUEUED_ID}),
        ("UNKNOWN", set()),
        ("DELETED", {seed.SNAPSHOT_DELETED_ID}),  # pending_delete is missed
        ("ERROR", set()),
    ],
)
def test_openstack_status_filter_compares_the_glance_status(osc: Client, status: str, expected: set[str]) -> None:
    assert set(osc.ids(status=status)) == expected


def test_rackspace_type_filter_is_case_insensitive_and_counts_backups_as_snapshots(rs: Client) -> None:
    snapshots = SNAPSHOT_IDS | {seed.BACKUP_ACTIVE_ID, seed.LEGACY_SNAPSHOT_ID}
    assert set(rs.ids(type="SNAPSHOT")) == snapshots
    assert set(rs.ids(type="snapshot")) == snapshots
    assert set(rs.ids(type="BASE")) == BASE_IDS | {seed.ARCH_LEGACY_ID}


def test_openstack_type_filter_is_the_case_sensitive_image_type_property(osc: Client) -> None:
    assert osc.ids(type="SNAPSHOT") == []
    assert osc.ids(type="BASE") == []
    assert set(osc.ids(type="snapshot")) == SNAPSHOT_IDS
    assert set(osc.ids(type="backup")) == {seed.BACKUP_ACTIVE_ID}
    assert set(osc.ids(type="base")) == BASE_IDS


def test_rackspace_min_disk_and_min_ram_mean_at_least(rs: Client) -> None:
    assert set(rs.ids(minDisk=40)) == {seed.WINDOWS_2019_ID}
    assert set(rs.ids(minDisk=20)) == ALL_IDS
    assert set(rs.ids(minRam=1024)) == {seed.CENTOS_STREAM_9_ID, seed.FEDORA_39_ID, seed.WINDOWS_2019_ID}


def test_openstack_min_disk_and_min_ram_match_exactly(osc: Client) -> None:
    assert set(osc.ids(minDisk=20)) == ALL_IDS - {seed.WINDOWS_2019_ID}
    assert set(osc.ids(minRam=1024)) == {seed.CENTOS_STREAM_9_ID, seed.FEDORA_39_ID}
    assert set(osc.ids(minRam=2048)) == {seed.WINDOWS_2019_ID}


@pytest.mark.parametrize("client_name", ["rs", "osc"])
def test_server_filter_takes_an_id_or_a_url(client_name: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(client_name)
    by_id = client.ids(server=seed.WEB_SERVER_ID)
    by_url = client.ids(server=f"{client.compute}/servers/{seed.WEB_SERVER_ID}")

    assert set(by_id) == WEB_SNAPSHOTS
    assert by_url == by_id


@pytest.mark.parametrize("client_name", ["rs", "osc"])
def test_name_filter_is_exact(client_name: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(client_name)
    assert client.ids(name="Debian 12 (Bookworm) (PVHVM)") == [seed.DEBIAN_12_ID]
    assert client.ids(name="Debian") == []


@pytest.mark.parametrize("client_name", ["rs", "osc"])
def test_changes_since_keeps_images_updated_at_or_after(client_name: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(client_name)
    expected = {
        seed.SNAPSHOT_ACTIVE_ID,
        seed.BACKUP_ACTIVE_ID,
        seed.SNAPSHOT_QUEUED_ID,
        seed.SNAPSHOT_SAVING_ID,
    }
    assert set(client.ids(**{"changes-since": "2024-03-01T12:09:00Z"})) == expected
    assert set(client.ids(**{"changes-since": "2024-03-01T13:09:00+01:00"})) == expected
    assert set(client.ids(**{"changes-since": "2024-03-01T12:08:59.9Z"})) == expected
    assert set(client.ids(**{"changes-since": "2024-03-02"})) == expected - {seed.SNAPSHOT_ACTIVE_ID}
    assert set(client.ids(**{"changes-since": "2024-03-01T12:09:01Z"})) == expected - {seed.SNAPSHOT_ACTIVE_ID}


def test_unparsable_changes_since_and_non_integer_min_disk_are_400(rs: Client) -> None:
    for params in ({"changes-since": "yesterday"}, {"changes-since": "2024-13-01"}, {"minDisk": "big"}):
        response = rs.get("/images/detail", params=params)
        assert response.status_code == 400
        assert response.json()["badRequest"]["code"] == 400


def test_unknown_query_keys_are_ignored_and_filters_combine(rs: Client) -> None:
    assert set(rs.ids(colour="blue")) == ALL_IDS
    combined = rs.ids(type="SNAPSHOT", status="ACTIVE", server=seed.WEB_SERVER_ID)
    assert set(combined) == {seed.SNAPSHOT_ACTIVE_ID, seed.LEGACY_SNAPSHOT_ID, seed.PROTECTED_IMAGE_ID}


def test_filters_apply_to_the_short_list_too(rs: Client) -> None:
    response = rs.get("/images", params={"status": "ERROR"})
    assert [image["id"] for image in response.json()["images"]] == [seed.SNAPSHOT_KILLED_ID]
