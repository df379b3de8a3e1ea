"""What the sdist and the wheel carry, and that PyPI would take them (``twine check``)."""

from __future__ import annotations

import configparser
import subprocess
import sys
import tarfile
import zipfile

from .conftest import Artifacts
from .isolated import REPO, RUN_TIMEOUT

ENTRY_POINTS = {
    "libcloud.compute.drivers": {"rackimg": "rackimg_driver.driver:RackImgNodeDriver"},
    "console_scripts": {"rackimg": "rackimg_driver.cli:console"},
    "pytest11": {"rackimg": "rackimg_driver.pytest_plugin"},
}


def parse_entry_points(text: str) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return {section: dict(parser[section]) for section in parser.sections()}


def sdist_names(artifacts: Artifacts) -> set[str]:
    with tarfile.open(artifacts.sdist) as sdist:
        names = sdist.getnames()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"rackimg_driver-0.1.0"} or top == {"rackimg-driver-0.1.0"}, top
    return {name.split("/", 1)[1] for name in names if "/" in name}


def test_the_artifacts_are_named_for_the_version(artifacts: Artifacts) -> None:
    assert artifacts.wheel.name == "rackimg_driver-0.1.0-py3-none-any.whl"
    assert artifacts.sdist.name in ("rackimg_driver-0.1.0.tar.gz", "rackimg-driver-0.1.0.tar.gz")


def test_the_sdist_carries_the_tests_docs_and_project_files(artifacts: Artifacts) -> None:
    names = sdist_names(artifacts)
    for needed in (
        "README.md",
        "setup.cfg",
        "pyproject.toml",
        "MANIFEST.in",
        "tox.ini",
        "ruff.toml",
        "entry_points.txt",
        "rackimg_driver/py.typed",
        "rackimg_driver/pytest_plugin.py",
        "rackimg_driver/emulator/server.py",
        "tests/conftest.py",
        "tests/plugins/test_plugins.py",
        "tests/packaging/conftest.py",
        "tests/packaging/test_artifacts.py",
        "docs/conf.py",
        "docs/index.rst",
        "docs/plugins.rst",
        "docs/examples/inventory.py",
        "docs/examples/dummy.ini",
        "docs/examples/local.ini",
    ):
        assert needed in names, f"the sdist has no {needed}"
    # Every test module and doc page of the checkout is there, not just the ones named above.
    for tree in ("tests", "docs"):
        for path in (REPO / tree).rglob("*"):
            relative = path.relative_to(REPO).as_posix()
            if path.is_file() and "__pycache__" not in relative and "_build" not in relative:
                assert relative in names, f"the sdist has no {relative}"
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_sdist_ships_the_same_entry_points_file(artifacts: Artifacts) -> None:
    with tarfile.open(artifacts.sdist) as sdist:
        (member,) = [m for m in sdist.getmembers() if m.name.endswith("-0.1.0/entry_points.txt")]
        shipped = sdist.extractfile(member)
        assert shipped is not None
        text = shipped.read().decode("utf-8")
    assert text == (REPO / "entry_points.txt").read_text(encoding="utf-8")
    assert parse_entry_points(text) == ENTRY_POINTS


def test_the_wheel_carries_py_typed_and_the_entry_points(artifacts: Artifacts) -> None:
    with zipfile.ZipFile(artifacts.wheel) as wheel:
        names = set(wheel.namelist())
        assert "rackimg_driver/py.typed" in names
        assert "rackimg_driver/emulator/__init__.py" in names
        assert parse_entry_points(wheel.read("rackimg_driver-0.1.0.dist-info/entry_points.txt").decode()) == (
            ENTRY_POINTS
        )
    # A wheel holds the package only: no tests or docs installed into site-packages.
    assert {name.split("/", 1)[0] for name in names} == {"rackimg_driver", "rackimg_driver-0.1.0.dist-info"}


def test_twine_check_passes_on_both(artifacts: Artifacts) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(artifacts.sdist), str(artifacts.wheel)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout
