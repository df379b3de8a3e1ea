"""The pytest plugin as a host application sees it: fixtures from the installed ``pytest11`` entry
point, in a project of its own (run in a subprocess, away from this repository's conftest)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import RUN_TIMEOUT

HOST_TESTS = """
from rackimg_driver import ImageState, ImageType


def test_the_driver_lists_the_seeded_snapshots(rackimg_driver):
    snapshots = rackimg_driver.list_images(ex_filters={"type": "SNAPSHOT"})
    assert len(snapshots) == 11
    assert all(image.extra["image_type"] == ImageType.SNAPSHOT for image in snapshots)
    assert "web01-2024-03-01" in {image.name for image in snapshots}


def test_a_test_may_change_its_cloud(rackimg_driver, rackimg_cloud):
    assert rackimg_driver.delete_image("0f1e2d3c-4b5a-4697-8877-665544332211")
    assert rackimg_cloud.running


def test_the_next_test_gets_a_fresh_cloud(rackimg_driver):
    image = rackimg_driver.get_image("0f1e2d3c-4b5a-4697-8877-665544332211")
    assert image.extra["state"] == ImageState.ACTIVE
"""

HOST_OPENSTACK_TESTS = """
import pytest


@pytest.fixture
def rackimg_cloud_options():
    return {"dialect": "openstack", "saving_seconds": 0.3}


def test_the_options_make_an_openstack_cloud(rackimg_cloud, rackimg_driver):
    assert rackimg_cloud.dialect == "openstack"
    assert rackimg_cloud.saving_seconds == 0.3
    assert rackimg_driver.dialect.value == "openstack"
    saving = rackimg_driver.list_images(ex_filters={"status": "SAVING"})
    assert sorted(image.name for image in saving) == ["db01-saving", "web01-queued"]
"""

HOST_FAILING_TEST = """
def test_a_wrong_count(rackimg_driver):
    assert len(rackimg_driver.list_images(ex_filters={"type": "SNAPSHOT"})) == 999
"""


def run_host_pytest(project: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, str(project)],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT * 2,
        cwd=project,
        env=env,
    )


def write_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_a_host_projects_tests_use_the_fixtures(tmp_path: Path, cli_env: dict[str, str]) -> None:
    project = write_project(
        tmp_path / "host",
        {"test_app.py": HOST_TESTS, "test_app_openstack.py": HOST_OPENSTACK_TESTS, "test_wrong.py": HOST_FAILING_TEST},
    )

    result = run_host_pytest(project, cli_env)

    assert result.returncode == 1, result.stdout + result.stderr  # 1: some tests failed
    assert re.search(r"^1 failed, 4 passed\b", result.stdout, re.MULTILINE), result.stdout
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    assert len(failed) == 1, result.stdout
    # The fixture really ran: the failure shows the 11 seeded snapshots it listed.
    assert re.fullmatch(r"FAILED test_wrong.py::test_a_wrong_count - (AssertionError: )?assert 11 == 999", failed[0])
    assert not re.search(r"\d+ errors?\b", result.stdout), result.stdout
