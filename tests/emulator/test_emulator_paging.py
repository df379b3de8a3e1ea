"""Paging: page size, next links (also after a full last page), limit/marker errors, 20,000 images."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from rackimg_driver.emulator import LocalCloud, local_cloud, seed

from .conftest import Client, login_rackspace

DEMO_IMAGE_COUNT = 18


def walk(client: Client, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every page from ``path`` on, following next links; returns the bodies."""
    bodies = []
    response = client.get(path, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        bodies.append(body)
        links = body.get("images_links")
        if not links:
            return bodies
        assert len(bodies) < 100, "next links never end"
        response = client.session.get(links[0]["href"], timeout=30)


def test_pages_follow_next_links_and_the_last_short_page_has_none(rs: Client) -> None:
    bodies = walk(rs, "/images/detail", {"limit": 5})

    assert [len(body["images"]) for body in bodies] == [5, 5, 5, 3]
    paged = [image["id"] for body in bodies for image in body["images"]]
    assert paged == rs.ids()


def test_a_full_last_page_has_a_next_link_to_an_empty_page(rs: Client) -> None:
    bodies = walk(rs, "/images", {"limit": 6})

    assert [len(body["images"]) for body in bodies] == [6, 6, 6, 0]
    assert "images_links" in bodies[2]
    assert "images_links" not in bodies[3]


def test_next_link_keeps_the_path_and_filters_and_sets_limit_and_marker(rs: Client) -> None:
    body = rs.get("/images/detail", params={"status": "ACTIVE", "type": "BASE", "limit": 2}).json()
    link = body["images_links"][0]

    assert link["rel"] == "next"
    parts = urlsplit(link["href"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{rs.compute}/images/detail"
    query = parse_qs(parts.query)
    assert query == {
        "status": ["ACTIVE"],
        "type": ["BASE"],
        "limit": ["2"],
        "marker": [body["images"][-1]["id"]],
    }


def test_marker_alone_continues_after_that_image(rs: Client) -> None:
    everything = rs.ids()
    assert rs.ids(marker=everything[3]) == everything[4:]


def test_page_size_is_capped_by_max_limit() -> None:
    with local_cloud(max_limit=4) as cloud:
        client = login_rackspace(cloud)
        capped = client.get("/images/detail", params={"limit": 100}).json()
        default = client.get("/images").json()

    assert len(capped["images"]) == 4
    assert parse_qs(urlsplit(capped["images_links"][0]["href"]).query)["limit"] == ["4"]
    assert len(default["images"]) == 4


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5"])
def test_bad_limit_is_400(rs: Client, limit: str) -> None:
    response = rs.get("/images/detail", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["badRequest"]["code"] == 400


@pytest.mark.parametrize("marker", ["no-such-image", seed.OTHER_TENANT_IMAGE_ID])
def test_unknown_or_invisible_marker_is_400(rs: Client, marker: str) -> None:
    response = rs.get("/images", params={"marker": marker})
    assert response.status_code == 400
    assert response.json()["badRequest"]["code"] == 400


def test_twenty_thousand_images_are_listed_by_paging(rackspace_cloud: LocalCloud) -> None:
    started = time.monotonic()
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    added = rackspace_cloud.store.add_images_bulk(20_000, owner="123456", start=start)
    seeded_in = time.monotonic() - started
    client = login_rackspace(rackspace_cloud)

    bodies = walk(client, "/images/detail")

    ids = [image["id"] for body in bodies for image in body["images"]]
    assert [len(body["images"]) for body in bodies[:20]] == [1000] * 20
    assert len(ids) == 20_000 + DEMO_IMAGE_COUNT
    assert len(set(ids)) == len(ids)
    assert set(added) <= set(ids)
    assert ids[0] == added[-1]  # the newest bulk image comes first
    created = [image["created"] for body in bodies for image in body["images"]]
    assert created == sorted(created, reverse=True)
    assert seeded_in < 5


def test_openstack_unknown_marker_is_glances_400_passed_through(osc: Client) -> None:
    response = osc.get("/images", params={"marker": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 400
    assert response.json() == {
        "badRequest": {
            "code": 400,
            "message": "HTTP 400 Bad Request: No image found with ID 00000000-0000-0000-0000-000000000000",
        }
    }


def test_openstack_marker_of_another_tenants_image_is_403(osc: Client) -> None:
    response = osc.get("/images/detail", params={"marker": seed.OTHER_TENANT_IMAGE_ID})
    assert response.status_code == 403
    message = f"HTTP 403 Forbidden: Forbidding request, image {seed.OTHER_TENANT_IMAGE_ID} not visible"
    assert response.json() == {"forbidden": {"code": 403, "message": message}}
