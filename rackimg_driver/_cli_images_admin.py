"""Private module: the ``rackimg images`` commands that change and share images (``set``,
``unset``, ``members``, ``share``, ``unshare``, ``accept``, ``reject``): their parsers
(:func:`add_admin_parsers`, called by ``_cli_parser.build_parser``) and handlers
(:func:`run_admin`, called by ``cli``). Bad options stop with exit 2 before any request.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver._output import cell, image_record, plain, table

if TYPE_CHECKING:
    from libcloud.compute.base import NodeImage, NodeImageMember

    from rackimg_driver.driver import RackImgNodeDriver

__all__ = ["ADMIN_ACTIONS", "add_admin_parsers", "run_admin"]

ADMIN_ACTIONS = ("set", "unset", "members", "share", "unshare", "accept", "reject")
_VISIBILITIES = ("public", "private", "shared", "community")

DriverContext = Callable[[argparse.Namespace], AbstractContextManager["RackImgNodeDriver"]]


def add_admin_parsers(image_commands: Any) -> None:
    """Add the commands to the ``images`` subparsers."""
    change = image_commands.add_parser("set", help="change an image: name, protection, visibility, properties, tags")
    change.add_argument("image_id", metavar="IMAGE")
    change.add_argument("--name", help="the new name")
    protection = change.add_mutually_exclusive_group()
    protection.add_argument("--protected", dest="protected", action="store_const", const=True, help="refuse deletes")
    protection.add_argument("--unprotected", dest="protected", action="store_const", const=False, help="allow deletes")
    change.add_argument("--visibility", choices=_VISIBILITIES, help="who may see and use it")
    change.add_argument("--property", dest="properties", action="append", default=[], metavar="KEY=VALUE",
                        help="set a property (repeatable)")  # fmt: skip
    change.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG", help="add a tag (repeatable)")
    change.add_argument("--json", action="store_true", help="print the image as JSON")

    unset = image_commands.add_parser("unset", help="remove properties or tags from an image")
    unset.add_argument("image_id", metavar="IMAGE")
    unset.add_argument("--property", dest="properties", action="append", default=[], metavar="KEY",
                       help="remove a property (repeatable)")  # fmt: skip
    unset.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG",
                       help="remove a tag (repeatable)")  # fmt: skip
    unset.add_argument("--json", action="store_true", help="print the image as JSON")

    members = image_commands.add_parser("members", help="the projects a shared image is shared with")
    members.add_argument("image_id", metavar="IMAGE")
    members.add_argument("--json", action="store_true", help="print JSON")
    for action, words in (
        ("share", "share a shared image with a project (pending until it accepts)"),
        ("unshare", "stop sharing an image with a project"),
    ):
        command = image_commands.add_parser(action, help=words)
        command.add_argument("image_id", metavar="IMAGE")
        command.add_argument("project", metavar="PROJECT", help="the project (tenant) id")
        command.add_argument("--json", action="store_true", help="print JSON")
    for action, words in (
        ("accept", "accept an image shared with your project: it appears in your listing"),
        ("reject", "reject an image shared with your project: it leaves your listing"),
    ):
        command = image_commands.add_parser(action, help=f"{words} (run as that project)")
        command.add_argument("image_id", metavar="IMAGE")
        command.add_argument("--json", action="store_true", help="print JSON")


def _properties(values: list[str]) -> dict[str, str]:
    properties: dict[str, str] = {}
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key.strip():
            raise ValueError(f"--property must be KEY=VALUE, got {value!r}")
        properties[key] = text
    return properties


def _check_names(values: list[str], option: str) -> list[str]:
    for value in values:
        if not value.strip():
            raise ValueError(f"{option} must not be empty")
    return values


def _member_record(member: NodeImageMember) -> dict[str, Any]:
    return {
        "image_id": plain(member.image_id),
        "member_id": plain(member.id),
        "status": plain(member.extra.get("status")),
        "created": plain(member.created),
        "updated": plain(member.extra.get("updated")),
    }


def _print_record(record: dict[str, Any], as_json: bool, out: TextIO) -> None:
    if as_json:
        json.dump(record, out, indent=2, default=str)
        out.write("\n")
        return
    width = max(len(key) for key in record)
    for key, value in record.items():
        shown = json.dumps(value, default=str) if isinstance(value, (dict, list)) else cell(value)
        out.write(f"{key.ljust(width)}  {shown}\n")


def _print_image(image: NodeImage, as_json: bool, out: TextIO) -> None:
    _print_record(image_record(image), as_json, out)


def run_admin(args: argparse.Namespace, out: TextIO, driver_for: DriverContext, command_error: type[Exception]) -> int:
    """Run one of :data:`ADMIN_ACTIONS`; ``driver_for`` makes the driver, ``command_error(message,
    code)`` is the error the command line reports as one line."""
    action = args.images_command
    if action == "set":
        data: dict[str, Any] = _properties(args.properties)
        tags = _check_names(args.tags, "--tag")
        for key, value in (("name", args.name), ("visibility", args.visibility), ("protected", args.protected)):
            if value is not None:
                data[key] = value
        if not data and not tags:
            raise command_error(
                "nothing to set: give --name, --protected, --unprotected, --visibility, --property or --tag", 2
            )
        with driver_for(args) as driver:
            for tag in tags:
                driver.ex_add_image_tag(args.image_id, tag)
            image = driver.ex_update_image(args.image_id, data) if data else driver.image_from_service(args.image_id)
        _print_image(image, args.json, out)
        return 0
    if action == "unset":
        removed: dict[str, Any] = dict.fromkeys(_check_names(args.properties, "--property"))
        tags = _check_names(args.tags, "--tag")
        if not removed and not tags:
            raise command_error("nothing to unset: give --property or --tag", 2)
        with driver_for(args) as driver:
            for tag in tags:
                driver.ex_remove_image_tag(args.image_id, tag)
            image = (
                driver.ex_update_image(args.image_id, removed) if removed else driver.image_from_service(args.image_id)
            )
        _print_image(image, args.json, out)
        return 0
    with driver_for(args) as driver:
        if action == "members":
            members = [_member_record(member) for member in driver.ex_list_image_members(args.image_id)]
            if args.json:
                json.dump(members, out, indent=2, default=str)
                out.write("\n")
            else:
                rows = [["MEMBER", "STATUS", "CREATED", "UPDATED"]]
                rows += [
                    [cell(m["member_id"]), cell(m["status"]), cell(m["created"]), cell(m["updated"])] for m in members
                ]
                table(rows, out)
            return 0
        if action == "share":
            _print_record(_member_record(driver.ex_create_image_member(args.image_id, args.project)), args.json, out)
            return 0
        if action == "unshare":
            driver.ex_delete_image_member(args.image_id, args.project)
            record = {"image_id": args.image_id, "member_id": args.project, "status": "removed"}
            _print_record(record, args.json, out)
            return 0
        # accept / reject: the image service shows a member its own membership only.
        own = driver.ex_list_image_members(args.image_id)
        if len(own) != 1:
            raise command_error(f"image {args.image_id} is not shared with this project", 4)
        answer = driver.ex_accept_image_member if action == "accept" else driver.ex_reject_image_member
        _print_record(_member_record(answer(args.image_id, own[0].id)), args.json, out)
        return 0
