"""Fixtures: local clouds of each dialect and logged-in HTTP clients talking to them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from rackimg_driver.emulator import LocalCloud, local_cloud

TIMEOUT = 10


@dataclass
class Client:
    """A requests session with a token, and the compute endpoint from the catalog."""

    session: requests.Session
    compute: str
    token: str

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.compute + path, timeout=TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.compute + path, timeout=TIMEOUT, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.compute + path, timeout=TIMEOUT, **kwargs)

    def ids(self, **params: Any) -> list[str]:
        """Ids of one ``GET /images/detail`` page, asserting it succeeded."""
        response = self.get("/images/detail", params=params)
        assert response.status_code == 200, response.text
        return [image["id"] for image in response.json()["images"]]


def login_rackspace(cloud: LocalCloud, session: requests.Session | None = None) -> Client:
    session = session or requests.Session()
    body = {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": cloud.username, "apiKey": cloud.api_key}}}
    response = session.post(cloud.url + "/v2.0/tokens", json=body, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    access = response.json()["access"]
    compute = next(s for s in access["serviceCatalog"] if s["name"] == "cloudServersOpenStack")
    dfw = next(e for e in compute["endpoints"] if e["region"] == "DFW")
    session.headers["X-Auth-Token"] = access["token"]["id"]
    return Client(session, dfw["publicURL"], access["token"]["id"])


def v3_body(cloud: LocalCloud, password: str | None = None, project: str | None = None) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": cloud.username,
                        "domain": {"name": "Default"},
                        "password": cloud.password if password is None else password,
                    }
                },
            },
            "scope": {"project": {"name": project or cloud.project_name, "domain": {"id": "default"}}},
        }
    }


def login_openstack(cloud: LocalCloud) -> Client:
    session = requests.Session()
    response = session.post(cloud.url + "/v3/auth/tokens", json=v3_body(cloud), timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    token = response.headers["X-Subject-Token"]
    compute = next(s for s in response.json()["token"]["catalog"] if s["type"] == "compute")
    session.headers["X-Auth-Token"] = token
    return Client(session, compute["endpoints"][0]["url"], token)


def login_glance(cloud: LocalCloud) -> Client:
    """A client of the catalog's ``image`` endpoint (paths then start with ``/v2/images``)."""
    session = requests.Session()
    response = session.post(cloud.url + "/v3/auth/tokens", json=v3_body(cloud), timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    token = response.headers["X-Subject-Token"]
    image = next(s for s in response.json()["token"]["catalog"] if s["type"] == "image")
    session.headers["X-Auth-Token"] = token
    return Client(session, image["endpoints"][0]["url"], token)


@pytest.fixture
def rackspace_cloud() -> Iterator[LocalCloud]:
    with local_cloud("rackspace", saving_seconds=0.6) as cloud:
        yield cloud


@pytest.fixture
def openstack_cloud() -> Iterator[LocalCloud]:
    with local_cloud("openstack", saving_seconds=0.6) as cloud:
        yield cloud


@pytest.fixture
def rs(rackspace_cloud: LocalCloud) -> Client:
    return login_rackspace(rackspace_cloud)


@pytest.fixture
def osc(openstack_cloud: LocalCloud) -> Client:
    return login_openstack(openstack_cloud)


@pytest.fixture
def glance_cloud() -> Iterator[LocalCloud]:
    with local_cloud("glance", saving_seconds=0.6) as cloud:
        yield cloud


@pytest.fixture
def gl(glance_cloud: LocalCloud) -> Client:
    return login_glance(glance_cloud)
