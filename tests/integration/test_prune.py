"""Snapshot retention on real Glance and Nova: a plan and an apply; a protected snapshot and an
excluded one survive (Nova's view cannot show ``protected``: its delete is refused and skipped)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from libcloud.common.exceptions import BaseHTTPError

from rackimg_driver import RackImgNodeDriver

from .conftest import TIMEOUT, Stack


@pytest.fixture
def nightlies(stack: Stack) -> Iterator[tuple[str, dict[str, str]]]:
    """Four ACTIVE snapshots (1 KB of data each) of a server of their own, a second apart, oldest
    first: ``plain``, ``protected``, ``retained`` (``retain=true``), ``newest``."""
    token = stack.token()
    server = str(uuid.uuid4())
    made: dict[str, str] = {}
    try:
        for key in ("plain", "protected", "retained", "newest"):
            properties = {"image_type": "snapshot", "instance_uuid": server}
            if key == "retained":
                properties["retain"] = "true"
            image_id = stack.glance_create(token, f"rackimg-prune-{key}", protected=key == "protected", **properties)
            made[key] = image_id
            stack.glance_upload(token, image_id, b"x" * 1024)
            time.sleep(1.1)  # Nova shows created in whole seconds
        yield server, made
    finally:
        if "protected" in made:
            unprotect = requests.patch(
                f"{stack.glance_url}/v2/images/{made['protected']}",
                json=[{"op": "replace", "path": "/protected", "value": False}],
                headers={"X-Auth-Token": token, "Content-Type": "application/openstack-images-v2.1-json-patch"},
                timeout=TIMEOUT,
            )
            assert unprotect.status_code == 200, unprotect.text
        for image_id in made.values():
            stack.glance_delete(token, image_id)


def glance_status(stack: Stack, image_id: str) -> int:
    token = stack.token()
    return requests.get(
        f"{stack.glance_url}/v2/images/{image_id}", headers={"X-Auth-Token": token}, timeout=TIMEOUT
    ).status_code


def test_prune_plans_and_applies_on_real_nova(stack: Stack, nightlies: tuple[str, dict[str, str]]) -> None:
    server, made = nightlies
    driver = stack.driver()

    plan = driver.ex_plan_prune(keep=1, ex_filters={"server": server}, exclude_metadata={"retain": "true"})

    got = {decision.image.id: (decision.action, decision.reason) for decision in plan}
    assert got == {
        made["newest"]: ("keep", f"newest 1 of server {server}"),  # no such server in Nova: its id
        made["retained"]: ("keep", "metadata retain=true"),
        made["protected"]: ("delete", f"not among the newest 1 of server {server}"),  # Nova cannot show it
        made["plain"]: ("delete", f"not among the newest 1 of server {server}"),
    }
    assert [decision.image.id for decision in plan] == [made[k] for k in ("newest", "retained", "protected", "plain")]

    results = {result.image.id: result for result in driver.ex_apply_prune(plan)}

    assert results[made["plain"]].result == "deleted"
    refused = results[made["protected"]]
    assert (refused.result, refused.reason) == ("skipped", "protected, or not yours")
    assert isinstance(refused.error, BaseHTTPError) and refused.error.code == 403
    assert results[made["retained"]].result == results[made["newest"]].result == "skipped"
    assert glance_status(stack, made["plain"]) == 404
    for key in ("protected", "retained", "newest"):
        assert glance_status(stack, made[key]) == 200, key
    again = driver.ex_plan_prune(keep=1, ex_filters={"server": server}, exclude_metadata={"retain": "true"})
    assert {decision.image.id for decision in again} == {made[k] for k in ("newest", "retained", "protected")}


def test_prune_plans_the_same_on_real_glance(stack: Stack, nightlies: tuple[str, dict[str, str]]) -> None:
    server, made = nightlies
    glance = RackImgNodeDriver(**{**stack.driver_kwargs(), "ex_dialect": "glance"})
    servers = stack.driver().list_nodes()

    plan = glance.ex_plan_prune(
        keep=1, ex_filters={"server": server}, exclude_metadata={"retain": "true"}, ex_nodes=servers
    )

    got = {decision.image.id: (decision.action, decision.reason) for decision in plan}
    assert got[made["newest"]] == ("keep", f"newest 1 of server {server}")
    assert got[made["retained"]] == ("keep", "metadata retain=true")
    assert got[made["plain"]] == ("delete", f"not among the newest 1 of server {server}")
    assert set(got) == set(made.values())
