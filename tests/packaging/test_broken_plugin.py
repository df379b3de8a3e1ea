"""Another distribution's driver in our namespace fails to import: ours is still found and loaded,
and the broken one is reported with its reason instead of breaking discovery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import BROKEN_REASON, Installed, shown_in_docs
from .isolated import REPO

DISCOVERY = """
import json
from importlib.metadata import entry_points
from stevedore.driver import DriverManager
from stevedore.extension import ExtensionManager

failures = {}
def failed(manager, entry_point, error):
    failures[entry_point.name] = f"{type(error).__name__}: {error}"

everything = ExtensionManager("libcloud.compute.drivers", on_load_failure_callback=failed)
cls = DriverManager("libcloud.compute.drivers", "rackimg").driver
print(json.dumps({
    "declared": sorted(ep.name for ep in entry_points(group="libcloud.compute.drivers")),
    "loaded": sorted(everything.names()),
    "failures": failures,
    "rackimg": f"{cls.__module__}:{cls.__qualname__}",
}))
"""

REGISTER_ALL = """
import json, logging
from libcloud.compute.providers import get_driver
from rackimg_driver.plugins import DriverLoadError, driver_from_config, load_driver_class, register_all

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
report = register_all()
again = register_all()
cls = get_driver("rackimg")
try:
    load_driver_class("broken")
except DriverLoadError as error:
    broken = str(error)
dummy = driver_from_config({"driver": "dummy", "creds": "0"})
print(json.dumps({
    "repr": repr(report), "registered": report.registered, "already": report.already, "skipped": report.skipped,
    "again": [again.registered, again.already, sorted(again.skipped)],
    "get_driver": f"{cls.__module__}:{cls.__qualname__}",
    "load_broken": broken,
    "dummy_images": [image.name for image in dummy.list_images()],
}))
"""


@pytest.fixture(scope="module")
def with_broken_plugin(installed: Installed, broken_plugin_wheel: Path, tmp_path_factory) -> Iterator[Installed]:
    """The venv with the broken plugin installed beside us, for this module's tests only."""
    venv = installed.venv
    cwd = tmp_path_factory.mktemp("broken-install")
    venv.pip_install(cwd, installed.wheelhouse, broken_plugin_wheel)
    yield installed
    venv.run([venv.python, "-m", "pip", "uninstall", "--yes", "broken-plugin"], cwd)
    listed = venv.run([venv.script("rackimg"), "drivers"], cwd).stdout
    assert "broken" not in listed, listed


def test_stevedore_still_loads_rackimg_beside_a_broken_plugin(with_broken_plugin: Installed, workdir: Path) -> None:
    seen = json.loads(with_broken_plugin.venv.run_python(DISCOVERY, workdir))
    assert seen == {
        "declared": ["broken", "rackimg"],
        "loaded": ["rackimg"],
        "failures": {"broken": f"ImportError: {BROKEN_REASON}"},
        "rackimg": "rackimg_driver.driver:RackImgNodeDriver",
    }


def test_rackimg_drivers_shows_ours_ok_and_the_broken_one_with_its_reason(
    with_broken_plugin: Installed, workdir: Path
) -> None:
    venv = with_broken_plugin.venv
    done = venv.run([venv.script("rackimg"), "drivers"], workdir)
    assert done.stdout == shown_in_docs("rackimg drivers")
    rows = [line.split(None, 2) for line in done.stdout.splitlines()]
    assert rows == [
        ["NAME", "TARGET", "STATUS"],
        ["rackimg", "rackimg_driver.driver:RackImgNodeDriver", "ok"],
        ["broken", "broken_plugin:Driver", f"broken (ImportError: {BROKEN_REASON})"],
    ]


def test_register_all_registers_rackimg_and_skips_the_broken_one(with_broken_plugin: Installed, workdir: Path) -> None:
    venv = with_broken_plugin.venv
    done = venv.run([venv.python, "-c", REGISTER_ALL], workdir)
    seen = json.loads(done.stdout)
    # What docs/plugins.rst shows for register_all() in this situation.
    assert "   " + seen.pop("repr") in (REPO / "docs" / "plugins.rst").read_text(encoding="utf-8").splitlines()
    expected_reason = (
        f"driver 'broken' (broken_plugin:Driver from broken-plugin 1.0) failed to load: ImportError: {BROKEN_REASON}"
    )
    assert seen == {
        "registered": ["rackimg"],
        "already": [],
        "skipped": {"broken": expected_reason},
        "again": [[], ["rackimg"], ["broken"]],
        "get_driver": "rackimg_driver.driver:RackImgNodeDriver",
        "load_broken": expected_reason,
        "dummy_images": ["Ubuntu 9.10", "Ubuntu 9.04", "Slackware 4"],
    }
    assert f"WARNING libcloud driver 'broken' not registered: {expected_reason}" in done.stderr.splitlines()
