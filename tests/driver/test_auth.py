"""Authentication through libcloud's identity classes, endpoint choice, and secrets kept out of sight."""

from __future__ import annotations

import io
import json

import libcloud
import pytest
from libcloud.common.base import Connection
from libcloud.common.openstack_identity import OpenStackAuthenticationCache
from libcloud.common.types import InvalidCredsError
from libcloud.utils.loggingconnection import LoggingConnection

from rackimg_driver import RackImgNodeDriver
from tests.conftest import API_KEY, PASSWORD, TENANT, TOKEN, USER, compute_path, image, page
from tests.fixedserver import Answer, FixedServer, Seen

SECRETS = (API_KEY, PASSWORD, TOKEN)


def route_listing(server: FixedServer, path: str, ids: tuple[str, ...] = ("a",)) -> None:
    server.route("GET", path, Answer(200, page([image(i) for i in ids])))


def identity_body(server: FixedServer, path: str) -> dict:
    (call,) = [c for c in server.requests if c.path == path]
    return json.loads(call.body)


def test_rackspace_api_key_over_identity_v2(driver, server: FixedServer) -> None:
    route_listing(server, f"/v2/{TENANT}/images/detail")
    assert [i.id for i in driver.list_images()] == ["a"]
    body = identity_body(server, "/v2.0/tokens")
    assert body["auth"]["RAX-KSKEY:apiKeyCredentials"] == {"username": USER, "apiKey": API_KEY}


def test_password_over_identity_v2(make_driver, server: FixedServer) -> None:
    route_listing(server, f"/v2/{TENANT}/images/detail")
    driver = make_driver(secret=PASSWORD, ex_force_auth_version="2.0_password")
    assert len(driver.list_images()) == 1
    body = identity_body(server, "/v2.0/tokens")
    assert body["auth"]["passwordCredentials"] == {"username": USER, "password": PASSWORD}


def test_keystone_v3_password_in_the_openstack_dialect(make_driver, server: FixedServer) -> None:
    route_listing(server, "/v2.1/proj/images/detail")
    assert len(make_driver("openstack").list_images()) == 1
    body = identity_body(server, "/v3/auth/tokens")
    assert body["auth"]["identity"]["methods"] == ["password"]
    assert body["auth"]["scope"]["project"]["name"] == "demo"
    (call,) = server.api_requests("/v2.1/")
    assert call.headers["x-auth-token"].startswith(TOKEN)


def test_keystone_v3_application_credential(make_driver, server: FixedServer) -> None:
    route_listing(server, "/v2.1/proj/images/detail")
    driver = make_driver("openstack", key="appcred-id", ex_force_auth_version="3.x_appcred")
    assert len(driver.list_images()) == 1
    body = identity_body(server, "/v3/auth/tokens")
    assert body["auth"]["identity"]["application_credential"]["id"] == "appcred-id"


def test_a_fixed_token_and_base_url_skip_identity(server: FixedServer) -> None:
    route_listing(server, "/fixed/v2/999/images/detail")
    driver = RackImgNodeDriver(
        USER, ex_force_auth_token="fixed-token-xyz", ex_force_base_url=f"{server.url}/fixed/v2/999"
    )
    assert len(driver.list_images()) == 1
    assert [c.path for c in server.requests] == ["/fixed/v2/999/images/detail"]
    assert server.requests[0].headers["x-auth-token"] == "fixed-token-xyz"


def test_a_fixed_token_works_in_the_openstack_dialect_without_an_auth_url(server: FixedServer) -> None:
    route_listing(server, "/v2.1/p/images/detail")
    driver = RackImgNodeDriver(
        USER, ex_dialect="openstack", region=None, ex_force_auth_token="t", ex_force_base_url=f"{server.url}/v2.1/p"
    )
    assert len(driver.list_images()) == 1


def test_base_url_overrides_the_catalog(make_driver, server: FixedServer) -> None:
    route_listing(server, "/elsewhere/images/detail")
    driver = make_driver(ex_force_base_url=f"{server.url}/elsewhere")
    assert len(driver.list_images()) == 1


@pytest.mark.parametrize("region", ["ord", "IAD", "hkg"])
def test_the_region_picks_its_catalog_endpoint(make_driver, server: FixedServer, region) -> None:
    route_listing(server, compute_path(region.upper()) + "/images/detail")
    assert len(make_driver(region=region).list_images()) == 1


def test_force_service_region_wins(make_driver, server: FixedServer) -> None:
    route_listing(server, compute_path("SYD") + "/images/detail")
    assert len(make_driver(region="dfw", ex_force_service_region="SYD").list_images()) == 1


def test_bad_credentials_are_invalid_creds_without_the_secret(make_driver, server: FixedServer) -> None:
    driver = make_driver(secret="wrong-key-1234567")
    with pytest.raises(InvalidCredsError) as raised:
        driver.list_images()
    assert "wrong-key-1234567" not in str(raised.value) + repr(raised.value)
    assert server.api_requests() == []


def test_a_token_revoked_mid_listing_reauthenticates_once_and_resumes(driver, server: FixedServer, identity) -> None:
    ids = ["a", "b", "c", "d"]

    def respond(seen: Seen) -> Answer:
        if seen.headers["x-auth-token"].endswith("-1") and "marker" in seen.query:
            return Answer(401, {"unauthorized": {"code": 401, "message": "Token expired."}})
        start = ids.index(seen.query["marker"]) + 1 if "marker" in seen.query else 0
        chunk = ids[start : start + 2]
        return Answer(200, page([image(i) for i in chunk], chunk[-1] if len(chunk) == 2 and start + 2 < 4 else None))

    server.route("GET", f"/v2/{TENANT}/images/detail", respond)
    assert [i.id for i in driver.list_images()] == ids
    assert identity.issued == 2
    markers = [c.query.get("marker") for c in server.api_requests()]
    assert markers == [None, "b", "b"]


def test_a_shared_auth_cache_saves_the_second_login(make_driver, server: FixedServer, identity) -> None:
    class DictCache(OpenStackAuthenticationCache):
        def __init__(self) -> None:
            self.store: dict = {}

        def get(self, key):
            return self.store.get(key)

        def put(self, key, context):
            self.store[key] = context

        def clear(self, key):
            self.store.pop(key, None)

    route_listing(server, f"/v2/{TENANT}/images/detail")
    cache = DictCache()
    make_driver(ex_auth_cache=cache).list_images()
    make_driver(ex_auth_cache=cache).list_images()
    assert identity.issued == 1


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"region": "mars"}, "region"),
        ({"region": None}, "region"),
        ({"ex_dialect": "azure"}, "ex_dialect"),
        ({"secret": None}, "secret"),
        ({"secret": ""}, "secret"),
        ({"key": ""}, "key"),
        ({"ex_force_auth_token": "t"}, "ex_force_base_url"),
        ({"ex_page_size": 0}, "ex_page_size"),
    ],
)
def test_bad_constructor_arguments_are_value_errors(server: FixedServer, kwargs, named) -> None:
    arguments = {"key": USER, "secret": API_KEY, "ex_force_auth_url": server.url, "region": "dfw"}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=named) as raised:
        RackImgNodeDriver(**arguments)
    assert API_KEY not in str(raised.value)
    assert server.requests == []


def test_openstack_dialect_needs_an_identity_url() -> None:
    with pytest.raises(ValueError, match="ex_force_auth_url"):
        RackImgNodeDriver(USER, PASSWORD, ex_dialect="openstack", region=None)


def test_reprs_hold_no_secret(driver, server: FixedServer) -> None:
    route_listing(server, f"/v2/{TENANT}/images/detail")
    driver.list_images()
    shown = repr(driver) + repr(driver.connection) + str(driver.__dict__.get("connection"))
    assert "rackspace" in repr(driver)
    for secret in SECRETS:
        assert secret not in shown


def test_the_debug_log_redacts_keys_passwords_and_tokens(make_driver, server: FixedServer) -> None:
    log = io.StringIO()
    log.close = lambda: None  # libcloud closes it at exit
    saved = (Connection.conn_class, LoggingConnection.log)
    libcloud.enable_debug(log)
    try:
        route_listing(server, f"/v2/{TENANT}/images/detail")
        make_driver().list_images()
        route_listing(server, "/v2.1/proj/images/detail")
        make_driver("openstack").list_images()
    finally:
        Connection.conn_class, LoggingConnection.log = saved  # libcloud 3.6 has no reset_debug
    text = log.getvalue()
    assert "curl" in text and "/v2.0/tokens" in text and "/v3/auth/tokens" in text
    assert "<redacted>" in text
    for secret in SECRETS:
        assert secret not in text, secret
