"""Private: the ``rackimg`` command line as argparse sees it (docs/cli.rst is generated from it)."""

from __future__ import annotations

import argparse

from rackimg_driver._cli_images_admin import add_admin_parsers
from rackimg_driver._cli_prune import add_prune_parser
from rackimg_driver.configuration import CLOUDS, default_config_path

__all__ = ["EXIT_CODES", "STATES", "TYPES", "build_parser"]

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

STATES = ("ACTIVE", "SAVING", "DELETED", "ERROR", "UNKNOWN")
TYPES = ("BASE", "SNAPSHOT")


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
    images = commands.add_parser("images", help="list, show, delete, wait for, snapshot, change and share images")
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

    add_admin_parsers(image_commands)
    add_prune_parser(image_commands)

    servers = commands.add_parser("servers", help="list the servers (to name one to snapshot)")
    servers.add_argument("--json", action="store_true", help="print JSON")

    commands.add_parser("drivers", help="the drivers in the libcloud.compute.drivers namespace")

    emulator = commands.add_parser("emulator", help="run the local cloud in the foreground")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8774)
    emulator.add_argument("--state", help="sqlite file to keep state in (default: in memory)")
    emulator.add_argument("--dialect", choices=("rackspace", "openstack", "glance"), default="rackspace")
    emulator.add_argument(
        "--history", action="store_true", help="add 60 nights of snapshots of three servers (to try images prune)"
    )
    return parser
