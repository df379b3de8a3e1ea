"""The images a listing yields: NodeImages whose ``extra`` is built the first time it is read,
then an ordinary dict (docs/performance.rst, "Why extra is built when first read")."""

from __future__ import annotations

import copy
import json
import pickle
import threading
from typing import Any

from libcloud.compute.base import NodeImage

from rackimg_driver import EXTRA_KEYS, ImageState
from tests.conftest import TENANT, image, in_threads, page
from tests.driver.test_glance import IMAGES, glance_image
from tests.fixedserver import Answer, FixedServer

DETAIL = f"/v2/{TENANT}/images/detail"


def listed(driver, server: FixedServer, count: int = 3, **fields: Any) -> list[NodeImage]:
    server.route("GET", DETAIL, Answer(200, page([image(f"img-{i}", **fields) for i in range(count)])))
    return driver.list_images()


def test_a_listed_image_is_a_node_image_with_node_images_attributes(driver, server) -> None:
    (got,) = listed(driver, server, count=1)
    plain = NodeImage("img-0", "image img-0", driver, {})
    assert isinstance(got, NodeImage)
    assert "extra" not in vars(got)  # not built yet
    assert set(got.extra) == set(EXTRA_KEYS)
    # Once read, the image holds what libcloud's own NodeImage holds, and nothing more.
    assert set(vars(got)) == set(vars(plain))
    assert got.get_uuid() == plain.get_uuid()
    assert repr(got) == repr(plain)


def test_extra_is_built_once_and_then_is_the_callers_dict(driver, server) -> None:
    (got,) = listed(driver, server, count=1, status="SAVING", progress=40)
    extra = got.extra
    assert extra["state"] is ImageState.SAVING and extra["progress"] == 40
    assert got.extra is extra
    extra["note"] = "mine"
    assert got.extra["note"] == "mine"
    got.extra = {"replaced": True}
    assert got.extra == {"replaced": True}


def test_threads_reading_extra_at_once_get_the_same_dict(driver, server) -> None:
    images = listed(driver, server, count=400)
    seen: list[list[int]] = [[] for _ in range(8)]
    barrier = threading.Barrier(8)

    def read(n: int) -> None:
        barrier.wait()
        seen[n] = [id(one.extra) for one in images]

    in_threads(read, 8, timeout=30)
    assert all(ids == [id(one.extra) for one in images] for ids in seen)


def test_a_listed_image_copies_pickles_and_serialises_like_a_node_image(driver, server) -> None:
    first, second = listed(driver, server, count=2, status="ERROR")
    assert first.extra["state"] is ImageState.ERROR  # the first built, the second not yet
    for one in (first, second):
        assert copy.copy(one).extra == one.extra
        # A driver does not pickle (nor does it for libcloud's own images): without one, they do.
        one.driver = None
        for twin in (copy.deepcopy(one), pickle.loads(pickle.dumps(one, protocol=5))):
            assert (twin.id, twin.name) == (one.id, one.name)
            assert twin.extra == one.extra and twin.extra["state"] is ImageState.ERROR
    assert json.loads(json.dumps(first.extra, default=str))["status"] == "ERROR"


def test_an_image_fetched_alone_builds_its_extra_when_read(driver, server) -> None:
    server.route("GET", f"/v2/{TENANT}/images/one", Answer(200, {"image": image("one", minDisk="20")}))
    got = driver.get_image("one")
    assert "extra" not in vars(got)
    assert got.extra["minDisk"] == 20


def test_a_glance_image_builds_the_same_keys_when_read(make_driver, server) -> None:
    glance = make_driver("glance")
    server.route("GET", IMAGES, Answer(200, {"images": [glance_image("g1", status="queued")]}))
    (got,) = glance.list_images()
    assert "extra" not in vars(got)
    assert set(got.extra) == set(EXTRA_KEYS)
    assert got.extra["glance_status"] == "queued" and got.extra["state"] is ImageState.SAVING
