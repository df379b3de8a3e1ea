"""rackimg-driver: a libcloud compute driver for the Rackspace Cloud Servers v2 /
OpenStack Nova images API.

The public names are loaded on first use (PEP 562), so ``import rackimg_driver`` and
``rackimg --help`` cost nearly nothing; ``from rackimg_driver import RackImgNodeDriver``
loads the driver and libcloud as usual.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers: the names of _PUBLIC, loaded on first use at run time
    from rackimg_driver._json import json_parser
    from rackimg_driver.dialects import RACKSPACE_REGIONS, ImageDialect
    from rackimg_driver.driver import RackImgNodeDriver
    from rackimg_driver.errors import (
        ImageWaitError,
        ImageWaitTimeout,
        InvalidResponseError,
        PagingError,
        RedirectRefusedError,
        TransportError,
    )
    from rackimg_driver.filters import FILTER_KEYS
    from rackimg_driver.mapping import EXTRA_KEYS
    from rackimg_driver.plugins import PROVIDER_NAME, register
    from rackimg_driver.retention import PruneDecision, PruneResult
    from rackimg_driver.types import Dialect, ImageState, ImageType


__version__ = "0.1.0"

# Each public name, and the module that defines it.
_PUBLIC = {
    "EXTRA_KEYS": "rackimg_driver.mapping",
    "FILTER_KEYS": "rackimg_driver.filters",
    "PROVIDER_NAME": "rackimg_driver.plugins",
    "RACKSPACE_REGIONS": "rackimg_driver.dialects",
    "Dialect": "rackimg_driver.types",
    "ImageDialect": "rackimg_driver.dialects",
    "ImageState": "rackimg_driver.types",
    "ImageType": "rackimg_driver.types",
    "ImageWaitError": "rackimg_driver.errors",
    "ImageWaitTimeout": "rackimg_driver.errors",
    "InvalidResponseError": "rackimg_driver.errors",
    "PagingError": "rackimg_driver.errors",
    "PruneDecision": "rackimg_driver.retention",
    "PruneResult": "rackimg_driver.retention",
    "RackImgNodeDriver": "rackimg_driver.driver",
    "RedirectRefusedError": "rackimg_driver.errors",
    "TransportError": "rackimg_driver.errors",
    "register": "rackimg_driver.plugins",
    "json_parser": "rackimg_driver._json",
}

__all__ = sorted(_PUBLIC)  # the one list of public names is _PUBLIC


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'rackimg_driver' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
