"""``rackimg --help``: what it lists, and that it stays light (no local cloud imported)."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import RUN_TIMEOUT, Rackimg

FILTER_OPTIONS = (
    "--server",
    "--name",
    "--status",
    "--changes-since",
    "--marker",
    "--limit",
    "--type",
    "--min-disk",
    "--min-ram",
    "--page-size",
)
CREDENTIAL_OPTIONS = (
    "--cloud",
    "--profile",
    "--config",
    "--user",
    "--api-key",
    "--password",
    "--region",
    "--auth-url",
    "--auth-version",
    "--tenant",
    "--domain",
    "--token",
    "--base-url",
)


def test_top_level_help_lists_every_command_credential_option_and_exit_code(rackimg: Rackimg) -> None:
    result = rackimg("--help")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("usage: rackimg ")
    for command in ("images", "servers", "drivers", "emulator"):
        assert f"\n    {command} " in result.stdout, command
    for option in CREDENTIAL_OPTIONS:
        assert option in result.stdout, option
    flat = " ".join(result.stdout.split())
    assert "3 missing or refused credentials" in flat
    assert "7 the wait timed out" in flat


def test_images_list_help_names_every_filter_option(rackimg: Rackimg) -> None:
    result = rackimg("images", "list", "--help")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: rackimg images list ")
    for option in (*FILTER_OPTIONS, "--brief", "--detail", "--json"):
        assert f"  {option}" in result.stdout, option
    assert "{ACTIVE,SAVING,DELETED,ERROR,UNKNOWN}" in result.stdout
    assert "{BASE,SNAPSHOT}" in result.stdout


_PROBE = """
import json, sys
from rackimg_driver.cli import main
try:
    main(["--help"])
except SystemExit as exit:
    code = exit.code
else:
    code = "returned"
loaded = sorted(name for name in sys.modules if name.startswith("rackimg_driver.emulator"))
print("PROBE " + json.dumps({"code": code, "emulator_modules": loaded}))
"""


def test_help_does_not_import_the_local_cloud(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=RUN_TIMEOUT, env=cli_env
    )

    assert result.returncode == 0, result.stderr
    probe = [line for line in result.stdout.splitlines() if line.startswith("PROBE ")]
    assert len(probe) == 1, result.stdout
    assert json.loads(probe[0][len("PROBE ") :]) == {"code": 0, "emulator_modules": []}
    assert "usage: rackimg" in result.stdout


def test_python_dash_m_runs_the_same_command(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rackimg_driver", "images", "--help"],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=cli_env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: rackimg images ")
    for action in ("list", "show", "delete", "wait", "snapshot"):
        assert f"\n    {action} " in result.stdout, action


def test_the_state_and_type_choices_are_the_drivers(rackimg: Rackimg) -> None:
    from rackimg_driver import ImageState, ImageType

    result = rackimg("images", "list", "--help")

    states = "{" + ",".join(state.value for state in ImageState) + "}"
    types = "{" + ",".join(kind.value for kind in ImageType) + "}"
    assert states in result.stdout and types in result.stdout
