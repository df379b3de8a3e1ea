"""Property-based tests (hypothesis): bad input and hostile bodies raise only the documented
errors, and secrets never survive redaction."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from libcloud.compute.drivers.dummy import DummyNodeDriver

from rackimg_driver import EXTRA_KEYS, FILTER_KEYS, Dialect, ImageState, ImageType, InvalidResponseError
from rackimg_driver.dialects import dialect_for
from rackimg_driver.error_bodies import fault_message
from rackimg_driver.filters import ImageQuery, parse_filters
from rackimg_driver.mapping import brief_image, glance_image_from_api, image_from_api, images_from_page
from rackimg_driver.redaction import redact
from rackimg_driver.retry import retry_after_seconds

DRIVER = DummyNodeDriver(0)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["ACTIVE", "saving", "Snapshot", "base", "2026-01-02T03:04:05Z", "2026-01-02", "10", "-1", ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
#: The filters only the image service answers (in every dialect, the listing then goes there).
SERVICE_KEYS = ("visibility", "owner", "tag", "protected", "member_status", "sort")
filter_keys = st.one_of(st.sampled_from(FILTER_KEYS), st.text(max_size=10))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(filter_keys, scalars, max_size=6))
def test_filters_either_parse_or_raise_value_error(filters: dict[str, Any]) -> None:
    try:
        query = parse_filters(filters)
    except ValueError as error:
        assert str(error)
        return
    assert isinstance(query, ImageQuery)
    for dialect in Dialect:
        for detailed in (True, False):
            plan = dialect_for(dialect).plan(query, detailed)
            # A value is a string, or a list of strings sent as repeated keys (Glance's tag).
            assert all(
                isinstance(k, str) and (isinstance(v, str) or (isinstance(v, list) and all(type(t) is str for t in v)))
                for k, v in plan.params.items()
            )
            sent = set(plan.params)
            glance_keys = {"name", "status", "instance_uuid", "updated_at", *SERVICE_KEYS}
            assert sent <= (set(FILTER_KEYS) - set(SERVICE_KEYS) if dialect != Dialect.GLANCE else glance_keys)
            if dialect == Dialect.GLANCE:  # what only the image service answers is sent to it
                assert query.needs_image_service == bool(sent & set(SERVICE_KEYS))


@settings(max_examples=200)
@given(json_values)
def test_a_page_of_any_shape_gives_images_or_invalid_response(body: Any) -> None:
    try:
        items, next_href = images_from_page(body, 200)
        images = [image_from_api(item, DRIVER, 200) for item in items]
        briefs = [brief_image(item, DRIVER, 200) for item in items]
    except InvalidResponseError as error:
        assert error.code == 200 and len(str(error)) < 400
        return
    assert next_href is None or isinstance(next_href, str)
    for image, brief in zip(images, briefs, strict=True):
        assert isinstance(image.id, str) and image.id
        assert set(image.extra) == set(EXTRA_KEYS) == set(brief.extra)
        assert isinstance(image.extra["state"], ImageState)
        assert isinstance(image.extra["image_type"], ImageType)
        for key in ("progress", "minDisk", "minRam", "size"):
            assert image.extra[key] is None or type(image.extra[key]) is int
        assert isinstance(image.extra["metadata"], dict) and isinstance(image.extra["links"], list)


@settings(max_examples=200)
@given(
    st.fixed_dictionaries(
        {"id": st.text(min_size=1, max_size=20)},
        optional={
            "name": st.one_of(st.none(), st.text(max_size=20)),
            "status": scalars,
            "progress": scalars,
            "minDisk": scalars,
            "minRam": scalars,
            "OS-EXT-IMG-SIZE:size": scalars,
            "metadata": json_values,
            "server": json_values,
            "links": json_values,
        },
    )
)
def test_an_image_with_fields_of_any_type_maps_without_error(data: dict[str, Any]) -> None:
    image = image_from_api(data, DRIVER, 200)
    assert image.id == data["id"]
    assert isinstance(image.extra["state"], ImageState)


@settings(max_examples=200)
@given(
    st.fixed_dictionaries(
        {"id": st.text(min_size=1, max_size=20).filter(str.isascii)},
        optional={
            key: json_values
            for key in (
                "status", "visibility", "protected", "size", "min_disk", "min_ram", "tags", "self",
                "owner", "checksum", "created_at", "updated_at", "instance_uuid", "auto_disk_config", "image_type",
            )
        },
    )
)  # fmt: skip
def test_a_glance_image_with_fields_of_any_type_builds_its_extra_without_error(data: dict[str, Any]) -> None:
    # extra is built when first read, after the listing: it must never raise there either.
    image = glance_image_from_api(data, DRIVER, 200)
    assert set(image.extra) == set(EXTRA_KEYS)
    assert isinstance(image.extra["state"], ImageState)
    assert image.extra["tags"] is None or all(type(tag) is str for tag in image.extra["tags"])


@given(st.text(max_size=300))
def test_error_bodies_of_any_text_give_a_message(body: str) -> None:
    message = fault_message(body)
    assert isinstance(message, str)


_LOG_WORDS = ("RAX-KSKEY:apiKeyCredentials", "username", "apiKey", "identity", "password", "expires", "access", "token",
              "X-Auth-Token", "X-Subject-Token", "auth", "user", "name", "<redacted>")  # fmt: skip


@given(st.one_of(st.none(), st.text(max_size=40)))
def test_retry_after_of_any_text_is_seconds(value: str | None) -> None:
    seconds = retry_after_seconds(value)
    assert seconds >= 0


@given(
    st.text(alphabet=st.characters(blacklist_characters='"\\', blacklist_categories=("Cs",)), min_size=8, max_size=40)
)
def test_secrets_are_redacted_from_logged_bodies_and_headers(secret: str) -> None:
    # A "secret" that is one of the words around it (say "username") cannot be told apart.
    assume(not any(secret in word for word in _LOG_WORDS))
    body = json.dumps({"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "u", "apiKey": secret}}})
    assert secret not in redact(body)
    v3 = json.dumps({"auth": {"identity": {"password": {"user": {"name": "u", "password": secret}}}}})
    assert secret not in redact(v3)
    token = json.dumps({"access": {"token": {"expires": "x", "id": secret}}})
    assert secret not in redact(token)
    if re.fullmatch(r"[A-Za-z0-9_.=+/-]+", secret):  # what tokens are made of
        assert secret not in redact(f"-H 'X-Auth-Token: {secret}' -H 'X-Subject-Token: {secret}'")
        assert secret not in redact(f"X-Auth-Token: {secret}\r\nX-Subject-Token: {secret}\r\n")


@given(st.from_regex(r"[A-Za-z0-9_.=+/-]{8,64}", fullmatch=True))
def test_tokens_are_redacted_from_logged_headers(token: str) -> None:
    assert token not in redact(f"curl -i -X GET -H 'X-Auth-Token: {token}' -H 'Accept: application/json'")
    assert token not in redact(f"HTTP/1.1 201 Created\r\nX-Subject-Token: {token}\r\nVary: X-Auth-Token\r\n")
