"""Private module: what every ``rackimg`` command that talks to a cloud shares.

- :class:`CommandError`: a failure to report as one line, with its exit code;
- :func:`open_driver`: the driver the settings describe (options, environment, files), or one
  pointed at the local cloud;
- :func:`image_id` and :func:`server_id`: an id, or the id of the one image (server) with that
  name; an ambiguous name is a usage error listing the candidates;
- :func:`list_rows`: a listing's rows printed as the output options say, as pages arrive.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver._output import OutputPlan, emit_rows
from rackimg_driver._stream import batches
from rackimg_driver.configuration import SETTINGS, resolve

if TYPE_CHECKING:
    from rackimg_driver.driver import RackImgNodeDriver

__all__ = [
    "CommandError",
    "data_dir",
    "image_id",
    "list_rows",
    "named_image",
    "no_such_image",
    "open_driver",
    "server_id",
]

#: Settings that are credentials or say where to log in: the local cloud has its own.
_ACCOUNT = (
    "user",
    "api_key",
    "password",
    "auth_url",
    "auth_version",
    "tenant",
    "domain",
    "token",
    "base_url",
    "region",
)


class CommandError(Exception):
    """A failure to report as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def data_dir() -> Path:
    """Where the local cloud of ``--cloud local`` keeps its state."""
    if os.environ.get("RACKIMG_DATA_DIR"):
        return Path(os.environ["RACKIMG_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rackimg"


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        key: value for key, value in vars(args).items() if key in SETTINGS or key in ("profile", "config", "os_cloud")
    }


def _local_credentials(cloud: Any, given: Mapping[str, str], sources: Mapping[str, str], err: TextIO) -> None:
    """``--cloud local`` logs in with the local cloud's own account: credentials given as well
    are checked against it (a wrong one is refused, exit 3), the rest said to be unused, once."""
    account = {"user": cloud.username, "api_key": cloud.api_key, "password": cloud.password}
    wrong = [name for name in ("user", "api_key", "password") if name in given and given[name] != account[name]]
    if wrong:
        names = ", ".join(sources[name] for name in wrong)
        raise CommandError(
            f"--cloud local: the {names} given is not the local cloud's; leave it out (the local cloud logs in"
            " by itself), or see `rackimg emulator` for its account",
            3,
        )
    unused = [sources[name] for name in _ACCOUNT if name in given and name not in ("user", "api_key", "password")]
    if unused:
        err.write(f"rackimg: warning: --cloud local logs in by itself: ignored {', '.join(unused)}\n")
        err.flush()


@contextlib.contextmanager
def open_driver(args: argparse.Namespace, err: TextIO | None = None) -> Iterator[RackImgNodeDriver]:
    """The driver the settings describe (options, then the environment, then files)."""
    from libcloud.common.types import LibcloudError

    from rackimg_driver.driver import RackImgNodeDriver

    settings = resolve(_options(args))
    if settings.cloud == "local":
        from rackimg_driver.emulator import LocalCloud

        transport = settings.transport_arguments()
        data = data_dir()
        data.mkdir(parents=True, exist_ok=True)
        with LocalCloud(settings.dialect or "rackspace", str(data / "local-cloud.sqlite")) as cloud:
            _local_credentials(cloud, settings.values, settings.sources, err or sys.stderr)
            yield RackImgNodeDriver(**cloud.driver_kwargs, **transport)
        return
    driver = RackImgNodeDriver(**settings.driver_arguments())
    try:
        yield driver
    except LibcloudError as error:
        if "Could not find specified endpoint" not in str(error):
            raise
        raise CommandError(
            _no_region(driver, settings.values.get("region"), settings.sources.get("region")), 2
        ) from None


def _no_region(driver: RackImgNodeDriver, region: str | None, source: str | None) -> str:
    """The region that the catalog has no endpoint in, and the regions it has."""
    catalog = getattr(getattr(driver.connection, "_shared", None), "catalog", None)
    service = driver.connection.service_type
    offered = catalog.get_regions(service_type=service) if catalog is not None else []
    regions = ", ".join(offered) or "none"
    if region is None:
        return (
            f"the catalog has no {service} endpoint without a region: give --region (OS_REGION_NAME), one of {regions}"
        )
    return f"{source or '--region'} {region!r} is not in the catalog: its {service} regions are {regions}"


def no_such_image(reference: str, detail: str) -> str:
    return f"no such image {reference}: {detail}"


def _one_of(kind: str, reference: str, ids: list[str]) -> str:
    if len(ids) > 1:
        raise CommandError(f"{kind} name {reference!r} is ambiguous: {len(ids)} {kind}s have it: {', '.join(ids)}", 2)
    return ids[0]


def image_id(driver: RackImgNodeDriver, reference: str) -> str:
    """The id of the image ``reference`` names: its id, else the name only one image has.

    :raises CommandError: exit 4 for neither, exit 2 for a name that several images have,
        listing their ids.
    """
    from libcloud.common.exceptions import BaseHTTPError

    try:
        return str(driver.get_image(reference).id)
    except BaseHTTPError as error:
        if error.code != 404:
            raise
        return named_image(driver, reference, str(error.message))


def named_image(driver: RackImgNodeDriver, reference: str, detail: str) -> str:
    """The id of the one image named ``reference``, which is no image's id (the server said
    ``detail``).

    :raises CommandError: exit 4 for no image of that name, exit 2 for several.
    """
    named = [str(image.id) for image in driver.ex_iterate_images({"name": reference}, ex_detailed=False)]
    if not named:
        raise CommandError(no_such_image(reference, detail), 4)
    return _one_of("image", reference, named)


def server_id(driver: RackImgNodeDriver, reference: str) -> str:
    """The id of the server ``reference`` names: its id, else the name only one server has;
    anything else as it is (the cloud then says there is no such server)."""
    servers = driver.list_nodes()
    if any(node.id == reference for node in servers):
        return reference
    named = [str(node.id) for node in servers if node.name == reference]
    return _one_of("server", reference, named) if named else reference


def list_rows(rows: Iterable[Mapping[str, Any]], plan: OutputPlan, out: TextIO) -> int:
    """Print a listing's rows as ``plan`` says, a batch at a time as they arrive; returns 0."""
    emit_rows(rows, plan, out, batches)
    return 0
