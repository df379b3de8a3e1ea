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
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver._cli_images_admin import ADMIN_ACTIONS, run_admin
from rackimg_driver._cli_parser import EXIT_CODES, build_parser
from rackimg_driver._output import cell, image_record, print_images, server_record, table
from rackimg_driver.configuration import MissingCredentialsError, resolve

if TYPE_CHECKING:
    from rackimg_driver.driver import RackImgNodeDriver

__all__ = ["EXIT_CODES", "build_parser", "main"]


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
    print_images(images, args.detailed, args.json, out)
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
        shown = json.dumps(value, default=str) if isinstance(value, (dict, list)) else cell(value)
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
    out.write(f"{image.id} {cell(image.extra['state'])}\n")
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
        out.write(f"{image.id} {cell(image.extra['state'])}\n")
        out.flush()
        if args.wait:
            image = _wait_for(driver, image.id, "ACTIVE", args.timeout, args.interval, err)
            out.write(f"{image.id} {cell(image.extra['state'])}\n")
    return 0


def _servers(args: argparse.Namespace, out: TextIO) -> int:
    with _driver(args) as driver:
        servers = [server_record(node) for node in driver.list_nodes()]
    if args.json:
        json.dump(servers, out, indent=2)
        out.write("\n")
        return 0
    rows = [["ID", "NAME", "STATUS"]]
    rows += [[cell(s["id"]), cell(s["name"]), cell(s["status"])] for s in servers]
    table(rows, out)
    return 0


def _drivers(out: TextIO) -> int:
    from rackimg_driver.plugins import discover

    plugins = discover()
    rows = [["NAME", "TARGET", "STATUS"]]
    rows += [[p.name, p.target, "ok"] for p in sorted(plugins, key=lambda p: p.name) if p.driver is not None]
    rows += [[p.name, p.target, f"broken ({p.error})"] for p in plugins if p.driver is None]
    table(rows, out)
    return 0


def _emulator(args: argparse.Namespace, out: TextIO) -> int:
    from rackimg_driver.emulator import serve

    serve(host=args.host, port=args.port, state=args.state, dialect=args.dialect, out=out, history=args.history)
    return 0


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "drivers":
        return _drivers(out)
    if args.command == "servers":
        return _servers(args, out)
    if args.command == "emulator":
        return _emulator(args, out)
    action = args.images_command
    if action in ADMIN_ACTIONS:
        return run_admin(args, out, _driver, CommandError)
    if action == "list":
        return _list(args, out)
    if action == "show":
        return _show(args, out)
    if action == "delete":
        return _delete(args, out, err)
    if action == "wait":
        return _wait(args, out, err)
    if action == "prune":
        from rackimg_driver._cli_prune import prune_arguments, run_prune

        prune_arguments(args)  # a bad value exits 2 before the settings are read
        with _driver(args) as driver:
            return run_prune(args, driver, out, err)
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
