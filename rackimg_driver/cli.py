"""The ``rackimg`` command: tend an image inventory from a shell.

Settings (options, ``RACKIMG_*`` variables, profiles) become driver arguments in
:mod:`rackimg_driver.configuration`, which the ``plugins.driver_from_*`` functions share. Imports
of libcloud, the driver and the local cloud stay inside the commands, so ``rackimg --help``
loads none of them (the package's ``__init__`` loads its names lazily; the configuration module
needs only the standard library until a driver is made).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO

from rackimg_driver._cli_parser import EXIT_CODES, build_parser
from rackimg_driver._cli_run import CommandError
from rackimg_driver._output import UsageError, table
from rackimg_driver.configuration import MissingCredentialsError

__all__ = ["EXIT_CODES", "build_parser", "main"]

#: Library argument names in the driver's ValueErrors, and the options that give them.
_OPTION_NAMES = [
    (re.compile(r"ex_filters\['(minDisk|minRam)'\]"), lambda m: "--min-" + m[1][3:].lower()),
    (re.compile(r"ex_filters\['([a-z-]+)'\]"), lambda m: "--" + m[1]),
    (re.compile(r"\bex_page_size\b"), lambda m: "--page-size"),
    (re.compile(r"\bex_force_auth_url\b"), lambda m: "--auth-url"),
    (re.compile(r"\bex_force_auth_token\b"), lambda m: "--token"),
    (re.compile(r"\bex_force_base_url\b"), lambda m: "--base-url"),
    (re.compile(r"\bex_force_auth_version\b"), lambda m: "--auth-version"),
    (re.compile(r"^region must be"), lambda m: "--region must be"),
    (re.compile(r"must be a datetime or an ISO 8601 string"), lambda m: "must be an ISO 8601 date-time"),
]


def options_named(message: str) -> str:
    """A driver's message with its argument names (``ex_filters['limit']``) as the options
    that give them (``--limit``)."""
    for pattern, option in _OPTION_NAMES:
        message = pattern.sub(option, message)
    return message


def list_drivers(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rackimg_driver.plugins import discover

    plugins = discover()
    rows = [["NAME", "TARGET", "STATUS"]]
    rows += [[p.name, p.target, "ok"] for p in sorted(plugins, key=lambda p: p.name) if p.driver is not None]
    rows += [[p.name, p.target, f"broken ({p.error})"] for p in plugins if p.driver is None]
    table(rows, out)
    return 0


def run_emulator(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rackimg_driver._cli_emulator import run

    return run(args, out, err)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    module, _, function = args.run.partition(":")
    command: Callable[[argparse.Namespace, TextIO, TextIO], int] = getattr(importlib.import_module(module), function)
    return command(args, out, err)


def failure(error: BaseException) -> tuple[str, int]:
    """One line and an exit code for any error the commands let through."""
    from libcloud.common.exceptions import BaseHTTPError, RateLimitReachedError
    from libcloud.common.types import InvalidCredsError, LibcloudError

    from rackimg_driver.errors import ImageWaitError, ImageWaitTimeout

    if isinstance(error, CommandError):
        return str(error), error.code
    if isinstance(error, MissingCredentialsError):
        return str(error), 3
    if isinstance(error, UsageError):
        return str(error), 2
    if isinstance(error, ValueError):
        return options_named(str(error)), 2
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
        message, code = failure(error)
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
