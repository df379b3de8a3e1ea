"""``rackimg images set|unset|members|share|unshare|accept|reject``: the installed script
against local clouds, the owner and the second project (``alt``) each with its own options."""

from __future__ import annotations

import json

import pytest

from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import OTHER_TENANT, SNAPSHOT_ACTIVE_ID, UBUNTU_2204_ID
from tests.cli.conftest import Rackimg, ids_of, openstack_options, stderr_lines, table

IMAGE = SNAPSHOT_ACTIVE_ID


def member_options(cloud: LocalCloud, dialect: str) -> list[str]:
    if dialect == "rackspace":
        return ["--auth-url", cloud.url, "--user", "alt", "--api-key", "alt-api-key"]
    return [
        "--cloud", "openstack", "--auth-url", cloud.url, "--user", "alt", "--password", "alt-password",
        "--tenant", "alt", "--auth-version", "3.x_password",
    ]  # fmt: skip


@pytest.fixture(params=["rackspace", "openstack"])
def clouds(request, rackimg: Rackimg, cloud: LocalCloud, openstack_cloud: LocalCloud) -> tuple[Rackimg, Rackimg]:
    """The command as the owner and as the member, in each dialect."""
    if request.param == "rackspace":
        owner = rackimg.with_options("--auth-url", cloud.url, "--user", cloud.username, "--api-key", cloud.api_key)
        return owner, rackimg.with_options(*member_options(cloud, "rackspace"))
    return (
        rackimg.with_options(*openstack_options(openstack_cloud)),
        rackimg.with_options(*member_options(openstack_cloud, "openstack")),
    )


def test_set_and_unset_change_the_image_and_print_it(clouds: tuple[Rackimg, Rackimg]) -> None:
    owner, _ = clouds
    result = owner(
        "images", "set", IMAGE, "--name", "golden", "--protected", "--visibility", "shared",
        "--property", "role=web", "--tag", "a", "--tag", "b", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    image = json.loads(result.stdout)
    assert (image["name"], image["protected"], image["visibility"], image["tags"]) == (
        "golden",
        True,
        "shared",
        ["a", "b"],
    )
    assert image["metadata"]["role"] == "web"
    assert ids_of(owner("images", "list", "--tag", "a", "--tag", "b").stdout) == [IMAGE]
    assert ids_of(owner("images", "list", "--protected", "--visibility", "shared").stdout) == [IMAGE]
    assert IMAGE not in ids_of(owner("images", "list", "--unprotected").stdout)
    by_name = owner("images", "set", "golden", "--property", "tier=gold", "-c", "id", "-c", "metadata", "-f", "json")
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout)["id"] == IMAGE  # a name that only one image has
    refused = owner("images", "delete", IMAGE, "--yes")
    assert refused.returncode == 1 and "protected" in refused.stderr
    result = owner("images", "unset", IMAGE, "--property", "role", "--tag", "a", "--json")
    assert result.returncode == 0, result.stderr
    image = json.loads(result.stdout)
    assert "role" not in image["metadata"] and image["tags"] == ["b"]
    text = owner("images", "set", IMAGE, "--unprotected")
    assert text.returncode == 0 and any(line.split() == ["protected", "False"] for line in text.stdout.splitlines())


def test_share_accept_reject_and_unshare(clouds: tuple[Rackimg, Rackimg]) -> None:
    owner, member = clouds
    assert owner("images", "set", IMAGE, "--visibility", "shared").returncode == 0
    shared = owner("images", "share", IMAGE, OTHER_TENANT, "--json")
    assert shared.returncode == 0, shared.stderr
    assert json.loads(shared.stdout)["status"] == "pending"
    assert [row["STATUS"] for row in table(owner("images", "members", IMAGE).stdout)] == ["pending"]
    assert IMAGE not in ids_of(member("images", "list").stdout)
    # As in Glance, member_status filters the shared images only.
    pending = member("images", "list", "--visibility", "shared", "--member-status", "pending")
    assert ids_of(pending.stdout) == [IMAGE]
    accepted = member("images", "accept", IMAGE, "--json")
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["status"] == "accepted"
    assert IMAGE in ids_of(member("images", "list").stdout)
    rejected = member("images", "reject", IMAGE)
    assert rejected.returncode == 0 and "rejected" in rejected.stdout
    assert IMAGE not in ids_of(member("images", "list").stdout)
    members = json.loads(owner("images", "members", IMAGE, "--json").stdout)
    assert [(m["member_id"], m["status"]) for m in members] == [(OTHER_TENANT, "rejected")]
    assert owner("images", "unshare", IMAGE, OTHER_TENANT).returncode == 0
    assert json.loads(owner("images", "members", IMAGE, "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["images", "set", IMAGE], "rackimg: error: nothing to set: give --name, --protected, --unprotected,"),
        (
            ["images", "set", IMAGE, "--property", "novalue"],
            "rackimg: error: --property must be KEY=VALUE, got 'novalue'",
        ),
        (["images", "unset", IMAGE], "rackimg: error: nothing to unset: give --property or --tag"),
        (["images", "set", IMAGE, "--tag", " "], "rackimg: error: --tag must not be empty"),
    ],
)
def test_bad_options_exit_2_before_any_request(rackimg: Rackimg, args: list[str], message: str) -> None:
    # No cloud at all: a request would fail otherwise.
    result = rackimg("--auth-url", "http://127.0.0.1:9", "--user", "u", "--api-key", "k", "--retries", "0", *args)
    assert result.returncode == 2
    assert len(stderr_lines(result)) == 1 and stderr_lines(result)[0].startswith(message)


def test_visibility_is_one_of_four_words(rackimg: Rackimg) -> None:
    result = rackimg("images", "set", IMAGE, "--visibility", "everyone")
    assert result.returncode == 2 and "--visibility" in result.stderr


def test_accepting_an_image_not_shared_with_the_project_exits_4(clouds: tuple[Rackimg, Rackimg]) -> None:
    owner, member = clouds
    owner("images", "set", IMAGE, "--visibility", "shared")
    result = member("images", "accept", IMAGE)
    assert result.returncode == 4  # the project cannot even see it
    assert stderr_lines(result) == [f"rackimg: error: 404 Not Found: No image found with ID {IMAGE}"]
    public = member("images", "accept", UBUNTU_2204_ID)
    assert public.returncode == 1 and "Only shared images have members" in public.stderr
