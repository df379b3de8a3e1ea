"""Fixtures: the sdist and wheel built once, and a fresh venv with each installed from it.

Run by ``tox -e packaging`` only (setup.cfg keeps this folder out of the default run). The
runtime dependencies come from a wheelhouse that tox downloads first (``RACKIMG_WHEELHOUSE``);
everything here is offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .isolated import INSTALL_TIMEOUT, REPO, RUN_TIMEOUT, Emulator, Venv, check_outside_repo

#: What every venv gets besides the artifact: pytest, for the pytest plugin's checks.
TEST_REQUIREMENTS = ("pytest",)


@dataclass(frozen=True)
class Artifacts:
    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class Installed:
    """One artifact installed in a fresh venv, and the wheelhouse it installed from."""

    kind: str
    artifact: Path
    venv: Venv
    wheelhouse: Path


def shown_in_docs(command: str) -> str:
    """The output docs/plugins.rst shows under ``$ {command}``, dedented."""
    lines = (REPO / "docs" / "plugins.rst").read_text(encoding="utf-8").splitlines()
    start = lines.index(f"   $ {command}") + 1
    shown = []
    for line in lines[start:]:
        if not line.strip():
            break
        assert line.startswith("   "), line
        shown.append(line[3:])
    assert shown, f"docs/plugins.rst shows no output for {command}"
    return "\n".join(shown) + "\n"


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """The runtime dependencies as wheels, downloaded by tox before the tests (the one online step)."""
    where = os.environ.get("RACKIMG_WHEELHOUSE")
    if not where:
        pytest.fail("RACKIMG_WHEELHOUSE is not set: run these tests with `tox -e packaging`")
    path = Path(where)
    wheels = sorted(p.name.lower() for p in path.glob("*.whl"))
    for needed in ("apache_libcloud", "stevedore", "requests", "pytest", "setuptools", "wheel"):
        assert any(name.startswith(needed + "-") for name in wheels), f"no {needed} wheel in {path}: {wheels}"
    return path


def checkout_files() -> list[str]:
    """The files a fresh clone would have, plus new ones not yet committed (ignored ones left out);
    outside a git checkout (an unpacked sdist), everything but build and cache folders."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=RUN_TIMEOUT,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        skipped = {".git", ".tox", "build", "dist", "__pycache__"}
        return [
            path.relative_to(REPO).as_posix()
            for path in REPO.rglob("*")
            if path.is_file()
            and not skipped.intersection(path.relative_to(REPO).parts)
            and not any(part.endswith((".egg-info", "_cache")) for part in path.relative_to(REPO).parts)
        ]
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    """The sdist, and the wheel built from it, with ``python -m build`` (offline).

    Built from a copy of the checkout, never in place: an old ``*.egg-info/SOURCES.txt`` in the
    working tree would put files in the sdist that MANIFEST.in leaves out, hiding its mistakes.
    """
    source = check_outside_repo(tmp_path_factory.mktemp("source"))
    for name in checkout_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    outdir = check_outside_repo(tmp_path_factory.mktemp("dist"))
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(source)],
        cwd=source,
        check=True,
        timeout=INSTALL_TIMEOUT,
        stdout=subprocess.DEVNULL,
    )
    (sdist,) = outdir.glob("*.tar.gz")
    (wheel,) = outdir.glob("*.whl")
    return Artifacts(sdist=sdist, wheel=wheel)


BROKEN_PYPROJECT = """
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "broken-plugin"
version = "1.0"
description = "A libcloud driver plugin whose module cannot be imported"

[project.entry-points."libcloud.compute.drivers"]
broken = "broken_plugin:Driver"

[tool.setuptools]
py-modules = ["broken_plugin"]
"""

#: What the broken plugin's module raises on import.
BROKEN_REASON = "broken_plugin needs a library that is not installed"


@pytest.fixture(scope="session")
def broken_plugin_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of another distribution with a driver in our namespace whose import fails."""
    source = check_outside_repo(tmp_path_factory.mktemp("broken-plugin"))
    (source / "pyproject.toml").write_text(textwrap.dedent(BROKEN_PYPROJECT))
    (source / "broken_plugin.py").write_text(
        f'"""Imports nothing, as if a dependency were missing."""\n\nraise ImportError({BROKEN_REASON!r})\n'
    )
    outdir = tmp_path_factory.mktemp("broken-dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(outdir), str(source)],
        cwd=source,
        check=True,
        timeout=INSTALL_TIMEOUT,
        stdout=subprocess.DEVNULL,
    )
    (wheel,) = outdir.glob("broken_plugin-1.0-*.whl")
    return wheel


@pytest.fixture(scope="session", params=["wheel", "sdist"])
def installed(
    request: pytest.FixtureRequest,
    artifacts: Artifacts,
    wheelhouse: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Installed:
    """A fresh venv with the wheel (or the sdist) installed offline, plus pytest."""
    kind: str = request.param
    artifact = artifacts.wheel if kind == "wheel" else artifacts.sdist
    venv = Venv.create(tmp_path_factory.mktemp(f"venv-{kind}"))
    venv.pip_install(tmp_path_factory.mktemp(f"pip-{kind}"), wheelhouse, artifact, *TEST_REQUIREMENTS)
    return Installed(kind=kind, artifact=artifact, venv=venv, wheelhouse=wheelhouse)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory outside the repository."""
    return check_outside_repo(tmp_path)


@pytest.fixture
def emulator(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """``rackimg emulator`` running from the venv, on a free port."""
    running = Emulator(installed.venv, tmp_path_factory.mktemp("emulator"))
    try:
        yield running
    finally:
        running.stop()
