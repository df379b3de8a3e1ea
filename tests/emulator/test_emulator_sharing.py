"""The local cloud's image service beyond listing, over HTTP with no driver: members per
project, tags, PATCH, deactivation, a protected image's delete, and Nova's metadata proxy,
answered as real Glance 33 and Nova 34 were observed to answer."""

from __future__ import annotations

import html
import json
from typing import Any

import requests

from rackimg_driver.emulator import LocalCloud, seed
from tests.emulator.conftest import TIMEOUT, Client, login_glance, login_openstack

IMAGE = seed.SNAPSHOT_ACTIVE_ID
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


def html_error(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert html.escape(message) in response.text


def login_member(cloud: LocalCloud) -> Client:
    """The second project (``alt``), the one images are shared with."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": "alt", "domain": {"name": "Default"}, "password": "alt-password"}},
            },
            "scope": {"project": {"name": "alt", "domain": {"id": "default"}}},
        }
    }
    session = requests.Session()
    response = session.post(cloud.url + "/v3/auth/tokens", json=body, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    assert response.json()["token"]["project"]["id"] == seed.OTHER_TENANT
    session.headers["X-Auth-Token"] = response.headers["X-Subject-Token"]
    return Client(session, cloud.image_url, response.headers["X-Subject-Token"])


def patch(client: Client, image_id: str, operations: list[dict[str, Any]]) -> requests.Response:
    return client.session.patch(
        f"{client.compute}/v2/images/{image_id}", data=json.dumps(operations), headers=PATCH, timeout=TIMEOUT
    )


def listed(client: Client, **params: str) -> set[str]:
    response = client.get("/v2/images", params={"limit": "1000", **params})
    assert response.status_code == 200, response.text
    return {image["id"] for image in response.json()["images"]}


def test_a_share_is_listed_to_the_member_only_once_accepted(glance_cloud: LocalCloud, gl: Client) -> None:
    alt = login_member(glance_cloud)
    assert patch(gl, IMAGE, [{"op": "replace", "path": "/visibility", "value": "shared"}]).status_code == 200
    added = gl.post(f"/v2/images/{IMAGE}/members", json={"member": seed.OTHER_TENANT})
    assert added.status_code == 200
    assert added.json()["status"] == "pending"
    assert IMAGE not in listed(alt)
    assert IMAGE in listed(alt, member_status="pending")
    assert IMAGE in listed(alt, member_status="all")
    assert alt.get(f"/v2/images/{IMAGE}").status_code == 200  # a member sees it by id in any status
    answer = alt.session.put(
        f"{alt.compute}/v2/images/{IMAGE}/members/{seed.OTHER_TENANT}", json={"status": "accepted"}, timeout=TIMEOUT
    )
    assert answer.json()["status"] == "accepted"
    assert IMAGE in listed(alt)
    assert IMAGE not in listed(alt, member_status="pending")
    # The member sees its own membership only; the owner sees them all.
    assert [m["member_id"] for m in alt.get(f"/v2/images/{IMAGE}/members").json()["members"]] == [seed.OTHER_TENANT]
    assert gl.delete(f"/v2/images/{IMAGE}/members/{seed.OTHER_TENANT}").status_code == 204
    assert alt.get(f"/v2/images/{IMAGE}").status_code == 404


def test_what_glance_refuses_about_members(glance_cloud: LocalCloud, gl: Client) -> None:
    alt = login_member(glance_cloud)
    html_error(gl.post(f"/v2/images/{IMAGE}/members", json={"member": "x"}), 403, "Image members can only be added")
    patch(gl, IMAGE, [{"op": "replace", "path": "/visibility", "value": "shared"}])
    gl.post(f"/v2/images/{IMAGE}/members", json={"member": seed.OTHER_TENANT})
    twice = gl.post(f"/v2/images/{IMAGE}/members", json={"member": seed.OTHER_TENANT})
    assert twice.status_code == 409
    bad = alt.session.put(
        f"{alt.compute}/v2/images/{IMAGE}/members/{seed.OTHER_TENANT}", json={"status": "maybe"}, timeout=TIMEOUT
    )
    assert bad.status_code == 400
    by_owner = gl.session.put(
        f"{gl.compute}/v2/images/{IMAGE}/members/{seed.OTHER_TENANT}", json={"status": "accepted"}, timeout=TIMEOUT
    )
    assert by_owner.status_code == 403
    assert alt.delete(f"/v2/images/{IMAGE}/members/{seed.OTHER_TENANT}").status_code == 403


def test_community_images_are_listed_only_when_asked_for(glance_cloud: LocalCloud, gl: Client) -> None:
    alt = login_member(glance_cloud)
    patch(gl, IMAGE, [{"op": "replace", "path": "/visibility", "value": "community"}])
    assert IMAGE not in listed(alt)
    assert IMAGE in listed(alt, visibility="community")
    assert alt.get(f"/v2/images/{IMAGE}").status_code == 200


def test_a_patch_changes_fields_properties_and_tags_or_nothing(gl: Client) -> None:
    changed = patch(
        gl,
        IMAGE,
        [
            {"op": "replace", "path": "/name", "value": "golden"},
            {"op": "replace", "path": "/protected", "value": True},
            {"op": "add", "path": "/os_distro", "value": "debian"},  # add replaces an existing property
            {"op": "add", "path": "/tags", "value": ["web", "web", "a"]},
        ],
    ).json()
    assert (changed["name"], changed["protected"], changed["os_distro"], changed["tags"]) == (
        "golden",
        True,
        "debian",
        ["a", "web"],
    )
    html_error(gl.delete(f"/v2/images/{IMAGE}"), 403, f"Image {IMAGE} is protected and cannot be deleted.")
    failing = [{"op": "replace", "path": "/name", "value": "other"}, {"op": "remove", "path": "/nope"}]
    html_error(patch(gl, IMAGE, failing), 409, "Property nope does not exist.")
    assert gl.get(f"/v2/images/{IMAGE}").json()["name"] == "golden"
    html_error(
        patch(gl, IMAGE, [{"op": "remove", "path": "/os_hash_algo"}]), 403, "Attribute 'os_hash_algo' is read-only."
    )
    bad_flag = [{"op": "replace", "path": "/protected", "value": "True"}]
    assert patch(gl, IMAGE, bad_flag).status_code == 400
    plain = gl.session.patch(f"{gl.compute}/v2/images/{IMAGE}", json=[], timeout=TIMEOUT)
    assert plain.status_code == 415


def test_tags_and_the_tag_filter(gl: Client) -> None:
    assert gl.session.put(f"{gl.compute}/v2/images/{IMAGE}/tags/web", timeout=TIMEOUT).status_code == 204
    assert gl.session.put(f"{gl.compute}/v2/images/{IMAGE}/tags/db", timeout=TIMEOUT).status_code == 204
    assert gl.get(f"/v2/images/{IMAGE}").json()["tags"] == ["db", "web"]
    assert listed(gl, tag="web") == {IMAGE}
    response = gl.get("/v2/images", params=[("tag", "web"), ("tag", "nope")])
    assert response.json()["images"] == []
    assert gl.delete(f"/v2/images/{IMAGE}/tags/web").status_code == 204
    assert gl.delete(f"/v2/images/{IMAGE}/tags/web").status_code == 404
    public = gl.session.put(f"{gl.compute}/v2/images/{seed.UBUNTU_2204_ID}/tags/x", timeout=TIMEOUT)
    assert public.status_code == 403


def test_deactivation_as_glance_and_nova_show_it(openstack_cloud: LocalCloud) -> None:
    glance, nova = login_glance(openstack_cloud), login_openstack(openstack_cloud)
    for _ in range(2):  # twice is fine
        assert glance.post(f"/v2/images/{IMAGE}/actions/deactivate").status_code == 204
    assert glance.get(f"/v2/images/{IMAGE}").json()["status"] == "deactivated"
    shown = nova.get(f"/images/{IMAGE}").json()["image"]
    assert (shown["status"], shown["progress"]) == ("UNKNOWN", 0)
    assert glance.post(f"/v2/images/{IMAGE}/actions/reactivate").status_code == 204
    assert glance.get(f"/v2/images/{IMAGE}").json()["status"] == "active"
    queued = glance.post(f"/v2/images/{seed.SNAPSHOT_QUEUED_ID}/actions/deactivate")
    html_error(queued, 403, "Not allowed to deactivate image in status 'queued'")


def test_novas_metadata_proxy(osc: Client) -> None:
    path = f"/images/{IMAGE}/metadata"
    before = osc.get(path).json()["metadata"]
    assert before["image_type"] == "snapshot"
    merged = osc.post(path, json={"metadata": {"role": "web"}}).json()["metadata"]
    assert merged == {**before, "role": "web"}
    assert osc.get(f"{path}/role").json() == {"meta": {"role": "web"}}
    item = osc.session.put(f"{osc.compute}{path}/role", json={"meta": {"role": "db"}}, timeout=TIMEOUT)
    assert item.json() == {"meta": {"role": "db"}}
    mismatch = osc.session.put(f"{osc.compute}{path}/role", json={"meta": {"other": "db"}}, timeout=TIMEOUT)
    assert mismatch.status_code == 400
    assert osc.delete(f"{path}/role").status_code == 204
    assert osc.delete(f"{path}/role").json()["itemNotFound"]["message"] == "Invalid metadata key"
    assert osc.get(f"{path}/role").json()["itemNotFound"]["message"] == "Metadata item was not found"
    replaced = osc.session.put(f"{osc.compute}{path}", json={"metadata": {"only": "this"}}, timeout=TIMEOUT)
    assert replaced.json() == {"metadata": {"only": "this"}}  # image_type and instance_uuid go too
    assert osc.get(f"/images/{IMAGE}").json()["image"]["metadata"] == {"only": "this"}
    assert osc.post(path, json={"metadata": {"k": 1}}).status_code == 400
    assert osc.post(f"/images/{seed.UBUNTU_2204_ID}/metadata", json={"metadata": {"k": "v"}}).status_code == 403


def test_a_nova_metadata_write_turns_a_shared_image_private(openstack_cloud: LocalCloud) -> None:
    glance, nova = login_glance(openstack_cloud), login_openstack(openstack_cloud)
    patch(glance, IMAGE, [{"op": "replace", "path": "/visibility", "value": "shared"}])
    assert nova.post(f"/images/{IMAGE}/metadata", json={"metadata": {"role": "web"}}).status_code == 200
    # Nova writes the image back as Glance v1's is_public=false (observed on Nova 34).
    assert glance.get(f"/v2/images/{IMAGE}").json()["visibility"] == "private"
    patch(glance, IMAGE, [{"op": "replace", "path": "/visibility", "value": "public"}])
    assert nova.delete(f"/images/{IMAGE}/metadata/role").status_code == 204
    assert glance.get(f"/v2/images/{IMAGE}").json()["visibility"] == "public"
