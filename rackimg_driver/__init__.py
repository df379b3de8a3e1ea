"""rackimg-driver: a libcloud compute driver for the Rackspace Cloud Servers v2 /
OpenStack Nova images API."""

from __future__ import annotations

from rackimg_driver.driver import RACKSPACE_REGIONS, RackImgNodeDriver
from rackimg_driver.errors import ImageWaitError, ImageWaitTimeout, InvalidResponseError, PagingError, TransportError
from rackimg_driver.filters import FILTER_KEYS
from rackimg_driver.mapping import EXTRA_KEYS
from rackimg_driver.registration import PROVIDER_NAME, register
from rackimg_driver.types import Dialect, ImageState, ImageType

__all__ = [
    "EXTRA_KEYS",
    "FILTER_KEYS",
    "PROVIDER_NAME",
    "RACKSPACE_REGIONS",
    "Dialect",
    "ImageState",
    "ImageType",
    "ImageWaitError",
    "ImageWaitTimeout",
    "InvalidResponseError",
    "PagingError",
    "RackImgNodeDriver",
    "TransportError",
    "register",
]

__version__ = "0.1.0"
