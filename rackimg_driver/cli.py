"""The ``rackimg`` command: tend an image inventory from a shell.

Settings (options, ``RACKIMG_*`` variables, profiles) become driver arguments in
:mod:`rackimg_driver.configuration`, which the ``plugins.driver_from_*`` functions share. Imports
of libcloud, the driver and the local cloud stay inside the commands, so ``rackimg --help``
loads none of them (the package's ``__init__`` loads its names lazily; the configuration module
needs only the standard library until a driver is made).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver.configuration import CLOUDS, MissingCredentialsError, default_config_path, resolve

if TYPE_CHECKING:
    from libcloud.compute.base import Node, NodeImage

    from rackimg_driver.driver import RackImgNodeDriver

__all__ = ["EXIT_CODES", "build_parser", "main"]

#: Exit codes, documented in the docs' command-line page.
EXIT_CODES = {
    0: "success",
    1: "the cloud answered with an error, or something else went wrong",
    2: "bad usage or a bad argument (nothing was sent)",
    3: "missing or refused credentials",
    4: "no such image or server (404), also an image to wait for that was never there",
    5: "rate limited (413/429); try again later",
    6: "the image waited for turned ERROR or DELETED, or disappeared while waited for",
    7: "the wait timed out",
    130: "interrupted (Ctrl-C)",
}

STATES = ("ACTIVE", "SAVING", "DELETED", "ERROR", "UNKNOWN")
TYPES = ("BASE", "SNAPSHOT")


class CommandError(Exception):
    """A failure to report as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _data_dir() -> Path:
    if os.environ.get("RACKIMG_DATA_DIR"):
        return Path(os.environ["RACKIMG_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rackimg"


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; the docs' command-line page is generated from it."""
    parser = argparse.ArgumentParser(
        prog="rackimg",
        description="List, show, snapshot, wait for and delete images on Rackspace Cloud Servers, "
        "OpenStack Nova, or the embedded local cloud.",
        epilog="Settings come from options, then RACKIMG_* environment variables, then the profile "
        "(--profile) in the config file. Exit codes: "
        + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()),
    )
    account = parser.add_argument_group("cloud and credentials")
    account.add_argument("--cloud", choices=CLOUDS, help="which cloud: rackspace (default), openstack, or local")
    account.add_argument("--profile", help="a section of the config file to take settings from ($RACKIMG_PROFILE)")
    account.add_argument("--config", help=f"the config file ($RACKIMG_CONFIG; default {default_config_path()})")
    account.add_argument("--user", help="user name, or application credential id ($RACKIMG_USER)")
    account.add_argument("--api-key", dest="api_key", help="Rackspace API key ($RACKIMG_API_KEY)")
    account.add_argument("--password", help="password or application credential secret ($RACKIMG_PASSWORD)")
    account.add_argument("--region", help="region: dfw ord iad lon syd hkg on Rackspace ($RACKIMG_REGION)")
    account.add_argument("--auth-url", dest="auth_url", help="identity URL ($RACKIMG_AUTH_URL)")
    account.add_argument(
        "--auth-version",
        dest="auth_version",
        help="2.0_apikey, 2.0_password, 3.x_password or 3.x_appcred ($RACKIMG_AUTH_VERSION)",
    )
    account.add_argument("--tenant", help="project (tenant) name ($RACKIMG_TENANT)")
    account.add_argument("--domain", help="identity domain name ($RACKIMG_DOMAIN)")
    account.add_argument("--token", help="a fixed token, with --base-url ($RACKIMG_TOKEN)")
    account.add_argument("--base-url", dest="base_url", help="the compute endpoint ($RACKIMG_BASE_URL)")
    transport = parser.add_argument_group("retries and timeouts")
    transport.add_argument(
        "--retries",
        help="retries after a failed try (rate limits, 5xx, lost connections); 0 = none (default 4) ($RACKIMG_RETRIES)",
    )
    transport.add_argument(
        "--http-timeout",
        dest="http_timeout",
        help="seconds to wait for a connection and for each answer (default 10 and 60) ($RACKIMG_HTTP_TIMEOUT)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    images = commands.add_parser("images", help="list, show, delete, wait for and snapshot images")
    image_commands = images.add_subparsers(dest="images_command", metavar="ACTION", required=True)

    listing = image_commands.add_parser("list", help="list images (every page) with server-side filters")
    listing.add_argument("--server", help="only images made from this server (id or URL)")
    listing.add_argument("--name", help="only images with exactly this name")
    listing.add_argument("--status", type=str.upper, choices=STATES, help="only images in this state")
    listing.add_argument("--changes-since", dest="changes_since", help="only images changed since (ISO 8601)")
    listing.add_argument("--marker", help="start after this image id")
    listing.add_argument("--limit", type=int, help="at most this many images")
    listing.add_argument("--type", type=str.upper, choices=TYPES, help="only BASE or SNAPSHOT images")
    listing.add_argument("--min-disk", dest="min_disk", type=int, help="only images needing at least this disk (GB)")
    listing.add_argument("--min-ram", dest="min_ram", type=int, help="only images needing at least this RAM (MB)")
    listing.add_argument("--page-size", dest="page_size", type=int, help="images per request")
    detail = listing.add_mutually_exclusive_group()
    detail.add_argument("--detail", dest="detailed", action="store_true", default=True, help="full images (default)")
    detail.add_argument("--brief", dest="detailed", action="store_false", help="id and name only")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    show = image_commands.add_parser("show", help="show one image")
    show.add_argument("image_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON")

    delete = image_commands.add_parser("delete", help="delete images (asks first)")
    delete.add_argument("image_ids", metavar="ID", nargs="+")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask")

    wait = image_commands.add_parser("wait", help="wait until an image reaches a state")
    wait.add_argument("image_id", metavar="ID")
    wait.add_argument("--state", type=str.upper, choices=STATES, default="ACTIVE", help="default ACTIVE")
    wait.add_argument("--timeout", type=float, default=600.0, help="seconds (default 600)")
    wait.add_argument("--interval", type=float, default=2.0, help="seconds between polls (default 2)")

    snapshot = image_commands.add_parser("snapshot", help="make an image of a server")
    snapshot.add_argument("server", metavar="SERVER", help="server id")
    snapshot.add_argument("--name", required=True, help="the new image's name")
    snapshot.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE", help="repeatable")
    snapshot.add_argument("--wait", action="store_true", help="wait until it is ACTIVE")
    snapshot.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (default 600)")
    snapshot.add_argument("--interval", type=float, default=2.0, help="seconds between polls (default 2)")

    servers = commands.add_parser("servers", help="list the servers (to name one to snapshot)")
    servers.add_argument("--json", action="store_true", help="print JSON")

    commands.add_parser("drivers", help="the drivers in the libcloud.compute.drivers namespace")

    emulator = commands.add_parser("emulator", help="run the local cloud in the foreground")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8774)
    emulator.add_argument("--state", help="sqlite file to keep state in (default: in memory)")
    emulator.add_argument("--dialect", choices=("rackspace", "openstack", "glance"), default="rackspace")
    return parser


@contextlib.contextmanager
def _driver(args: argparse.Namespace) -> Iterator[RackImgNodeDriver]:
    """The driver the settings describe (options, then RACKIMG_* variables, then the profile)."""
    from rackimg_driver.driver import RackImgNodeDriver

    settings = resolve(vars(args))
    if settings.cloud == "local":
        from rackimg_driver.emulator import LocalCloud

        transport = settings.transport_arguments()
        data = _data_dir()
        data.mkdir(parents=True, exist_ok=True)
        with LocalCloud("rackspace", str(data / "local-cloud.sqlite")) as cloud:
            yield RackImgNodeDriver(**cloud.driver_kwargs, **transport)
        return
    yield RackImgNodeDriver(**settings.driver_arguments())


# -- output ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as JSON can hold it, whatever the server sent: enums by their value, lone
    surrogates escaped (they have no UTF-8), infinities and NaN as null (not JSON)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        if isinstance(value, dict):
            return {_plain(str(key)): _plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [_plain(item) for item in value]
    except RecursionError:
        return "(nested too deep to show)"
    return value


def image_record(image: NodeImage) -> dict[str, Any]:
    """An image as plain JSON-ready data: id, name and every extra key."""
    record: dict[str, Any] = {"id": _plain(image.id), "name": _plain(image.name)}
    record.update({key: _plain(value) for key, value in image.extra.items()})
    return record


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(_plain(value))


def _table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


def _print_images(images: list[NodeImage], detailed: bool, as_json: bool, out: TextIO) -> None:
    if as_json:
        json.dump([image_record(i) for i in images], out, indent=2, default=str)
        out.write("\n")
        return
    if detailed:
        rows = [["ID", "NAME", "STATE", "TYPE", "PROGRESS", "SERVER", "UPDATED"]]
        for image in images:
            extra = image.extra
            progress = extra.get("progress")
            rows.append(
                [
                    image.id,
                    _cell(image.name),
                    _cell(extra.get("state")),
                    _cell(extra.get("image_type")),
                    f"{progress}%" if progress is not None else "-",
                    _cell(extra.get("serverId")),
                    _cell(extra.get("updated")),
                ]
            )
    else:
        rows = [["ID", "NAME"]] + [[image.id, _cell(image.name)] for image in images]
    _table(rows, out)


# -- commands ----------------------------------------------------------------------------------


def _list(args: argparse.Namespace, out: TextIO) -> int:
    filters = {
        "server": args.server,
        "name": args.name,
        "status": args.status,
        "changes-since": args.changes_since,
        "marker": args.marker,
        "limit": args.limit,
        "type": args.type,
        "minDisk": args.min_disk,
        "minRam": args.min_ram,
    }
    with _driver(args) as driver:
        images = driver.list_images(ex_filters=filters, ex_detailed=args.detailed, ex_page_size=args.page_size)
    _print_images(images, args.detailed, args.json, out)
    return 0


def _no_such_image(image_id: str, detail: str) -> str:
    return f"no such image {image_id}: {detail}"


def _show(args: argparse.Namespace, out: TextIO) -> int:
    from libcloud.common.exceptions import BaseHTTPError

    with _driver(args) as driver:
        try:
            image = driver.get_image(args.image_id)
        except BaseHTTPError as error:
            if error.code != 404:
                raise
            raise CommandError(_no_such_image(args.image_id, str(error.message)), 4) from error
    record = image_record(image)
    if args.json:
        json.dump(record, out, indent=2, default=str)
        out.write("\n")
        return 0
    width = max(len(key) for key in record)
    for key, value in record.items():
        shown = json.dumps(value, default=str) if isinstance(value, (dict, list)) else _cell(value)
        out.write(f"{key.ljust(width)}  {shown}\n")
    return 0


def _confirm(question: str, err: TextIO) -> bool:
    err.write(f"{question} [y/N] ")
    err.flush()
    answer = sys.stdin.readline()
    if not answer.endswith("\n") or not sys.stdin.isatty():
        err.write("\n")  # the answer was not echoed: end the prompt's line
    return answer.strip().lower() in ("y", "yes")


def _delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    ids = list(dict.fromkeys(args.image_ids))
    if not args.yes and not _confirm(f"Delete {len(ids)} image(s): {', '.join(ids)}?", err):
        err.write("rackimg: nothing deleted\n")
        return 1
    worst = 0
    with _driver(args) as driver:
        for image_id in ids:
            try:
                driver.delete_image(image_id)
            except Exception as error:  # one id's failure does not stop the others
                message, code = _delete_failure(image_id, error)
                worst = max(worst, code)
                err.write(f"rackimg: error: {' '.join(message.split())}\n")
                continue
            out.write(f"deleted {image_id}\n")
    return worst


def _delete_failure(image_id: str, error: Exception) -> tuple[str, int]:
    """One line naming the image, and an exit code, for a delete that failed."""
    from libcloud.common.exceptions import BaseHTTPError

    if isinstance(error, BaseHTTPError) and error.code == 404:
        return _no_such_image(image_id, str(error.message)), 4
    if isinstance(error, BaseHTTPError) and error.code == 403:
        # Glance says when an image is protected; Nova answers a protected image and another
        # project's public one with the same words ("You are not allowed to delete the image.").
        said = str(error.message)
        verdict = "is protected" if "protected" in said.lower() else "is protected, or not yours"
        return f"image {image_id} {verdict}: {said}", 1
    message, code = _failure(error)
    return f"{image_id}: {message}", code


class _Progress:
    """Progress as a live bar on a terminal, as plain lines elsewhere."""

    def __init__(self, image_id: str, err: TextIO) -> None:
        self.image_id = image_id
        self.err = err
        self.live = err.isatty()

    def __call__(self, progress: int) -> None:
        if self.live:
            filled = max(0, min(30, progress * 30 // 100))
            self.err.write(f"\r{self.image_id} [{'#' * filled}{'.' * (30 - filled)}] {progress:3d}%")
        else:
            self.err.write(f"{self.image_id} progress {progress}%\n")
        self.err.flush()

    def done(self) -> None:
        if self.live:
            self.err.write("\n")
            self.err.flush()


def _wait_for(
    driver: RackImgNodeDriver, image_id: str, state: str, timeout: float, interval: float, err: TextIO
) -> Any:
    progress = _Progress(image_id, err)
    try:
        return driver.ex_wait_for_image(image_id, state, timeout=timeout, interval=interval, callback=progress)
    finally:
        progress.done()


def _wait(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rackimg_driver.errors import ImageWaitError

    with _driver(args) as driver:
        try:
            image = _wait_for(driver, args.image_id, args.state, args.timeout, args.interval, err)
        except ImageWaitError as error:
            if error.image is not None:
                raise  # it was seen, then turned ERROR or DELETED, or disappeared
            # Never read: the first poll was a 404, so there was nothing to wait for.
            raise CommandError(
                _no_such_image(args.image_id, "404 at the first poll, nothing to wait for"), 4
            ) from error
    out.write(f"{image.id} {_cell(image.extra['state'])}\n")
    return 0


def _snapshot(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    metadata: dict[str, str] = {}
    for item in args.metadata:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(f"--metadata takes KEY=VALUE, got {item!r}", 2)
        metadata[key] = value
    with _driver(args) as driver:
        image = driver.create_image(args.server, args.name, ex_metadata=metadata)
        out.write(f"{image.id} {_cell(image.extra['state'])}\n")
        out.flush()
        if args.wait:
            image = _wait_for(driver, image.id, "ACTIVE", args.timeout, args.interval, err)
            out.write(f"{image.id} {_cell(image.extra['state'])}\n")
    return 0


def server_record(node: Node) -> dict[str, Any]:
    """A server as plain JSON-ready data: id, name, the raw status and the image it boots from."""
    return {
        "id": node.id,
        "name": node.name,
        "status": node.extra.get("status"),
        "image_id": node.extra.get("image_id"),
    }


def _servers(args: argparse.Namespace, out: TextIO) -> int:
    with _driver(args) as driver:
        servers = [server_record(node) for node in driver.list_nodes()]
    if args.json:
        json.dump(servers, out, indent=2)
        out.write("\n")
        return 0
    rows = [["ID", "NAME", "STATUS"]]
    rows += [[_cell(s["id"]), _cell(s["name"]), _cell(s["status"])] for s in servers]
    _table(rows, out)
    return 0


def _drivers(out: TextIO) -> int:
    from rackimg_driver.plugins import discover

    plugins = discover()
    rows = [["NAME", "TARGET", "STATUS"]]
    rows += [[p.name, p.target, "ok"] for p in sorted(plugins, key=lambda p: p.name) if p.driver is not None]
    rows += [[p.name, p.target, f"broken ({p.error})"] for p in plugins if p.driver is None]
    _table(rows, out)
    return 0


def _emulator(args: argparse.Namespace, out: TextIO) -> int:
    from rackimg_driver.emulator import serve

    serve(host=args.host, port=args.port, state=args.state, dialect=args.dialect, out=out)
    return 0


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "drivers":
        return _drivers(out)
    if args.command == "servers":
        return _servers(args, out)
    if args.command == "emulator":
        return _emulator(args, out)
    action = args.images_command
    if action == "list":
        return _list(args, out)
    if action == "show":
        return _show(args, out)
    if action == "delete":
        return _delete(args, out, err)
    if action == "wait":
        return _wait(args, out, err)
    return _snapshot(args, out, err)


def _failure(error: BaseException) -> tuple[str, int]:
    """One line and an exit code for any error the commands let through."""
    from libcloud.common.exceptions import BaseHTTPError, RateLimitReachedError
    from libcloud.common.types import InvalidCredsError, LibcloudError

    from rackimg_driver.errors import ImageWaitError, ImageWaitTimeout

    if isinstance(error, CommandError):
        return str(error), error.code
    if isinstance(error, MissingCredentialsError):
        return str(error), 3
    if isinstance(error, ValueError):
        return str(error), 2
    if isinstance(error, InvalidCredsError):
        # The identity service's refusal already says so ("identity at <url> refused the
        # credentials: ..."); the API's refusal of a token does not.
        said = str(error.value)
        return (said if said.startswith("identity at ") else f"credentials refused: {said}"), 3
    if isinstance(error, RateLimitReachedError):
        return f"{error.message} (retry after {error.retry_after:g} s)", 5
    if isinstance(error, BaseHTTPError):
        return str(error.message), 4 if error.code == 404 else 1
    if isinstance(error, ImageWaitTimeout):
        return error.message, 7
    if isinstance(error, ImageWaitError):
        return error.message, 6
    if isinstance(error, LibcloudError):
        return str(error), 1
    return f"{type(error).__name__}: {error}", 1


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        code = _run(args, out, err)
        out.flush()  # a reader that went away shows here, not in the flush at exit
        return code
    except BrokenPipeError:
        # The reader went away (``rackimg images list | head -1``): stop quietly, with 0, as
        # other Unix tools do.
        _silence_broken(out, err)
        return 0
    except KeyboardInterrupt:
        return _report(err, "interrupted", 130)
    except Exception as error:
        message, code = _failure(error)
        trace = traceback.format_exc() if args.debug else ""
        return _report(err, f"error: {' '.join(message.split())}", code, trace)


def _report(err: TextIO, line: str, code: int, trace: str = "") -> int:
    """Write the last words on stderr and return ``code``, also when stderr's reader went away."""
    try:
        err.write(f"{trace}rackimg: {line}\n")
        err.flush()
    except BrokenPipeError:
        _silence_broken(err)
    return code


def _silence_broken(*streams: TextIO) -> None:
    """Point each stream whose reader went away at /dev/null, so that what is still buffered
    does not fail again in the flush at exit (the Python docs' recipe: signal, "Note on SIGPIPE")."""
    for stream in streams:
        try:
            stream.flush()
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, stream.fileno())
            finally:
                os.close(devnull)


def console() -> None:
    """The ``rackimg`` console script."""
    sys.exit(main())
