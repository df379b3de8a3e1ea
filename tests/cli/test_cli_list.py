"""``rackimg images list``: the table, --brief, --json, and every filter in both dialects."""

from __future__ import annotations

import json
import subprocess

import pytest

from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import (
    ARCH_LEGACY_ID,
    BACKUP_ACTIVE_ID,
    CENTOS_STREAM_9_ID,
    DB_SERVER_ID,
    DEBIAN_12_ID,
    FEDORA_39_ID,
    LEGACY_SNAPSHOT_ID,
    OTHER_TENANT_IMAGE_ID,
    PROTECTED_IMAGE_ID,
    SNAPSHOT_ACTIVE_ID,
    SNAPSHOT_DEACTIVATED_ID,
    SNAPSHOT_DELETED_ID,
    SNAPSHOT_IMPORTING_ID,
    SNAPSHOT_KILLED_ID,
    SNAPSHOT_PENDING_DELETE_ID,
    SNAPSHOT_QUEUED_ID,
    SNAPSHOT_SAVING_ID,
    UBUNTU_2004_ID,
    UBUNTU_2204_ID,
    WEB_SERVER_ID,
    WINDOWS_2019_ID,
)

from .conftest import RUN_TIMEOUT, SEEDED_IDS, SEEDED_IMAGES, Rackimg, ids_of, run_together, table

BASE_IDS = [
    UBUNTU_2204_ID,
    DEBIAN_12_ID,
    FEDORA_39_ID,
    CENTOS_STREAM_9_ID,
    WINDOWS_2019_ID,
    UBUNTU_2004_ID,
    ARCH_LEGACY_ID,
]
#: Every field of an image, in the order docs/cli.rst lists them.
IMAGE_FIELDS = [
    "id", "name", "state", "type", "progress", "server_id", "created", "updated", "status", "visibility",
    "owner", "protected", "tags", "min_disk", "min_ram", "size", "checksum", "disk_format", "container_format",
    "disk_config", "os_type", "os_distro", "os_version", "glance_status", "member_status", "metadata",
]  # fmt: skip
WEB_SERVER_IMAGE_IDS = [
    SNAPSHOT_QUEUED_ID,
    SNAPSHOT_ACTIVE_ID,
    SNAPSHOT_IMPORTING_ID,
    SNAPSHOT_PENDING_DELETE_ID,
    SNAPSHOT_DELETED_ID,
    PROTECTED_IMAGE_ID,
    SNAPSHOT_DEACTIVATED_ID,
    LEGACY_SNAPSHOT_ID,
]


LONG_HEADER = ["ID", "NAME", "STATE", "TYPE", "PROGRESS", "SERVER_ID", "CREATED", "UPDATED"]


def test_default_table_is_id_name_state_type_and_created_in_80_columns(rs: Rackimg) -> None:
    result = rs("images", "list", env={"COLUMNS": "80"})

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "STATE", "TYPE", "CREATED"]
    assert max(len(line) for line in lines) <= 80
    rows = table(result.stdout)
    assert [(r["ID"], r["STATE"], r["TYPE"]) for r in rows] == [(i.id, i.state, i.type) for i in SEEDED_IMAGES]
    for row, seeded in zip(rows, SEEDED_IMAGES, strict=True):  # names are cut to fit, ending in …
        assert row["NAME"] == seeded.name or (row["NAME"].endswith("…") and seeded.name.startswith(row["NAME"][:-1]))
    created = {row["ID"]: row["CREATED"] for row in rows}
    assert created[SNAPSHOT_ACTIVE_ID] == "2024-03-01"  # the date alone, to fit
    assert OTHER_TENANT_IMAGE_ID not in result.stdout


def test_a_wide_terminal_shows_whole_names_and_times(rs: Rackimg) -> None:
    result = rs("images", "list", env={"COLUMNS": "200"})

    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert [r["NAME"] for r in rows] == [i.name for i in SEEDED_IMAGES]
    assert {r["ID"]: r["CREATED"] for r in rows}[SNAPSHOT_ACTIVE_ID] == "2024-03-01T12:00:00Z"


def test_long_table_has_one_row_per_visible_seeded_image(rs: Rackimg) -> None:
    result = rs("images", "list", "--long")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[0].split() == LONG_HEADER
    rows = table(result.stdout)
    shown = [(r["ID"], r["NAME"], r["STATE"], r["TYPE"], r["PROGRESS"], r["SERVER_ID"]) for r in rows]
    assert shown == [(i.id, i.name, i.state, i.type, i.progress, i.server) for i in SEEDED_IMAGES]
    updated = {row["ID"]: row["UPDATED"] for row in rows}
    assert updated[SNAPSHOT_ACTIVE_ID] == "2024-03-01T12:09:00Z"
    assert updated[ARCH_LEGACY_ID] == "2015-07-01T12:00:00Z"
    assert OTHER_TENANT_IMAGE_ID not in result.stdout


def test_brief_shows_only_ids_and_names(rs: Rackimg) -> None:
    result = rs("images", "list", "--brief")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["ID", "NAME"]
    assert [(r["ID"], r["NAME"]) for r in table(result.stdout)] == [(i.id, i.name) for i in SEEDED_IMAGES]
    assert "SAVING" not in result.stdout


def test_json_lists_every_image_with_every_field(rs: Rackimg) -> None:
    result = rs("images", "list", "--json")

    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == SEEDED_IDS
    for record, seeded in zip(records, SEEDED_IMAGES, strict=True):
        assert list(record) == IMAGE_FIELDS  # the documented fields, in order; no links
        assert record["name"] == seeded.name
        assert record["state"] == seeded.state
        assert record["type"] == seeded.type
        assert f"{record['progress']}%" == seeded.progress
        assert (record["server_id"] or "-") == seeded.server
    by_id = {r["id"]: r for r in records}
    assert by_id[WINDOWS_2019_ID]["min_disk"] == 40
    assert by_id[WINDOWS_2019_ID]["min_ram"] == 2048
    assert by_id[WINDOWS_2019_ID]["os_type"] == "windows"
    assert by_id[SNAPSHOT_SAVING_ID]["size"] is None
    assert by_id[BACKUP_ACTIVE_ID]["metadata"]["backup_type"] == "daily"


def test_an_empty_result_prints_only_the_header(rs: Rackimg) -> None:
    result = rs("images", "list", "--name", "no-such-image")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ID", "NAME", "STATE", "TYPE", "CREATED"]


FILTER_CASES = {
    "server": (["--server", WEB_SERVER_ID], WEB_SERVER_IMAGE_IDS),
    "name": (["--name", "db01-failed"], [SNAPSHOT_KILLED_ID]),
    "status-saving": (["--status", "saving"], [SNAPSHOT_SAVING_ID, SNAPSHOT_QUEUED_ID]),
    "changes-since": (
        ["--changes-since", "2024-03-01T00:00:00Z"],
        [SNAPSHOT_SAVING_ID, SNAPSHOT_QUEUED_ID, BACKUP_ACTIVE_ID, SNAPSHOT_ACTIVE_ID],
    ),
    "marker-and-limit": (["--marker", SNAPSHOT_ACTIVE_ID, "--limit", "2"], [SNAPSHOT_IMPORTING_ID, SNAPSHOT_KILLED_ID]),
    "type-base": (["--type", "BASE"], BASE_IDS),
    "type-snapshot": (["--type", "snapshot"], [i for i in SEEDED_IDS if i not in BASE_IDS]),
    "min-disk": (["--min-disk", "30"], [WINDOWS_2019_ID]),
    "min-ram": (["--min-ram", "1024"], [FEDORA_39_ID, CENTOS_STREAM_9_ID, WINDOWS_2019_ID]),
    "combined": (["--server", DB_SERVER_ID, "--status", "ACTIVE"], [BACKUP_ACTIVE_ID]),
    "held-back-with-limit": (["--type", "BASE", "--min-ram", "512", "--limit", "2"], BASE_IDS[:2]),
}


@pytest.mark.parametrize(("options", "expected"), FILTER_CASES.values(), ids=FILTER_CASES.keys())
def test_each_filter_lists_exactly_the_matching_images_in_both_dialects(
    rs: Rackimg, osk: Rackimg, options: list[str], expected: list[str]
) -> None:
    rackspace, openstack = run_together(
        lambda: rs("images", "list", "--json", *options),
        lambda: osk("images", "list", "--json", *options),
    )

    for dialect, result in (("rackspace", rackspace), ("openstack", openstack)):
        assert result.returncode == 0, (dialect, result.stderr)
        assert [record["id"] for record in json.loads(result.stdout)] == expected, dialect


def test_page_size_sets_how_many_images_each_request_asks_for(
    rs: Rackimg, osk: Rackimg, cloud: LocalCloud, openstack_cloud: LocalCloud
) -> None:
    for local in (cloud, openstack_cloud):
        local.faults.set_delay(0.0)  # fires on every compute request: a request counter

    rackspace, openstack = run_together(
        lambda: rs("images", "list", "--brief", "--page-size", "5"),
        lambda: osk("images", "list", "--brief", "--page-size", "5"),
    )

    for result, local in ((rackspace, cloud), (openstack, openstack_cloud)):
        assert result.returncode == 0, result.stderr
        assert ids_of(result.stdout) == SEEDED_IDS
        assert local.faults.injected()["delay"] == 4, local.dialect  # pages of 5 + 5 + 5 + 3


def test_openstack_brief_listing_with_held_back_filters_is_still_brief_and_exact(osk: Rackimg) -> None:
    result = osk("images", "list", "--brief", "--status", "SAVING", "--type", "SNAPSHOT")

    assert result.returncode == 0, result.stderr
    assert [(r["ID"], r["NAME"]) for r in table(result.stdout)] == [
        (SNAPSHOT_SAVING_ID, "db01-saving"),
        (SNAPSHOT_QUEUED_ID, "web01-queued"),
    ]


def test_openstack_long_table_matches_the_rackspace_one(osk: Rackimg) -> None:
    result = osk("images", "list", "--long")

    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    shown = [(r["ID"], r["NAME"], r["STATE"], r["TYPE"], r["PROGRESS"], r["SERVER_ID"]) for r in rows]
    assert shown == [(i.id, i.name, i.state, i.type, i.progress, i.server) for i in SEEDED_IMAGES]


BAD_FILTERS = {
    "limit": (["--limit", "0"], "rackimg: error: --limit must be a whole number >= 1, got 0"),
    "page-size": (["--page-size", "0"], "rackimg: error: --page-size must be a whole number >= 1, got 0"),
    "changes-since": (
        ["--changes-since", "yesterday"],
        "rackimg: error: --changes-since must be an ISO 8601 date-time such as '2026-01-31T12:00:00Z', got 'yesterday'",
    ),
    "changes-since-offset": (
        ["--changes-since", "9999-12-31T23:59:59-24:00"],
        "rackimg: error: --changes-since: '9999-12-31T23:59:59-24:00' has no valid offset (hours 00-23, minutes 00-59)",
    ),
    "changes-since-year-0": (
        ["--changes-since", "0000-12-31T23:00:00-05:00"],
        "rackimg: error: --changes-since: '0000-12-31T23:00:00-05:00' is not a valid date-time"
        " (year 0 is out of range)",
    ),
}


def test_a_bad_filter_value_exits_2_before_any_request(rs: Rackimg, cloud: LocalCloud) -> None:
    cloud.faults.set_delay(0.0)  # counts compute requests

    results = run_together(
        *(lambda options=options: rs("images", "list", *options) for options, _ in BAD_FILTERS.values())
    )

    for result, (_, message) in zip(results, BAD_FILTERS.values(), strict=True):
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr.splitlines() == [message]
    assert cloud.faults.injected()["delay"] == 0


def test_an_unknown_marker_is_the_servers_error(rs: Rackimg) -> None:
    result = rs("images", "list", "--marker", "no-such-id")

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rackimg: error: ")
    assert "400 Bad Request: marker [no-such-id] not found" in lines[0]


def test_changes_since_at_the_edges_of_the_years_lists_everything_or_nothing(rs: Rackimg) -> None:
    since_year_0, since_year_10000 = run_together(
        lambda: rs("images", "list", "--brief", "--changes-since", "0001-01-01T00:00:00+05:00"),
        lambda: rs("images", "list", "--brief", "--changes-since", "9999-12-31T23:59:59-05:00"),
    )

    assert since_year_0.returncode == 0, since_year_0.stderr
    assert ids_of(since_year_0.stdout) == SEEDED_IDS
    assert since_year_10000.returncode == 0, since_year_10000.stderr
    assert since_year_10000.stdout.split() == ["ID", "NAME"]
    assert since_year_0.stderr == since_year_10000.stderr == ""


# -- in a pipeline -------------------------------------------------------------------------------

#: Enough images that the listing is far larger than a pipe holds (64 KB on Linux): the command
#: is still writing when ``head`` exits. A table row is more than 36 characters (the id alone).
MANY_IMAGES = 3000


def piped_into_head(rackimg: Rackimg, *args: str) -> tuple[int, str, str]:
    """``rackimg ARGS | head -1``, two real processes and a real pipe: rackimg's exit status,
    its stderr, and what ``head`` printed."""
    producer = subprocess.Popen(
        [rackimg.script, *rackimg.options, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=rackimg.env,
        cwd=rackimg.cwd,
    )
    assert producer.stdout is not None and producer.stderr is not None
    try:
        head = subprocess.run(["head", "-1"], stdin=producer.stdout, capture_output=True, timeout=RUN_TIMEOUT)
        producer.stdout.close()  # head held the only other reading end: the pipe now has no reader
        stderr = producer.stderr.read()
        status = producer.wait(timeout=RUN_TIMEOUT)
    finally:
        if producer.poll() is None:
            producer.kill()
            producer.wait()
    assert head.returncode == 0, head.stderr
    return status, stderr.decode(), head.stdout.decode()


@pytest.mark.parametrize(("options", "first_line"), [([], "ID"), (["--brief"], "ID"), (["--json"], "[")])
def test_a_listing_piped_into_head_exits_0_and_quietly(
    rs: Rackimg, cloud: LocalCloud, options: list[str], first_line: str
) -> None:
    cloud.store.add_images_bulk(MANY_IMAGES, owner=cloud.tenant_id)

    status, stderr, printed = piped_into_head(rs, "images", "list", *options)

    assert printed.split(None, 1)[0] == first_line
    assert printed.count("\n") == 1
    assert stderr == ""
    assert status == 0
