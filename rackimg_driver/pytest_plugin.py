"""pytest plugin (entry point ``pytest11``): the local cloud as fixtures for host applications.

In a test of your own, with rackimg-driver installed and nothing else to set up::

    def test_my_inventory(rackimg_driver):
        images = rackimg_driver.list_images(ex_filters={"type": "SNAPSHOT"})
        ...

``rackimg_cloud`` is the running local cloud (its ``store``, ``faults`` and
``driver_kwargs``), fresh and seeded for every test. Override the
``rackimg_cloud_options`` fixture to change how it is made, e.g.
``{"dialect": "openstack", "saving_seconds": 0.5}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rackimg_driver.driver import RackImgNodeDriver
    from rackimg_driver.emulator import LocalCloud


@pytest.fixture
def rackimg_cloud_options() -> dict[str, Any]:
    """Keyword arguments for :class:`rackimg_driver.emulator.LocalCloud`; override to change them."""
    return {}


@pytest.fixture
def rackimg_cloud(rackimg_cloud_options: dict[str, Any]) -> Iterator[LocalCloud]:
    """A local cloud on 127.0.0.1 with the demo images, in memory, for one test."""
    from rackimg_driver.emulator import LocalCloud

    options = dict(rackimg_cloud_options)
    dialect = options.pop("dialect", "rackspace")
    with LocalCloud(dialect, **options) as cloud:
        yield cloud


@pytest.fixture
def rackimg_driver(rackimg_cloud: LocalCloud) -> RackImgNodeDriver:
    """A RackImgNodeDriver logged in to :func:`rackimg_cloud`."""
    from rackimg_driver.driver import RackImgNodeDriver

    return RackImgNodeDriver(**rackimg_cloud.driver_kwargs)
