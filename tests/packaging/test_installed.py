"""The wheel and the sdist, each installed offline in a fresh venv, as a user gets them:
entry points, the console script and the pytest plugin, with no access to the source tree."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .conftest import Installed
from .isolated import REPO

ENTRY_POINTS_SEEN = """
import json
from importlib.metadata import distribution, entry_points
groups = ("libcloud.compute.drivers", "console_scripts", "pytest11")
found = {group: {ep.name: ep.value for ep in entry_points(group=group) if ep.name == "rackimg"} for group in groups}
dist = distribution("rackimg-driver")
print(json.dumps({
    "entry_points": found,
    "version": dist.version,
    "direct_url": json.loads(dist.read_text("direct_url.json"))["url"],
    "py_typed": any(str(f) == "rackimg_driver/py.typed" for f in dist.files),
}))
"""

WHERE_FROM = """
import json, sys, rackimg_driver, libcloud, stevedore
print(json.dumps({"rackimg_driver": rackimg_driver.__file__, "libcloud": libcloud.__file__,
                  "stevedore": stevedore.__file__, "path": sys.path}))
"""

STEVEDORE_LOADS = """
import json
from libcloud.compute.base import NodeDriver
from stevedore.driver import DriverManager
cls = DriverManager("libcloud.compute.drivers", "rackimg").driver
print(json.dumps({"class": f"{cls.__module__}:{cls.__qualname__}", "node_driver": issubclass(cls, NodeDriver)}))
"""


def test_the_package_and_its_dependencies_come_from_the_venv(installed: Installed, workdir: Path) -> None:
    seen = json.loads(installed.venv.run_python(WHERE_FROM, workdir))
    for module in ("rackimg_driver", "libcloud", "stevedore"):
        assert Path(seen[module]).is_relative_to(installed.venv.path), seen
    assert not [entry for entry in seen["path"] if entry and Path(entry).resolve().is_relative_to(REPO)], seen
    installed.venv.run([installed.venv.python, "-m", "pip", "check"], workdir)


def test_importlib_metadata_sees_the_entry_points(installed: Installed, workdir: Path) -> None:
    seen = json.loads(installed.venv.run_python(ENTRY_POINTS_SEEN, workdir))
    assert seen["entry_points"] == {
        "libcloud.compute.drivers": {"rackimg": "rackimg_driver.driver:RackImgNodeDriver"},
        "console_scripts": {"rackimg": "rackimg_driver.cli:console"},
        "pytest11": {"rackimg": "rackimg_driver.pytest_plugin"},
    }
    assert seen["version"] == "0.1.0"
    assert seen["direct_url"].endswith("/" + installed.artifact.name), seen["direct_url"]
    assert seen["py_typed"] is True


def test_stevedore_loads_the_driver(installed: Installed, workdir: Path) -> None:
    seen = json.loads(installed.venv.run_python(STEVEDORE_LOADS, workdir))
    assert seen == {"class": "rackimg_driver.driver:RackImgNodeDriver", "node_driver": True}


def test_the_console_script_shows_its_help(installed: Installed, workdir: Path) -> None:
    done = installed.venv.run([installed.venv.script("rackimg"), "--help"], workdir)
    assert done.stdout.startswith("usage: rackimg ")
    for command in ("images", "servers", "drivers", "emulator"):
        assert command in done.stdout


def test_rackimg_drivers_lists_the_namespace(installed: Installed, workdir: Path) -> None:
    done = installed.venv.run([installed.venv.script("rackimg"), "drivers"], workdir)
    rows = [line.split() for line in done.stdout.splitlines()]
    assert rows == [["NAME", "TARGET", "STATUS"], ["rackimg", "rackimg_driver.driver:RackImgNodeDriver", "ok"]]


def test_rackimg_lists_the_local_clouds_seeded_images(installed: Installed, workdir: Path) -> None:
    data = workdir / "data"
    command = [installed.venv.script("rackimg"), "--cloud", "local", "images", "list", "--json"]
    done = installed.venv.run(command, workdir, env={"RACKIMG_DATA_DIR": str(data)})
    images = {image["id"]: image for image in json.loads(done.stdout)}
    assert len(images) == 18
    assert images["8a3a9f96-b997-46fd-b7a8-a9e740796ffd"]["name"] == "Ubuntu 22.04 LTS (Jammy Jellyfish) (PVHVM)"
    assert images["1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"]["state"] == "ACTIVE"
    assert images["7a8b9c0d-1e2f-4a3b-8c5d-6e7f8091a2b3"]["state"] == "ERROR"
    assert "other-tenant-secret" not in {image["name"] for image in images.values()}
    assert (data / "local-cloud.sqlite").is_file()

    table = installed.venv.run([*command[:-1], "--brief"], workdir, env={"RACKIMG_DATA_DIR": str(data)}).stdout
    lines = table.splitlines()
    assert lines[0].split() == ["ID", "NAME"]
    assert {line.split()[0] for line in lines[1:]} == set(images)


HOST_PROJECT_TESTS = """
import pytest
from libcloud.compute.base import NodeImage

from rackimg_driver import ImageState, RackImgNodeDriver


def test_the_driver_fixture_lists_the_seeded_images(rackimg_driver):
    assert isinstance(rackimg_driver, RackImgNodeDriver)
    images = rackimg_driver.list_images()
    assert len(images) == 18 and all(isinstance(image, NodeImage) for image in images)
    backup = rackimg_driver.get_image("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
    assert backup.name == "db01-daily-backup" and backup.extra["state"] == ImageState.ACTIVE


class TestOptions:
    @pytest.fixture
    def rackimg_cloud_options(self):
        return {"dialect": "openstack"}

    def test_the_options_fixture_chooses_the_dialect(self, rackimg_cloud, rackimg_driver):
        assert rackimg_cloud.dialect == "openstack"
        assert rackimg_driver.dialect.value == "openstack"
        assert len(rackimg_driver.list_images()) == 18
"""


def host_project(workdir: Path) -> Path:
    """A project of a host application's own: one test file, a pytest.ini and nothing else."""
    project = workdir / "host-project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (project / "test_host.py").write_text(textwrap.dedent(HOST_PROJECT_TESTS))
    return project


def test_the_pytest_plugin_serves_a_host_projects_tests(installed: Installed, workdir: Path) -> None:
    project = host_project(workdir)
    done = installed.venv.run([installed.venv.python, "-m", "pytest", "-v"], project)
    assert "plugins: rackimg-driver-0.1.0" in done.stdout
    assert "test_host.py::test_the_driver_fixture_lists_the_seeded_images PASSED" in done.stdout
    assert "test_host.py::TestOptions::test_the_options_fixture_chooses_the_dialect PASSED" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("=") and " 2 passed" in done.stdout


def test_pytest_lists_the_plugins_fixtures(installed: Installed, workdir: Path) -> None:
    project = host_project(workdir)
    done = installed.venv.run([installed.venv.python, "-m", "pytest", "--fixtures", "-v"], project)
    assert "fixtures defined from rackimg_driver.pytest_plugin" in done.stdout
    # "NAME -- PATH:LINE", the path relative to the project.
    where = dict(
        line.split(" -- ", 1) for line in done.stdout.splitlines() if "rackimg_driver/pytest_plugin.py" in line
    )
    assert sorted(where) == ["rackimg_cloud", "rackimg_cloud_options", "rackimg_driver"]
    for location in where.values():
        path = (project / location.rsplit(":", 1)[0]).resolve()
        assert path == installed.venv.site_packages / "rackimg_driver" / "pytest_plugin.py", location
