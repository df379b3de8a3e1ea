"""``rackimg images prune``: the plan, ``--yes``, ``--json``, bad values, failed deletes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from rackimg_driver.cli import EXIT_CODES
from rackimg_driver.emulator import LocalCloud, seed
from tests.conftest import image_exists
from tests.fixedserver import Answer, FixedServer

from .conftest import (
    Rackimg,
    rackspace_options,
    run_together,
    start_emulator,
    stderr_on_terminal,
    stop,
    table,
)

TENANT = seed.DEMO_TENANT
WEB01_OLD = [seed.history_image_id("web01", n) for n in range(30, 60)]


@pytest.fixture
def history() -> Iterator[LocalCloud]:
    """The demo data and 60 nights of snapshots of web01, db01 and app01."""
    with LocalCloud("rackspace", history=True) as local:
        yield local


@pytest.fixture
def hs(rackimg: Rackimg, history: LocalCloud) -> Rackimg:
    return rackimg.with_options(*rackspace_options(history))


def test_without_yes_it_prints_the_plan_and_changes_nothing(hs: Rackimg, history: LocalCloud) -> None:
    before = len(history.store.list_images(TENANT))

    result = hs("images", "prune", "--keep", "5", "--older-than", "30d", "--server", seed.WEB_SERVER_ID)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    *lines, last = result.stdout.splitlines()
    rows = {row["ID"]: row for row in table("\n".join(lines))}
    assert lines[0].split() == ["ID", "NAME", "SERVER", "CREATED", "ACTION", "REASON"]
    web01_tonight = rows[seed.history_image_id("web01", 0)]
    assert (web01_tonight["SERVER"], web01_tonight["ACTION"], web01_tonight["REASON"]) == (
        "web01",
        "keep",
        "still SAVING",
    )
    assert rows[seed.history_image_id("web01", 3)]["REASON"] == "newest 5 of server web01"
    assert rows[seed.history_image_id("web01", 20)]["REASON"] == "created within 30 days"
    old = rows[seed.history_image_id("web01", 31)]
    assert (old["ACTION"], old["REASON"]) == ("delete", "older than 30 days, not among the newest 5 of server web01")
    assert old["NAME"].startswith("web01-nightly-") and old["CREATED"].endswith("T02:00:00Z")
    doomed = [row for row in rows.values() if row["ACTION"] == "delete"]
    # 30 old nightlies (20 GiB each, the protected one among them: Nova's view cannot show it) and
    # the demo's old web01 snapshots: web01-2024-03-01, web01-legacy, golden-web-protected (50 GiB).
    assert len(doomed) == 33
    freed = (30 * 20 + 50) * 1024**3 / 1e9
    assert last == f"33 of {len(rows)} snapshots would be deleted, {freed:.1f} GB freed (plan only: --yes deletes)"
    assert len(history.store.list_images(TENANT)) == before


def test_json_prints_each_decision(hs: Rackimg) -> None:
    result = hs("images", "prune", "--older-than", "2024-03-02", "--per", "all", "--json")

    assert result.returncode == 0, result.stderr
    decisions = json.loads(result.stdout)
    assert all(set(d) == {"id", "name", "server", "created", "action", "reason"} for d in decisions)
    got = {d["id"]: d for d in decisions}
    assert got[seed.SNAPSHOT_ACTIVE_ID] == {
        "id": seed.SNAPSHOT_ACTIVE_ID,
        "name": "web01-2024-03-01",
        "server": "web01",
        "created": "2024-03-01T12:00:00Z",
        "action": "delete",
        "reason": "created before 2024-03-02",
    }
    assert got[seed.BACKUP_ACTIVE_ID]["reason"] == "created since 2024-03-02"
    assert seed.UBUNTU_2204_ID not in got  # base images are not considered


def test_yes_deletes_and_reports_what_happened(hs: Rackimg, history: LocalCloud) -> None:
    result = hs(
        "images", "prune", "--older-than", "30d", "--server", seed.WEB_SERVER_ID, "--server", seed.DB_SERVER_ID,
        "--exclude-metadata", "retain=true", "--name", "web01-nightly-" + "x", "--yes",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("0 snapshots deleted, 0.0 GB freed")  # no such name

    result = hs(
        "images", "prune", "--older-than", "30d", "--server", seed.WEB_SERVER_ID, "--server", seed.DB_SERVER_ID,
        "--exclude-metadata", "retain=true", "--yes",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    *lines, last = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "SERVER", "CREATED", "ACTION", "RESULT", "REASON"]
    rows = {row["ID"]: row for row in table("\n".join(lines))}
    assert rows[seed.history_image_id("db01", 40)]["RESULT"] == "skipped"
    assert rows[seed.history_image_id("db01", 40)]["REASON"] == "metadata retain=true"
    protected = rows[seed.history_image_id("web01", 45)]
    assert (protected["ACTION"], protected["RESULT"], protected["REASON"]) == (
        "delete",
        "skipped",
        "protected, or not yours",
    )
    assert image_exists(history, seed.history_image_id("web01", 45))
    assert image_exists(history, seed.history_image_id("db01", 40))
    deleted = [image_id for image_id, row in rows.items() if row["RESULT"] == "deleted"]
    assert all(not image_exists(history, image_id) for image_id in deleted)
    assert not image_exists(history, seed.history_image_id("web01", 31)) and image_exists(
        history, seed.history_image_id("app01", 31)
    )
    assert seed.history_image_id("app01", 31) not in rows  # another server
    assert last.startswith(f"{len(deleted)} snapshots deleted, ")
    assert "0 failed" in last


def test_json_after_yes_also_gives_the_result(hs: Rackimg, history: LocalCloud) -> None:
    result = hs("images", "prune", "--keep", "1", "--server", seed.APP_SERVER_ID, "--json", "--yes")

    assert result.returncode == 0, result.stderr
    got = {d["id"]: d for d in json.loads(result.stdout)}
    assert len(got) == seed.HISTORY_DAYS
    assert got[seed.history_image_id("app01", 0)]["result"] == "skipped"
    assert got[seed.history_image_id("app01", 50)]["result"] == "skipped"
    assert got[seed.history_image_id("app01", 50)]["result_reason"] == "in use by server restored01"
    assert got[seed.history_image_id("app01", 7)]["result"] == "deleted"
    assert sum(d["result"] == "deleted" for d in got.values()) == seed.HISTORY_DAYS - 2
    assert [image.name for image in history.store.list_images(TENANT) if image.name.startswith("app01-")] == [
        got[seed.history_image_id("app01", 0)]["name"],
        got[seed.history_image_id("app01", 50)]["name"],
    ]


BAD_VALUES = {
    "keep 0": (["--keep", "0"], "rackimg: error: --keep must be a whole number >= 1, got 0"),
    "keep text": (["--keep", "three"], "rackimg: error: --keep must be a whole number >= 1, got three"),
    "older-than soon": (
        ["--older-than", "soon"],
        "rackimg: error: --older-than takes an age such as 30d or 12h (s m h d w) or an ISO date; got 'soon'",
    ),
    "no rule": (["--yes"], "rackimg: error: give --keep N or --older-than AGE (or both): prune has no rule to go by"),
    "metadata": (
        ["--keep", "1", "--exclude-metadata", "retain"],
        "rackimg: error: --exclude-metadata takes KEY=VALUE, got 'retain'",
    ),
}


def test_bad_values_exit_2_naming_the_option_before_any_request(hs: Rackimg, history: LocalCloud) -> None:
    history.faults.set_delay(0.0)  # counts the requests that reach the cloud
    history.faults.include_identity = True

    results = run_together(*(lambda o=options: hs("images", "prune", *o) for options, _ in BAD_VALUES.values()))

    for result, (_, message) in zip(results, BAD_VALUES.values(), strict=True):
        assert result.returncode == 2, result.stderr
        assert (result.stdout, result.stderr.splitlines()) == ("", [message])
    assert history.faults.injected()["delay"] == 0


def test_a_bad_value_exits_2_before_the_settings_are_read(rackimg: Rackimg) -> None:
    # No credentials at all: the bad value is still what is reported (not exit 3).
    result = rackimg("images", "prune", "--older-than", "yesterday")

    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "rackimg: error: --older-than takes an age such as 30d or 12h (s m h d w) or an ISO date; got 'yesterday'"
    ]
    assert rackimg("images", "prune", "--keep", "2").returncode == 3  # a good value: the credentials are missing


def snapshot(image_id: str, created: str) -> dict[str, object]:
    return {
        "id": image_id, "name": f"old-{image_id}", "status": "ACTIVE", "created": created, "updated": created,
        "metadata": {"image_type": "snapshot"}, "server": {"id": "srv-1"}, "OS-EXT-IMG-SIZE:size": 10**9,
    }  # fmt: skip


def test_a_failed_delete_exits_8_and_the_others_are_done(rackimg: Rackimg) -> None:
    assert 8 in EXIT_CODES
    server = FixedServer()
    prefix = f"/v2/{TENANT}"
    images = [snapshot("img-a", "2020-01-02T00:00:00Z"), snapshot("img-b", "2020-01-01T00:00:00Z")]
    try:
        server.route("GET", f"{prefix}/images/detail", Answer(200, {"images": images}))
        server.route("GET", f"{prefix}/servers/detail", Answer(200, {"servers": [{"id": "srv-1", "name": "web9"}]}))
        for image in images:
            server.route("GET", f"{prefix}/images/{image['id']}", Answer(200, {"image": image}))
        server.route(
            "DELETE", f"{prefix}/images/img-a", Answer(500, {"computeFault": {"code": 500, "message": "boom"}})
        )
        server.route("DELETE", f"{prefix}/images/img-b", Answer(204))
        token = rackimg.with_options("--token", "a-token", "--base-url", f"{server.url}{prefix}", "--retries", "0")

        result = token("images", "prune", "--older-than", "1d", "--yes")
    finally:
        server.close()

    assert result.returncode == 8, result.stderr
    rows = {row["ID"]: row for row in table("\n".join(result.stdout.splitlines()[:-1]))}
    assert rows["img-a"]["RESULT"] == "failed" and rows["img-a"]["REASON"].startswith("500")
    assert rows["img-a"]["SERVER"] == "web9"
    assert rows["img-b"]["RESULT"] == "deleted"
    assert (
        result.stdout.splitlines()[-1]
        == "1 snapshots deleted, 1.0 GB freed; 0 gone already, 1 failed, 0 kept or skipped"
    )
    (line,) = result.stderr.splitlines()
    assert line.startswith("rackimg: error: img-a: 500")
    assert [(s.method, s.path) for s in server.requests if s.method == "DELETE"] == [
        ("DELETE", f"{prefix}/images/img-a"),
        ("DELETE", f"{prefix}/images/img-b"),
    ]


def test_on_a_terminal_yes_shows_a_progress_bar(hs: Rackimg) -> None:
    returncode, stdout, screen = stderr_on_terminal(
        hs, "images", "prune", "--keep", "50", "--server", seed.DB_SERVER_ID, "--yes"
    )

    assert returncode == 0, screen
    # db01: 60 nightlies and 4 demo snapshots; the newest 50 kept, tonight's ERROR one among them.
    bars = re.findall(r"\rpruning \[([#.]{30})\] (\d+)/(\d+)", screen)
    assert [(int(done), int(total)) for _, done, total in bars] == [(n, 12) for n in range(1, 13)]
    assert bars[-1][0] == "#" * 30 and bars[0][0] == "##" + "." * 28
    assert stdout.splitlines()[-1].startswith("12 snapshots deleted")


def test_the_emulator_seeds_a_history_to_try_prune_on(rackimg: Rackimg) -> None:
    process, banner = start_emulator(rackimg, "--history")
    try:
        url = re.search(r"listening on (http://\S+)", banner)
        assert url, banner
        client = rackimg.with_options("--auth-url", url.group(1), "--user", "demo", "--api-key", "demo-api-key")
        result = client("images", "prune", "--older-than", "30d", "--json")
    finally:
        stop(process)

    assert result.returncode == 0, result.stderr
    got = {d["id"]: d for d in json.loads(result.stdout)}
    assert got[seed.history_image_id("app01", 50)]["reason"] == "in use by server restored01"
    assert got[seed.history_image_id("web01", 0)]["reason"] == "still SAVING"
    nightlies = {seed.history_image_id(name, n) for name, _, _ in seed.HISTORY_SERVERS for n in range(60)}
    assert len(nightlies & set(got)) == 180
