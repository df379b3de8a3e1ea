"""Private: ``rackimg images prune``, its options (:func:`add_prune_parser`) and what it does
(:func:`run_prune`): print the plan, or with ``--yes`` apply it."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, TextIO

from rackimg_driver._ages import cutoff_of, utc_now
from rackimg_driver._output import cell, plain, table
from rackimg_driver._progress import TerminalBar

if TYPE_CHECKING:
    from rackimg_driver.driver import RackImgNodeDriver
    from rackimg_driver.retention import PruneDecision, PruneResult

__all__ = ["PRUNE_FAILED", "add_prune_parser", "prune_arguments", "run_prune"]

#: The exit code when some deletes of ``prune --yes`` failed (the others were done).
PRUNE_FAILED = 8
_GB = 10**9


def add_prune_parser(image_commands: Any) -> argparse.ArgumentParser:
    """Add ``prune`` to the ``images`` subcommands."""
    from rackimg_driver._cli_parser import count  # (it imports this module)

    prune: argparse.ArgumentParser = image_commands.add_parser(
        "prune",
        help="delete old snapshots by rules (prints the plan; deletes only with --yes)",
        description="Keep the newest N snapshots of each server (--keep), delete only those older than an age "
        "(--older-than), or both (then a snapshot goes only when both say so). Never deleted: protected "
        "snapshots, snapshots a server boots from, those matching --exclude-metadata, and those still SAVING. "
        "Without --yes, only the plan is printed.",
    )
    prune.add_argument(
        "--keep", metavar="N", type=count(1), help="keep the newest N snapshots of each server (or of all)"
    )
    prune.add_argument(
        "--older-than",
        dest="older_than",
        metavar="AGE",
        help="delete only snapshots created before this: 30d, 12h, 2w (s m h d w) or an ISO date",
    )
    prune.add_argument(
        "--per", choices=("server", "all"), default="server", help="--keep counts per server (default) or all"
    )
    prune.add_argument(
        "--server", action="append", default=[], metavar="ID", help="only snapshots of this server (repeatable)"
    )
    prune.add_argument("--name", help="only snapshots with exactly this name")
    prune.add_argument(
        "--exclude-metadata",
        dest="exclude_metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="never delete snapshots with this metadata (repeatable; values without case)",
    )
    prune.add_argument("--yes", "-y", action="store_true", help="delete what the plan says (default: plan only)")
    prune.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return prune


def prune_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The arguments of ``ex_plan_prune``; ValueError naming the option for a bad one."""
    keep = args.keep
    if args.older_than is not None:
        try:
            cutoff_of(args.older_than, utc_now())
        except ValueError:
            raise ValueError(
                f"--older-than takes an age such as 30d or 12h (s m h d w) or an ISO date; got {args.older_than!r}"
            ) from None
    if keep is None and args.older_than is None:
        raise ValueError("give --keep N or --older-than AGE (or both): prune has no rule to go by")
    exclude: dict[str, str] = {}
    for item in args.exclude_metadata:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--exclude-metadata takes KEY=VALUE, got {item!r}")
        exclude[key] = value
    filters: dict[str, Any] = {"name": args.name}
    servers = list(dict.fromkeys(args.server))
    if servers:
        filters["server"] = servers if len(servers) > 1 else servers[0]
    return {
        "keep": keep,
        "older_than": args.older_than,
        "per": None if args.per == "all" else "server",
        "ex_filters": filters,
        "exclude_metadata": exclude,
    }


def _size(decision: PruneDecision) -> int:
    size = decision.image.extra.get("size")
    return size if isinstance(size, int) else 0


def _gb(size: int) -> str:
    return f"{size / _GB:.1f} GB"


def _record(decision: PruneDecision, result: PruneResult | None) -> dict[str, Any]:
    image = decision.image
    record = {
        "id": plain(image.id),
        "name": plain(image.name),
        "server": plain(decision.server),
        "created": plain(image.extra.get("created")),
        "action": decision.action,
        "reason": plain(decision.reason),
    }
    if result is not None:
        record["result"] = result.result
        record["result_reason"] = plain(result.reason)
    return record


class _Bar(TerminalBar):
    """A progress bar of the deletes on a terminal; nothing elsewhere (the table follows)."""

    def __call__(self, done: int, total: int, result: PruneResult) -> None:
        if self.live:
            self.draw("pruning", done, total, f"{done}/{total}")


def _print(plan: list[PruneDecision], results: list[PruneResult] | None, as_json: bool, out: TextIO) -> None:
    if as_json:
        done: list[PruneResult | None] = list(results) if results is not None else [None] * len(plan)
        json.dump([_record(decision, result) for decision, result in zip(plan, done, strict=True)], out, indent=2)
        out.write("\n")
        return
    header = ["ID", "NAME", "SERVER", "CREATED", "ACTION", "REASON"]
    rows = [header if results is None else [*header[:5], "RESULT", "REASON"]]
    for index, decision in enumerate(plan):
        row = [cell(decision.image.id), cell(decision.image.name), cell(decision.server)]
        row += [cell(decision.image.extra.get("created")), decision.action]
        row += [cell(decision.reason)] if results is None else [results[index].result, cell(results[index].reason)]
        rows.append(row)
    table(rows, out)


def run_prune(args: argparse.Namespace, driver: RackImgNodeDriver, out: TextIO, err: TextIO) -> int:
    """Print the plan, or with ``--yes`` apply it and print what happened; the exit code."""
    arguments = prune_arguments(args)  # bad values stop here, before any request
    plan = driver.ex_plan_prune(**arguments)
    doomed = [decision for decision in plan if decision.action == "delete"]
    if not args.yes:
        _print(plan, None, args.json, out)
        if not args.json:
            freed = _gb(sum(_size(decision) for decision in doomed))
            out.write(
                f"{len(doomed)} of {len(plan)} snapshots would be deleted, {freed} freed (plan only: --yes deletes)\n"
            )
        return 0
    bar = _Bar(err)
    try:
        results = driver.ex_apply_prune(plan, on_progress=bar)
    finally:
        bar.done()
    _print(plan, results, args.json, out)
    failed = [result for result in results if result.result == "failed"]
    deleted = [decision for decision, result in zip(plan, results, strict=True) if result.result == "deleted"]
    if not args.json:
        counts = {word: sum(1 for r in results if r.result == word) for word in ("gone", "skipped", "failed")}
        out.write(
            f"{len(deleted)} snapshots deleted, {_gb(sum(_size(d) for d in deleted))} freed;"
            f" {counts['gone']} gone already, {counts['failed']} failed, {counts['skipped']} kept or skipped\n"
        )
    for result in failed:
        err.write(f"rackimg: error: {cell(result.image.id)}: {' '.join(result.reason.split())}\n")
    return PRUNE_FAILED if failed else 0
