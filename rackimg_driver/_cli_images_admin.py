"""Private module: the ``rackimg images`` commands that change and share images (``set``,
``unset``, ``members``, ``share``, ``unshare``, ``accept``, ``reject``): their parsers
(:func:`add_admin_commands`, called by ``_cli_parser``) and the functions that run them.
Bad options stop with exit 2 before any request.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver._cli_run import CommandError, image_id, list_rows, open_driver
from rackimg_driver._output import (
    IMAGE_FIELDS,
    Fields,
    OutputPlan,
    add_output_options,
    add_show_options,
    emit_record,
    image_row,
    output_plan,
    plain,
)

if TYPE_CHECKING:
    from libcloud.compute.base import NodeImageMember

__all__ = ["MEMBER_FIELDS", "add_admin_commands"]

_VISIBILITIES = ("public", "private", "shared", "community")
_HERE = "rackimg_driver._cli_images_admin"

#: A membership's fields (a project an image is shared with).
MEMBER_FIELDS = Fields(
    names=("image_id", "member_id", "status", "created", "updated"),
    default=("member_id", "status", "created", "updated"),
    long=("image_id", "member_id", "status", "created", "updated"),
    dates=("created", "updated"),
)


def add_admin_commands(commands: Any) -> None:
    """Add the commands to the ``images`` subparsers."""
    from rackimg_driver._cli_parser import add_command  # (it imports this module)

    image_help = "an image id, or a name that only one image has"
    change = add_command(
        commands, "set", f"{_HERE}:set_image", "change an image: name, protection, visibility, properties, tags"
    )
    change.add_argument("image", metavar="IMAGE", help=image_help)
    change.add_argument("--name", help="the new name")
    protection = change.add_mutually_exclusive_group()
    protection.add_argument("--protected", dest="protected", action="store_const", const=True, help="refuse deletes")
    protection.add_argument("--unprotected", dest="protected", action="store_const", const=False, help="allow deletes")
    change.add_argument("--visibility", choices=_VISIBILITIES, help="who may see and use it")
    change.add_argument("--property", dest="properties", action="append", default=[], metavar="KEY=VALUE",
                        help="set a property (repeatable)")  # fmt: skip
    change.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG", help="add a tag (repeatable)")
    add_show_options(change, IMAGE_FIELDS)

    unset = add_command(commands, "unset", f"{_HERE}:unset_image", "remove properties or tags from an image")
    unset.add_argument("image", metavar="IMAGE", help=image_help)
    unset.add_argument("--property", dest="properties", action="append", default=[], metavar="KEY",
                       help="remove a property (repeatable)")  # fmt: skip
    unset.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG",
                       help="remove a tag (repeatable)")  # fmt: skip
    add_show_options(unset, IMAGE_FIELDS)

    members = add_command(commands, "members", f"{_HERE}:image_members", "the projects a shared image is shared with")
    members.add_argument("image", metavar="IMAGE", help=image_help)
    add_output_options(members, MEMBER_FIELDS)
    for action, words in (
        ("share", "share a shared image with a project (pending until it accepts)"),
        ("unshare", "stop sharing an image with a project"),
    ):
        command = add_command(commands, action, f"{_HERE}:{action}_image", words)
        command.add_argument("image", metavar="IMAGE", help=image_help)
        command.add_argument("project", metavar="PROJECT", help="the project (tenant) id")
        add_show_options(command, MEMBER_FIELDS)
    for action, words in (
        ("accept", "accept an image shared with your project: it appears in your listing"),
        ("reject", "reject an image shared with your project: it leaves your listing"),
    ):
        command = add_command(commands, action, f"{_HERE}:{action}_image", f"{words} (run as that project)")
        # An id: a share not yet accepted is in no listing of this project, so no name finds it.
        command.add_argument("image", metavar="IMAGE", help="the image id")
        add_show_options(command, MEMBER_FIELDS)


def _properties(values: list[str]) -> dict[str, str]:
    properties: dict[str, str] = {}
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key.strip():
            raise CommandError(f"--property must be KEY=VALUE, got {value!r}", 2)
        properties[key] = text
    return properties


def _check_names(values: list[str], option: str) -> list[str]:
    for value in values:
        if not value.strip():
            raise CommandError(f"{option} must not be empty", 2)
    return values


def _member_row(member: NodeImageMember) -> dict[str, Any]:
    return {
        "image_id": plain(member.image_id),
        "member_id": plain(member.id),
        "status": plain(member.extra.get("status")),
        "created": plain(member.created),
        "updated": plain(member.extra.get("updated")),
    }


def set_image(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = output_plan(args)
    data: dict[str, Any] = _properties(args.properties)
    tags = _check_names(args.tags, "--tag")
    for key, value in (("name", args.name), ("visibility", args.visibility), ("protected", args.protected)):
        if value is not None:
            data[key] = value
    if not data and not tags:
        raise CommandError(
            "nothing to set: give --name, --protected, --unprotected, --visibility, --property or --tag", 2
        )
    return _change(args, plan, data, tags, "ex_add_image_tag", out, err)


def unset_image(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = output_plan(args)
    removed: dict[str, Any] = dict.fromkeys(_check_names(args.properties, "--property"))
    tags = _check_names(args.tags, "--tag")
    if not removed and not tags:
        raise CommandError("nothing to unset: give --property or --tag", 2)
    return _change(args, plan, removed, tags, "ex_remove_image_tag", out, err)


def _change(
    args: argparse.Namespace,
    plan: OutputPlan,
    changes: dict[str, Any],
    tags: list[str],
    tag_call: str,
    out: TextIO,
    err: TextIO,
) -> int:
    """``tag_call`` (the driver's method) for each tag, then ``changes``; prints the image as it is after."""
    with open_driver(args, err) as driver:
        image = image_id(driver, args.image)
        for tag in tags:
            getattr(driver, tag_call)(image, tag)
        changed = driver.ex_update_image(image, changes) if changes else driver.image_from_service(image)
    emit_record(image_row(changed), plan, out)
    return 0


def image_members(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = output_plan(args)
    with open_driver(args, err) as driver:
        members = driver.ex_list_image_members(image_id(driver, args.image))
    return list_rows((_member_row(member) for member in members), plan, out)


def share_image(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = output_plan(args)
    with open_driver(args, err) as driver:
        member = driver.ex_create_image_member(image_id(driver, args.image), args.project)
    emit_record(_member_row(member), plan, out)
    return 0


def unshare_image(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    plan = output_plan(args)
    with open_driver(args, err) as driver:
        image = image_id(driver, args.image)
        driver.ex_delete_image_member(image, args.project)
    row = {"image_id": image, "member_id": args.project, "status": "removed", "created": None, "updated": None}
    emit_record(row, plan, out)
    return 0


def accept_image(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    return _answer_share(args, out, err, accept=True)


def reject_image(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    return _answer_share(args, out, err, accept=False)


def _answer_share(args: argparse.Namespace, out: TextIO, err: TextIO, accept: bool) -> int:
    plan = output_plan(args)
    with open_driver(args, err) as driver:
        # The image service shows a member its own membership only.
        own = driver.ex_list_image_members(args.image)
        if len(own) != 1:
            raise CommandError(f"image {args.image} is not shared with this project", 4)
        answer = driver.ex_accept_image_member if accept else driver.ex_reject_image_member
        member = answer(args.image, own[0].id)
    emit_record(_member_row(member), plan, out)
    return 0
