"""The image calls beyond listing against real Glance (and Nova's metadata proxy), in the openstack
and glance dialects: ex_update_image, members with the second project (``other``) accepting and
rejecting a share and seeing the image appear in and leave its listing, tags, deactivation,
metadata by key, and the filters only the image service answers.

Every test works on scratch images of its own (removed afterwards), so the seeded images the
other tests count stay as they are.
"""

from __future__ import annotations

from typing import Any

import pytest
from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.types import NodeImageMemberState

from rackimg_driver import ImageState, RackImgNodeDriver

from .conftest import Stack

DIALECTS = ("openstack", "glance")


@pytest.fixture(params=DIALECTS)
def dialect(request: Any) -> str:
    return str(request.param)


def drivers(stack: Stack, dialect: str) -> tuple[RackImgNodeDriver, RackImgNodeDriver]:
    return stack.driver(ex_dialect=dialect), stack.driver("other", ex_dialect=dialect)


def listed(driver: RackImgNodeDriver, **filters: Any) -> set[str]:
    return {image.id for image in driver.list_images(ex_filters=filters or None)}


def test_ex_update_image_with_a_mapping_and_with_a_patch(stack: Stack, scratch: Any, dialect: str) -> None:
    owner, _ = drivers(stack, dialect)
    image_id = scratch("rackimg-update")
    image = owner.ex_update_image(
        image_id, {"name": "rackimg-updated", "protected": True, "min_disk": 5, "min_ram": 64, "os_distro": "debian"}
    )
    assert (image.id, image.name, image.extra["protected"]) == (image_id, "rackimg-updated", True)
    assert (image.extra["minDisk"], image.extra["minRam"], image.extra["os_distro"]) == (5, 64, "debian")
    assert image.extra["owner"] == stack.project_id()
    with pytest.raises(BaseHTTPError) as protected:
        owner.delete_image(image_id)
    assert protected.value.code == 403
    patched = owner.ex_update_image(
        image, [{"op": "replace", "path": "/protected", "value": False}, {"op": "remove", "path": "/os_distro"}]
    )
    assert patched.extra["protected"] is False and "os_distro" not in patched.extra["metadata"]
    with pytest.raises(BaseHTTPError) as missing:
        owner.ex_update_image(image_id, [{"op": "remove", "path": "/not_there"}])
    assert missing.value.code == 409


def test_the_other_project_accepts_then_rejects_a_share(stack: Stack, scratch: Any, dialect: str) -> None:
    owner, member = drivers(stack, dialect)
    other = stack.project_id("other")
    image_id = scratch("rackimg-shared", data=True)
    owner.ex_update_image(image_id, {"visibility": "private"})  # (Glance makes new images shared)
    with pytest.raises(BaseHTTPError) as private:
        owner.ex_create_image_member(image_id, other)
    assert private.value.code == 403  # only shared images have members
    owner.ex_update_image(image_id, {"visibility": "shared"})
    created = owner.ex_create_image_member(image_id, other)
    assert (created.id, created.image_id, created.state) == (other, image_id, NodeImageMemberState.PENDING)
    assert image_id not in listed(member)
    assert image_id in listed(member, member_status="pending")
    accepted = member.ex_accept_image_member(image_id, other)
    assert accepted.state == NodeImageMemberState.ACCEPTED
    assert image_id in listed(member)  # through Nova too, in the openstack dialect
    assert member.ex_get_image_member(image_id, other).state == NodeImageMemberState.ACCEPTED
    rejected = member.ex_reject_image_member(image_id, other)
    assert rejected.state == NodeImageMemberState.REJECTED
    assert image_id not in listed(member)
    assert image_id in listed(member, member_status="rejected")
    assert [(m.id, m.state) for m in owner.ex_list_image_members(image_id)] == [(other, NodeImageMemberState.REJECTED)]
    assert owner.ex_delete_image_member(image_id, other) is True
    assert owner.ex_list_image_members(image_id) == []


def test_tags_and_the_tag_filter(stack: Stack, scratch: Any, dialect: str) -> None:
    owner, _ = drivers(stack, dialect)
    image_id = scratch("rackimg-tags")
    assert owner.ex_add_image_tag(image_id, "rackimg-web") is True
    assert owner.ex_add_image_tag(image_id, "rackimg-golden") is True
    assert listed(owner, tag="rackimg-web") == {image_id}
    assert listed(owner, tag=["rackimg-web", "rackimg-golden"]) == {image_id}
    assert owner.ex_remove_image_tag(image_id, "rackimg-web") is True
    assert listed(owner, tag="rackimg-web") == set()
    with pytest.raises(BaseHTTPError) as missing:
        owner.ex_remove_image_tag(image_id, "rackimg-web")
    assert missing.value.code == 404


def test_deactivation_and_reactivation(stack: Stack, scratch: Any, dialect: str) -> None:
    owner, _ = drivers(stack, dialect)
    image_id = scratch("rackimg-deactivate", data=True)
    assert owner.ex_deactivate_image(image_id) is True
    assert owner.ex_deactivate_image(image_id) is True  # twice is 204 as well
    image = owner.get_image(image_id)
    assert (image.extra["state"], image.extra["progress"]) == (ImageState.UNKNOWN, 0)
    assert owner.ex_reactivate_image(image_id) is True
    assert owner.get_image(image_id).extra["state"] == ImageState.ACTIVE
    queued = scratch("rackimg-queued")
    with pytest.raises(BaseHTTPError) as refused:
        owner.ex_deactivate_image(queued)
    assert refused.value.code == 403


def test_metadata_by_key(stack: Stack, scratch: Any, dialect: str) -> None:
    owner, _ = drivers(stack, dialect)
    image_id = scratch("rackimg-metadata", image_type="snapshot", role="db")
    before = owner.ex_get_image_metadata(image_id)
    assert (before["image_type"], before["role"]) == ("snapshot", "db")
    merged = owner.ex_update_image_metadata(image_id, {"role": "web", "tier": "front"})
    assert (merged["role"], merged["tier"], merged["image_type"]) == ("web", "front", "snapshot")
    assert owner.get_image(image_id).extra["metadata"]["tier"] == "front"
    assert owner.ex_delete_image_metadata(image_id, "tier") is True
    with pytest.raises(BaseHTTPError) as missing:
        owner.ex_delete_image_metadata(image_id, "tier")
    assert missing.value.code == 404  # Nova's 404; Glance's 409 is turned into the same
    replaced = owner.ex_set_image_metadata(image_id, {"only": "this"})
    assert replaced.get("only") == "this" and "role" not in replaced and "image_type" not in replaced


@pytest.mark.parametrize(
    "filters",
    [
        {"visibility": "public"},
        {"visibility": "private", "sort": "name:asc"},
        {"protected": True},
        {"protected": False, "limit": 5, "sort": "created:asc"},
        {"owner": "demo", "sort": "size:desc,name:asc", "limit": 20},
    ],
    ids=["public", "private-by-name", "protected", "unprotected-oldest", "own-by-size"],
)
def test_the_service_filters_are_the_same_in_both_dialects_and_mean_what_they_say(
    stack: Stack, filters: dict[str, Any]
) -> None:
    project_ids = {account["project_name"]: str(account["project_id"]) for account in stack.users.values()}
    if "owner" in filters:
        filters = {**filters, "owner": project_ids[filters["owner"]]}
    got = {
        dialect: [image.id for image in stack.driver(ex_dialect=dialect).list_images(ex_filters=filters)]
        for dialect in DIALECTS
    }
    assert got["openstack"] == got["glance"]
    expected = [
        image
        for image in stack.visible()
        if filters.get("visibility", image.visibility) == image.visibility
        and filters.get("protected", image.protected) == image.protected
        and filters.get("owner", project_ids.get(image.owner_project)) == project_ids.get(image.owner_project)
    ]
    if "sort" not in filters:
        assert got["glance"] == [image.id for image in expected]  # newest first, as Glance lists
        return
    assert set(got["glance"]) <= {image.id for image in expected}
    assert len(got["glance"]) == min(filters.get("limit", len(expected)), len(expected))
    field, _, direction = filters["sort"].split(",")[0].partition(":")
    seeded = {image.id: image for image in expected}
    values = [
        {"name": seeded[i].name, "created": seeded[i].created, "size": seeded[i].size or 0}[field]
        for i in got["glance"]
    ]
    assert values == sorted(values, reverse=direction == "desc")
