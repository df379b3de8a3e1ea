"""The image calls beyond listing, against the local cloud in every dialect: libcloud's names
(ex_update_image, the member calls), rejecting and removing members, tags, deactivation and
metadata by key, with the second project (``member_driver_kwargs``) answering the shares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.base import NodeImage, NodeImageMember
from libcloud.compute.types import NodeImageMemberState

from rackimg_driver import ImageState, RackImgNodeDriver
from rackimg_driver.emulator import LocalCloud, seed
from tests.conftest import FAST_RETRIES

DIALECTS = ("rackspace", "openstack", "glance")
IMAGE = seed.SNAPSHOT_ACTIVE_ID
MEMBER = seed.OTHER_TENANT


@pytest.fixture(params=DIALECTS)
def cloud(request: Any) -> Iterator[LocalCloud]:
    with LocalCloud(request.param) as fresh:
        yield fresh


@pytest.fixture
def owner(cloud: LocalCloud) -> RackImgNodeDriver:
    return RackImgNodeDriver(**{**cloud.driver_kwargs, **FAST_RETRIES})


@pytest.fixture
def member(cloud: LocalCloud) -> RackImgNodeDriver:
    return RackImgNodeDriver(**{**cloud.member_driver_kwargs, **FAST_RETRIES})


def listed(driver: RackImgNodeDriver) -> set[str]:
    return {image.id for image in driver.list_images()}


def test_ex_update_image_takes_a_mapping_and_returns_the_changed_image(owner: RackImgNodeDriver) -> None:
    image = owner.ex_update_image(
        IMAGE, {"name": "web-golden", "visibility": "shared", "protected": True, "min_disk": 30, "os_distro": "debian"}
    )
    assert isinstance(image, NodeImage)
    assert (image.id, image.name) == (IMAGE, "web-golden")
    assert image.extra["visibility"] == "shared"
    assert image.extra["minDisk"] == 30
    assert image.extra["metadata"]["os_distro"] == image.extra["os_distro"] == "debian"
    again = owner.get_image(IMAGE)
    assert (again.name, again.extra["minDisk"], again.extra["os_distro"]) == ("web-golden", 30, "debian")
    with pytest.raises(BaseHTTPError) as refused:
        owner.delete_image(IMAGE)  # protected now
    assert refused.value.code == 403


def test_ex_update_image_sends_libclouds_json_patch_as_it_is(owner: RackImgNodeDriver) -> None:
    image = owner.ex_update_image(
        NodeImage(IMAGE, None, owner),
        [{"op": "replace", "path": "/visibility", "value": "community"}, {"op": "remove", "path": "/os_distro"}],
    )
    assert image.extra["visibility"] == "community"
    assert "os_distro" not in image.extra["metadata"]


def test_a_property_given_as_none_is_removed_and_a_failing_patch_changes_nothing(owner: RackImgNodeDriver) -> None:
    assert "os_distro" not in owner.ex_update_image(IMAGE, {"os_distro": None}).extra["metadata"]
    with pytest.raises(BaseHTTPError) as conflict:
        owner.ex_update_image(
            IMAGE, [{"op": "replace", "path": "/name", "value": "x"}, {"op": "remove", "path": "/nope"}]
        )
    assert conflict.value.code == 409
    assert owner.get_image(IMAGE).name == "web01-2024-03-01"
    with pytest.raises(BaseHTTPError) as read_only:
        owner.ex_update_image(IMAGE, [{"op": "replace", "path": "/status", "value": "active"}])
    assert read_only.value.code == 403


def test_a_share_is_pending_until_the_member_accepts_then_rejects_it(
    owner: RackImgNodeDriver, member: RackImgNodeDriver
) -> None:
    owner.ex_update_image(IMAGE, {"visibility": "shared"})
    created = owner.ex_create_image_member(IMAGE, MEMBER)
    assert isinstance(created, NodeImageMember)
    assert (created.id, created.image_id, created.state) == (MEMBER, IMAGE, NodeImageMemberState.PENDING)
    assert created.extra["status"] == "pending"
    assert IMAGE not in listed(member)
    # Every dialect answers the same: a pending share is not listed, an accepted one is.
    accepted = member.ex_accept_image_member(IMAGE, MEMBER)
    assert accepted.state == NodeImageMemberState.ACCEPTED
    assert IMAGE in listed(member)
    assert member.get_image(IMAGE).extra["visibility"] in ("shared", None)
    rejected = member.ex_reject_image_member(NodeImage(IMAGE, None, member), MEMBER)
    assert rejected.state == NodeImageMemberState.REJECTED
    assert IMAGE not in listed(member)
    assert owner.ex_get_image_member(IMAGE, MEMBER).state == NodeImageMemberState.REJECTED
    assert [m.id for m in owner.ex_list_image_members(IMAGE)] == [MEMBER]


def test_the_owner_removes_a_member_and_the_image_leaves_its_listing(
    owner: RackImgNodeDriver, member: RackImgNodeDriver
) -> None:
    owner.ex_update_image(IMAGE, {"visibility": "shared"})
    owner.ex_create_image_member(IMAGE, MEMBER)
    member.ex_accept_image_member(IMAGE, MEMBER)
    assert owner.ex_delete_image_member(IMAGE, MEMBER) is True
    assert owner.ex_list_image_members(IMAGE) == []
    assert IMAGE not in listed(member)
    with pytest.raises(BaseHTTPError) as gone:
        member.get_image(IMAGE)
    assert gone.value.code == 404


def test_what_glance_refuses_about_members(owner: RackImgNodeDriver, member: RackImgNodeDriver) -> None:
    with pytest.raises(BaseHTTPError) as private:
        owner.ex_create_image_member(IMAGE, MEMBER)  # a private image has no members
    assert private.value.code == 403
    owner.ex_update_image(IMAGE, {"visibility": "shared"})
    owner.ex_create_image_member(IMAGE, MEMBER)
    with pytest.raises(BaseHTTPError) as twice:
        owner.ex_create_image_member(IMAGE, MEMBER)
    assert twice.value.code == 409
    with pytest.raises(BaseHTTPError) as not_the_member:
        owner.ex_accept_image_member(IMAGE, MEMBER)  # only the member answers for itself
    assert not_the_member.value.code == 403
    with pytest.raises(BaseHTTPError) as not_the_owner:
        member.ex_delete_image_member(IMAGE, MEMBER)
    assert not_the_owner.value.code == 403


def test_tags_are_added_once_and_removed(owner: RackImgNodeDriver) -> None:
    assert owner.ex_add_image_tag(IMAGE, "web") is True
    assert owner.ex_add_image_tag(NodeImage(IMAGE, None, owner), "web") is True
    owner.ex_add_image_tag(IMAGE, "golden")
    assert owner.ex_update_image(IMAGE, {"min_ram": 0}).extra["tags"] == ["golden", "web"]
    assert owner.ex_remove_image_tag(IMAGE, "web") is True
    with pytest.raises(BaseHTTPError) as missing:
        owner.ex_remove_image_tag(IMAGE, "web")
    assert missing.value.code == 404


def test_deactivation_shows_as_unknown_and_reactivation_as_active(owner: RackImgNodeDriver) -> None:
    assert owner.ex_deactivate_image(IMAGE) is True
    assert owner.ex_deactivate_image(IMAGE) is True  # twice is fine
    image = owner.get_image(IMAGE)
    assert (image.extra["state"], image.extra["progress"]) == (ImageState.UNKNOWN, 0)
    assert owner.ex_reactivate_image(IMAGE) is True
    assert owner.get_image(IMAGE).extra["state"] == ImageState.ACTIVE
    with pytest.raises(BaseHTTPError) as queued:
        owner.ex_deactivate_image(seed.SNAPSHOT_QUEUED_ID)
    assert queued.value.code == 403


def test_metadata_by_key(owner: RackImgNodeDriver) -> None:
    before = owner.ex_get_image_metadata(IMAGE)
    assert before["image_type"] == "snapshot"
    merged = owner.ex_update_image_metadata(IMAGE, {"role": "web", "os_distro": "debian"})
    assert merged == {**before, "role": "web", "os_distro": "debian"}
    assert owner.get_image(IMAGE).extra["metadata"] == merged
    assert owner.ex_delete_image_metadata(IMAGE, "role") is True
    with pytest.raises(BaseHTTPError) as missing:
        owner.ex_delete_image_metadata(IMAGE, "role")
    assert missing.value.code == 404
    # Replacing all of it drops what is not given, image_type and instance_uuid included.
    assert owner.ex_set_image_metadata(IMAGE, {"only": "this"}) == {"only": "this"}
    assert owner.ex_get_image_metadata(NodeImage(IMAGE, None, owner)) == {"only": "this"}


def test_another_projects_image_cannot_be_changed(owner: RackImgNodeDriver) -> None:
    for call in (
        lambda: owner.ex_update_image(seed.UBUNTU_2204_ID, {"name": "mine"}),
        lambda: owner.ex_add_image_tag(seed.UBUNTU_2204_ID, "mine"),
        lambda: owner.ex_update_image_metadata(seed.UBUNTU_2204_ID, {"mine": "yes"}),
    ):
        with pytest.raises(BaseHTTPError) as refused:
            call()
        assert refused.value.code == 403
    with pytest.raises(BaseHTTPError) as invisible:
        owner.ex_update_image(seed.OTHER_TENANT_IMAGE_ID, {"name": "mine"})
    assert invisible.value.code in (403, 404)


BAD_CALLS = [
    ("image_id", lambda d: d.ex_update_image("", {"name": "x"})),
    ("data", lambda d: d.ex_update_image(IMAGE, {})),
    ("data", lambda d: d.ex_update_image(IMAGE, [])),
    ("data[0]", lambda d: d.ex_update_image(IMAGE, [{"path": "/name"}])),
    ("data['visibility']", lambda d: d.ex_update_image(IMAGE, {"visibility": "everyone"})),
    ("data['protected']", lambda d: d.ex_update_image(IMAGE, {"protected": "yes"})),
    ("data['min_disk']", lambda d: d.ex_update_image(IMAGE, {"min_disk": -1})),
    ("data['name']", lambda d: d.ex_update_image(IMAGE, {"name": ""})),
    ("data['role']", lambda d: d.ex_update_image(IMAGE, {"role": 3})),
    ("data['tags']", lambda d: d.ex_update_image(IMAGE, {"tags": "web"})),
    ("member_id", lambda d: d.ex_create_image_member(IMAGE, "")),
    ("member_id", lambda d: d.ex_accept_image_member(IMAGE, "..")),
    ("image_id", lambda d: d.ex_list_image_members(".")),
    ("tag", lambda d: d.ex_add_image_tag(IMAGE, " ")),
    ("image", lambda d: d.ex_deactivate_image(None)),
    ("metadata", lambda d: d.ex_set_image_metadata(IMAGE, {"k": 1})),
    ("metadata", lambda d: d.ex_update_image_metadata(IMAGE, ["k"])),
    ("key", lambda d: d.ex_delete_image_metadata(IMAGE, "")),
]


@pytest.mark.parametrize(("argument", "call"), BAD_CALLS, ids=[f"{a}-{i}" for i, (a, _) in enumerate(BAD_CALLS)])
def test_bad_arguments_are_refused_before_any_request(argument: str, call: Any) -> None:
    # No cloud at all: a request would fail with a connection error, not a ValueError.
    driver = RackImgNodeDriver(
        "demo", "secret", ex_dialect="openstack", ex_force_auth_url="http://127.0.0.1:9", region=None, ex_max_retries=0
    )
    with pytest.raises(ValueError) as refused:
        call(driver)
    assert str(refused.value).startswith(argument)


def test_a_catalog_without_an_image_service_says_so() -> None:
    with LocalCloud("openstack") as cloud:
        driver = RackImgNodeDriver(**{**cloud.driver_kwargs, **FAST_RETRIES, "ex_force_service_region": "RegionTwo"})
        with pytest.raises(Exception, match="image") as missing:
            driver.ex_list_image_members(IMAGE)
        assert "catalog" in str(missing.value)


def test_a_fixed_token_without_a_catalog_says_the_image_service_is_missing() -> None:
    with LocalCloud("openstack") as cloud:
        driver = RackImgNodeDriver(
            "demo",
            ex_dialect="openstack",
            ex_force_auth_token=cloud.identity.issue().id,
            ex_force_base_url=cloud.compute_url,
            region=None,
            **FAST_RETRIES,
        )
        assert driver.ex_get_image_metadata(IMAGE)["image_type"] == "snapshot"  # the compute proxy works
        with pytest.raises(NotImplementedError, match="image service"):
            driver.ex_add_image_tag(IMAGE, "web")


# -- the filters only the image service answers -----------------------------------------------

SERVICE_FILTERS: dict[str, dict[str, Any]] = {
    "visibility-public": {"visibility": "public"},
    "visibility-private": {"visibility": "private"},
    "visibility-shared": {"visibility": "shared"},
    "visibility-community": {"visibility": "community"},
    "owner": {"owner": "rackspace"},
    "one-tag": {"tag": "web"},
    "every-tag": {"tag": ["web", "golden"]},
    "protected": {"protected": True},
    "unprotected": {"protected": False},
    "sort-name": {"sort": "name:asc"},
    "sort-two-keys": {"sort": "minDisk:desc,name:asc"},
    "sort-with-limit": {"sort": "created:asc", "limit": 3},
    "with-nova-filters": {"visibility": "private", "status": "ACTIVE", "type": "snapshot"},
}


def shared_cloud_state(cloud: LocalCloud) -> None:
    """Some tags, a shared, a community and a protected image, in the local cloud's store."""
    owner = RackImgNodeDriver(**{**cloud.driver_kwargs, **FAST_RETRIES})
    owner.ex_add_image_tag(IMAGE, "web")
    owner.ex_add_image_tag(IMAGE, "golden")
    owner.ex_add_image_tag(seed.BACKUP_ACTIVE_ID, "web")
    owner.ex_update_image(IMAGE, {"visibility": "shared"})
    owner.ex_update_image(seed.LEGACY_SNAPSHOT_ID, {"visibility": "community"})


@pytest.fixture(scope="module")
def clouds() -> Iterator[dict[str, LocalCloud]]:
    with LocalCloud("rackspace") as rackspace, LocalCloud("openstack") as openstack, LocalCloud("glance") as glance:
        found = {"rackspace": rackspace, "openstack": openstack, "glance": glance}
        for cloud in found.values():
            shared_cloud_state(cloud)
        yield found


@pytest.mark.parametrize("filters", SERVICE_FILTERS.values(), ids=SERVICE_FILTERS.keys())
@pytest.mark.parametrize("page_size", [None, 2])
def test_the_service_filters_give_the_same_answer_in_every_dialect(
    clouds: dict[str, LocalCloud], filters: dict[str, Any], page_size: int | None
) -> None:
    got = {
        dialect: [
            image.id
            for image in RackImgNodeDriver(**{**cloud.driver_kwargs, **FAST_RETRIES}).list_images(
                ex_filters=filters, ex_page_size=page_size
            )
        ]
        for dialect, cloud in clouds.items()
    }
    assert got["rackspace"] == got["openstack"] == got["glance"]
    # And what the answer means, written out once more for the test (through get_image).
    driver = RackImgNodeDriver(**{**clouds["glance"].driver_kwargs, **FAST_RETRIES})
    for image in map(driver.get_image, got["glance"]):
        extra = image.extra
        assert filters.get("visibility", extra["visibility"]) == extra["visibility"]
        assert filters.get("owner", extra["owner"]) == extra["owner"]
        assert filters.get("protected", extra["protected"]) == extra["protected"]
        tags = filters.get("tag", [])
        assert set([tags] if isinstance(tags, str) else tags) <= set(extra["tags"])
    if "sort" in filters:
        field, _, direction = filters["sort"].split(",")[0].partition(":")
        images = [driver.get_image(i) for i in got["glance"]]
        values = [image.name if field == "name" else image.extra[field] for image in images]
        assert values == sorted(values, reverse=direction == "desc")
    if "limit" in filters:
        assert len(got["glance"]) == filters["limit"]


def test_the_member_sees_its_pending_and_accepted_shares_in_every_dialect(clouds: dict[str, LocalCloud]) -> None:
    for cloud in clouds.values():
        owner = RackImgNodeDriver(**{**cloud.driver_kwargs, **FAST_RETRIES})
        member = RackImgNodeDriver(**{**cloud.member_driver_kwargs, **FAST_RETRIES})
        owner.ex_create_image_member(IMAGE, MEMBER)
        try:
            pending = {image.id for image in member.list_images(ex_filters={"member_status": "pending"})}
            assert IMAGE in pending and IMAGE not in listed(member)
            member.ex_accept_image_member(IMAGE, MEMBER)
            assert IMAGE in {i.id for i in member.list_images(ex_filters={"member_status": "accepted"})}
            assert IMAGE not in {i.id for i in member.list_images(ex_filters={"member_status": "pending"})}
            community = {image.id for image in member.list_images(ex_filters={"visibility": "community"})}
            assert community == {seed.LEGACY_SNAPSHOT_ID}
            assert seed.LEGACY_SNAPSHOT_ID not in listed(member)  # Nova never lists community images
        finally:
            owner.ex_delete_image_member(IMAGE, MEMBER)


BAD_FILTERS = [
    ({"visibility": "all"}, "ex_filters['visibility']"),
    ({"owner": ""}, "ex_filters['owner']"),
    ({"tag": []}, "ex_filters['tag']"),
    ({"tag": ["web", 3]}, "ex_filters['tag']"),
    ({"protected": "true"}, "ex_filters['protected']"),
    ({"member_status": "maybe"}, "ex_filters['member_status']"),
    ({"sort": "created_at:desc"}, "ex_filters['sort']"),
    ({"sort": "name:up"}, "ex_filters['sort']"),
    ({"sort": "name,name:asc"}, "ex_filters['sort']"),
]


@pytest.mark.parametrize(("filters", "named"), BAD_FILTERS)
def test_bad_service_filters_are_refused_before_any_request(filters: dict[str, Any], named: str) -> None:
    driver = RackImgNodeDriver(
        "demo", "secret", ex_dialect="openstack", ex_force_auth_url="http://127.0.0.1:9", region=None, ex_max_retries=0
    )
    with pytest.raises(ValueError) as refused:
        driver.list_images(ex_filters=filters)
    assert str(refused.value).startswith(named)
