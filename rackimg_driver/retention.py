"""Snapshot retention: which snapshots a prune keeps and deletes, and the deletes themselves.

Private module: :class:`PruneDecision` and :class:`PruneResult` are re-exported by
``rackimg_driver``; the driver's ``ex_plan_prune`` and ``ex_apply_prune`` call :func:`plan_prune`
and :func:`apply_prune`. Only snapshots are considered. Whatever the rules say, a snapshot is kept
when it is protected (where the listing shows it: ``extra["protected"]``), when a server boots
from it, when its metadata matches ``exclude_metadata``, and while it is SAVING (or in a state
nobody knows). Right before each delete the image and the servers are looked at again; a delete
the cloud refuses with 403 (a protected image, in the dialects whose listing cannot show it) is
skipped, never retried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.base import Node, NodeImage

from rackimg_driver._ages import (
    Cutoff,
    check_exclude_metadata,
    check_keep,
    check_per,
    cutoff_of,
    moment_of,
    utc_now,
)
from rackimg_driver.types import ImageState, ImageType

if TYPE_CHECKING:
    from rackimg_driver.driver import RackImgNodeDriver

__all__ = ["ACTIONS", "RESULTS", "PruneDecision", "PruneResult", "apply_prune", "plan_prune"]

#: What a plan says of an image, and what applying it did.
ACTIONS = ("keep", "delete")
RESULTS = ("deleted", "gone", "skipped", "failed")


@dataclass(frozen=True)
class PruneDecision:
    """What a prune plan says of one snapshot.

    :ivar image: the snapshot (a libcloud NodeImage).
    :ivar action: ``"keep"`` or ``"delete"``.
    :ivar reason: why, in words a person reads ("newest 3 of server web01", "protected").
    :ivar server: the server the snapshot was made from: its name where ``list_nodes`` knows
        it, else its id (None for a snapshot that names no server).
    """

    image: NodeImage
    action: str
    reason: str
    server: str | None = None


@dataclass(frozen=True)
class PruneResult:
    """What applying a plan did to one snapshot.

    :ivar image: the snapshot.
    :ivar result: ``"deleted"``; ``"gone"`` (it was not there any more); ``"skipped"`` (the plan
        keeps it, or it became protected or in use since the plan); ``"failed"``.
    :ivar reason: why, in words ("older than 30 days", "in use by server db01", "protected").
    :ivar error: the exception of a failure (or of a refused delete), else None.
    """

    image: NodeImage
    result: str
    reason: str
    error: Exception | None = None


# -- the plan --------------------------------------------------------------------------------


def _servers(nodes: Iterable[Node]) -> tuple[dict[str, str], dict[str, str]]:
    """Each server's name by id (its id when it has no name), and the server each image boots."""
    names: dict[str, str] = {}
    booted: dict[str, str] = {}
    for node in nodes:
        server_id = str(node.id)
        names[server_id] = node.name or server_id
        image_id = node.extra.get("image_id")
        if image_id:
            booted.setdefault(image_id, names[server_id])
    return names, booted


def created_of(image: NodeImage) -> datetime | None:
    """The image's ``created`` as a UTC datetime, or None when it has none that reads as a time."""
    text = image.extra.get("created")
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    try:
        return moment_of(datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text))
    except ValueError:
        return None


def _excluded_by(image: NodeImage, exclude: Mapping[str, str]) -> str | None:
    metadata = image.extra.get("metadata")
    if not isinstance(metadata, dict):
        return None
    for key, value in exclude.items():
        seen = metadata.get(key)
        if isinstance(seen, str) and seen.strip().lower() == value.strip().lower():
            return f"metadata {key}={seen}"
    return None


def _always_kept(image: NodeImage, booted: Mapping[str, str], exclude: Mapping[str, str]) -> str | None:
    """The reason a snapshot is kept whatever the rules say, or None."""
    if image.extra.get("protected") is True:
        return "protected"
    if image.id in booted:
        return f"in use by server {booted[image.id]}"
    excluded = _excluded_by(image, exclude)
    if excluded:
        return excluded
    state = image.extra.get("state")
    if state == ImageState.SAVING:
        return "still SAVING"
    if state not in (ImageState.ACTIVE, ImageState.ERROR):
        return f"state {getattr(state, 'value', state) or 'not known'}"
    if created_of(image) is None:
        return "no creation time"
    return None


def plan_prune(
    driver: RackImgNodeDriver,
    keep: int | None = None,
    older_than: Any = None,
    per: str | None = "server",
    ex_filters: Mapping[str, Any] | None = None,
    exclude_metadata: Mapping[str, str] | None = None,
    now: datetime | None = None,
    ex_nodes: Sequence[Node] | None = None,
) -> list[PruneDecision]:
    """The decisions of :meth:`RackImgNodeDriver.ex_plan_prune` (which documents the arguments)."""
    keep = check_keep(keep)
    if now is not None and not isinstance(now, datetime):
        raise ValueError(f"now must be a datetime, got {now!r}")
    cutoff = cutoff_of(older_than, moment_of(now) if now is not None else utc_now())
    if keep is None and cutoff is None:
        raise ValueError("give keep or older_than (or both): a prune with no rule would delete nothing or all")
    per = check_per(per)
    exclude = check_exclude_metadata(exclude_metadata)
    if ex_nodes is None and not driver.dialect.lists_servers:
        raise ValueError(
            f"the {driver.dialect.value} dialect cannot list servers, so it cannot see which images are in use:"
            " pass ex_nodes (e.g. list_nodes() of a driver in the openstack dialect)"
        )
    listings = [driver.ex_iterate_images(filters) for filters in _each_server(ex_filters)]  # checked here
    names, booted = _servers(driver.list_nodes() if ex_nodes is None else ex_nodes)
    seen: set[str] = set()
    snapshots = []
    for listing in listings:
        for image in listing:
            if image.id in seen or image.extra.get("image_type") != ImageType.SNAPSHOT:
                continue
            seen.add(image.id)
            if image.extra.get("state") != ImageState.DELETED:
                snapshots.append(image)
    ruled = _rule(snapshots, keep, cutoff, per, names, booted, exclude)
    return [ruled[image.id] for image in snapshots]


def _each_server(ex_filters: Mapping[str, Any] | None) -> list[Mapping[str, Any] | None]:
    """The filters of each listing: one, or one per server when ``server`` is a list of them."""
    servers = ex_filters.get("server") if isinstance(ex_filters, Mapping) else None
    if not isinstance(servers, (list, tuple)):
        return [ex_filters]
    if not servers:
        raise ValueError("ex_filters['server'] is an empty list: name at least one server")
    assert ex_filters is not None
    return [{**ex_filters, "server": server} for server in servers]


def _rule(
    snapshots: list[NodeImage],
    keep: int | None,
    cutoff: Cutoff | None,
    per: str | None,
    names: Mapping[str, str],
    booted: Mapping[str, str],
    exclude: Mapping[str, str],
) -> dict[str, PruneDecision]:
    decisions: dict[str, PruneDecision] = {}
    groups: dict[str | None, list[tuple[datetime, NodeImage]]] = {}
    for image in snapshots:
        server_id = image.extra.get("serverId")
        server = names.get(server_id, server_id) if server_id else None
        reason = _always_kept(image, booted, exclude)
        if reason is not None:
            decisions[image.id] = PruneDecision(image, "keep", reason, server)
            continue
        created = created_of(image)
        assert created is not None  # an image without one is always kept
        groups.setdefault(server_id if per == "server" else None, []).append((created, image))
    for group_id, members in groups.items():
        members.sort(key=lambda pair: (pair[0], pair[1].id), reverse=True)
        if per == "server":
            whose = f"server {names.get(group_id, group_id)}" if group_id else "snapshots without a server"
        else:
            whose = "all snapshots"
        for rank, (created, image) in enumerate(members):
            server_id = image.extra.get("serverId")
            server = names.get(server_id, server_id) if server_id else None
            action, reason = _verdict(rank, created, keep, cutoff, whose)
            decisions[image.id] = PruneDecision(image, action, reason, server)
    return decisions


def _verdict(rank: int, created: datetime, keep: int | None, cutoff: Cutoff | None, whose: str) -> tuple[str, str]:
    """keep/delete and why, by the rules: with both, an image goes only when both say so."""
    newest = keep is not None and rank < keep
    recent = cutoff is not None and created >= cutoff.moment
    if newest:
        return "keep", f"newest {keep} of {whose}"
    if recent:
        assert cutoff is not None
        return "keep", cutoff.keeps()
    reasons = []
    if cutoff is not None:
        reasons.append(cutoff.deletes())
    if keep is not None:
        reasons.append(f"not among the newest {keep} of {whose}")
    return "delete", ", ".join(reasons)


# -- applying it -------------------------------------------------------------------------------


def _refused(error: BaseHTTPError) -> str:
    # Glance says when an image is protected; Nova answers a protected image and another
    # project's public one with the same words ("You are not allowed to delete the image.").
    said = str(error.message)
    return "protected" if "protected" in said.lower() else "protected, or not yours"


def _failure(error: Exception) -> str:
    if isinstance(error, BaseHTTPError):
        return f"{error.code}: {' '.join(str(error.message).split())}"
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def _recheck(driver: RackImgNodeDriver, image: NodeImage) -> PruneResult | None:
    """A result when the image must not be deleted now (gone, protected, in use), else None."""
    if driver.dialect.lists_servers:
        _, booted = _servers(driver.list_nodes())
        if image.id in booted:
            return PruneResult(image, "skipped", f"in use by server {booted[image.id]}")
    try:
        current = driver.get_image(image.id)
    except BaseHTTPError as error:
        if error.code == 404:
            return PruneResult(image, "gone", "already gone")
        raise
    if current.extra.get("state") == ImageState.DELETED:
        return PruneResult(image, "gone", "already DELETED")
    if current.extra.get("protected") is True:
        return PruneResult(image, "skipped", "protected")
    return None


def _delete_one(driver: RackImgNodeDriver, decision: PruneDecision) -> PruneResult:
    image = decision.image
    try:
        skipped = _recheck(driver, image)
        if skipped is not None:
            return skipped
        driver.delete_image(image)
    except BaseHTTPError as error:
        if error.code == 404:
            return PruneResult(image, "gone", "already gone")
        if error.code == 403:
            return PruneResult(image, "skipped", _refused(error), error)
        return PruneResult(image, "failed", _failure(error), error)
    except Exception as error:  # one image's failure does not stop the others
        return PruneResult(image, "failed", _failure(error), error)
    return PruneResult(image, "deleted", decision.reason)


def apply_prune(
    driver: RackImgNodeDriver,
    plan: Sequence[PruneDecision],
    on_progress: Callable[[int, int, PruneResult], Any] | None = None,
) -> list[PruneResult]:
    """The results of :meth:`RackImgNodeDriver.ex_apply_prune` (which documents the arguments)."""
    if isinstance(plan, (str, bytes)) or not all(isinstance(d, PruneDecision) for d in plan):
        raise ValueError("plan must be the list of PruneDecision that ex_plan_prune returned")
    for decision in plan:
        if decision.action not in ACTIONS:
            raise ValueError(f"a decision's action must be 'keep' or 'delete', got {decision.action!r}")
    total = sum(1 for decision in plan if decision.action == "delete")
    results: list[PruneResult] = []
    done = 0
    for decision in plan:
        if decision.action == "keep":
            results.append(PruneResult(decision.image, "skipped", decision.reason))
            continue
        result = _delete_one(driver, decision)
        results.append(result)
        done += 1
        if on_progress is not None:
            on_progress(done, total, result)
    return results
