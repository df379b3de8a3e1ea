"""The real Keystone, Glance and Nova brought up by ``tools/openstack/stack.py``.

The stack is described by the JSON file named in ``$RACKIMG_OPENSTACK_STACK_JSON`` (``stack.py run``
sets it). Without it every test here errors: these tests never pass by not running.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from rackimg_driver import RackImgNodeDriver

STACK_JSON = "RACKIMG_OPENSTACK_STACK_JSON"
TIMEOUT = 60
NOVA_HEADERS = {"X-OpenStack-Nova-API-Version": "2.1"}


@dataclass(frozen=True)
class Seeded:
    """One image that ``stack.py`` put into Glance, as Glance holds it.

    ``created``/``updated`` carry the microseconds Glance stores (its API shows whole seconds).
    """

    key: str
    id: str
    name: str
    glance_status: str
    owner_project: str
    visibility: str
    protected: bool
    min_disk: int
    min_ram: int
    size: int | None
    properties: dict[str, str]
    created: datetime
    updated: datetime

    def visible_to(self, project: str) -> bool:
        return self.owner_project == project or self.visibility == "public"


class Stack:
    """What ``stack.json`` says, plus small helpers for the real services' own APIs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.info: dict[str, Any] = json.loads(path.read_text())
        self.keystone_url: str = self.info["keystone"]["url"]
        self.glance_url: str = self.info["glance"]["url"]
        self.nova_url: str = self.info["nova"]["url"]
        self.users: dict[str, dict[str, Any]] = self.info["users"]
        self.images = self._read_images()

    def _read_images(self) -> list[Seeded]:
        """Seeded and bulk images, with the exact times Glance keeps in its database."""
        glance_db = Path(self.info["state_dir"]) / "glance" / "glance.db"
        with sqlite3.connect(f"file:{glance_db}?mode=ro", uri=True) as db:
            times = {
                row[0]: (_glance_time(row[1]), _glance_time(row[2]))
                for row in db.execute("SELECT id, created_at, updated_at FROM images WHERE deleted = 0")
            }
        images = []
        for record in self.info["images"]:
            images.append(
                Seeded(
                    key=record["key"],
                    id=record["id"],
                    name=record["name"],
                    glance_status=record["glance_status"],
                    owner_project=record["owner_project"],
                    visibility=record["visibility"],
                    protected=record["protected"],
                    min_disk=record["min_disk"],
                    min_ram=record["min_ram"],
                    size=record["size"],
                    properties=dict(record["properties"]),
                    created=times[record["id"]][0],
                    updated=times[record["id"]][1],
                )
            )
        bulk = self.info["bulk"]
        for record in bulk["images"]:
            images.append(
                Seeded(
                    key=record["name"],
                    id=record["id"],
                    name=record["name"],
                    glance_status=bulk["glance_status"],
                    owner_project=bulk["owner_project"],
                    visibility=bulk["visibility"],
                    protected=False,
                    min_disk=bulk["min_disk"],
                    min_ram=bulk["min_ram"],
                    size=None,
                    properties=dict(bulk["properties"]),
                    created=times[record["id"]][0],
                    updated=times[record["id"]][1],
                )
            )
        return images

    def image(self, key: str) -> Seeded:
        return next(image for image in self.images if image.key == key)

    def visible(self, user: str = "demo") -> list[Seeded]:
        """The images ``user`` sees, in Glance's order: newest first (created_at, then id)."""
        project = self.users[user]["project_name"]
        mine = [image for image in self.images if image.visible_to(project)]
        return sorted(mine, key=lambda image: (image.created, image.id), reverse=True)

    def project_id(self, user: str = "demo") -> str:
        return str(self.users[user]["project_id"])

    def driver_kwargs(self, user: str = "demo") -> dict[str, Any]:
        account = self.users[user]
        return {
            "key": account["username"],
            "secret": account["password"],
            "region": None,
            "ex_dialect": "openstack",
            "ex_force_auth_version": "3.x_password",
            "ex_force_auth_url": self.keystone_url,
            "ex_tenant_name": account["project_name"],
            "ex_domain_name": account["user_domain_name"],
        }

    def driver(self, user: str = "demo", **kwargs: Any) -> RackImgNodeDriver:
        return RackImgNodeDriver(**{**self.driver_kwargs(user), **kwargs})

    def token(self, user: str = "demo") -> str:
        """A fresh Keystone v3 token, scoped to the user's project."""
        account = self.users[user]
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": account["username"],
                            "domain": {"id": account["user_domain_id"]},
                            "password": account["password"],
                        }
                    },
                },
                "scope": {"project": {"name": account["project_name"], "domain": {"id": account["project_domain_id"]}}},
            }
        }
        response = requests.post(f"{self.keystone_url}/v3/auth/tokens", json=body, timeout=TIMEOUT)
        assert response.status_code == 201, response.text
        return response.headers["X-Subject-Token"]

    def revoke(self, token: str) -> None:
        """Revoke a token in Keystone (``DELETE /v3/auth/tokens``), authorised by the token itself."""
        response = requests.delete(
            f"{self.keystone_url}/v3/auth/tokens",
            headers={"X-Auth-Token": token, "X-Subject-Token": token},
            timeout=TIMEOUT,
        )
        assert response.status_code == 204, response.text

    def nova_get(self, path: str, token: str, **params: str) -> requests.Response:
        """A raw call to Nova's images proxy, bypassing the driver."""
        url = f"{self.nova_url}/{self.project_id()}{path}"
        return requests.get(url, params=params, headers={**NOVA_HEADERS, "X-Auth-Token": token}, timeout=TIMEOUT)

    def glance_create(self, token: str, name: str, **properties: Any) -> str:
        """Create an image without data in Glance (it stays ``queued``); returns its id."""
        body = {"name": name, "container_format": "bare", "disk_format": "raw", **properties}
        response = requests.post(
            f"{self.glance_url}/v2/images", json=body, headers={"X-Auth-Token": token}, timeout=TIMEOUT
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def glance_upload(self, token: str, image_id: str, data: bytes) -> None:
        """Upload ``data`` as the image's file (a queued image becomes ``active``)."""
        response = requests.put(
            f"{self.glance_url}/v2/images/{image_id}/file",
            data=data,
            headers={"X-Auth-Token": token, "Content-Type": "application/octet-stream"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 204, response.text

    def glance_delete(self, token: str, image_id: str) -> None:
        requests.delete(f"{self.glance_url}/v2/images/{image_id}", headers={"X-Auth-Token": token}, timeout=TIMEOUT)


def pytest_configure(config: pytest.Config) -> None:
    # libcloud's Keystone v3 code checks token expiry with utcnow() on every request.
    config.addinivalue_line("filterwarnings", "ignore:datetime.datetime.utcnow:DeprecationWarning:libcloud")


def _glance_time(text: str) -> datetime:
    """Glance's sqlite datetime (``2026-11-26 19:56:51.266577``) as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def stack() -> Stack:
    path = os.environ.get(STACK_JSON)
    if not path:
        raise RuntimeError(
            f"${STACK_JSON} is not set: run these tests with `tox -e integration`, or with "
            "`python tools/openstack/stack.py run --bulk 300 -- pytest tests/integration`"
        )
    if not Path(path).is_file():
        raise RuntimeError(f"${STACK_JSON} names {path}, which is not a file: is the stack up?")
    return Stack(Path(path))


@pytest.fixture(scope="session")
def driver(stack: Stack) -> RackImgNodeDriver:
    """One demo driver for the read-only tests (its token is reused across them)."""
    return stack.driver()


@pytest.fixture
def scratch_image(stack: Stack) -> Iterator[Callable[..., str]]:
    """Make demo images in Glance that a test may delete; whatever is left is removed afterwards."""
    token = stack.token()
    made: list[str] = []

    def make(name: str, **properties: Any) -> str:
        image_id = stack.glance_create(token, name, **properties)
        made.append(image_id)
        return image_id

    yield make
    for image_id in made:
        stack.glance_delete(token, image_id)


@pytest.fixture
def scratch(stack: Stack) -> Iterator[Callable[..., str]]:
    """Make demo images (``data=True``: with data, so active); each is unprotected and removed afterwards."""
    token = stack.token()
    made: list[str] = []

    def make(name: str, data: bool = False, **properties: Any) -> str:
        image_id = stack.glance_create(token, name, **properties)
        made.append(image_id)
        if data:
            stack.glance_upload(token, image_id, b"rackimg scratch image " * 64)
        return image_id

    yield make
    for image_id in made:
        requests.patch(
            f"{stack.glance_url}/v2/images/{image_id}",
            json=[{"op": "replace", "path": "/protected", "value": False}],
            headers={"X-Auth-Token": token, "Content-Type": "application/openstack-images-v2.1-json-patch"},
            timeout=TIMEOUT,
        )
        stack.glance_delete(token, image_id)
