"""An image inventory that knows no cloud: the config file names the driver.

    python inventory.py CONFIG [--section cloud]

builds the driver that the section names (``driver = dummy``, ``driver = rackimg``, or any
other libcloud compute driver or ``libcloud.compute.drivers`` plugin) with the section's
other keys as its arguments, and prints one line per image: id, name, and the state and
type where the driver reports them. Switching clouds is an edit to the config file, never
to this code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from libcloud.common.exceptions import BaseHTTPError
from libcloud.common.types import LibcloudError
from libcloud.compute.base import NodeImage

from rackimg_driver.plugins import driver_from_ini


def describe(image: NodeImage) -> str:
    """One line for an image: id, name, then state and type if its driver fills them in."""
    cells = [str(image.id), str(image.name)]
    for key in ("state", "image_type"):
        value = image.extra.get(key)
        if value is not None:
            cells.append(str(getattr(value, "value", value)))  # enums print as their API string
    return "  ".join(cells)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="List the images of the cloud a config file names.")
    parser.add_argument("config", help="an INI file")
    parser.add_argument("--section", default="cloud", help="the section naming the driver (default: cloud)")
    args = parser.parse_args(argv)
    try:
        driver = driver_from_ini(args.config, args.section)
        images = driver.list_images()
    except (ValueError, LibcloudError, BaseHTTPError, OSError) as error:
        print(f"inventory: {error}", file=sys.stderr)
        return 1
    print(f"# {len(images)} images from {driver.name}")
    for image in images:
        print(describe(image))
    return 0


if __name__ == "__main__":
    sys.exit(main())
