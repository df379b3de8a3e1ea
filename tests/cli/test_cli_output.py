"""``rackimg images list`` output options: every format, -c, --sort, --long, --no-header,
--max-width; the 80-column default on a real terminal; rows written as pages arrive."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import select
import struct
import subprocess
import termios
import threading
import time

import pytest

from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import (
    ARCH_LEGACY_ID,
    DEMO_TENANT,
    SNAPSHOT_ACTIVE_ID,
    SNAPSHOT_SAVING_ID,
    WINDOWS_2019_ID,
)
from tests.fixedserver import Answer, FixedServer, Seen

from .conftest import RUN_TIMEOUT, SEEDED_IDS, SEEDED_IMAGES, Rackimg, read_terminal, run_together, table

NAMES = {image.id: image.name for image in SEEDED_IMAGES}


def test_every_format_writes_the_same_fields_with_the_same_names(rs: Rackimg) -> None:
    columns = ["-c", "id", "-c", "name,state", "-c", "min_ram"]
    as_table, as_json, as_jsonl, as_csv, as_value = run_together(
        *(lambda f=f: rs("images", "list", "-f", f, *columns) for f in ("table", "json", "jsonl", "csv", "value"))
    )

    for result in (as_table, as_json, as_jsonl, as_csv, as_value):
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
    assert as_table.stdout.splitlines()[0].split() == ["ID", "NAME", "STATE", "MIN_RAM"]
    from_json = json.loads(as_json.stdout)
    from_jsonl = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    from_csv = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert from_json == from_jsonl
    assert [list(record) for record in from_json] == [["id", "name", "state", "min_ram"]] * len(SEEDED_IDS)
    assert [r["id"] for r in from_json] == [r["id"] for r in from_csv] == SEEDED_IDS
    assert [r["ID"] for r in table(as_table.stdout)] == SEEDED_IDS
    by_id = {r["id"]: r for r in from_json}
    assert by_id[WINDOWS_2019_ID]["min_ram"] == 2048
    assert {r["id"]: r["min_ram"] for r in from_csv}[WINDOWS_2019_ID] == "2048"
    assert by_id[SNAPSHOT_SAVING_ID]["state"] == "SAVING"
    value_lines = as_value.stdout.splitlines()
    assert value_lines[0] == f"{SNAPSHOT_SAVING_ID} db01-saving SAVING 0"
    assert len(value_lines) == len(SEEDED_IDS)


def test_json_is_the_short_form_of_format_json(rs: Rackimg) -> None:
    short, long = run_together(lambda: rs("images", "list", "--json"), lambda: rs("images", "list", "-f", "json"))

    assert short.returncode == long.returncode == 0
    assert json.loads(short.stdout) == json.loads(long.stdout)
    assert "links" not in json.loads(short.stdout)[0]


def test_value_and_csv_without_columns_are_the_default_tables(rs: Rackimg) -> None:
    as_value, as_csv, as_csv_long = run_together(
        lambda: rs("images", "list", "-f", "value"),
        lambda: rs("images", "list", "-f", "csv", "--no-header"),
        lambda: rs("images", "list", "-f", "csv", "--long"),
    )

    assert as_value.stdout.splitlines()[0] == f"{SNAPSHOT_SAVING_ID} db01-saving SAVING SNAPSHOT 2024-03-05T13:00:00Z"
    assert as_csv.stdout.splitlines()[0] == f"{SNAPSHOT_SAVING_ID},db01-saving,SAVING,SNAPSHOT,2024-03-05T13:00:00Z"
    assert as_csv_long.stdout.splitlines()[0] == "id,name,state,type,progress,server_id,created,updated"


def test_a_brief_listing_has_only_id_and_name_in_every_format(rs: Rackimg) -> None:
    as_json, as_jsonl, as_table = run_together(
        lambda: rs("images", "list", "--brief", "--json"),
        lambda: rs("images", "list", "--brief", "-f", "jsonl"),
        lambda: rs("images", "list", "--brief"),
    )

    assert [list(r) for r in json.loads(as_json.stdout)] == [["id", "name"]] * len(SEEDED_IDS)
    assert [list(json.loads(line)) for line in as_jsonl.stdout.splitlines()] == [["id", "name"]] * len(SEEDED_IDS)
    assert as_table.stdout.splitlines()[0].split() == ["ID", "NAME"]


def test_sort_by_several_keys_and_directions(rs: Rackimg) -> None:
    by_name, by_type_then_name, by_disk = run_together(
        lambda: rs("images", "list", "--sort", "name", "-f", "value", "-c", "name"),
        lambda: rs("images", "list", "--sort", "type:desc", "--sort", "name:asc", "-f", "json", "-c", "type,name"),
        lambda: rs("images", "list", "--sort", "min_disk:desc", "-f", "value", "-c", "id"),
    )

    assert by_name.stdout.splitlines() == sorted(NAMES.values(), key=str.casefold)
    records = json.loads(by_type_then_name.stdout)
    expected = sorted(SEEDED_IMAGES, key=lambda i: i.name.casefold())
    expected = [i for i in expected if i.type == "SNAPSHOT"] + [i for i in expected if i.type == "BASE"]
    assert [(r["type"], r["name"]) for r in records] == [(i.type, i.name) for i in expected]
    assert by_disk.stdout.split()[0] == WINDOWS_2019_ID


def test_the_default_table_shows_the_date_it_sorts_by(rs: Rackimg) -> None:
    result = rs("images", "list", "--sort", "updated:desc", env={"COLUMNS": "200"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["ID", "NAME", "STATE", "TYPE", "UPDATED"]
    updated = [row["UPDATED"] for row in table(result.stdout)]
    assert updated == sorted(updated, reverse=True)
    assert table(result.stdout)[-1]["ID"] == ARCH_LEGACY_ID


def test_no_header_and_max_width(rs: Rackimg) -> None:
    bare, narrow, unlimited = run_together(
        lambda: rs("images", "list", "--no-header"),
        lambda: rs("images", "list", "--max-width", "60"),
        lambda: rs("images", "list", "--max-width", "0", env={"COLUMNS": "40"}),
    )

    assert bare.stdout.splitlines()[0].startswith(SNAPSHOT_SAVING_ID)
    assert len(bare.stdout.splitlines()) == len(SEEDED_IDS)
    # As narrow as it goes: the id whole (36), names cut to 8, the state, the type, the date alone.
    assert max(len(line) for line in narrow.stdout.splitlines()) == 36 + 2 + 8 + 2 + 7 + 2 + 8 + 2 + 10
    assert table(narrow.stdout)[8]["NAME"] == "Ubuntu …"
    assert [row["NAME"] for row in table(unlimited.stdout)] == [i.name for i in SEEDED_IMAGES]


def test_show_takes_the_output_options(rs: Rackimg) -> None:
    as_value, as_jsonl = run_together(
        lambda: rs("images", "show", SNAPSHOT_ACTIVE_ID, "-f", "value", "-c", "name", "-c", "state"),
        lambda: rs("images", "show", SNAPSHOT_ACTIVE_ID, "-f", "jsonl"),
    )

    assert as_value.stdout == "web01-2024-03-01\nACTIVE\n"
    record = json.loads(as_jsonl.stdout)
    assert record["id"] == SNAPSHOT_ACTIVE_ID and "links" not in record


def test_servers_take_the_output_options(rs: Rackimg) -> None:
    result = rs("servers", "-f", "csv", "-c", "name", "--sort", "name")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["name", "db01", "web01", "win01"]


BAD_OUTPUT = {
    "column": (
        ["-c", "colour"],
        "rackimg: error: --column must be one of id, name, state, type, progress, server_id, created, updated,"
        " status, visibility, owner, protected, tags, min_disk, min_ram, size, checksum, disk_format,"
        " container_format, disk_config, os_type, os_distro, os_version, glance_status, member_status,"
        " metadata, got 'colour'",
    ),
    "brief-column": (["--brief", "-c", "state"], "rackimg: error: --column state needs a detailed listing"
                     " (a brief one has id, name)"),
    "sort-direction": (["--sort", "name:up"], "rackimg: error: --sort takes FIELD, FIELD:asc or FIELD:desc, got 'name:up'"),
    "format": (["-f", "yaml"], "rackimg: error: --format must be one of table, json, jsonl, csv, value, got 'yaml'"),
    "max-width": (["--max-width", "-3"], "rackimg: error: --max-width must be a whole number >= 0 (0 = unlimited), got -3"),
}  # fmt: skip


@pytest.mark.parametrize(("options", "message"), BAD_OUTPUT.values(), ids=BAD_OUTPUT.keys())
def test_a_bad_output_option_exits_2_naming_it_before_any_request(
    rs: Rackimg, cloud: LocalCloud, options: list[str], message: str
) -> None:
    cloud.faults.set_delay(0.0)  # counts compute requests

    result = rs("images", "list", *options)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [message]
    assert cloud.faults.injected()["delay"] == 0


# -- a real terminal -----------------------------------------------------------------------------


def run_on_terminal(rackimg: Rackimg, *args: str, columns: int = 80) -> str:
    """``rackimg ARGS`` with stdout on a terminal ``columns`` wide (and no $COLUMNS): what it shows."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {key: value for key, value in rackimg.env.items() if key not in ("COLUMNS", "LINES")}
    try:
        process = subprocess.Popen(
            [rackimg.script, *rackimg.options, *args],
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
            env=env,
            cwd=rackimg.cwd,
        )
        os.close(terminal)
        terminal = -1
        screen = read_terminal(controller, process)
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    return screen.replace("\r\n", "\n")


def test_on_an_80_column_terminal_the_default_table_fits(rs: Rackimg) -> None:
    screen = run_on_terminal(rs, "images", "list")

    lines = screen.splitlines()
    assert lines[0].split() == ["ID", "NAME", "STATE", "TYPE", "CREATED"]
    assert len(lines) == 1 + len(SEEDED_IDS)
    assert max(len(line) for line in lines) <= 80
    assert [row["ID"] for row in table(screen)] == SEEDED_IDS


def test_on_a_wide_terminal_long_shows_everything(rs: Rackimg) -> None:
    screen = run_on_terminal(rs, "images", "list", "--long", columns=250)

    rows = table(screen)
    assert [row["NAME"] for row in rows] == [i.name for i in SEEDED_IMAGES]
    assert {row["ID"]: row["UPDATED"] for row in rows}[SNAPSHOT_ACTIVE_ID] == "2024-03-01T12:09:00Z"


# -- streaming -------------------------------------------------------------------------------------


def _image(number: int) -> dict[str, object]:
    return {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "name": f"streamed-{number}",
        "status": "ACTIVE",
        "created": "2024-01-01T00:00:00Z",
        "updated": "2024-01-01T00:00:00Z",
        "metadata": {},
    }


class HeldPages:
    """A listing of two pages; the second is answered only once ``release`` is set (or after
    ``hold`` seconds), so a command that prints nothing before its last page shows nothing in time."""

    def __init__(self, base: str, hold: float) -> None:
        self.release = threading.Event()
        self.hold = hold
        self.base = base

    def __call__(self, seen: Seen) -> Answer:
        if "marker" not in seen.query:
            first = [_image(n) for n in range(1, 4)]
            link = f"{self.base}/images/detail?marker={first[-1]['id']}"
            return Answer(200, {"images": first, "images_links": [{"rel": "next", "href": link}]})
        self.release.wait(self.hold)
        return Answer(200, {"images": [_image(n) for n in range(4, 6)]})


def read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.parametrize("fmt", ["table", "value", "csv", "jsonl"])
def test_the_first_rows_are_written_before_the_last_page_is_read(rackimg: Rackimg, fmt: str) -> None:
    server = FixedServer()
    base = f"{server.url}/v2/{DEMO_TENANT}"
    pages = HeldPages(base, hold=RUN_TIMEOUT / 2)
    server.route("GET", f"/v2/{DEMO_TENANT}/images/detail", pages)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [rackimg.script, "images", "list", "--token", "t", "--base-url", base, "-f", fmt],
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
            env=rackimg.env,
            cwd=rackimg.cwd,
        )
        os.close(terminal)
        terminal = -1
        started = time.monotonic()
        early = read_until(controller, b"streamed-1", timeout=RUN_TIMEOUT / 4)
        waited = time.monotonic() - started
        pages.release.set()
        rest = read_until(controller, b"streamed-5", timeout=RUN_TIMEOUT / 2)
        process.wait(timeout=RUN_TIMEOUT)
    finally:
        pages.release.set()
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
        server.close()

    assert b"streamed-1" in early, f"nothing after {waited:.1f} s: {early!r}"
    assert b"streamed-4" not in early  # the second page was still held back
    shown = (early + rest).decode()
    assert process.returncode == 0
    assert all(f"streamed-{n}" in shown for n in range(1, 6)), shown
    assert len(server.api_requests()) == 2
