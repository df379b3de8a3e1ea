"""``rackimg images show | delete | snapshot | wait``."""

from __future__ import annotations

import json
import re
import signal
import subprocess

from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import (
    BACKUP_ACTIVE_ID,
    DB_SERVER_ID,
    DEMO_TENANT,
    PROTECTED_IMAGE_ID,
    SNAPSHOT_ACTIVE_ID,
    SNAPSHOT_KILLED_ID,
    SNAPSHOT_SAVING_ID,
    WEB_SERVER_ID,
)
from tests.conftest import image_exists
from tests.fixedserver import Answer, FixedServer

from .conftest import RUN_TIMEOUT, SEEDED_IDS, Rackimg, run_together, stderr_on_terminal

# Snapshots the wait tests watch stay SAVING long enough for the command to start and poll a few times.
WATCHED_SAVING_SECONDS = 2.0
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# -- show ----------------------------------------------------------------------------------------


def test_show_prints_one_key_per_line(rs: Rackimg) -> None:
    result = rs("images", "show", SNAPSHOT_ACTIVE_ID)

    assert result.returncode == 0, result.stderr
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert fields["id"] == SNAPSHOT_ACTIVE_ID
    assert fields["name"] == "web01-2024-03-01"
    assert fields["state"] == "ACTIVE"
    assert fields["type"] == "SNAPSHOT"
    assert fields["server_id"] == WEB_SERVER_ID
    assert fields["size"] == "21474836480"
    assert fields["os_version"] == "-"
    assert json.loads(fields["metadata"])["instance_uuid"] == WEB_SERVER_ID


def test_show_json_is_the_whole_image(rs: Rackimg) -> None:
    result = rs("images", "show", BACKUP_ACTIVE_ID, "--json")

    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["id"] == BACKUP_ACTIVE_ID
    assert record["name"] == "db01-daily-backup"
    assert (record["state"], record["type"], record["progress"]) == ("ACTIVE", "SNAPSHOT", 100)
    assert record["server_id"] == DB_SERVER_ID
    assert record["metadata"]["image_type"] == "backup"
    assert record["os_distro"] == "debian"


def test_show_an_unknown_id_exits_4_naming_it(rs: Rackimg, osk: Rackimg) -> None:
    rackspace, openstack = run_together(
        lambda: rs("images", "show", "no-such-image"),
        lambda: osk("images", "show", "no-such-image"),
    )

    for result in (rackspace, openstack):
        assert result.returncode == 4
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "rackimg: error: no such image no-such-image: 404 Not Found: Image not found."
        ]


def test_debug_shows_the_traceback_and_keeps_the_exit_code(rs: Rackimg) -> None:
    result = rs("--debug", "images", "show", "no-such-image")

    assert result.returncode == 4
    assert "Traceback (most recent call last):" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == (
        "rackimg: error: no such image no-such-image: 404 Not Found: Image not found."
    )


# -- delete --------------------------------------------------------------------------------------


def test_delete_yes_deletes_without_asking(rs: Rackimg, cloud: LocalCloud) -> None:
    result = rs("images", "delete", "--yes", SNAPSHOT_ACTIVE_ID)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"deleted {SNAPSHOT_ACTIVE_ID}\n"
    assert result.stderr == ""
    assert not image_exists(cloud, SNAPSHOT_ACTIVE_ID)
    after = rs("images", "show", SNAPSHOT_ACTIVE_ID)
    assert after.returncode == 4
    assert after.stderr.splitlines() == [
        f"rackimg: error: no such image {SNAPSHOT_ACTIVE_ID}: 404 Not Found: Image not found."
    ]


def test_delete_asks_and_y_deletes(rs: Rackimg, cloud: LocalCloud) -> None:
    result = rs("images", "delete", SNAPSHOT_ACTIVE_ID, stdin="y\n")

    assert result.returncode == 0, result.stderr
    # A piped answer is not echoed: the command ends the question's line itself.
    assert result.stderr == f"Delete 1 image(s): {SNAPSHOT_ACTIVE_ID}? [y/N] \n"
    assert result.stdout == f"deleted {SNAPSHOT_ACTIVE_ID}\n"
    assert not image_exists(cloud, SNAPSHOT_ACTIVE_ID)


def test_delete_anything_but_yes_deletes_nothing_and_exits_1(rs: Rackimg, cloud: LocalCloud) -> None:
    answers = {"no": "n\n", "empty line": "\n", "EOF": ""}

    results = run_together(
        *(
            lambda answer=answer: rs("images", "delete", SNAPSHOT_ACTIVE_ID, BACKUP_ACTIVE_ID, stdin=answer)
            for answer in answers.values()
        )
    )

    question = f"Delete 2 image(s): {SNAPSHOT_ACTIVE_ID}, {BACKUP_ACTIVE_ID}? [y/N] "
    for case, result in zip(answers, results, strict=True):
        assert result.returncode == 1, case
        assert result.stdout == "", case
        # A piped answer is not echoed: the command ends the question's line itself.
        assert result.stderr == question + "\nrackimg: nothing deleted\n", case
    assert image_exists(cloud, SNAPSHOT_ACTIVE_ID)
    assert image_exists(cloud, BACKUP_ACTIVE_ID)


def test_delete_several_ids(rs: Rackimg, cloud: LocalCloud) -> None:
    result = rs("images", "delete", "-y", SNAPSHOT_ACTIVE_ID, BACKUP_ACTIVE_ID, SNAPSHOT_ACTIVE_ID)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"deleted {SNAPSHOT_ACTIVE_ID}", f"deleted {BACKUP_ACTIVE_ID}"]
    assert not image_exists(cloud, SNAPSHOT_ACTIVE_ID)
    assert not image_exists(cloud, BACKUP_ACTIVE_ID)


def test_delete_a_protected_image_says_so_and_keeps_it(
    rs: Rackimg, osk: Rackimg, cloud: LocalCloud, openstack_cloud: LocalCloud
) -> None:
    rackspace, openstack = run_together(
        lambda: rs("images", "delete", "--yes", PROTECTED_IMAGE_ID),
        lambda: osk("images", "delete", "--yes", PROTECTED_IMAGE_ID),
    )

    # Nova answers a protected image and another project's alike: the command cannot say which.
    for result in (rackspace, openstack):
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"rackimg: error: image {PROTECTED_IMAGE_ID} is protected, or not yours:"
            " 403 Forbidden: You are not allowed to delete the image."
        ]
    assert image_exists(cloud, PROTECTED_IMAGE_ID)
    assert image_exists(openstack_cloud, PROTECTED_IMAGE_ID)


def test_delete_says_protected_when_the_server_says_so(rackimg: Rackimg) -> None:
    # Glance's words, as a server passing them on would send them.
    server = FixedServer()
    try:
        glance_words = f"Image {PROTECTED_IMAGE_ID} is protected and cannot be deleted."
        server.route(
            "DELETE",
            f"/v2/{DEMO_TENANT}/images/{PROTECTED_IMAGE_ID}",
            Answer(403, {"forbidden": {"code": 403, "message": glance_words}}),
        )
        token = rackimg.with_options("--token", "a-token", "--base-url", f"{server.url}/v2/{DEMO_TENANT}")

        result = token("images", "delete", "--yes", PROTECTED_IMAGE_ID)
    finally:
        server.close()

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"rackimg: error: image {PROTECTED_IMAGE_ID} is protected: 403 Forbidden: {glance_words}"
    ]


def test_delete_a_missing_image_exits_4_naming_it_and_still_deletes_the_others(rs: Rackimg, cloud: LocalCloud) -> None:
    result = rs("images", "delete", "--yes", "no-such-image", SNAPSHOT_ACTIVE_ID)

    assert result.returncode == 4
    assert result.stdout.splitlines() == [f"deleted {SNAPSHOT_ACTIVE_ID}"]
    assert result.stderr.splitlines() == [
        "rackimg: error: no such image no-such-image: 404 Not Found: Image not found."
    ]
    assert not image_exists(cloud, SNAPSHOT_ACTIVE_ID)


# -- snapshot ------------------------------------------------------------------------------------


def test_snapshot_prints_the_new_id_and_saving(rs: Rackimg, cloud: LocalCloud) -> None:
    result = rs("images", "snapshot", WEB_SERVER_ID, "--name", "web01-nightly")

    assert result.returncode == 0, result.stderr
    match = re.fullmatch(rf"({UUID}) SAVING\n", result.stdout)
    assert match, result.stdout
    record = cloud.store.get_image(DEMO_TENANT, match[1])
    assert record.name == "web01-nightly"
    assert record.properties["instance_uuid"] == WEB_SERVER_ID


def test_snapshot_wait_ends_active(rs: Rackimg, cloud: LocalCloud) -> None:
    result = rs("images", "snapshot", DB_SERVER_ID, "--name", "db01-now", "--wait", "--timeout", "20")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    image_id = lines[0].split()[0]
    assert lines == [f"{image_id} SAVING", f"{image_id} ACTIVE"]
    assert result.stderr.splitlines()[-1] == f"{image_id} progress 100%"
    assert cloud.store.get_image(DEMO_TENANT, image_id).status == "active"


def test_snapshot_metadata_lands_in_the_image(rs: Rackimg) -> None:
    made = rs(
        "images", "snapshot", WEB_SERVER_ID, "--name", "tagged",
        "--metadata", "owner=ops", "--metadata", "ticket=OPS-1=2", "--metadata", "empty=",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    image_id = made.stdout.split()[0]

    shown = rs("images", "show", image_id, "--json")

    assert shown.returncode == 0, shown.stderr
    metadata = json.loads(shown.stdout)["metadata"]
    assert metadata["owner"] == "ops"
    assert metadata["ticket"] == "OPS-1=2"
    assert metadata["empty"] == ""
    assert metadata["image_type"] == "snapshot"
    assert metadata["instance_uuid"] == WEB_SERVER_ID


def test_snapshot_bad_metadata_exits_2_and_makes_nothing(rs: Rackimg, cloud: LocalCloud) -> None:
    items = ["novalue", "=value"]

    results = run_together(
        *(
            lambda item=item: rs("images", "snapshot", WEB_SERVER_ID, "--name", "n", "--metadata", item)
            for item in items
        )
    )

    for item, result in zip(items, results, strict=True):
        assert result.returncode == 2, item
        assert result.stdout == ""
        assert result.stderr.splitlines() == [f"rackimg: error: --metadata takes KEY=VALUE, got {item!r}"]
    assert len(cloud.store.list_images(DEMO_TENANT)) == len(SEEDED_IDS)


def test_snapshot_of_an_unknown_server_exits_4(rs: Rackimg) -> None:
    result = rs("images", "snapshot", "no-such-server", "--name", "n")

    assert result.returncode == 4
    assert result.stderr.splitlines() == ["rackimg: error: 404 Not Found: Instance no-such-server could not be found."]


# -- wait ----------------------------------------------------------------------------------------


def new_snapshot(cloud: LocalCloud, name: str = "waited-for") -> str:
    return cloud.store.create_snapshot(DEMO_TENANT, WEB_SERVER_ID, name, saving_seconds=WATCHED_SAVING_SECONDS).id


def test_wait_prints_progress_lines_then_the_final_state(rs: Rackimg, cloud: LocalCloud) -> None:
    image_id = new_snapshot(cloud)

    result = rs("images", "wait", image_id, "--interval", "0.2", "--timeout", "20")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{image_id} ACTIVE\n"
    lines = result.stderr.splitlines()
    assert len(lines) >= 2, lines
    progress = []
    for line in lines:
        match = re.fullmatch(rf"{image_id} progress (\d+)%", line)
        assert match, line
        progress.append(int(match[1]))
    assert progress == sorted(set(progress))
    assert progress[-1] == 100
    assert progress[0] < 100


def test_wait_timeout_exits_7(rs: Rackimg) -> None:
    result = rs("images", "wait", SNAPSHOT_SAVING_ID, "--timeout", "0.5", "--interval", "0.2")

    assert result.returncode == 7
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{SNAPSHOT_SAVING_ID} progress 50%",
        f"rackimg: error: image {SNAPSHOT_SAVING_ID} still SAVING (progress 50) after 0.5 s waiting for ACTIVE",
    ]


def test_wait_exits_6_when_the_image_errors(rs: Rackimg) -> None:
    errored = rs("images", "wait", SNAPSHOT_KILLED_ID, "--interval", "0.2")

    assert errored.returncode == 6
    assert errored.stdout == ""
    assert errored.stderr.splitlines() == [
        f"{SNAPSHOT_KILLED_ID} progress 0%",
        f"rackimg: error: image {SNAPSHOT_KILLED_ID} is ERROR while waiting for ACTIVE",
    ]


def test_wait_for_an_id_that_never_existed_exits_4_naming_it(rs: Rackimg, osk: Rackimg) -> None:
    results = run_together(
        lambda: rs("images", "wait", "no-such-image", "--interval", "0.2"),
        lambda: rs("images", "wait", "no-such-image", "--state", "DELETED", "--interval", "0.2"),
        lambda: osk("images", "wait", "no-such-image", "--interval", "0.2"),
    )

    for result in results:
        assert result.returncode == 4
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "rackimg: error: no such image no-such-image: 404 at the first poll, nothing to wait for"
        ]


def test_wait_exits_6_when_the_image_disappears_while_waited_for(rs: Rackimg, cloud: LocalCloud) -> None:
    image_id = new_snapshot(cloud, "deleted-while-waited-for")
    process = subprocess.Popen(
        [rs.script, *rs.options, "images", "wait", image_id, "--interval", "0.2", "--timeout", "20"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=rs.env,
        cwd=rs.cwd,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()  # the first poll saw it
        cloud.store.delete_image(DEMO_TENANT, image_id)
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert re.fullmatch(rf"{image_id} progress \d+%\n", first), first
    assert process.returncode == 6
    assert stdout == ""
    assert stderr.splitlines()[-1] == f"rackimg: error: image {image_id} disappeared (404) while waiting for ACTIVE"


def test_wait_draws_a_live_bar_when_stderr_is_a_terminal(rs: Rackimg, cloud: LocalCloud) -> None:
    image_id = new_snapshot(cloud, "watched")
    returncode, stdout, screen = stderr_on_terminal(
        rs, "images", "wait", image_id, "--interval", "0.2", "--timeout", "20"
    )

    assert returncode == 0, screen
    assert stdout == f"{image_id} ACTIVE\n"
    bars = re.findall(rf"\r{image_id} \[([#.]{{30}})\] +(\d+)%", screen)
    assert len(bars) >= 2, repr(screen)
    for filled, percent in bars:
        assert filled == "#" * (int(percent) * 30 // 100) + "." * (30 - int(percent) * 30 // 100)
    assert bars[-1] == ("#" * 30, "100")
    assert "progress" not in screen  # no plain lines on a terminal
    assert screen.endswith("100%\r\n")  # the bar is closed with a newline (the terminal adds \r)


def test_ctrl_c_while_waiting_exits_130_without_a_traceback(rs: Rackimg) -> None:
    process = subprocess.Popen(
        [rs.script, *rs.options, "images", "wait", SNAPSHOT_SAVING_ID, "--interval", "0.2", "--timeout", "20"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=rs.env,
        cwd=rs.cwd,
        # As from a terminal: a run started in the background (CI) inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()  # the first poll is done: the command is waiting
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert first == f"{SNAPSHOT_SAVING_ID} progress 50%\n"
    assert process.returncode == 130
    assert stdout == ""
    assert stderr == "rackimg: interrupted\n"


def test_a_hostile_listing_prints_as_a_table_and_as_valid_json(rackimg: Rackimg) -> None:
    # A name with a lone surrogate (no UTF-8 form) and metadata holding 1e999 (inf: not JSON).
    body = (
        '{"images": [{"id": "odd", "name": "bad \\ud800 name", "status": "ACTIVE",'
        ' "metadata": {"size": 1e999, "deep": [[[["x"]]]]}}]}'
    )
    server = FixedServer()
    try:
        server.route("GET", f"/v2/{DEMO_TENANT}/images/detail", Answer(200, body, {"Content-Type": "application/json"}))
        token = rackimg.with_options("--token", "a-token", "--base-url", f"{server.url}/v2/{DEMO_TENANT}")
        as_table = token("images", "list")
        as_json = token("images", "list", "--json")
    finally:
        server.close()
    assert as_table.returncode == 0, as_table.stderr
    assert "bad \\ud800 name" in as_table.stdout
    assert as_json.returncode == 0, as_json.stderr
    (record,) = json.loads(as_json.stdout)  # strict JSON: no Infinity, no unpaired surrogate
    assert record["name"] == "bad \\ud800 name" and record["metadata"] == {"size": None, "deep": [[[["x"]]]]}
