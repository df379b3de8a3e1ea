"""OpenStack CLI habits: global options after the command, ``rackimg image``, ``--version``,
names where ids go, and usage errors that are one line naming the option."""

from __future__ import annotations

import json

import pytest

import rackimg_driver
from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import DB_SERVER_ID, DEMO_TENANT, SNAPSHOT_ACTIVE_ID, WINDOWS_2019_ID

from .conftest import SEEDED_IDS, Rackimg, ids_of, openstack_options, rackspace_options, run_together


def test_version(rackimg: Rackimg) -> None:
    result = rackimg("--version")

    assert result.returncode == 0
    assert result.stdout == f"rackimg {rackimg_driver.__version__}\n"


def test_global_options_after_the_command_and_the_image_alias(rackimg: Rackimg, cloud: LocalCloud) -> None:
    before, after, alias = run_together(
        lambda: rackimg(*rackspace_options(cloud), "images", "list", "--brief"),
        lambda: rackimg("images", "list", "--brief", *rackspace_options(cloud)),
        lambda: rackimg("image", "list", *rackspace_options(cloud), "--brief", "--retries", "0"),
    )

    for result in (before, after, alias):
        assert result.returncode == 0, result.stderr
        assert ids_of(result.stdout) == SEEDED_IDS


def test_an_option_after_the_command_beats_the_same_before_it(rackimg: Rackimg, cloud: LocalCloud) -> None:
    result = rackimg("--api-key", "wrong", "images", "list", *rackspace_options(cloud))

    assert result.returncode == 0, result.stderr


def test_local_cloud_with_global_options_after_the_command(rackimg: Rackimg) -> None:
    result = rackimg("images", "list", "--cloud", "local", "-f", "value", "-c", "id")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == SEEDED_IDS


def test_names_where_ids_go(rs: Rackimg, cloud: LocalCloud) -> None:
    shown, waited = run_together(
        lambda: rs("images", "show", "Windows Server 2019 Standard", "-f", "json"),
        lambda: rs("images", "wait", "web01-2024-03-01", "--timeout", "5"),
    )

    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == WINDOWS_2019_ID
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout == f"{SNAPSHOT_ACTIVE_ID} ACTIVE\n"

    deleted = rs("images", "delete", "--yes", "web01-2024-03-01")

    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout == f"deleted {SNAPSHOT_ACTIVE_ID}\n"
    assert SNAPSHOT_ACTIVE_ID not in {record.id for record in cloud.store.list_images(DEMO_TENANT)}


def test_snapshot_takes_a_server_name(rs: Rackimg, cloud: LocalCloud) -> None:
    result = rs("images", "snapshot", "db01", "--name", "by-name")

    assert result.returncode == 0, result.stderr
    image_id = result.stdout.split()[0]
    assert cloud.store.get_image(DEMO_TENANT, image_id).properties["instance_uuid"] == DB_SERVER_ID


def test_an_ambiguous_name_exits_2_listing_the_candidates(rs: Rackimg, cloud: LocalCloud) -> None:
    twins = sorted(cloud.store.add_image(name="twin", owner=DEMO_TENANT).id for _ in range(2))

    shown, deleted = run_together(
        lambda: rs("images", "show", "twin"),
        lambda: rs("images", "delete", "--yes", "twin"),
    )

    for result in (shown, deleted):
        assert result.returncode == 2
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("rackimg: error: image name 'twin' is ambiguous: 2 images have it: ")
        assert sorted(line.rsplit(": ", 1)[1].split(", ")) == twins
    assert set(twins) <= {record.id for record in cloud.store.list_images(DEMO_TENANT)}


def test_a_name_no_image_has_exits_4(rs: Rackimg) -> None:
    result = rs("images", "show", "no such name")

    assert result.returncode == 4
    assert result.stderr.splitlines() == ["rackimg: error: no such image no such name: 404 Not Found: Image not found."]


USAGE_ERRORS = {
    "limit": (["images", "list", "--limit", "0"], "rackimg: error: --limit must be a whole number >= 1, got 0"),
    "min-ram": (["images", "list", "--min-ram", "lots"], "rackimg: error: --min-ram must be a whole number >= 0, got lots"),
    "plus sign": (["images", "list", "--limit", "+3"], "rackimg: error: --limit must be a whole number >= 1, got +3"),
    "underscore": (["images", "list", "--limit", "3_000"], "rackimg: error: --limit must be a whole number >= 1, got 3_000"),
    "other digits": (["images", "list", "--min-disk", "٣"], "rackimg: error: --min-disk must be a whole number >= 0, got ٣"),
    "5000 digits": (["images", "list", "--limit", "9" * 5000], "rackimg: error: --limit must be a whole number >= 1, got " + "9" * 5000),
    "timeout": (["images", "wait", "x", "--timeout", "-1"], "rackimg: error: --timeout must be a number of seconds >= 0, got -1"),
    "status": (["images", "list", "--status", "gone"],
               "rackimg: error: --status must be one of ACTIVE, SAVING, DELETED, ERROR, UNKNOWN, got 'GONE'"),
    "cloud": (["--cloud", "nova", "images", "list"], "rackimg: error: --cloud must be one of rackspace, openstack, local, got 'nova'"),
    "unknown": (["images", "list", "--colour"], "rackimg: error: unrecognized arguments: --colour"),
    "no-action": (["images"], "rackimg: error: the following arguments are required: ACTION"),
    "required": (["images", "snapshot", "db01"], "rackimg: error: the following arguments are required: --name"),
}  # fmt: skip


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_every_usage_error_is_one_line_naming_the_option_and_exits_2(
    rs: Rackimg, args: list[str], message: str
) -> None:
    result = rs(*args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [message]


def test_the_glance_dialect_from_the_command_line(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    options = openstack_options(openstack_cloud)
    nova, glance, local_glance = run_together(
        lambda: rackimg(*options, "images", "list", "-f", "json", "-c", "id,glance_status"),
        lambda: rackimg(*options, "--dialect", "glance", "images", "list", "-f", "json", "-c", "id,glance_status"),
        lambda: rackimg("images", "list", "--cloud", "local", "--dialect", "glance", "-f", "json", "-c", "id"),
    )

    for result in (nova, glance, local_glance):
        assert result.returncode == 0, result.stderr
    assert all(record["glance_status"] is None for record in json.loads(nova.stdout))
    assert all(record["glance_status"] for record in json.loads(glance.stdout))
    assert [r["id"] for r in json.loads(glance.stdout)] == [r["id"] for r in json.loads(nova.stdout)]
    assert len(json.loads(local_glance.stdout)) > 0


def test_images_prune_takes_the_global_options_after_its_name(rackimg: Rackimg) -> None:
    result = rackimg("image", "prune", "--older-than", "30d", "--cloud", "local", "--json")

    assert result.returncode == 0, result.stderr
    assert {decision["id"] for decision in json.loads(result.stdout)} <= set(SEEDED_IDS)
