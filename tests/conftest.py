"""Fixtures: a fixed-page HTTP server on 127.0.0.1 with Rackspace and Keystone identity."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rackimg_driver import RackImgNodeDriver
from tests.fixedserver import Answer, FixedServer, Seen

USER = "demo"
API_KEY = "api-key-0123456789abcdef"
PASSWORD = "pass-word-9876543210"
TENANT = "123456"
TOKEN = "token-aaaaaaaaaaaaaaaaaaaaaaaa"
REGIONS = ("DFW", "ORD", "IAD", "LON", "SYD", "HKG")
# Retries as by default, but with waits short enough for a test run.
FAST_RETRIES = {"ex_retry_backoff": 0.001, "ex_retry_max_delay": 0.05}


def compute_path(region: str = "DFW") -> str:
    """Each region's compute endpoint has its own path on the one test server."""
    return f"/v2/{TENANT}" if region == "DFW" else f"/{region.lower()}/v2/{TENANT}"


class Identity:
    """Rackspace identity v2.0 and Keystone v3 token calls, counting tokens handed out."""

    def __init__(self, server: FixedServer) -> None:
        self.server = server
        self.issued = 0
        server.route("POST", "/v2.0/tokens", self.v2)
        server.route("POST", "/v3/auth/tokens", self.v3)

    def _token(self) -> str:
        self.issued += 1
        return f"{TOKEN}-{self.issued}"

    def v2(self, seen: Seen) -> Answer:
        import json

        auth = json.loads(seen.body)["auth"]
        apikey = auth.get("RAX-KSKEY:apiKeyCredentials", {})
        password = auth.get("passwordCredentials", {})
        if not (apikey.get("apiKey") == API_KEY or password.get("password") == PASSWORD):
            return Answer(401, {"unauthorized": {"code": 401, "message": "Username or api key is invalid."}})
        endpoints = [
            {"region": region, "tenantId": TENANT, "publicURL": self.server.url + compute_path(region)}
            for region in REGIONS
        ]
        catalog = [{"name": "cloudServersOpenStack", "type": "compute", "endpoints": endpoints}]
        token = {"id": self._token(), "expires": "2099-01-01T00:00:00.000Z", "tenant": {"id": TENANT, "name": TENANT}}
        return Answer(200, {"access": {"token": token, "serviceCatalog": catalog, "user": {"id": "1", "name": USER}}})

    def v3(self, seen: Seen) -> Answer:
        import json

        identity = json.loads(seen.body)["auth"]["identity"]
        if "application_credential" in identity["methods"]:
            secret = identity["application_credential"]["secret"]
        else:
            secret = identity["password"]["user"]["password"]
        if secret != PASSWORD:
            return Answer(
                401, {"error": {"code": 401, "message": "The request you have made requires authentication."}}
            )
        catalog = [
            {
                "type": "compute",
                "name": "nova",
                "endpoints": [
                    {
                        "interface": "public",
                        "region": "RegionOne",
                        "region_id": "RegionOne",
                        "url": self.server.url + "/v2.1/proj",
                    }
                ],
            },
            {
                "type": "image",
                "name": "glance",
                "endpoints": [
                    {
                        "interface": "public",
                        "region": "RegionOne",
                        "region_id": "RegionOne",
                        "url": self.server.url + "/glance",
                    }
                ],
            },
        ]
        body = {
            "token": {
                "expires_at": "2099-01-01T00:00:00.000000Z",
                "catalog": catalog,
                "project": {"id": "proj", "name": "demo", "domain": {"id": "default", "name": "Default"}},
                "user": {"id": "u1", "name": USER, "domain": {"id": "default", "name": "Default"}},
                "roles": [{"id": "r", "name": "member"}],
                "methods": ["password"],
            }
        }
        return Answer(201, body, {"X-Subject-Token": self._token()})


@pytest.fixture
def server() -> Iterator[FixedServer]:
    fixed = FixedServer()
    yield fixed
    fixed.close()


@pytest.fixture
def identity(server: FixedServer) -> Identity:
    return Identity(server)


@pytest.fixture
def make_driver(server: FixedServer, identity: Identity) -> Callable[..., RackImgNodeDriver]:
    """Build a driver against the test server; keyword arguments override the defaults."""

    def build(dialect: str = "rackspace", **overrides: Any) -> RackImgNodeDriver:
        if dialect in ("openstack", "glance"):
            kwargs: dict[str, Any] = {
                "key": USER,
                "secret": PASSWORD,
                "ex_dialect": dialect,
                "ex_force_auth_url": server.url,
                "ex_force_auth_version": "3.x_password",
                "ex_tenant_name": "demo",
                "region": None,
            }
        else:
            kwargs = {"key": USER, "secret": API_KEY, "ex_force_auth_url": server.url, "region": "dfw"}
        kwargs.update(FAST_RETRIES)
        kwargs.update(overrides)
        return RackImgNodeDriver(**kwargs)

    return build


@pytest.fixture
def driver(make_driver: Callable[..., RackImgNodeDriver]) -> RackImgNodeDriver:
    return make_driver()


def image(image_id: str, **fields: Any) -> dict[str, Any]:
    """A detailed image object in Nova's shape; ``fields`` override or add keys."""
    body: dict[str, Any] = {
        "id": image_id,
        "name": f"image {image_id}",
        "status": "ACTIVE",
        "progress": 100,
        "created": "2026-01-01T00:00:00Z",
        "updated": "2026-01-02T00:00:00Z",
        "minDisk": 10,
        "minRam": 512,
        "OS-EXT-IMG-SIZE:size": 1024,
        "metadata": {"image_type": "base"},
        "links": [{"rel": "self", "href": f"http://example.invalid/images/{image_id}"}],
    }
    body.update(fields)
    return body


def page(images: list[dict[str, Any]], next_marker: str | None = None, path: str = "/images/detail") -> dict[str, Any]:
    """A listing page, with a next link when ``next_marker`` is given."""
    body: dict[str, Any] = {"images": images}
    if next_marker is not None:
        href = f"http://elsewhere.invalid/v2/{TENANT}{path}?limit=2&marker={next_marker}"
        body["images_links"] = [{"rel": "next", "href": href}]
    return body


def in_threads(work: Callable[[int], None], count: int, timeout: float = 120.0) -> None:
    """``work(0)`` to ``work(count - 1)``, each in a thread, switching every 10 µs (the
    interpreter's switch interval is put back after), joined."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout)
    finally:
        sys.setswitchinterval(interval)


def image_exists(cloud: Any, image_id: str) -> bool:
    """Whether the local cloud ``cloud`` still holds the demo account's image ``image_id``."""
    # Imported here: the tests of what the driver imports must not find the emulator loaded.
    from rackimg_driver.emulator.seed import DEMO_TENANT
    from rackimg_driver.emulator.store import ImageNotFound

    try:
        cloud.store.get_image(DEMO_TENANT, image_id)
    except ImageNotFound:
        return False
    return True
