"""Dialects are objects: a new one is one class (here, in tests: not shipped), and the driver,
the connection and the filters ask it; servers through the driver (list_nodes)."""

from __future__ import annotations

from typing import Any

import pytest
from libcloud.compute.base import Node, NodeDriver, NodeImage
from libcloud.compute.types import NodeState

from rackimg_driver import Dialect, ImageDialect, InvalidResponseError, RackImgNodeDriver
from rackimg_driver.dialects import DIALECTS, GlanceDialect, NovaDialect, dialect_for
from rackimg_driver.emulator import LocalCloud
from rackimg_driver.filters import ImageQuery
from tests.conftest import TENANT, image, page
from tests.fixedserver import Answer, FixedServer, Seen


class ArchiveDialect(NovaDialect):
    """A made-up server: Nova's images under /archive, a header of its own, trusted with
    every filter but ``type``, and every image tagged in ``extra``."""

    value = "archive"

    def images_path(self, request_path: str) -> str:
        return "/archive"

    def headers(self) -> dict[str, str]:
        return {"X-Archive-Version": "7"}

    def plan(self, query: ImageQuery, detailed: bool) -> Any:
        from rackimg_driver import filters

        params, held_back = filters.nova_params(query, trusts_filters=True)
        if "type" in params:
            del params["type"]
            held_back = True
        return filters.make_plan(query, detailed, params, held_back)

    def to_image(self, detailed: bool) -> Any:
        base = super().to_image(detailed)

        def archived(raw: Any, driver: NodeDriver, status: int | None) -> NodeImage:
            mapped = base(raw, driver, status)
            mapped.extra["archived"] = True
            return mapped

        return archived


ARCHIVE = "/v2.1/proj/archive/detail"  # the compute endpoint of the test identity's catalog


@pytest.fixture
def archive(make_driver) -> RackImgNodeDriver:
    return make_driver("openstack", ex_dialect=ArchiveDialect())


def test_a_new_dialect_is_one_class(archive, server: FixedServer) -> None:
    server.route("GET", ARCHIVE, Answer(200, page([image("a"), image("b")])))
    got = archive.list_images()
    assert [i.id for i in got] == ["a", "b"] and all(i.extra["archived"] for i in got)
    (seen,) = server.api_requests("/v2.1/")
    assert seen.headers["x-archive-version"] == "7"
    assert archive.dialect.value == "archive" and "archive" in repr(archive)


def test_a_new_dialect_decides_what_is_checked_on_the_client(archive, server: FixedServer) -> None:
    snapshot = image("s", metadata={"image_type": "snapshot"})
    server.route("GET", ARCHIVE, Answer(200, page([image("b"), snapshot])))
    assert [i.id for i in archive.list_images(ex_filters={"type": "SNAPSHOT", "name": "x"})] == []
    (seen,) = server.api_requests("/v2.1/")
    assert seen.query == {"name": "x"}  # type held back, name sent
    server.route("GET", ARCHIVE, Answer(200, page([image("b", name="x"), snapshot | {"name": "x"}])))
    assert [i.id for i in archive.list_images(ex_filters={"type": "SNAPSHOT", "name": "x"})] == ["s"]


def test_a_new_dialect_may_be_given_as_its_class(make_driver) -> None:
    assert make_driver("openstack", ex_dialect=ArchiveDialect).dialect == ArchiveDialect()


@pytest.mark.parametrize("name", list(DIALECTS))
def test_the_shipped_dialects_by_name_member_and_object(name: str) -> None:
    assert dialect_for(name) is DIALECTS[name]
    assert dialect_for(Dialect(name)) == name == Dialect(name)
    assert dialect_for(DIALECTS[name]) is DIALECTS[name]


def test_an_unknown_dialect_is_a_value_error_naming_ex_dialect() -> None:
    with pytest.raises(ValueError, match="ex_dialect"):
        dialect_for("azure")
    with pytest.raises(ValueError, match="ex_dialect"):
        dialect_for(object())


def test_what_a_dialect_supports_is_asked_not_compared(make_driver) -> None:
    glance = make_driver("glance")
    assert isinstance(glance.dialect, GlanceDialect) and not glance.dialect.creates_images
    with pytest.raises(NotImplementedError, match="glance dialect"):
        glance.create_image("server", "name")
    with pytest.raises(NotImplementedError, match="glance dialect"):
        glance.list_nodes()
    assert isinstance(ImageDialect(), ImageDialect)


# -- servers through the driver --------------------------------------------------------------


def _server(server_id: str, status: str = "ACTIVE", image_id: str | None = "img-1") -> dict[str, Any]:
    return {
        "id": server_id,
        "name": f"server {server_id}",
        "status": status,
        "image": {"id": image_id, "links": []} if image_id else "",
    }


def test_list_nodes_pages_and_maps_servers(driver, server: FixedServer) -> None:
    servers = [_server("s1"), _server("s2", "SHUTOFF", None), _server("s3", "MADE_UP"), _server("s4", "BUILD")]

    def respond(seen: Seen) -> Answer:
        start = [s["id"] for s in servers].index(seen.query["marker"]) + 1 if "marker" in seen.query else 0
        chunk = servers[start : start + 2]
        body: dict[str, Any] = {"servers": chunk}
        if start + 2 < len(servers):
            body["servers_links"] = [
                {"rel": "next", "href": f"http://x.invalid/servers/detail?marker={chunk[-1]['id']}"}
            ]
        return Answer(200, body)

    server.route("GET", f"/v2/{TENANT}/servers/detail", respond)
    nodes = driver.list_nodes(ex_page_size=2)
    assert all(isinstance(n, Node) for n in nodes)
    assert [(n.id, n.name, n.state) for n in nodes] == [
        ("s1", "server s1", NodeState.RUNNING),
        ("s2", "server s2", NodeState.STOPPED),
        ("s3", "server s3", NodeState.UNKNOWN),
        ("s4", "server s4", NodeState.PENDING),
    ]
    assert [n.extra for n in nodes[:3]] == [
        {"image_id": "img-1", "status": "ACTIVE"},
        {"image_id": None, "status": "SHUTOFF"},
        {"image_id": "img-1", "status": "MADE_UP"},
    ]
    assert [s.query.get("limit") for s in server.api_requests()] == ["2", "2"]


def test_list_nodes_of_a_body_without_servers_is_invalid(driver, server: FixedServer) -> None:
    server.route("GET", f"/v2/{TENANT}/servers/detail", Answer(200, {"images": []}))
    with pytest.raises(InvalidResponseError, match="servers"):
        driver.list_nodes()


@pytest.mark.parametrize("flavour", ["rackspace", "openstack"])
def test_list_nodes_against_the_local_cloud(flavour: str) -> None:
    with LocalCloud(flavour) as cloud:
        driver = RackImgNodeDriver(**cloud.driver_kwargs)
        nodes = driver.list_nodes()
        assert nodes and all(isinstance(n.id, str) and n.extra["status"] for n in nodes)
        images = {i.id for i in driver.list_images()}
        assert all(n.extra["image_id"] in images for n in nodes if n.extra["image_id"])
