"""Make ``libcloud.compute.providers.get_driver("rackimg")`` return our driver."""

from __future__ import annotations

from typing import cast

from libcloud.compute.providers import DRIVERS, set_driver

__all__ = ["PROVIDER_NAME", "register"]

#: The name under which the driver is known to libcloud and to stevedore.
PROVIDER_NAME = "rackimg"

_MODULE = "rackimg_driver.driver"
_CLASS = "RackImgNodeDriver"


def register() -> None:
    """Register the driver with libcloud's ``get_driver``; calling it again is harmless.

    :raises ValueError: when another driver already holds the name ``rackimg``.
    """
    current = cast(dict[str, tuple[str, str]], DRIVERS).get(PROVIDER_NAME)
    if current == (_MODULE, _CLASS):
        return
    if current is not None:
        raise ValueError(f"libcloud provider {PROVIDER_NAME!r} is already registered to {current[0]}.{current[1]}")
    # libcloud's annotations say module and class objects; it takes their names.
    set_driver(PROVIDER_NAME, _MODULE, _CLASS)  # type: ignore[arg-type]
