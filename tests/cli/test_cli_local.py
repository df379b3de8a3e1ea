"""The local cloud from the command line: ``--cloud local`` with credentials given anyway, and
``rackimg emulator`` printing what to type, seeding more images and resetting its state."""

from __future__ import annotations

import shlex
from pathlib import Path

from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import DEMO_TENANT, SNAPSHOT_ACTIVE_ID

from .conftest import SEEDED_IDS, Rackimg, ids_of, run_together, start_emulator, stop


def test_local_cloud_checks_the_credentials_it_is_given(rackimg: Rackimg) -> None:
    wrong_key, wrong_user, right = run_together(
        lambda: rackimg("--cloud", "local", "--api-key", "not-the-key-77aa", "images", "list"),
        lambda: rackimg("images", "list", "--cloud", "local", env={"RACKIMG_USER": "alice"}),
        lambda: rackimg("--cloud", "local", "--user", "demo", "--api-key", "demo-api-key", "images", "list"),
    )

    assert wrong_key.returncode == wrong_user.returncode == 3
    assert wrong_key.stdout == wrong_user.stdout == ""
    assert wrong_key.stderr.splitlines() == [
        "rackimg: error: --cloud local: the --api-key given is not the local cloud's; leave it out (the local cloud"
        " logs in by itself), or see `rackimg emulator` for its account"
    ]
    assert "not-the-key-77aa" not in wrong_key.stderr
    assert wrong_user.stderr.startswith("rackimg: error: --cloud local: the RACKIMG_USER given is not")
    assert right.returncode == 0, right.stderr
    assert right.stderr == ""


def test_local_cloud_warns_once_that_other_settings_are_ignored(rackimg: Rackimg) -> None:
    result = rackimg(
        "--cloud", "local", "--auth-url", "https://identity.example", "images", "list", "--region", "ord",
        env={"RACKIMG_TENANT": "other"},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert ids_of(result.stdout) == SEEDED_IDS
    assert result.stderr.splitlines() == [
        "rackimg: warning: --cloud local logs in by itself: ignored --auth-url, RACKIMG_TENANT, --region"
    ]


def test_http_timeout_help_says_what_one_number_sets(rackimg: Rackimg) -> None:
    top, sub = run_together(lambda: rackimg("--help"), lambda: rackimg("images", "list", "--help"))

    for result in (top, sub):
        flat = " ".join(result.stdout.split())
        assert (
            "--http-timeout SECONDS one number sets both the wait for a connection and the wait for each answer" in flat
        )


def the_command_it_prints(banner: str) -> list[str]:
    """The ``rackimg ... images list`` line under "Options:", as words."""
    lines = banner.splitlines()
    return shlex.split(lines[lines.index("Options:") + 1])


def test_the_emulator_prints_options_that_work_as_they_are(rackimg: Rackimg) -> None:
    process, banner = start_emulator(rackimg)
    try:
        words = the_command_it_prints(banner)
        assert words[0] == "rackimg" and words[-2:] == ["images", "list"]
        assert "ex_force_auth_url" not in banner  # no Python keyword names
        assert "[local]" in banner and "api_key = demo-api-key" in banner  # a profile
        listed = rackimg(*words[1:])
    finally:
        stop(process)

    assert listed.returncode == 0, listed.stderr
    assert ids_of(listed.stdout) == SEEDED_IDS


def test_the_openstack_emulator_prints_an_openrc_and_a_clouds_yaml_that_work(rackimg: Rackimg) -> None:
    process, banner = start_emulator(rackimg, "--dialect", "openstack")
    try:
        lines = banner.splitlines()
        by_options = rackimg(*the_command_it_prints(banner)[1:], "-f", "value", "-c", "id")
        exports = [line.strip() for line in lines if line.strip().startswith("export OS_")]
        openrc = dict(word.split("=", 1) for line in exports for word in shlex.split(line)[1:])
        by_openrc = rackimg("images", "list", "-f", "value", "-c", "id", env=openrc)
        start = lines.index("  clouds:")
        snippet = [line[2:] for line in lines[start:] if line.startswith("    ") or line == "  clouds:"]
        (rackimg.cwd / "clouds.yaml").write_text("\n".join(snippet) + "\n", encoding="utf-8")
        by_clouds_yaml = rackimg("images", "list", "-f", "value", "-c", "id", "--os-cloud", "local")
    finally:
        stop(process)

    for result in (by_options, by_openrc, by_clouds_yaml):
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == SEEDED_IDS


def test_the_emulator_seeds_more_images_and_resets_its_state(rackimg: Rackimg, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"

    seeded = rackimg("emulator", "--state", str(state), "--images", "25", "--no-serve")
    again = rackimg("emulator", "--state", str(state), "--images", "5", "--no-serve")
    with LocalCloud(state=str(state)) as cloud:
        after_seeding = [record.id for record in cloud.store.list_images(DEMO_TENANT)]
    reset = rackimg("emulator", "--state", str(state), "--reset", "--no-serve")
    with LocalCloud(state=str(state)) as cloud:
        after_reset = [record.id for record in cloud.store.list_images(DEMO_TENANT)]

    assert seeded.returncode == again.returncode == reset.returncode == 0
    assert seeded.stdout == f"added 25 images (bulk-image-N) to {state}\n"
    assert len(after_seeding) == len(SEEDED_IDS) + 30
    assert reset.stdout == f"reset {state} to the seed data\n"
    assert sorted(after_reset) == sorted(SEEDED_IDS)


def test_local_cloud_state_is_reset_with_the_emulator(rackimg: Rackimg) -> None:
    local = rackimg.with_options("--cloud", "local")
    deleted = local("images", "delete", "--yes", SNAPSHOT_ACTIVE_ID)
    more = rackimg("emulator", "--local", "--images", "3", "--no-serve")
    listed = local("images", "list", "-f", "value", "-c", "id")
    reset = rackimg("emulator", "--local", "--reset", "--no-serve")
    after = local("images", "list", "-f", "value", "-c", "id")

    assert deleted.returncode == more.returncode == reset.returncode == 0
    assert len(listed.stdout.split()) == len(SEEDED_IDS) - 1 + 3
    assert after.stdout.split() == SEEDED_IDS
