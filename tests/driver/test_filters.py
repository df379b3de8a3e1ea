"""Filters: what is checked, what goes on the wire in each dialect, what comes back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcloud.compute.base import Node, NodeImage
from libcloud.compute.drivers.dummy import DummyNodeDriver
from libcloud.compute.types import NodeState

from rackimg_driver import FILTER_KEYS, Dialect, ImageState, ImageType, RackImgNodeDriver
from rackimg_driver.dialects import dialect_for
from rackimg_driver.emulator import LocalCloud
from rackimg_driver.filters import parse_filters, parse_timestamp
from tests.conftest import FAST_RETRIES, TENANT, image, page
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
        ({"changes-since": "0000-12-31T23:00:00-05:00"}, "'changes-since'"),
        ({"changes-since": "10000-01-01T00:00:00Z"}, "'changes-since'"),
        ({"changes-since": "2026-03-04T05:06:07+24:00"}, "'changes-since'"),
        ({"changes-since": "2026-03-04T05:06:07-05:60"}, "'changes-since'"),
        ({"changes-since": "\u0662\u0660\u0662\u0666-03-04"}, "'changes-since'"),
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


# -- dates at the edges: year 1 and year 9999 with any offset --------------------------------
# A moment with an offset may lie outside the years 1 to 9999 once in UTC (year 1 at +05:00 is
# year 0 there). Such a moment is used: sent as the first or last moment UTC can hold, and the
# client's check compares it exactly, so no image is kept or dropped wrongly.

FIRST_UTC = "0001-01-01T00:00:00Z"
LAST_UTC = "9999-12-31T23:59:59.999999Z"
EAST = timezone(timedelta(hours=5))
WEST = timezone(timedelta(hours=-5))
#: The largest offset a datetime allows (strictly less than a day).
ALMOST_A_DAY = timedelta(days=1, microseconds=-1)
EDGE_SINCE = [
    ("0001-01-01T00:00:00+05:00", FIRST_UTC),
    ("0001-01-01T00:00:00+23:59", FIRST_UTC),
    ("0001-01-01T04:59:59+05:00", FIRST_UTC),
    ("0001-01-01T05:00:00+05:00", FIRST_UTC),
    ("0001-01-01T05:00:01+05:00", "0001-01-01T00:00:01Z"),
    ("0001-01-01T00:00:00-05:00", "0001-01-01T05:00:00Z"),
    (datetime(1, 1, 1, tzinfo=EAST), FIRST_UTC),
    (datetime.min, FIRST_UTC),
    (datetime.min.replace(tzinfo=timezone(ALMOST_A_DAY)), FIRST_UTC),
    ("9999-12-31T23:59:59-05:00", LAST_UTC),
    ("9999-12-31T23:59:59-23:59", LAST_UTC),
    ("9999-12-31T19:00:00-05:00", LAST_UTC),
    ("9999-12-31T18:59:59-05:00", "9999-12-31T23:59:59Z"),
    ("9999-12-31T23:59:59+05:00", "9999-12-31T18:59:59Z"),
    (datetime(9999, 12, 31, 23, 59, 59, tzinfo=WEST), LAST_UTC),
    (datetime.max, LAST_UTC),
    (datetime.max.replace(tzinfo=timezone(-ALMOST_A_DAY)), LAST_UTC),
]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0000-12-31T23:00:00-05:00", "year 0 is out of range"),
        ("2026-02-30", "day is out of range for month"),
        ("2026-03-04T05:06:07+24:00", "has no valid offset"),
        ("2026-03-04T05:06:07-0560", "has no valid offset"),
    ],
)
def test_a_date_time_of_the_right_shape_with_a_field_out_of_range_says_which(text, reason) -> None:
    with pytest.raises(ValueError) as raised:
        parse_filters({"changes-since": text})
    assert str(raised.value).startswith(f"ex_filters['changes-since']: {text!r}")
    assert reason in str(raised.value)


@pytest.mark.parametrize(("since", "expected"), EDGE_SINCE)
def test_dates_at_the_edges_are_sent_as_the_nearest_moment_utc_can_hold(
    make_driver, server: FixedServer, since, expected
) -> None:
    server.route("GET", DETAIL, Answer(200, page([])))
    server.route("GET", f"/v2/{TENANT}/images", Answer(200, {"images": []}))
    server.route("GET", "/glance/v2/images", Answer(200, {"images": []}))
    make_driver().list_images(ex_filters={"changes-since": since})
    make_driver().list_images(ex_filters={"changes-since": since}, ex_detailed=False)
    make_driver("glance").list_images(ex_filters={"changes-since": since})
    rackspace_detailed, rackspace_brief = server.api_requests("/v2/")
    (glance,) = server.api_requests("/glance/")
    assert rackspace_detailed.query == {"changes-since": expected}
    assert rackspace_brief.query == {"changes-since": expected}
    assert glance.query["updated_at"] == f"gte:{expected}"


def test_a_time_past_the_last_utc_moment_drops_an_image_stamped_with_it(make_driver, server: FixedServer) -> None:
    # The server is sent 9999-12-31T23:59:59.999999Z and answers, rightly, with the image
    # updated then; the caller asked for images updated at or after 10000-01-01T04:59:59Z.
    last = image("last", updated=LAST_UTC)
    server.route("GET", DETAIL, Answer(200, page([last])))
    server.route("GET", f"/v2/{TENANT}/images", Answer(200, {"images": [{"id": "last", "name": "x", "links": []}]}))
    driver = make_driver()
    for since in ("9999-12-31T23:59:59-05:00", datetime(9999, 12, 31, 23, 59, 59, tzinfo=WEST)):
        assert driver.list_images(ex_filters={"changes-since": since}) == []
        assert driver.list_images(ex_filters={"changes-since": since}, ex_detailed=False) == []
    assert [i.id for i in driver.list_images(ex_filters={"changes-since": LAST_UTC}, ex_detailed=False)] == ["last"]
    assert [i.id for i in driver.list_images(ex_filters={"changes-since": "9999-12-31T18:59:59-05:00"})] == ["last"]


@pytest.mark.parametrize(
    ("updated", "since", "kept"),
    [
        ("0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00+05:00", True),
        ("0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00Z", False),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", True),
        ("9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59.999999Z", True),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59-05:00", False),
        ("9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59-05:00", True),
        ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", True),
        ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", False),
    ],
)
def test_the_client_check_compares_image_dates_at_the_edges(driver, server: FixedServer, updated, since, kept) -> None:
    server.route("GET", DETAIL, Answer(200, page([image("i", updated=updated)])))
    found = driver.list_images(ex_filters={"changes-since": since})
    assert [i.id for i in found] == (["i"] if kept else [])


# Every fixed offset a datetime allows: strictly within a day, to the microsecond.
offsets = st.timedeltas(min_value=-ALMOST_A_DAY, max_value=ALMOST_A_DAY)
# ... and those an ISO 8601 string can write: whole minutes, up to 23:59.
minute_offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(lambda m: timedelta(minutes=m))
# Any datetime, half of them within a day of either edge (hypothesis seldom goes there alone).
moments = st.one_of(
    st.datetimes(),
    st.datetimes(max_value=datetime(1, 1, 2)),
    st.datetimes(min_value=datetime(9999, 12, 30)),
)
EPOCH = datetime.min


def micros_since_first_utc(moment: datetime) -> int:
    """Microseconds from 0001-01-01T00:00:00Z to ``moment`` (naive: UTC), outside the years
    1-9999 too: timedelta arithmetic, which does not overflow where datetime would."""
    offset = moment.utcoffset() or timedelta(0)
    return (moment.replace(tzinfo=None) - EPOCH - offset) // timedelta(microseconds=1)


LAST_MICROS = micros_since_first_utc(datetime.max)


def expected_sent(moment: datetime) -> datetime:
    return EPOCH + timedelta(microseconds=min(max(micros_since_first_utc(moment), 0), LAST_MICROS))


def sent_times(moment_or_text: datetime | str) -> list[str]:
    query = parse_filters({"changes-since": moment_or_text})
    times = []
    for dialect in Dialect:
        for detailed in (True, False):
            params = dialect_for(dialect).plan(query, detailed).params
            sent = params["updated_at"].removeprefix("gte:") if dialect == Dialect.GLANCE else params["changes-since"]
            times.append(sent)
    return times


@settings(max_examples=300)
@given(moments, st.one_of(st.none(), offsets))
def test_any_datetime_with_any_offset_is_sent_as_its_utc_moment_clamped(moment: datetime, offset) -> None:
    if offset is not None:
        moment = moment.replace(tzinfo=timezone(offset))
    for text in sent_times(moment):
        assert text.endswith("Z")
        assert parse_timestamp(text).replace(tzinfo=None) == expected_sent(moment)


@settings(max_examples=300)
@given(moments, st.one_of(st.none(), minute_offsets), st.sampled_from(["T", " "]))
def test_any_iso_string_with_any_offset_is_sent_as_its_utc_moment_clamped(moment: datetime, offset, separator) -> None:
    aware = moment.replace(tzinfo=timezone(offset)) if offset is not None else moment
    text = aware.isoformat(separator)
    for sent_text in sent_times(text):
        assert parse_timestamp(sent_text).replace(tzinfo=None) == expected_sent(aware)


updated_texts = st.builds(
    lambda moment, offset: moment.replace(tzinfo=timezone(offset)).isoformat(),
    moments,
    minute_offsets,
)
DUMMY = DummyNodeDriver(0)


@settings(max_examples=300)
@given(updated_texts, moments, st.one_of(st.none(), offsets))
def test_the_client_check_keeps_exactly_the_images_updated_since(updated: str, since: datetime, offset) -> None:
    if offset is not None:
        since = since.replace(tzinfo=timezone(offset))
    shown = parse_timestamp(updated)
    # Nova shows whole seconds: an image shown at 12:00:00 may have been updated at 12:00:00.7.
    bound = since.replace(microsecond=0) if shown.microsecond == 0 else since
    expected = micros_since_first_utc(shown) >= micros_since_first_utc(bound)
    candidate = NodeImage("i", "i", DUMMY, extra={"updated": updated})
    query = parse_filters({"changes-since": since})
    for dialect in Dialect:
        check = dialect_for(dialect).plan(query, True).check
        assert check is not None
        assert check(candidate) is expected


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.from_regex(
            r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
        ),
        st.from_regex(r"\A\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?([+-]\d{2}:?\d{2})?\Z"),
        st.text(max_size=40),
    )
)
def test_any_changes_since_text_is_used_or_refused_naming_the_key(text: str) -> None:
    try:
        sent = sent_times(text)
    except ValueError as error:
        assert "'changes-since'" in str(error)
        return
    for sent_text in sent:
        parse_timestamp(sent_text)


# -- against the local cloud ----------------------------------------------------------------


@pytest.fixture(scope="module", params=["rackspace", "openstack", "glance"])
def edge_cloud(request) -> Iterator[LocalCloud]:
    """A seeded local cloud with one more image, updated at the last moment UTC can hold."""
    with LocalCloud(request.param) as cloud:
        cloud.store.add_image(
            name="updated-last", owner=cloud.tenant_id, created=datetime.max.replace(tzinfo=timezone.utc)
        )
        yield cloud


@pytest.mark.parametrize("detailed", [True, False])
def test_the_local_cloud_lists_by_dates_at_the_edges(edge_cloud: LocalCloud, detailed: bool) -> None:
    driver = RackImgNodeDriver(**{**edge_cloud.driver_kwargs, **FAST_RETRIES})

    def names(since: datetime | str) -> list[str]:
        return sorted(i.name for i in driver.list_images(ex_filters={"changes-since": since}, ex_detailed=detailed))

    everything = sorted(i.name for i in driver.list_images(ex_detailed=detailed))
    assert "updated-last" in everything
    assert len(everything) > 10
    for since in ("0001-01-01T00:00:00+05:00", datetime(1, 1, 1, tzinfo=EAST), datetime.min, "0001-01-01"):
        assert names(since) == everything, since
    for since in ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59Z", "9999-12-31T18:59:59-05:00"):
        assert names(since) == ["updated-last"], since
    after_the_last = (
        "9999-12-31T23:59:59-05:00",
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=WEST),
        "9999-12-31T23:59:59-00:01",
    )
    for since in after_the_last:
        assert names(since) == [], since
