"""The prune history of the local cloud (``LocalCloud(history=True)``) and ``Store.set_protected``,
over HTTP with no driver."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from rackimg_driver.emulator import LocalCloud, seed
from rackimg_driver.emulator.store import ImageNotFound

NIGHTLY_NAMES = tuple(f"{name}-nightly-" for name, _, _ in seed.HISTORY_SERVERS)


def nova(cloud: LocalCloud, method: str, path: str) -> requests.Response:
    token = requests.post(
        f"{cloud.url}/v2.0/tokens",
        json={"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": cloud.username, "apiKey": cloud.api_key}}},
        timeout=10,
    ).json()["access"]["token"]["id"]
    return requests.request(method, f"{cloud.compute_url}{path}", headers={"X-Auth-Token": token}, timeout=10)


def test_the_history_is_60_nights_of_three_servers_with_what_prune_must_spare(tmp_path: Path) -> None:
    state = str(tmp_path / "cloud.sqlite")
    with LocalCloud("rackspace", state, history=True) as cloud:
        images = nova(cloud, "GET", "/images/detail").json()["images"]
        servers = {s["name"]: s for s in nova(cloud, "GET", "/servers/detail").json()["servers"]}

    nightly = [image for image in images if image["name"].startswith(NIGHTLY_NAMES)]
    assert len(nightly) == 3 * seed.HISTORY_DAYS
    by_id = {image["id"]: image for image in nightly}
    assert by_id[seed.history_image_id("web01", 0)]["status"] == "SAVING"
    assert by_id[seed.history_image_id("db01", 0)]["status"] == "ERROR"
    assert by_id[seed.history_image_id("db01", 40)]["metadata"]["retain"] == "true"
    assert servers["restored01"]["image"]["id"] == seed.history_image_id("app01", 50)
    assert {"web01", "db01", "app01", "win01"} <= set(servers)
    times = sorted({image["created"][11:] for image in nightly})
    assert times == ["02:00:00Z"]
    days = sorted({image["created"][:10] for image in nightly})
    assert len(days) == seed.HISTORY_DAYS

    with LocalCloud("rackspace", state, history=True) as again:  # the same file: nothing added twice
        assert len(nova(again, "GET", "/images/detail").json()["images"]) == len(images)
        assert len(nova(again, "GET", "/servers/detail").json()["servers"]) == len(servers)


def test_the_protected_history_snapshot_cannot_be_deleted() -> None:
    with LocalCloud("rackspace", seed=False, history=True) as cloud:
        assert nova(cloud, "DELETE", f"/images/{seed.history_image_id('web01', 45)}").status_code == 403
        assert nova(cloud, "DELETE", f"/images/{seed.history_image_id('web01', 44)}").status_code == 204


def test_set_protected_protects_and_lifts_protection() -> None:
    with LocalCloud("openstack") as cloud:
        image_id = seed.SNAPSHOT_ACTIVE_ID
        cloud.store.set_protected(image_id)
        assert cloud.store.get_image(seed.DEMO_TENANT, image_id).protected is True
        cloud.store.set_protected(image_id, False)
        assert cloud.store.get_image(seed.DEMO_TENANT, image_id).protected is False
        with pytest.raises(ImageNotFound):
            cloud.store.set_protected("no-such-image")
