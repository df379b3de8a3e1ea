"""Private module: the ``rackimg images ...`` and ``rackimg servers`` commands.

Each takes the parsed arguments, stdout and stderr, and returns the exit code; the parser
(:mod:`._cli_parser`) names them. Options are checked (:func:`._output.output_plan`) before
the driver is made, so a bad one exits 2 before anything is sent.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver._cli_run import (
    CommandError,
    list_rows,
    named_image,
    no_such_image,
    open_driver,
    server_id,
)
from rackimg_driver._output import emit_record, image_row, output_plan, server_row
from rackimg_driver._progress import TerminalBar

if TYPE_CHECKING:
    from rackimg_driver.driver import RackImgNodeDriver

__all__ = [
    "delete_images",
    "list_images",
    "list_servers",
    "prune_images",
    "show_image",
    "snapshot_server",
    "wait_for_image",
]


def list_images(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = output_plan(args, detailed=args.detailed)
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
        "visibility": args.visibility,
        "owner": args.owner,
        "tag": args.tags,
        "protected": args.protected,
        "member_status": args.member_status,
    }
    detailed = args.detailed
    with open_driver(args, err) as driver:
        images = driver.ex_iterate_images(ex_filters=filters, ex_detailed=detailed, ex_page_size=args.page_size)
        fields = plan.fields
        return list_rows((image_row(image, detailed, fields) for image in images), plan, out)


def show_image(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from libcloud.common.exceptions import BaseHTTPError

    plan = output_plan(args)
    with open_driver(args, err) as driver:
        try:
            image = driver.get_image(args.image)
        except BaseHTTPError as error:
            if error.code != 404:
                raise
            try:
                image = driver.get_image(named_image(driver, args.image, str(error.message)))
            except BaseHTTPError as again:  # gone since it was found
                if again.code != 404:
                    raise
                raise CommandError(no_such_image(args.image, str(again.message)), 4) from again
    emit_record(image_row(image), plan, out)
    return 0


def _confirm(question: str, err: TextIO) -> bool:
    err.write(f"{question} [y/N] ")
    err.flush()
    answer = sys.stdin.readline()
    if not answer.endswith("\n") or not sys.stdin.isatty():
        err.write("\n")  # the answer was not echoed: end the prompt's line
    return answer.strip().lower() in ("y", "yes")


def delete_images(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    references = list(dict.fromkeys(args.images))
    if not args.yes and not _confirm(f"Delete {len(references)} image(s): {', '.join(references)}?", err):
        err.write("rackimg: nothing deleted\n")
        return 1
    worst = 0
    with open_driver(args, err) as driver:
        for reference in references:
            try:
                deleted = _delete(driver, reference)
            except CommandError as error:
                if error.code == 2:
                    raise  # an ambiguous name: a usage error, which stops the command
                worst = max(worst, error.code)
                err.write(f"rackimg: error: {' '.join(str(error).split())}\n")
                continue
            except Exception as error:  # one image's failure does not stop the others
                message, code = _delete_failure(reference, error)
                worst = max(worst, code)
                err.write(f"rackimg: error: {' '.join(message.split())}\n")
                continue
            out.write(f"deleted {deleted}\n")
    return worst


def _delete(driver: RackImgNodeDriver, reference: str) -> str:
    """Delete the image ``reference`` names (its id, else the one image of that name); its id."""
    from libcloud.common.exceptions import BaseHTTPError

    try:
        driver.delete_image(reference)  # type: ignore[arg-type]  # an id does too
        return reference
    except BaseHTTPError as error:
        if error.code != 404:
            raise
        found = named_image(driver, reference, str(error.message))
    driver.delete_image(found)  # type: ignore[arg-type]
    return found


def _delete_failure(image: str, error: Exception) -> tuple[str, int]:
    """One line naming the image, and an exit code, for a delete that failed."""
    from libcloud.common.exceptions import BaseHTTPError

    from rackimg_driver.cli import failure

    if isinstance(error, BaseHTTPError) and error.code == 404:
        return no_such_image(image, str(error.message)), 4
    if isinstance(error, BaseHTTPError) and error.code == 403:
        # Glance says when an image is protected; Nova answers a protected image and another
        # project's public one with the same words ("You are not allowed to delete the image.").
        said = str(error.message)
        verdict = "is protected" if "protected" in said.lower() else "is protected, or not yours"
        return f"image {image} {verdict}: {said}", 1
    message, code = failure(error)
    return f"{image}: {message}", code


class _Progress(TerminalBar):
    """Progress as a live bar on a terminal, as plain lines elsewhere."""

    def __init__(self, image: str, err: TextIO) -> None:
        super().__init__(err)
        self.image = image

    def __call__(self, progress: int) -> None:
        if self.live:
            self.draw(self.image, progress, 100, f"{progress:3d}%")
        else:
            self.err.write(f"{self.image} progress {progress}%\n")
            self.err.flush()


def _wait_for(driver: RackImgNodeDriver, image: str, state: str, timeout: float, interval: float, err: TextIO) -> Any:
    progress = _Progress(image, err)
    try:
        return driver.ex_wait_for_image(image, state, timeout=timeout, interval=interval, callback=progress)
    finally:
        progress.done()


def wait_for_image(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rackimg_driver.errors import ImageWaitError

    with open_driver(args, err) as driver:
        try:
            image = _wait_for(driver, args.image, args.state, args.timeout, args.interval, err)
        except ImageWaitError as error:
            if error.image is not None:
                raise  # it was seen, then turned ERROR or DELETED, or disappeared
            # Never read: the first poll was a 404. A name, then? Else nothing to wait for.
            detail = "404 at the first poll, nothing to wait for"
            found = named_image(driver, args.image, detail)
            image = _wait_for(driver, found, args.state, args.timeout, args.interval, err)
    out.write(f"{image.id} {image_row(image)['state']}\n")
    return 0


def snapshot_server(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    metadata: dict[str, str] = {}
    for item in args.metadata:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(f"--metadata takes KEY=VALUE, got {item!r}", 2)
        metadata[key] = value
    with open_driver(args, err) as driver:
        image = _create(driver, args.server, args.name, metadata)
        out.write(f"{image.id} {image_row(image)['state']}\n")
        out.flush()
        if args.wait:
            image = _wait_for(driver, image.id, "ACTIVE", args.timeout, args.interval, err)
            out.write(f"{image.id} {image_row(image)['state']}\n")
    return 0


def _create(driver: RackImgNodeDriver, server: str, name: str, metadata: dict[str, str]) -> Any:
    """Snapshot the server ``server`` names: its id, else the one server of that name."""
    from libcloud.common.exceptions import BaseHTTPError

    try:
        return driver.create_image(server, name, ex_metadata=metadata)
    except BaseHTTPError as error:
        if error.code != 404 or not driver.dialect.lists_servers:
            raise
        found = server_id(driver, server)
        if found == server:
            raise
    return driver.create_image(found, name, ex_metadata=metadata)


def list_servers(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = output_plan(args)
    with open_driver(args, err) as driver:
        return list_rows((server_row(node) for node in driver.list_nodes()), plan, out)


def prune_images(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``images prune``: :mod:`._cli_prune` plans and applies; its values are checked first."""
    from rackimg_driver._cli_prune import prune_arguments, run_prune

    prune_arguments(args)  # a bad value exits 2 before the settings are read
    with open_driver(args, err) as driver:
        return run_prune(args, driver, out, err)
