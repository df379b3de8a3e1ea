"""createImage, progress derived from the clock, servers, and state kept across restarts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from rackimg_driver.emulator import LocalCloud, local_cloud, seed

from .conftest import Client, login_rackspace


def create_image(client: Client, server_id: str, body: object) -> requests.Response:
    return client.post(f"/servers/{server_id}/action", json=body)


def test_create_image_is_202_with_location_and_progress_rises_to_active(rs: Client) -> None:
    response = create_image(rs, seed.WEB_SERVER_ID, {"createImage": {"name": "web01-now", "metadata": {"k": "v"}}})

    assert response.status_code == 202
    assert response.content == b""
    location = response.headers["Location"]
    assert location.startswith(f"{rs.compute}/images/")
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        image = rs.session.get(location, timeout=10).json()["image"]
        seen.append((image["status"], image["progress"]))
        if image["status"] == "ACTIVE":
            break
        time.sleep(0.05)
    assert seen[0][0] == "SAVING"
    assert seen[-1] == ("ACTIVE", 100)
    progress = [p for status, p in seen if status == "SAVING"]
    assert progress == sorted(progress)
    assert len(set(progress)) > 1, "progress never moved"
    assert image["name"] == "web01-now"
    assert image["server"]["id"] == seed.WEB_SERVER_ID
    assert image["metadata"]["image_type"] == "snapshot"
    assert image["metadata"]["instance_uuid"] == seed.WEB_SERVER_ID
    assert image["metadata"]["k"] == "v"
    assert image["metadata"]["os_distro"] == "ubuntu"  # inherited from the server's image
    assert image["id"] in rs.ids(type="SNAPSHOT", server=seed.WEB_SERVER_ID)


def test_snapshot_with_zero_saving_seconds_is_active_at_once() -> None:
    with local_cloud(saving_seconds=0) as cloud:
        client = login_rackspace(cloud)
        response = create_image(client, seed.DB_SERVER_ID, {"createImage": {"name": "instant"}})
        image = client.session.get(response.headers["Location"], timeout=10).json()["image"]
    assert (image["status"], image["progress"]) == ("ACTIVE", 100)


def test_a_second_snapshot_while_one_is_saving_is_409(rs: Client) -> None:
    first = create_image(rs, seed.DB_SERVER_ID, {"createImage": {"name": "one"}})
    second = create_image(rs, seed.DB_SERVER_ID, {"createImage": {"name": "two"}})

    assert first.status_code == 202
    assert second.status_code == 409
    assert second.json()["conflictingRequest"]["code"] == 409


def test_create_image_rejects_bad_bodies_with_400(rs: Client) -> None:
    url = f"{rs.compute}/servers/{seed.WEB_SERVER_ID}/action"
    bad_json = rs.session.post(url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
    bodies = [
        {"createImage": {}},
        {"createImage": {"name": ""}},
        {"createImage": {"name": 5}},
        {"createImage": {"name": "x", "metadata": {"n": 1}}},
        {"reboot": {"type": "SOFT"}},
    ]
    responses = [bad_json] + [create_image(rs, seed.WEB_SERVER_ID, body) for body in bodies]

    assert [r.status_code for r in responses] == [400] * 6
    assert all(r.json()["badRequest"]["code"] == 400 for r in responses)
    assert rs.ids(name="x") == []  # nothing was created


def test_create_image_of_unknown_or_foreign_server_is_404(rs: Client) -> None:
    for server_id in ("no-such-server", seed.OTHER_TENANT_SERVER_ID):
        response = create_image(rs, server_id, {"createImage": {"name": "x"}})
        assert response.status_code == 404
        assert response.json()["itemNotFound"]["code"] == 404


def test_openstack_create_image_from_microversion_2_45_answers_with_image_id(osc: Client) -> None:
    old = create_image(osc, seed.WEB_SERVER_ID, {"createImage": {"name": "old-style"}})
    new = osc.post(
        f"/servers/{seed.DB_SERVER_ID}/action",
        json={"createImage": {"name": "new-style"}},
        headers={"OpenStack-API-Version": "compute 2.45"},
    )

    assert old.status_code == 202
    assert old.headers["Location"].startswith(f"{osc.compute}/images/")
    assert new.status_code == 202
    assert "Location" not in new.headers
    assert osc.get(f"/images/{new.json()['image_id']}").json()["image"]["name"] == "new-style"


def test_servers_are_listed_and_found_per_tenant(rs: Client) -> None:
    short = rs.get("/servers").json()["servers"]
    detail = rs.get("/servers/detail").json()["servers"]
    one = rs.get(f"/servers/{seed.WEB_SERVER_ID}").json()["server"]

    assert {s["name"] for s in short} == {"web01", "db01", "win01"}
    assert all(set(s) == {"id", "name", "links"} for s in short)
    assert {s["status"] for s in detail} == {"ACTIVE", "SHUTOFF"}
    assert one["image"]["id"] == seed.UBUNTU_2204_ID
    assert rs.get(f"/servers/{seed.OTHER_TENANT_SERVER_ID}").status_code == 404


def test_deletes_and_snapshots_survive_a_restart_on_the_same_file(tmp_path: Path) -> None:
    state = str(tmp_path / "cloud.sqlite")
    with local_cloud(state=state, saving_seconds=0.2) as cloud:
        client = login_rackspace(cloud)
        assert client.delete(f"/images/{seed.SNAPSHOT_ACTIVE_ID}").status_code == 204
        created = create_image(client, seed.WEB_SERVER_ID, {"createImage": {"name": "kept"}})
        new_id = created.headers["Location"].rsplit("/", 1)[-1]

    time.sleep(0.25)
    with local_cloud(state=state) as cloud:
        client = login_rackspace(cloud)
        ids = client.ids()
        image = client.get(f"/images/{new_id}").json()["image"]

    assert seed.SNAPSHOT_ACTIVE_ID not in ids  # the seed was not put back
    assert new_id in ids
    assert (image["status"], image["progress"]) == ("ACTIVE", 100)


def test_a_stopped_cloud_restarts_on_the_same_port_with_the_same_state(rackspace_cloud: LocalCloud) -> None:
    client = login_rackspace(rackspace_cloud)
    assert client.delete(f"/images/{seed.SNAPSHOT_KILLED_ID}").status_code == 204
    url = rackspace_cloud.url

    rackspace_cloud.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/v2/123456/images", timeout=2)
    rackspace_cloud.start()

    assert rackspace_cloud.url == url
    assert seed.SNAPSHOT_KILLED_ID not in login_rackspace(rackspace_cloud).ids()
