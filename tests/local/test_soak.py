"""Soak: 20,000 images through a server that fails 20% of requests at random, three times."""

from __future__ import annotations

import time

import pytest

from rackimg_driver import RackImgNodeDriver
from rackimg_driver.emulator import LocalCloud
from tests.conftest import FAST_RETRIES

IMAGES = 20_000
RUNS = 3


@pytest.fixture(scope="module")
def big_cloud():
    with LocalCloud("rackspace", seed=False) as cloud:
        cloud.store.add_images_bulk(IMAGES, owner=cloud.tenant_id, name_prefix="soak")
        yield cloud


@pytest.mark.parametrize("run", range(1, RUNS + 1))
def test_twenty_thousand_images_through_a_server_failing_one_request_in_five(big_cloud, run: int) -> None:
    expected = [i.id for i in big_cloud.store.list_images(big_cloud.tenant_id)]
    assert len(expected) == IMAGES
    faults = big_cloud.faults
    faults.clear()
    faults.configure(
        {
            "seed": run,
            "errors": {"statuses": [500, 502, 503, 504], "probability": 0.1},
            "rate_limit": {"status": 429, "retry_after": 0, "probability": 0.04},
            "drop": {"probability": 0.03},
            "bad_body": {"kind": "truncated", "probability": 0.03},
        }
    )
    driver = RackImgNodeDriver(**{**big_cloud.driver_kwargs, **FAST_RETRIES, "ex_max_retries": 8})
    started = time.monotonic()
    ids = [image.id for image in driver.ex_iterate_images()]
    injected = sum(faults.injected().values())
    faults.clear()
    print(f"soak run {run}: {len(ids)} images, {injected} faults injected, {time.monotonic() - started:.1f} s")
    assert injected >= 2
    assert len(ids) == len(set(ids)) == IMAGES
    assert ids == expected
