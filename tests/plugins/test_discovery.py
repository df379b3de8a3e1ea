"""Discovery: the stevedore entry point and registration with libcloud's get_driver."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from libcloud.compute.providers import DRIVERS, get_driver
from stevedore.driver import DriverManager

import rackimg_driver
from rackimg_driver import RackImgNodeDriver, plugins, register

NAMESPACE = "libcloud.compute.drivers"


def test_the_entry_point_is_declared() -> None:
    found = [ep for ep in entry_points(group=NAMESPACE) if ep.name == "rackimg"]
    assert len(found) == 1
    assert found[0].value == "rackimg_driver.driver:RackImgNodeDriver"


def test_stevedore_loads_the_driver_class() -> None:
    assert DriverManager(NAMESPACE, "rackimg").driver is RackImgNodeDriver


def test_register_makes_get_driver_find_it_and_is_idempotent() -> None:
    register()
    register()
    assert get_driver("rackimg") is RackImgNodeDriver
    assert get_driver(rackimg_driver.PROVIDER_NAME) is RackImgNodeDriver


def test_register_refuses_to_replace_another_driver() -> None:
    saved = DRIVERS.pop("rackimg", None)
    DRIVERS["rackimg"] = ("libcloud.compute.drivers.dummy", "DummyNodeDriver")
    try:
        with pytest.raises(ValueError, match=r"already registered to libcloud\.compute\.drivers\.dummy"):
            register()
    finally:
        DRIVERS.pop("rackimg")
        if saved is not None:
            DRIVERS["rackimg"] = saved


def test_the_package_names_register_and_provider_name_of_plugins() -> None:
    assert register is plugins.register
    assert rackimg_driver.PROVIDER_NAME == plugins.PROVIDER_NAME == "rackimg"


def test_public_names() -> None:
    for name in rackimg_driver.__all__:
        assert getattr(rackimg_driver, name) is not None
