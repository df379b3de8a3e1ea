"""Private: polling an image until it reaches a state (``RackImgNodeDriver.ex_wait_for_image``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.base import NodeImage

from rackimg_driver.errors import ImageWaitError, ImageWaitTimeout
from rackimg_driver.types import ImageState

__all__ = ["poll_image"]

_FINAL_STATES = (ImageState.ERROR, ImageState.DELETED)


def poll_image(
    get_image: Callable[[str], NodeImage],
    image_id: str,
    wanted: ImageState,
    limit: float,
    pause: float,
    callback: Callable[[int], Any] | None,
) -> NodeImage:
    """Get the image every ``pause`` seconds until it is ``wanted``, for at most ``limit`` seconds."""
    deadline = time.monotonic() + limit
    last: NodeImage | None = None
    last_progress: int | None = None
    while True:
        try:
            current = get_image(image_id)
        except BaseHTTPError as error:
            if error.code != 404:
                raise
            if wanted == ImageState.DELETED and last is not None:
                last.extra["state"] = ImageState.DELETED
                return last
            raise ImageWaitError(
                f"image {image_id} disappeared (404) while waiting for {wanted.value}", image_id, None, last
            ) from None
        last = current
        seen = current.extra["state"]
        progress = current.extra["progress"]
        if callback is not None and progress is not None and progress != last_progress:
            callback(progress)
            last_progress = progress
        if seen == wanted:
            return current
        if seen in _FINAL_STATES:
            raise ImageWaitError(
                f"image {image_id} is {seen.value} while waiting for {wanted.value}", image_id, seen, current
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            message = f"image {image_id} still {seen.value} (progress {progress}) after {limit:g} s"
            raise ImageWaitTimeout(f"{message} waiting for {wanted.value}", image_id, seen, current)
        time.sleep(min(pause, remaining))
