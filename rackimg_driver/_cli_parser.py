"""Private module: the ``rackimg`` command line as argparse sees it (docs/cli.rst is generated from it).

Hooks for a command of its own module (see docs/contributing.rst):

- :func:`add_command` adds a subcommand that takes the global options (credentials, retries,
  ``--debug``) after its name too, and names the function that runs it (``module:function``,
  imported only when the command runs, so ``--help`` stays light);
- :func:`rackimg_driver._output.add_output_options` gives a listing -f/-c/--sort/--long/
  --no-header/--max-width/--json, and ``_output.emit_rows`` prints its rows;
- :func:`count` makes the type of a numeric option whose bad value is named on one line.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any, NoReturn

from rackimg_driver import __version__
from rackimg_driver._cli_images_admin import add_admin_commands
from rackimg_driver._cli_prune import add_prune_parser
from rackimg_driver._output import IMAGE_FIELDS, SERVER_FIELDS, add_output_options, add_show_options
from rackimg_driver.configuration import CLOUDS, DIALECTS, default_config_path

__all__ = ["EXIT_CODES", "STATES", "TYPES", "OneLineParser", "add_command", "build_parser", "count", "seconds"]

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
    8: "images prune --yes: some deletes failed (the others were done)",
    130: "interrupted (Ctrl-C)",
}

# ImageState's and ImageType's values (rackimg_driver.types needs libcloud, which --help does not
# load; tests/cli/test_cli_help.py checks that the two agree).
VISIBILITIES = ("public", "private", "shared", "community")
MEMBER_STATUSES = ("accepted", "pending", "rejected", "all")
STATES = ("ACTIVE", "SAVING", "DELETED", "ERROR", "UNKNOWN")
TYPES = ("BASE", "SNAPSHOT")

_ARGUMENT = re.compile(r"^argument (?:\S+/)?(\S+): ")
_CHOICE = re.compile(r"^(\S+) invalid choice: (.*) \(choose from (.*)\)$")


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose every usage error is one line on stderr, naming the option
    (``rackimg: error: --limit must be a whole number >= 1, got 0``), and exit 2."""

    def error(self, message: str) -> NoReturn:
        line = _ARGUMENT.sub(r"\1 ", message)
        choice = _CHOICE.match(line)
        if choice is not None:
            option, value, allowed = choice.groups()
            line = f"{option} must be one of {allowed.replace(chr(39), '')}, got {value}"
        self.exit(2, f"rackimg: error: {' '.join(line.split())}\n")


def count(minimum: int) -> Callable[[str], int]:
    """The type of an option that takes a whole number >= ``minimum``, in ASCII digits (``int()``
    would also take ``+3``, ``3_000`` and other scripts' digits)."""

    def parse(text: str) -> int:
        digits = text.strip()
        try:
            value = int(digits) if digits.isascii() and digits.isdigit() else minimum - 1
        except ValueError:  # past the interpreter's limit on digits
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text}")
        return value

    return parse


def seconds(text: str) -> float:
    """The type of an option that takes seconds (a number >= 0)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text}")
    return value


def _global_options(parser: argparse.ArgumentParser, after_command: bool) -> None:
    """The options of every command; after the command's name, one that is not given leaves
    the value given before it (or the default) alone."""
    keep: dict[str, Any] = {"default": argparse.SUPPRESS} if after_command else {}
    account = parser.add_argument_group(
        "cloud and credentials" + (" (also before the command)" if after_command else "")
    )
    account.add_argument(
        "--cloud", choices=CLOUDS, help="which cloud: rackspace (default), openstack, or local", **keep
    )
    account.add_argument(
        "--dialect",
        choices=DIALECTS,
        help="which API: rackspace, openstack (Nova's images proxy) or glance (the Image service v2);"
        " default: the cloud's ($RACKIMG_DIALECT)",
        **keep,
    )
    account.add_argument(
        "--os-cloud", dest="os_cloud", metavar="NAME", help="a cloud of clouds.yaml ($OS_CLOUD)", **keep
    )
    account.add_argument(
        "--profile", help="a section of the config file to take settings from ($RACKIMG_PROFILE)", **keep
    )
    account.add_argument("--config", help=f"the config file ($RACKIMG_CONFIG; default {default_config_path()})", **keep)
    account.add_argument("--user", help="user name, or application credential id ($OS_USERNAME, $RACKIMG_USER)", **keep)
    account.add_argument("--api-key", dest="api_key", help="Rackspace API key ($RACKIMG_API_KEY)", **keep)
    account.add_argument(
        "--password", help="password or application credential secret ($OS_PASSWORD, $RACKIMG_PASSWORD)", **keep
    )
    account.add_argument(
        "--region", help="region: dfw ord iad lon syd hkg on Rackspace ($OS_REGION_NAME, $RACKIMG_REGION)", **keep
    )
    account.add_argument("--auth-url", dest="auth_url", help="identity URL ($OS_AUTH_URL, $RACKIMG_AUTH_URL)", **keep)
    account.add_argument(
        "--auth-version",
        dest="auth_version",
        help="2.0_apikey, 2.0_password, 3.x_password or 3.x_appcred ($RACKIMG_AUTH_VERSION)",
        **keep,
    )
    account.add_argument("--tenant", help="project (tenant) name ($OS_PROJECT_NAME, $RACKIMG_TENANT)", **keep)
    account.add_argument(
        "--domain", help="the user's identity domain name ($OS_USER_DOMAIN_NAME, $RACKIMG_DOMAIN)", **keep
    )
    account.add_argument(
        "--project-domain-id",
        dest="project_domain_id",
        help="the project's domain id (default: default) ($OS_PROJECT_DOMAIN_ID, $RACKIMG_PROJECT_DOMAIN_ID)",
        **keep,
    )
    account.add_argument("--token", help="a fixed token, with --base-url ($OS_TOKEN, $RACKIMG_TOKEN)", **keep)
    account.add_argument("--base-url", dest="base_url", help="the compute endpoint ($RACKIMG_BASE_URL)", **keep)
    transport = parser.add_argument_group(
        "retries and timeouts" + (" (also before the command)" if after_command else "")
    )
    transport.add_argument(
        "--retries",
        help="retries after a failed try (rate limits, 5xx, lost connections); 0 = none (default 4) ($RACKIMG_RETRIES)",
        **keep,
    )
    transport.add_argument(
        "--http-timeout",
        dest="http_timeout",
        metavar="SECONDS",
        help="one number sets both the wait for a connection and the wait for each answer"
        " (default: 10 s to connect, 60 s for each answer) ($RACKIMG_HTTP_TIMEOUT)",
        **keep,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks", **keep)


def add_command(
    commands: argparse._SubParsersAction[Any],
    name: str,
    run: str,
    help: str,
    aliases: tuple[str, ...] = (),
    global_options: bool = True,
) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` to ``commands``, run by ``run`` (``"module:function"``; the
    function takes the parsed arguments, stdout and stderr, and returns the exit code). With
    ``global_options``, the command also takes the global options after its name."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help, description=help, aliases=list(aliases))
    if global_options:
        _global_options(parser, after_command=True)
    parser.set_defaults(run=run)
    return parser


_IMAGES = "rackimg_driver._cli_images"


def _image_commands(images: argparse.ArgumentParser) -> None:
    commands = images.add_subparsers(dest="images_command", metavar="ACTION", required=True)

    listing = add_command(
        commands, "list", f"{_IMAGES}:list_images", "list images (every page) with server-side filters"
    )
    listing.add_argument("--server", help="only images made from this server (id or URL)")
    listing.add_argument("--name", help="only images with exactly this name")
    listing.add_argument("--status", type=str.upper, choices=STATES, help="only images in this state")
    listing.add_argument("--changes-since", dest="changes_since", help="only images changed since (ISO 8601)")
    listing.add_argument("--marker", help="start after this image id")
    listing.add_argument("--limit", type=count(1), help="at most this many images")
    listing.add_argument("--type", type=str.upper, choices=TYPES, help="only BASE or SNAPSHOT images")
    listing.add_argument(
        "--min-disk", dest="min_disk", type=count(0), help="only images needing at least this disk (GB)"
    )
    listing.add_argument("--min-ram", dest="min_ram", type=count(0), help="only images needing at least this RAM (MB)")
    listing.add_argument("--visibility", choices=VISIBILITIES, help="only images of this visibility")
    listing.add_argument("--owner", help="only images of this project (id)")
    listing.add_argument(
        "--tag", dest="tags", action="append", metavar="TAG", help="only images with this tag (repeatable: all of them)"
    )
    protection = listing.add_mutually_exclusive_group()
    protection.add_argument("--protected", dest="protected", action="store_const", const=True, help="only protected")
    protection.add_argument(
        "--unprotected", dest="protected", action="store_const", const=False, help="only unprotected"
    )
    listing.add_argument(
        "--member-status",
        dest="member_status",
        choices=MEMBER_STATUSES,
        help="images shared with your project with this status of its membership",
    )
    listing.add_argument("--page-size", dest="page_size", type=count(1), help="images per request")
    detail = listing.add_mutually_exclusive_group()
    detail.add_argument("--detail", dest="detailed", action="store_true", default=True, help="full images (default)")
    detail.add_argument("--brief", dest="detailed", action="store_false", help="id and name only")
    add_output_options(listing, IMAGE_FIELDS)

    show = add_command(commands, "show", f"{_IMAGES}:show_image", "show one image")
    show.add_argument("image", metavar="IMAGE", help="an image id, or a name that only one image has")
    add_show_options(show, IMAGE_FIELDS)

    delete = add_command(commands, "delete", f"{_IMAGES}:delete_images", "delete images (asks first)")
    delete.add_argument("images", metavar="IMAGE", nargs="+", help="image ids, or names that only one image has")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask")

    wait = add_command(commands, "wait", f"{_IMAGES}:wait_for_image", "wait until an image reaches a state")
    wait.add_argument("image", metavar="IMAGE", help="an image id, or a name that only one image has")
    wait.add_argument("--state", type=str.upper, choices=STATES, default="ACTIVE", help="default ACTIVE")
    wait.add_argument("--timeout", type=seconds, default=600.0, help="seconds (default 600)")
    wait.add_argument("--interval", type=seconds, default=2.0, help="seconds between polls (default 2)")

    snapshot = add_command(commands, "snapshot", f"{_IMAGES}:snapshot_server", "make an image of a server")
    snapshot.add_argument("server", metavar="SERVER", help="a server id, or a name that only one server has")
    snapshot.add_argument("--name", required=True, help="the new image's name")
    snapshot.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE", help="repeatable")
    snapshot.add_argument("--wait", action="store_true", help="wait until it is ACTIVE")
    snapshot.add_argument("--timeout", type=seconds, default=600.0, help="seconds to wait (default 600)")
    snapshot.add_argument("--interval", type=seconds, default=2.0, help="seconds between polls (default 2)")

    # images prune (its own module): the global options after its name, run through _cli_images.
    prune = add_prune_parser(commands)
    _global_options(prune, after_command=True)
    prune.set_defaults(run=f"{_IMAGES}:prune_images")

    add_admin_commands(commands)  # set, unset, members, share, unshare, accept, reject


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; the docs' command-line page is generated from it."""
    parser = OneLineParser(
        prog="rackimg",
        description="List, show, snapshot, wait for and delete images on Rackspace Cloud Servers, "
        "OpenStack Nova or Glance, or the embedded local cloud.",
        epilog="Settings come from options, then the environment (RACKIMG_* variables, then the OS_*"
        " variables an openrc file sets), then files (the --profile of the config file, then the --os-cloud"
        " of clouds.yaml). Global options may come before or after the command. Exit codes: "
        + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()),
    )
    parser.add_argument("--version", action="version", version=f"rackimg {__version__}")
    _global_options(parser, after_command=False)

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    images = add_command(
        commands, "images", "", "list, show, delete, wait for, snapshot, change and share images", aliases=("image",)
    )
    _image_commands(images)

    servers = add_command(commands, "servers", f"{_IMAGES}:list_servers", "list the servers (to name one to snapshot)")
    add_output_options(servers, SERVER_FIELDS)

    add_command(
        commands,
        "drivers",
        "rackimg_driver.cli:list_drivers",
        "the drivers in the libcloud.compute.drivers namespace",
        global_options=False,
    )

    emulator = add_command(
        commands,
        "emulator",
        "rackimg_driver.cli:run_emulator",
        "run the local cloud in the foreground",
        global_options=False,
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=count(0), default=8774, help="0 picks a free port (default 8774)")
    emulator.add_argument("--state", help="sqlite file to keep state in (default: in memory)")
    emulator.add_argument(
        "--dialect", choices=DIALECTS, default=argparse.SUPPRESS, help="rackspace (default), openstack or glance"
    )
    emulator.add_argument("--images", type=count(0), default=0, metavar="N", help="add N images (bulk-image-N) first")
    emulator.add_argument(
        "--local", action="store_true", help="serve the state --cloud local uses (instead of --state)"
    )
    emulator.add_argument("--reset", action="store_true", help="forget every change: back to the seed data first")
    emulator.add_argument(
        "--no-serve", dest="no_serve", action="store_true", help="only --reset and --images, then exit"
    )
    emulator.add_argument(
        "--history", action="store_true", help="add 60 nights of snapshots of three servers (to try images prune)"
    )
    return parser
