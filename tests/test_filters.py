"""Filters: what is checked, what goes on the wire in each dialect, what comes back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from libcloud.compute.base import Node
from libcloud.compute.types import NodeState

from rackimg_driver import FILTER_KEYS, ImageState, ImageType
from rackimg_driver.filters import parse_timestamp
from tests.conftest import TENANT, image, page
from tests.fixedserver import Answer, FixedServer

DETAIL = f"/v2/{TENANT}/images/detail"
NOVA_DETAIL = "/v2.1/proj/images/detail"
NOVA_BRIEF = "/v2.1/proj/images"
SERVER_ID = "5a8f3a9e-0000-4000-8000-000000000001"


def sent(server: FixedServer, prefix: str = "/v2/") -> dict[str, str]:
    (call,) = server.api_requests(prefix)
    return call.query


# -- bad input: ValueError naming the key, before any request --------------------------------


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"colour": "red"}, "'colour'"),
        ({"status": "RUNNING"}, "'status'"),
        ({"status": 3}, "'status'"),
        ({"type": "GOLD"}, "'type'"),
        ({"limit": 0}, "'limit'"),
        ({"limit": -4}, "'limit'"),
        ({"limit": "ten"}, "'limit'"),
        ({"limit": True}, "'limit'"),
        ({"limit": 2.5}, "'limit'"),
        ({"minDisk": -1}, "'minDisk'"),
        ({"minRam": "lots"}, "'minRam'"),
        ({"changes-since": "yesterday"}, "'changes-since'"),
        ({"changes-since": "2026-13-01T00:00:00Z"}, "'changes-since'"),
        ({"changes-since": 1700000000}, "'changes-since'"),
        ({"name": ""}, "'name'"),
        ({"marker": "  "}, "'marker'"),
        ({"server": ""}, "'server'"),
        ({"server": "https://example.invalid/"}, "'server'"),
    ],
)
def test_bad_filters_raise_before_any_request(driver, server: FixedServer, filters, named) -> None:
    with pytest.raises(ValueError, match=named):
        driver.list_images(ex_filters=filters)
    with pytest.raises(ValueError, match=named):
        driver.ex_iterate_images(ex_filters=filters)
    assert server.requests == []


def test_the_error_for_an_unknown_key_lists_the_allowed_ones(driver) -> None:
    with pytest.raises(ValueError) as raised:
        driver.list_images(ex_filters={"flavor": 1})
    for key in FILTER_KEYS:
        assert key in str(raised.value)


def test_the_error_for_a_bad_status_lists_the_states(driver) -> None:
    with pytest.raises(ValueError, match="ACTIVE, SAVING, DELETED, ERROR, UNKNOWN"):
        driver.list_images(ex_filters={"status": "paused"})


def test_filters_must_be_a_mapping(driver, server: FixedServer) -> None:
    with pytest.raises(ValueError, match="mapping"):
        driver.list_images(ex_filters=[("name", "x")])
    assert server.requests == []


@pytest.mark.parametrize("size", [0, -1, "10", 1.5])
def test_bad_page_size_raises_before_any_request(driver, server: FixedServer, size) -> None:
    with pytest.raises(ValueError, match="ex_page_size"):
        driver.list_images(ex_page_size=size)
    assert server.requests == []


def test_none_values_mean_no_filter(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, Answer(200, page([image("a")])))
    driver.list_images(ex_filters={"name": None, "status": None})
    assert sent(server) == {}


# -- the rackspace dialect sends every filter as documented ---------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"server": SERVER_ID}, {"server": SERVER_ID}),
        (
            {"server": f"https://dfw.servers.api.rackspacecloud.com/v2/{TENANT}/servers/{SERVER_ID}"},
            {"server": SERVER_ID},
        ),
        ({"name": "Ubuntu 24.04"}, {"name": "Ubuntu 24.04"}),
        ({"status": ImageState.SAVING}, {"status": "SAVING"}),
        ({"status": "saving"}, {"status": "SAVING"}),
        ({"type": ImageType.SNAPSHOT}, {"type": "SNAPSHOT"}),
        ({"type": "base"}, {"type": "BASE"}),
        ({"minDisk": 20}, {"minDisk": "20"}),
        ({"minRam": "1024"}, {"minRam": "1024"}),
        ({"changes-since": "2026-03-04T05:06:07Z"}, {"changes-since": "2026-03-04T05:06:07Z"}),
        ({"changes-since": "2026-03-04T07:06:07+02:00"}, {"changes-since": "2026-03-04T05:06:07Z"}),
        ({"changes-since": "2026-03-04"}, {"changes-since": "2026-03-04T00:00:00Z"}),
        ({"changes-since": datetime(2026, 3, 4, 5, 6, 7)}, {"changes-since": "2026-03-04T05:06:07Z"}),
        (
            {"changes-since": datetime(2026, 3, 4, 6, 6, 7, 500, tzinfo=timezone(timedelta(hours=1)))},
            {"changes-since": "2026-03-04T05:06:07.000500Z"},
        ),
    ],
)
def test_rackspace_sends_each_filter(driver, server: FixedServer, filters, expected) -> None:
    server.route("GET", DETAIL, Answer(200, page([])))
    driver.list_images(ex_filters=filters)
    assert sent(server) == expected


def test_a_libcloud_node_names_its_server(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, Answer(200, page([])))
    node = Node(SERVER_ID, "web-1", NodeState.RUNNING, [], [], driver)
    driver.list_images(ex_filters={"server": node})
    assert sent(server) == {"server": SERVER_ID}


def test_every_filter_together(driver, server: FixedServer) -> None:
    match = image(
        "m",
        name="nightly",
        status="ACTIVE",
        server={"id": SERVER_ID, "links": []},
        metadata={"image_type": "snapshot"},
        minDisk=40,
        minRam=2048,
        updated="2026-05-01T00:00:00Z",
    )
    server.route("GET", DETAIL, Answer(200, page([match])))
    filters = {
        "server": SERVER_ID,
        "name": "nightly",
        "status": "ACTIVE",
        "changes-since": "2026-04-01T00:00:00Z",
        "marker": "prev",
        "limit": 3,
        "type": "snapshot",
        "minDisk": 40,
        "minRam": 1024,
    }
    assert [i.id for i in driver.list_images(ex_filters=filters)] == ["m"]
    assert sent(server) == {
        "server": SERVER_ID,
        "name": "nightly",
        "status": "ACTIVE",
        "changes-since": "2026-04-01T00:00:00Z",
        "marker": "prev",
        "limit": "3",
        "type": "SNAPSHOT",
        "minDisk": "40",
        "minRam": "1024",
    }


@pytest.mark.parametrize(
    ("filters", "keeps"),
    [
        ({"name": "keep"}, {"name": "keep"}),
        ({"status": "SAVING"}, {"status": "SAVING"}),
        ({"type": "SNAPSHOT"}, {"metadata": {"image_type": "snapshot"}}),
        ({"server": SERVER_ID}, {"server": {"id": SERVER_ID}}),
        ({"minDisk": 20}, {"minDisk": 20}),
        ({"minRam": 4096}, {"minRam": 8192}),
        ({"changes-since": "2026-06-01T00:00:00Z"}, {"updated": "2026-06-01T00:00:00Z"}),
    ],
)
def test_what_a_server_returns_wrongly_is_dropped(driver, server: FixedServer, filters, keeps) -> None:
    wrong = image("wrong", name="other", status="ACTIVE", minDisk=10, minRam=512, updated="2026-01-01T00:00:00Z")
    right = image("right", **keeps)
    server.route("GET", DETAIL, Answer(200, page([wrong, right])))
    assert [i.id for i in driver.list_images(ex_filters=filters)] == ["right"]


# -- the openstack dialect adapts the query to upstream Nova's quirks ------------------------


def route_nova(server: FixedServer, images: list[dict]) -> None:
    server.route("GET", NOVA_DETAIL, Answer(200, page(images)))
    server.route(
        "GET", NOVA_BRIEF, Answer(200, {"images": [{"id": i["id"], "name": i["name"], "links": []} for i in images]})
    )


def test_openstack_sends_the_compute_microversion(make_driver, server: FixedServer) -> None:
    route_nova(server, [])
    make_driver("openstack").list_images()
    (call,) = server.api_requests("/v2.1/")
    assert call.headers["x-openstack-nova-api-version"] == "2.1"
    assert call.headers["openstack-api-version"] == "compute 2.1"


def test_rackspace_sends_no_microversion(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, Answer(200, page([])))
    driver.list_images()
    (call,) = server.api_requests()
    assert "x-openstack-nova-api-version" not in call.headers


def test_openstack_saving_is_checked_on_the_client(make_driver, server: FixedServer) -> None:
    queued = image("queued", status="SAVING", progress=25)
    saving = image("saving", status="SAVING", progress=50)
    route_nova(server, [queued, saving, image("active")])
    images = make_driver("openstack").list_images(ex_filters={"status": "SAVING"})
    assert [i.id for i in images] == ["queued", "saving"]
    assert "status" not in sent(server, "/v2.1/")


def test_openstack_active_is_sent(make_driver, server: FixedServer) -> None:
    route_nova(server, [image("a")])
    make_driver("openstack").list_images(ex_filters={"status": "ACTIVE"})
    assert sent(server, "/v2.1/") == {"status": "ACTIVE"}


@pytest.mark.parametrize("state", ["UNKNOWN", "ERROR", "DELETED"])
def test_openstack_other_states_are_checked_on_the_client(make_driver, server: FixedServer, state) -> None:
    route_nova(server, [image("a"), image("b", status=state)])
    images = make_driver("openstack").list_images(ex_filters={"status": state})
    assert [i.id for i in images] == ["b"]
    assert sent(server, "/v2.1/") == {}


def test_openstack_type_is_checked_on_the_client(make_driver, server: FixedServer) -> None:
    route_nova(
        server,
        [
            image("base", metadata={"image_type": "base"}),
            image("snap", metadata={"image_type": "snapshot"}),
            image("backup", metadata={"image_type": "backup"}),
            image("from-server", metadata={}, server={"id": SERVER_ID}),
            image("plain", metadata={}),
        ],
    )
    driver = make_driver("openstack")
    assert [i.id for i in driver.list_images(ex_filters={"type": "SNAPSHOT"})] == ["snap", "backup", "from-server"]
    assert [i.id for i in driver.list_images(ex_filters={"type": "BASE"})] == ["base", "plain"]
    assert all("type" not in call.query for call in server.api_requests("/v2.1/"))


def test_openstack_min_disk_and_ram_mean_at_least(make_driver, server: FixedServer) -> None:
    route_nova(server, [image("small", minDisk=10, minRam=512), image("big", minDisk=80, minRam=8192)])
    driver = make_driver("openstack")
    assert [i.id for i in driver.list_images(ex_filters={"minDisk": 20})] == ["big"]
    assert [i.id for i in driver.list_images(ex_filters={"minRam": 512})] == ["small", "big"]
    assert all(not ({"minDisk", "minRam"} & set(c.query)) for c in server.api_requests("/v2.1/"))


def test_openstack_brief_listing_with_a_held_back_filter_reads_details_then_trims(make_driver, server) -> None:
    route_nova(server, [image("a", status="SAVING"), image("b")])
    images = make_driver("openstack").list_images(ex_filters={"status": "SAVING"}, ex_detailed=False)
    assert [(i.id, i.extra["state"], i.extra["status"]) for i in images] == [("a", None, None)]
    assert server.api_requests("/v2.1/")[0].path == NOVA_DETAIL


def test_openstack_brief_listing_with_sendable_filters_stays_brief(make_driver, server) -> None:
    route_nova(server, [image("a", name="x")])
    make_driver("openstack").list_images(ex_filters={"name": "x"}, ex_detailed=False)
    (call,) = server.api_requests("/v2.1/")
    assert call.path == NOVA_BRIEF and call.query == {"name": "x"}


def test_openstack_limit_counts_matches_not_fetched_images(make_driver, server: FixedServer) -> None:
    images = [image(f"i{n}", status="SAVING" if n % 3 == 0 else "ACTIVE") for n in range(12)]

    def respond(seen):
        start = [i["id"] for i in images].index(seen.query["marker"]) + 1 if "marker" in seen.query else 0
        chunk = images[start : start + 4]
        return Answer(200, page(chunk, chunk[-1]["id"] if len(chunk) == 4 else None))

    server.route("GET", NOVA_DETAIL, respond)
    found = make_driver("openstack").list_images(ex_filters={"status": "SAVING", "limit": 3})
    assert [i.id for i in found] == ["i0", "i3", "i6"]
    assert all("limit" not in call.query for call in server.api_requests("/v2.1/"))


# -- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04T05:06:07Z", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
        ("2026-03-04T05:06:07.25z", datetime(2026, 3, 4, 5, 6, 7, 250000, tzinfo=timezone.utc)),
        ("2026-03-04 05:06", datetime(2026, 3, 4, 5, 6, tzinfo=timezone.utc)),
        ("2026-03-04T05:06:07-0130", datetime(2026, 3, 4, 6, 36, 7, tzinfo=timezone.utc)),
    ],
)
def test_timestamps_parse_the_same_on_every_python(text, expected) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["", "2026", "2026-03-04T", "2026-03-04T05:06:07Zjunk", "04/03/2026"])
def test_bad_timestamps_are_refused(text) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_changes_since_with_a_fraction_keeps_an_image_shown_in_whole_seconds(driver, server: FixedServer) -> None:
    # Nova compares to the microsecond but shows whole seconds: 12:00:00 may be 12:00:00.7.
    same_second = image("same", updated="2026-05-01T12:00:00Z")
    earlier = image("earlier", updated="2026-05-01T11:59:59Z")
    precise = image("precise", updated="2026-05-01T12:00:00.200000Z")
    server.route("GET", DETAIL, Answer(200, page([same_second, earlier, precise])))
    found = driver.list_images(ex_filters={"changes-since": "2026-05-01T12:00:00.500Z"})
    assert [i.id for i in found] == ["same"]


def test_ex_only_active_as_in_libclouds_openstack_drivers(driver, server: FixedServer) -> None:
    server.route("GET", DETAIL, Answer(200, page([image("a"), image("b", status="SAVING")])))
    assert [i.id for i in driver.list_images(ex_only_active=True)] == ["a"]
    assert sent(server) == {"status": "ACTIVE"}
    with pytest.raises(ValueError, match="ex_only_active"):
        driver.list_images(ex_only_active=True, ex_filters={"status": "SAVING"})
