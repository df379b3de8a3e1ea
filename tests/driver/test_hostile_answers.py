"""Hostile answers: whatever JSON a server sends, the mapping gives images or InvalidResponseError.

Hypothesis throws arbitrary JSON values at each mapping function (numbers past any range, lone
surrogates, values nested 5000 deep, every type in every field), and "almost right" images:
a valid image with one field replaced. The end-to-end tests send the worst of them through the
driver, as JSON text on the wire, to a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcloud.compute.base import NodeImage
from libcloud.compute.drivers.dummy import DummyNodeDriver

from rackimg_driver import EXTRA_KEYS, ImageState, ImageType, InvalidResponseError
from rackimg_driver.mapping import (
    brief_image,
    glance_image_from_api,
    glance_images_from_page,
    image_from_api,
    images_from_page,
    trim_to_brief,
)
from rackimg_driver.types import member_of, state_from_glance, state_from_status, type_from_image
from tests.conftest import TENANT, image
from tests.fixedserver import Answer, FixedServer

DRIVER = DummyNodeDriver(0)
DETAIL = f"/v2/{TENANT}/images/detail"
GLANCE_IMAGES = "/glance/v2/images"
MAX_COUNT = 2**63 - 1
COUNTS = ("minDisk", "minRam", "size")  # whole numbers from 0 to 2**63 - 1, else None
TEXTS = ("visibility", "updated", "created", "status", "os_type", "os_distro", "os_version", "disk_config")


def nested(depth: int, kind: str) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


# Built once: a fresh value 5000 deep for every example would only make the run slower.
DEEP = [nested(5000, "list"), nested(5000, "dict"), nested(1100, "list")]
#: Numbers no count can be, by the name a test id shows (str() of 10**5000 itself raises ValueError).
HUGE: dict[str, Any] = {
    "inf": math.inf,
    "-inf": -math.inf,
    "nan": math.nan,
    "10**5000": 10**5000,
    "-10**5000": -(10**5000),
    "10**4300": 10**4300,
    "2**63": 2**63,
    "2**64": 2**64,
    "-1": -1,
    "1e308": 1e308,
    "1.5": 1.5,
}
HUGE_NUMBERS = list(HUGE.values())
ODD_TEXT = ["\ud800", "a\udfffb", "x" * 1000, "ACTIVE", "saving", "snapshot", "Base", "", " ", "1e999", "9" * 5000]


def one_of_the(values: list[Any]) -> st.SearchStrategy[Any]:
    """Any of ``values``, drawn by index: hypothesis shows a strategy by repr(), which fails on them."""

    def pick(index: int) -> Any:
        return values[index]

    return st.integers(0, len(values) - 1).map(pick)


numbers = st.one_of(st.integers(), st.floats(), one_of_the(HUGE_NUMBERS))
texts = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),  # lone surrogates
    one_of_the(ODD_TEXT),
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(["id", "name", "images", "next", "rel", "href", "status"]))
leaves = st.one_of(st.none(), st.booleans(), numbers, texts, one_of_the(DEEP))
json_values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
)

NOVA_FIELDS = [
    "id",
    "name",
    "status",
    "progress",
    "created",
    "updated",
    "minDisk",
    "minRam",
    "OS-EXT-IMG-SIZE:size",
    "OS-DCF:diskConfig",
    "metadata",
    "links",
    "server",
    "visibility",
    "os_type",
    ("metadata", "image_type"),
    ("metadata", "os_type"),
    ("metadata", "org.openstack__1__os_distro"),
    ("server", "id"),
]
GLANCE_FIELDS = [
    "id",
    "name",
    "status",
    "visibility",
    "size",
    "min_disk",
    "min_ram",
    "created_at",
    "updated_at",
    "self",
    "instance_uuid",
    "image_type",
    "os_type",
    "auto_disk_config",
    "tags",
    "custom",
    "owner",
    "protected",
    "checksum",
    "disk_format",
    "container_format",
]
# Which keys of extra each field may change: every other key must come out as from the valid image.
NOVA_DEPENDS: dict[Any, set[str]] = {
    "id": set(),
    "name": set(),
    "status": {"status", "state"},
    "progress": {"progress"},
    "created": {"created"},
    "updated": {"updated"},
    "minDisk": {"minDisk"},
    "minRam": {"minRam"},
    "OS-EXT-IMG-SIZE:size": {"size"},
    "OS-DCF:diskConfig": {"disk_config"},
    "metadata": {"metadata", "os_type", "os_distro", "os_version", "image_type"},
    "links": {"links"},
    "server": {"serverId", "image_type"},
    "visibility": {"visibility"},
    "os_type": {"os_type"},
    ("metadata", "image_type"): {"metadata", "image_type"},
    ("metadata", "os_type"): {"metadata", "os_type"},
    ("metadata", "org.openstack__1__os_distro"): {"metadata", "os_distro"},
    ("server", "id"): {"serverId", "image_type"},
}
GLANCE_DEPENDS: dict[Any, set[str]] = {
    "id": set(),
    "name": set(),
    "status": {"status", "state", "progress", "glance_status"},
    "visibility": {"visibility"},
    "size": {"size"},
    "min_disk": {"minDisk"},
    "min_ram": {"minRam"},
    "created_at": {"created"},
    "updated_at": {"updated"},
    "self": {"links"},
    "instance_uuid": {"metadata", "serverId", "image_type"},
    "image_type": {"metadata", "image_type"},
    "os_type": {"metadata", "os_type"},
    "auto_disk_config": {"metadata", "disk_config"},
    "tags": {"tags"},
    "owner": {"owner"},
    "protected": {"protected"},
    "checksum": {"checksum"},
    "disk_format": {"disk_format"},
    "container_format": {"container_format"},
    "custom": {"metadata"},
}


def nova_image() -> dict[str, Any]:
    return image(
        "a",
        server={"id": "srv-1", "links": []},
        metadata={"image_type": "snapshot", "os_type": "linux", "org.openstack__1__os_distro": "ubuntu"},
        **{"OS-DCF:diskConfig": "AUTO"},
    )


def glance_image() -> dict[str, Any]:
    return {
        "id": "g",
        "name": "image g",
        "status": "active",
        "visibility": "private",
        "size": 1024,
        "min_disk": 10,
        "min_ram": 512,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-02T00:00:00Z",
        "self": "/v2/images/g",
        "tags": ["web"],
        "owner": "123456",
        "protected": False,
        "checksum": "0123456789abcdef0123456789abcdef",
        "disk_format": "qcow2",
        "container_format": "bare",
        "instance_uuid": "srv-1",
        "image_type": "snapshot",
        "os_type": "linux",
        "auto_disk_config": "True",
        "custom": "value",
    }


def replaced(data: dict[str, Any], field: Any, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    if isinstance(field, tuple):
        outer, inner = field
        data[outer][inner] = value
    else:
        data[field] = value
    return data


def sendable(text: Any) -> bool:
    """A non-empty string with a UTF-8 form (no lone surrogate), so it can go back in a URL."""
    if type(text) is not str or not text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def assert_printable_error(error: InvalidResponseError, code: int | None = 200) -> None:
    """A documented error whose text can be built, printed and logged."""
    assert error.code == code
    for text in (str(error), repr(error), error.body):
        assert isinstance(text, str)
        assert len(text) < 400
        text.encode("utf-8")  # no lone surrogate: writing it to a UTF-8 stream or log cannot fail


def assert_sane(got: NodeImage, detailed: bool = True) -> None:
    """Every key of extra, each of its documented type and range; ids that can go back in a URL."""
    assert sendable(got.id)  # (else neither get_image nor delete_image could send it)
    assert got.name is None or type(got.name) is str
    assert set(got.extra) == set(EXTRA_KEYS)
    extra = got.extra
    assert type(extra["links"]) is list
    if not detailed:
        assert all(extra[key] is None for key in EXTRA_KEYS if key != "links")
        return
    assert type(extra["state"]) is ImageState and type(extra["image_type"]) is ImageType
    assert type(extra["metadata"]) is dict
    for key in COUNTS:
        assert extra[key] is None or (type(extra[key]) is int and 0 <= extra[key] <= MAX_COUNT), key
    assert extra["progress"] is None or (type(extra["progress"]) is int and 0 <= extra["progress"] <= 100)
    for key in (*TEXTS, "glance_status"):
        assert extra[key] is None or type(extra[key]) is str, key
    assert extra["serverId"] is None or sendable(extra["serverId"])
    json.dumps([extra[key] for key in (*COUNTS, "progress")])  # the numbers can be written out


MAPPERS: dict[str, Callable[[Any, Any, int | None], NodeImage]] = {
    "nova detailed": image_from_api,
    "nova brief": brief_image,
    "glance": glance_image_from_api,
}


# -- arbitrary values ---------------------------------------------------------


@pytest.mark.parametrize("kind", MAPPERS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=json_values)
def test_any_value_as_an_image_maps_or_is_an_invalid_response(kind: str, data: Any) -> None:
    try:
        got = MAPPERS[kind](data, DRIVER, 200)
    except InvalidResponseError as error:
        assert_printable_error(error)
        return
    assert_sane(got, detailed=kind != "nova brief")
    assert_sane(trim_to_brief(got), detailed=False)


@pytest.mark.parametrize("kind", MAPPERS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.fixed_dictionaries(
        {"id": st.one_of(st.text(min_size=1, max_size=10), json_values)},
        optional={
            key: json_values
            for key in ("name", *(k for k in NOVA_FIELDS if isinstance(k, str)), *GLANCE_FIELDS)
            if key != "id"
        },
    )
)
def test_an_object_with_any_value_in_every_field_maps_or_is_an_invalid_response(kind: str, data: Any) -> None:
    try:
        got = MAPPERS[kind](data, DRIVER, 200)
    except InvalidResponseError as error:
        assert_printable_error(error)
        bad_name = data.get("name") is not None and type(data.get("name")) is not str
        assert bad_name or not (type(data["id"]) is str and data["id"] and data["id"].isascii())
        return
    assert_sane(got, detailed=kind != "nova brief")


@pytest.mark.parametrize("split", [images_from_page, glance_images_from_page])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"images": st.one_of(st.lists(json_values, max_size=3), json_values)},
            optional={"images_links": json_values, "next": json_values},
        ),
        st.fixed_dictionaries(
            {
                "images": st.just([]),
                "images_links": st.lists(
                    st.fixed_dictionaries({"rel": st.one_of(st.just("next"), json_values), "href": json_values}),
                    max_size=3,
                ),
            }
        ),
    )
)
def test_any_page_splits_into_images_and_a_link_or_is_an_invalid_response(split: Any, body: Any) -> None:
    try:
        items, next_href = split(body, 200)
    except InvalidResponseError as error:
        assert_printable_error(error)
        return
    assert items is body["images"]
    assert next_href is None or sendable(next_href)


# -- almost right images ------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(NOVA_FIELDS), value=json_values)
def test_a_nova_image_with_one_odd_field_keeps_every_other_field(field: Any, value: Any) -> None:
    valid = image_from_api(nova_image(), DRIVER, 200)
    try:
        got = image_from_api(replaced(nova_image(), field, value), DRIVER, 200)
    except InvalidResponseError as error:
        assert field in ("id", "name")  # only an unusable id or name fails the page
        assert_printable_error(error)
        return
    assert_sane(got)
    for key in set(EXTRA_KEYS) - NOVA_DEPENDS[field]:
        assert got.extra[key] == valid.extra[key], key
    if field not in ("id", "name"):
        assert (got.id, got.name) == (valid.id, valid.name)
    brief = brief_image(replaced(nova_image(), field, value), DRIVER, 200)
    assert (brief.id, brief.name) == (got.id, got.name)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(GLANCE_FIELDS), value=json_values)
def test_a_glance_image_with_one_odd_field_keeps_every_other_field(field: str, value: Any) -> None:
    valid = glance_image_from_api(glance_image(), DRIVER, 200)
    try:
        got = glance_image_from_api(replaced(glance_image(), field, value), DRIVER, 200)
    except InvalidResponseError as error:
        assert field in ("id", "name")
        assert_printable_error(error)
        return
    assert_sane(got)
    for key in set(EXTRA_KEYS) - GLANCE_DEPENDS[field]:
        assert got.extra[key] == valid.extra[key], key


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images=st.lists(st.one_of(st.just(nova_image()), json_values), max_size=4), links=json_values)
def test_an_almost_right_page_maps_or_is_an_invalid_response(images: list[Any], links: Any) -> None:
    body = {"images": images, "images_links": links}
    try:
        items, _ = images_from_page(body, 200)
        mapped = [image_from_api(item, DRIVER, 200) for item in items]
    except InvalidResponseError as error:
        assert_printable_error(error)
        return
    for got in mapped:
        assert_sane(got)


# -- the helpers in types.py --------------------------------------------------


@settings(deadline=None)
@given(value=json_values, server_id=json_values)
def test_the_state_and_type_helpers_answer_any_value(value: Any, server_id: Any) -> None:
    assert type(state_from_status(value)) is ImageState
    state, progress = state_from_glance(value)
    assert type(state) is ImageState and 0 <= progress <= 100
    assert type(type_from_image(value, server_id)) is ImageType
    assert type(type_from_image({"image_type": value}, server_id)) is ImageType
    assert member_of(ImageState, value) in (None, *ImageState)


# -- numbers past any range, field by field -------------------------------------


@pytest.mark.parametrize("field", ["minDisk", "minRam", "OS-EXT-IMG-SIZE:size", "progress"])
@pytest.mark.parametrize(
    "value",
    [
        *(pytest.param(value, id=name) for name, value in HUGE.items()),
        *(True, False, "1e3", "-5", "+5", "1_000", "\u0661\u0662", "\ud800", [], {}),
        pytest.param("9" * 5000, id="5000 nines"),
    ],
    ids=ascii,
)
def test_a_number_out_of_range_or_of_another_kind_is_none(field: str, value: Any) -> None:
    got = image_from_api(image("a", **{field: value}), DRIVER, 200)
    key = {"OS-EXT-IMG-SIZE:size": "size"}.get(field, field)
    assert got.extra[key] is None
    assert (got.id, got.extra["state"]) == ("a", ImageState.ACTIVE)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (-0.0, 0), (MAX_COUNT, MAX_COUNT), (512.0, 512), (" 42 ", 42), ("0007", 7), (str(MAX_COUNT), MAX_COUNT)],
    ids=ascii,
)
def test_a_whole_number_in_range_is_kept(value: Any, expected: int) -> None:
    got = image_from_api(image("a", minDisk=value, minRam=value, **{"OS-EXT-IMG-SIZE:size": value}), DRIVER, 200)
    assert (got.extra["minDisk"], got.extra["minRam"], got.extra["size"]) == (expected,) * 3
    assert type(got.extra["size"]) is int


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (100, 100), ("42", 42), (50.0, 50), (101, None)])
def test_progress_runs_from_0_to_100(value: Any, expected: int | None) -> None:
    assert image_from_api(image("a", progress=value), DRIVER, 200).extra["progress"] == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(None, 0), (1024, 1024), pytest.param(10**5000, None, id="10**5000"), (math.inf, None), (-1, None), ("big", None)],
)
def test_a_glance_size_is_zero_only_when_there_is_no_data(size: Any, expected: int | None) -> None:
    data = glance_image()
    data["size"] = size
    assert glance_image_from_api(data, DRIVER, 200).extra["size"] == expected


# -- ids, strings and errors that could not be shown -------------------------


def test_an_id_with_lone_surrogates_is_an_invalid_response() -> None:
    # JSON allows "\ud800"; such an id has no UTF-8 form, so the image could not be fetched or deleted.
    for mapper in MAPPERS.values():
        with pytest.raises(InvalidResponseError) as raised:
            mapper(image("a\ud800"), DRIVER, 200)
        assert_printable_error(raised.value)
        assert "lone surrogates" in str(raised.value)


@pytest.mark.parametrize(
    "image_id", [2**63, -(2**63) - 1, pytest.param(10**5000, id="10**5000"), 1.0, True, "", None, [], {}]
)
def test_an_id_that_is_neither_text_nor_a_64_bit_integer_is_an_invalid_response(image_id: Any) -> None:
    for mapper in MAPPERS.values():
        with pytest.raises(InvalidResponseError) as raised:
            mapper(image("a", id=image_id), DRIVER, 200)
        assert_printable_error(raised.value)


def test_a_64_bit_integer_id_is_its_digits() -> None:
    assert image_from_api(image("a", id=2**63 - 1), DRIVER, 200).id == str(2**63 - 1)
    assert glance_image_from_api({"id": -(2**63)}, DRIVER, 200).id == str(-(2**63))


def test_other_strings_and_nested_values_are_kept_as_sent() -> None:
    long_id = "i" * 1000
    deep = nested(5000, "dict")
    got = image_from_api(
        image(long_id, name="\ud800", status="\udfff", metadata={"deep": deep}, links=[1, "x", None]), DRIVER, 200
    )
    assert (got.id, got.name, got.extra["status"], got.extra["state"]) == (
        long_id,
        "\ud800",
        "\udfff",
        ImageState.UNKNOWN,
    )
    assert got.extra["metadata"]["deep"] is deep and got.extra["links"] == [1, "x", None]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(nested(5000, "list"), id="a list 5000 deep"),
        pytest.param({"images": nested(5000, "dict")}, id="images 5000 deep"),
        pytest.param({"images": "x", "other": nested(5000, "list")}, id="no images, a key 5000 deep"),
        pytest.param(
            {"images": [], "images_links": [{"rel": "next", "href": None}], "deep": nested(5000, "list")},
            id="no href, a key 5000 deep",
        ),
        pytest.param({"images": None, "big": 10**5000}, id="no images, a key of 10**5000"),
        pytest.param({"images": [], "images_links": [{"rel": "next", "href": 10**5000}]}, id="href 10**5000"),
        pytest.param(
            {"images": [], "images_links": [{"rel": "next", "href": "/images?marker=\ud800"}]}, id="href \\ud800"
        ),
        pytest.param({"images": [], "images_links": nested(5000, "dict")}, id="images_links 5000 deep"),
    ],
)
def test_a_page_that_cannot_be_shown_still_gives_a_printable_error(body: Any) -> None:
    with pytest.raises(InvalidResponseError) as raised:
        images_from_page(body, 200)
    assert_printable_error(raised.value)
    if isinstance(body, dict) and "images_links" not in body:
        with pytest.raises(InvalidResponseError) as raised:
            glance_images_from_page(body, 200)
        assert_printable_error(raised.value)


def test_a_page_whose_other_keys_cannot_be_shown_is_still_a_page() -> None:
    body = {"images": [nova_image()], "big": 10**5000, "deep": nested(5000, "list")}
    items, next_href = images_from_page(body, 200)
    assert (items, next_href) == (body["images"], None)
    assert glance_images_from_page(body, 200) == (body["images"], None)


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(nested(5000, "list"), id="a list 5000 deep"),
        pytest.param({"id": "a", "name": 7, "metadata": nested(5000, "dict")}, id="bad name, metadata 5000 deep"),
        pytest.param({"id": None, "size": 10**5000}, id="no id, size 10**5000"),
        pytest.param(
            {"name": "no id", "metadata": {"big": -(10**5000), "deep": nested(5000, "list")}},
            id="no id, metadata -10**5000 and 5000 deep",
        ),
        pytest.param("\ud800", id="\\ud800"),
        pytest.param(10**5000, id="10**5000"),
    ],
)
def test_an_image_that_cannot_be_shown_still_gives_a_printable_error(item: Any) -> None:
    for mapper in MAPPERS.values():
        with pytest.raises(InvalidResponseError) as raised:
            mapper(item, DRIVER, 200)
        assert_printable_error(raised.value)
    with pytest.raises(InvalidResponseError) as raised:
        glance_images_from_page({"images": [], "next": item}, 200)
    assert_printable_error(raised.value)


# -- through the driver, as JSON text on the wire -----------------------------


def listed(driver, server: FixedServer, text: str) -> list[NodeImage]:
    server.route("GET", DETAIL, Answer(200, text, {"Content-Type": "application/json"}))
    return driver.list_images()


def page_text(*fields: str) -> str:
    """A page of one image "a" with these raw JSON fields (written as they go on the wire)."""
    return '{"images": [{"id": "a", "name": "x", "status": "ACTIVE", ' + ", ".join(fields) + "}]}"


def test_numbers_past_any_range_on_the_wire_map_to_none(driver, server: FixedServer) -> None:
    text = page_text(
        '"minDisk": 1e999',
        '"minRam": -1e999',
        '"progress": NaN',
        '"OS-EXT-IMG-SIZE:size": ' + "9" * 4000,  # parses (4300 digits at most); past 64 bits
        '"metadata": {"os_type": "linux", "n": 1e999}',
    )
    (got,) = listed(driver, server, text)
    assert (got.extra["minDisk"], got.extra["minRam"], got.extra["progress"], got.extra["size"]) == (None,) * 4
    assert (got.id, got.name, got.extra["state"], got.extra["os_type"]) == ("a", "x", ImageState.ACTIVE, "linux")
    assert got.extra["metadata"]["n"] == math.inf


def test_a_number_of_5000_digits_on_the_wire_is_an_invalid_response(driver, server: FixedServer) -> None:
    # Python's json refuses integers of more than 4300 digits: the page is not JSON it can read.
    with pytest.raises(InvalidResponseError) as raised:
        listed(driver, server, page_text('"progress": 1' + "0" * 5000))
    assert_printable_error(raised.value)


def test_a_1000_character_id_and_a_lone_surrogate_name_are_listed(driver, server: FixedServer) -> None:
    long_id = "i" * 1000
    text = '{"images": [{"id": "' + long_id + '", "name": "\\ud800 half", "status": "ACTIVE"}]}'
    (got,) = listed(driver, server, text)
    assert (got.id, got.name) == (long_id, "\ud800 half")


def test_an_id_with_a_lone_surrogate_on_the_wire_is_an_invalid_response(driver, server: FixedServer) -> None:
    with pytest.raises(InvalidResponseError) as raised:
        listed(driver, server, '{"images": [{"id": "\\ud800", "name": "x"}]}')
    assert_printable_error(raised.value)
    assert "\\ud800" in str(raised.value)  # shown escaped


def test_metadata_nested_deep_is_kept_and_nested_past_the_parser_is_kept_or_an_invalid_response(
    driver, server: FixedServer
) -> None:
    (got,) = listed(driver, server, page_text('"metadata": {"deep": ' + "[" * 500 + "]" * 500 + "}"))
    depth, value = 0, got.extra["metadata"]["deep"]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 499
    # How deep the standard library's parser goes depends on the Python (3.13 reads 5000
    # levels, 3.10-3.12 do not): either the image comes back whole or the answer is invalid.
    try:
        (deep,) = listed(driver, server, page_text('"metadata": {"deep": ' + "[" * 5000 + "]" * 5000 + "}"))
    except InvalidResponseError as error:
        assert_printable_error(error)
    else:
        assert deep.id == got.id and isinstance(deep.extra["metadata"]["deep"], list)


@pytest.mark.parametrize(
    "text",
    [
        '{"images": null}',
        '{"images": {"id": "a"}}',
        '{"images": [null]}',
        '{"images": [[{"id": "a"}]]}',
        '{"images": [], "images_links": {"rel": "next"}}',
        '{"images": [{"id": "a"}], "images_links": [{"rel": "next", "href": 1e999}]}',
        '{"images": [{"id": "a"}], "images_links": [{"rel": "next", "href": "/images?marker=\\ud800"}]}',
        '{"images": [{"id": "a", "name": {"deep": ' + "[" * 500 + "]" * 500 + "}}]}",
    ],
)
def test_a_page_of_the_wrong_shape_on_the_wire_is_an_invalid_response(driver, server: FixedServer, text: str) -> None:
    with pytest.raises(InvalidResponseError) as raised:
        listed(driver, server, text)
    assert_printable_error(raised.value)


def test_links_of_odd_shapes_that_name_no_next_page_end_the_listing(driver, server: FixedServer) -> None:
    text = '{"images": [{"id": "a", "links": 5}], "images_links": [1, "x", null, {"rel": ["next"]}, {"rel": "self"}]}'
    (got,) = listed(driver, server, text)
    assert got.extra["links"] == []
    assert len(server.api_requests()) == 1


def test_glance_numbers_past_any_range_on_the_wire_map_to_none(make_driver, server: FixedServer) -> None:
    text = (
        '{"images": [{"id": "g", "name": "x", "status": "active", "min_disk": 1e999, "min_ram": NaN, '
        '"size": ' + "9" * 4000 + ', "instance_uuid": "\\ud800"}, {"id": "h", "status": "queued", "size": null}]}'
    )
    server.route("GET", GLANCE_IMAGES, Answer(200, text, {"Content-Type": "application/json"}))
    g, h = make_driver("glance").list_images()
    assert (g.extra["minDisk"], g.extra["minRam"], g.extra["size"], g.extra["serverId"]) == (None,) * 4
    assert (g.extra["state"], g.extra["glance_status"], g.extra["image_type"]) == (
        ImageState.ACTIVE,
        "active",
        ImageType.BASE,
    )
    assert (h.extra["size"], h.extra["state"], h.extra["progress"]) == (0, ImageState.SAVING, 25)
