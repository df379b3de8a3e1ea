"""docs/examples/inventory.py, run in the venv, switches clouds by its config file alone; its
output is the one docs/plugins.rst shows."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from .conftest import Installed, shown_in_docs
from .isolated import REPO, Emulator

EXAMPLES = REPO / "docs" / "examples"
DOCS_PORT = "8774"


@pytest.fixture
def app(workdir: Path) -> Path:
    """The example application and its dummy config, copied where the venv will run them."""
    for name in ("inventory.py", "dummy.ini"):
        shutil.copy(EXAMPLES / name, workdir / name)
    return workdir / "inventory.py"


def local_config(workdir: Path, emulator: Emulator) -> Path:
    """docs/examples/local.ini with the emulator's port in place of the one the docs use."""
    text = (EXAMPLES / "local.ini").read_text(encoding="utf-8")
    assert text.count(f"http://127.0.0.1:{DOCS_PORT}\n") == 1, text
    config = workdir / "local.ini"
    config.write_text(text.replace(f"127.0.0.1:{DOCS_PORT}", f"127.0.0.1:{emulator.port}"))
    return config


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_one_script_lists_dummy_then_rackimg_images_by_config_alone(
    installed: Installed, workdir: Path, app: Path, emulator: Emulator
) -> None:
    venv = installed.venv
    before = digest(app)
    assert before == digest(EXAMPLES / "inventory.py")

    dummy = venv.run([venv.python, app, "dummy.ini"], workdir).stdout
    assert dummy == shown_in_docs("python inventory.py dummy.ini")
    assert dummy.splitlines()[1:] == ["1  Ubuntu 9.10", "2  Ubuntu 9.04", "3  Slackware 4"]

    local = venv.run([venv.python, app, local_config(workdir, emulator).name], workdir).stdout
    assert local == shown_in_docs("python inventory.py local.ini")
    assert local.splitlines()[0] == "# 18 images from Rackspace Cloud Servers / OpenStack Nova images"
    assert "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d  db01-daily-backup  ACTIVE  SNAPSHOT" in local.splitlines()

    # The same images the rackimg command sees on that cloud, through its own options.
    account = ["--user", "demo", "--api-key", "demo-api-key", "--auth-url", emulator.url, "--region", "dfw"]
    cli = venv.run([venv.script("rackimg"), *account, "images", "list", "--json"], workdir).stdout
    assert [line.split("  ")[0] for line in local.splitlines()[1:]] == [image["id"] for image in json.loads(cli)]
    assert digest(app) == before


def test_a_config_naming_an_unknown_driver_fails_in_one_line(installed: Installed, workdir: Path, app: Path) -> None:
    (workdir / "typo.ini").write_text("[cloud]\ndriver = rackimgg\n")
    done = installed.venv.run([installed.venv.python, app, "typo.ini"], workdir, expect=1)
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("inventory: unknown driver 'rackimgg'; known: rackimg, ")
    assert ", dummy, " in line
