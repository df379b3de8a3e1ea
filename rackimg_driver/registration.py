"""Make ``libcloud.compute.providers.get_driver("rackimg")`` return our driver."""

from __future__ import annotations

from typing import Any, cast

from libcloud.compute.providers import DRIVERS, set_driver

__all__ = ["PROVIDER_NAME", "register", "registered_drivers"]

#: The name under which the driver is known to libcloud and to stevedore.
PROVIDER_NAME = "rackimg"

_MODULE = "rackimg_driver.driver"
_CLASS = "RackImgNodeDriver"


def registered_drivers() -> dict[str, tuple[str, str]]:
    """libcloud's compute providers by lowercase name: (module, class).

    Its keys are ``Provider`` constants, which hash unlike plain strings on some
    libcloud versions (3.6), so names are compared by value, not by dict lookup.
    """
    drivers = cast(dict[Any, tuple[str, str]], DRIVERS)
    return {str(getattr(key, "value", key)).lower(): target for key, target in drivers.items()}


def register() -> None:
    """Register the driver with libcloud's ``get_driver``; calling it again is harmless.

    :raises ValueError: when another driver already holds the name ``rackimg``.
    """
    current = registered_drivers().get(PROVIDER_NAME)
    if current == (_MODULE, _CLASS):
        return
    if current is not None:
        raise ValueError(f"libcloud provider {PROVIDER_NAME!r} is already registered to {current[0]}.{current[1]}")
    # libcloud's annotations say module and class objects; it takes their names.
    set_driver(PROVIDER_NAME, _MODULE, _CLASS)  # type: ignore[arg-type]
