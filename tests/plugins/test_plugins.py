"""Drivers by name and by configuration, and the bridge into libcloud's get_driver.

Extra plugins are real distributions: a ``*.dist-info`` folder with ``entry_points.txt``
on the path of a fresh interpreter, as pip would leave them."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from libcloud.compute.drivers.dummy import DummyNodeDriver
from libcloud.compute.drivers.openstack import OpenStackNodeDriver

from rackimg_driver import RackImgNodeDriver
from rackimg_driver.emulator import LocalCloud
from rackimg_driver.plugins import (
    DriverLoadError,
    Plugin,
    discover,
    driver_from_config,
    driver_from_env,
    driver_from_ini,
    known_driver_names,
    load_driver_class,
)


def install(where: Path, dist: str, entry_points: dict[str, str], module: str | None = None, code: str = "") -> None:
    info = where / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[libcloud.compute.drivers]\n{lines}\n")
    if module:
        (where / f"{module}.py").write_text(code)


@pytest.mark.parametrize(
    ("name", "cls"), [("rackimg", RackImgNodeDriver), ("dummy", DummyNodeDriver), ("openstack", OpenStackNodeDriver)]
)
def test_one_call_loads_plugins_and_libcloud_builtins(name, cls) -> None:
    assert load_driver_class(name) is cls


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(DriverLoadError) as raised:
        load_driver_class("rackspace-images")
    assert "unknown driver 'rackspace-images'" in str(raised.value)
    assert "rackimg" in str(raised.value) and "dummy" in str(raised.value)
    assert known_driver_names()[0] == "rackimg"


def in_fresh_python(path: Path | list[Path], code: str) -> dict:
    """Run ``code`` in a new interpreter with ``path`` (or each of a list) on sys.path; it prints
    one JSON object.

    A new process, because entry points are read once per process (stevedore caches them),
    as they are in an application that starts after its plugins were installed."""
    paths = [path] if isinstance(path, Path) else path
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*map(str, paths), *sys.path])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


TRY_LOAD = """
import json
from rackimg_driver.plugins import load_driver_class, DriverLoadError
out = {}
for name in %r:
    try:
        out[name] = load_driver_class(name).__name__
    except DriverLoadError as error:
        out[name] = "error: " + str(error)
print(json.dumps(out))
"""


def test_a_name_claimed_twice_names_both_distributions(tmp_path: Path) -> None:
    install(tmp_path, "fake-one", {"rackimg": "fake_one:Driver"})
    seen = in_fresh_python(tmp_path, TRY_LOAD % (["rackimg"],))
    assert "claimed more than once" in seen["rackimg"]
    assert "fake-one 1.0" in seen["rackimg"] and "rackimg-driver" in seen["rackimg"]


def test_a_plugin_that_fails_to_import_says_why_and_others_still_load(tmp_path: Path) -> None:
    install(
        tmp_path,
        "fake-broken",
        {"fake-broken": "fake_broken_mod:Driver"},
        "fake_broken_mod",
        "raise ImportError('needs libfoo')\n",
    )
    seen = in_fresh_python(tmp_path, TRY_LOAD % (["fake-broken", "rackimg", "dummy"],))
    assert seen["fake-broken"].startswith("error: ") and "needs libfoo" in seen["fake-broken"]
    assert "fake-broken 1.0" in seen["fake-broken"]
    assert (seen["rackimg"], seen["dummy"]) == ("RackImgNodeDriver", "DummyNodeDriver")


DISCOVER = """
import json
from rackimg_driver.plugins import discover, load_driver_class
plugins = [[p.name, p.target, p.driver.__name__ if p.driver else None, p.error] for p in discover()]
print(json.dumps({"plugins": plugins, "rackimg": load_driver_class("rackimg").__name__}))
"""


def test_discover_lists_each_driver_once_with_why_one_failed(tmp_path: Path) -> None:
    code = "from libcloud.compute.drivers.dummy import DummyNodeDriver\nclass Driver(DummyNodeDriver):\n    pass\n"
    install(tmp_path, "fake-ok", {"fake-ok": "fake_ok_mod:Driver"}, "fake_ok_mod", code)
    install(tmp_path, "fake-broken", {"fake-broken": "fake_broken_mod:Driver"}, "fake_broken_mod", "1 / 0\n")
    # The same distribution twice on the path (as under tox, installed and in the source tree).
    again = tmp_path / "again"
    again.mkdir()
    install(again, "fake-ok", {"fake-ok": "fake_ok_mod:Driver"})

    seen = in_fresh_python([tmp_path, again], DISCOVER)

    assert sorted(seen["plugins"]) == [
        ["fake-broken", "fake_broken_mod:Driver", None, "ZeroDivisionError: division by zero"],
        ["fake-ok", "fake_ok_mod:Driver", "Driver", None],
        ["rackimg", "rackimg_driver.driver:RackImgNodeDriver", "RackImgNodeDriver", None],
    ]
    assert seen["rackimg"] == "RackImgNodeDriver"


def test_discover_in_this_process_finds_this_driver() -> None:
    assert Plugin("rackimg", "rackimg_driver.driver:RackImgNodeDriver", RackImgNodeDriver, None) in discover()


REGISTER = """
import json
from libcloud.compute.providers import get_driver
from rackimg_driver.plugins import register_all
first = register_all()
second = register_all()
print(json.dumps({
    "first": first.__dict__, "second": second.__dict__,
    "fake-two": get_driver("fake-two").name, "rackimg": get_driver("rackimg").__name__,
    "dummy": get_driver("dummy").__name__,
}))
"""


def test_register_all_bridges_the_namespace_and_reports_what_it_skipped(tmp_path: Path) -> None:
    code = (
        "from libcloud.compute.drivers.dummy import DummyNodeDriver\nclass Driver(DummyNodeDriver):\n    name = 'two'\n"
    )
    install(tmp_path, "fake-two", {"fake-two": "fake_two_mod:Driver"}, "fake_two_mod", code)
    install(
        tmp_path, "fake-broken", {"fake-broken": "fake_broken_mod:Driver"}, "fake_broken_mod", "import no_such_module\n"
    )
    install(tmp_path, "fake-other", {"dummy": "fake_two_mod:Driver"})
    seen = in_fresh_python(tmp_path, REGISTER)
    first, second = seen["first"], seen["second"]
    assert sorted(first["registered"]) == ["fake-two", "rackimg"]
    assert "no_such_module" in first["skipped"]["fake-broken"]
    assert "already has 'dummy'" in first["skipped"]["dummy"]
    assert (seen["fake-two"], seen["rackimg"], seen["dummy"]) == ("two", "RackImgNodeDriver", "DummyNodeDriver")
    assert second["registered"] == [] and sorted(second["already"]) == ["fake-two", "rackimg"]


def test_a_driver_from_a_mapping_with_typed_values() -> None:
    with LocalCloud() as cloud:
        config = {"driver": "rackimg", **{k: str(v) for k, v in cloud.driver_kwargs.items()}}
        config.update({"ex_page_size": "7", "ex_max_retries": "0", "secure": "false", "ex_retry_backoff": "0.25"})
        driver = driver_from_config(config)
        assert isinstance(driver, RackImgNodeDriver)
        assert driver.page_size == 7 and driver.retry.attempts == 1 and driver.retry.backoff == 0.25
        assert len(driver.list_images()) == 18


def test_the_dummy_driver_from_a_mapping() -> None:
    driver = driver_from_config({"driver": "dummy", "creds": "0"})
    assert isinstance(driver, DummyNodeDriver)
    assert len(driver.list_images()) == 3


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "names no driver"),
        ({"driver": "nope"}, "unknown driver 'nope'"),
        ({"driver": "rackimg"}, "needs 'key'"),
        ({"driver": "rackimg", "key": "u"}, "secret"),
        (
            {"driver": "rackimg", "key": "u", "secret": "s", "ex_page_size": "many"},
            "ex_page_size must be a whole number",
        ),
        ({"driver": "rackimg", "key": "u", "secret": "s", "secure": "maybe"}, "secure must be true or false"),
    ],
)
def test_bad_configurations_are_clear_errors(config, message) -> None:
    with pytest.raises(ValueError, match=message):
        driver_from_config(config)


def test_text_becomes_none_a_number_or_a_bool_as_the_constructor_expects() -> None:
    with LocalCloud() as cloud:
        config = {"driver": "rackimg", **{k: str(v) for k, v in cloud.driver_kwargs.items()}}
        config.update({"ex_page_size": "", "ex_read_timeout": " 2.5 ", "ex_connect_timeout": "3", "secure": "No"})
        driver = driver_from_config(config)
        assert driver.page_size is None and driver.secure is False
        assert len(driver.list_images()) == 18


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ex_read_timeout", "nan", "rackimg: ex_read_timeout must be a number, got 'nan'"),
        ("ex_read_timeout", "inf", "rackimg: ex_read_timeout must be a number, got 'inf'"),
        ("ex_max_retries", "2.5", "rackimg: ex_max_retries must be a whole number, got '2.5'"),
        ("ex_page_size", "none of them", "rackimg: ex_page_size must be a whole number, got 'none of them'"),
        ("ex_dialect", "nova", "ex_dialect must be one of"),
    ],
)
def test_a_value_of_the_wrong_form_names_its_key(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        driver_from_config({"driver": "rackimg", "key": "u", "secret": "s", key: value})


def test_a_bad_value_in_a_file_names_key_section_and_file(tmp_path: Path) -> None:
    path = tmp_path / "clouds.ini"
    path.write_text("[images]\ndriver = rackimg\nkey = u\nsecret = s\nex_max_retries = lots\n\n[empty]\nkey = u\n")

    with pytest.raises(ValueError) as bad_value:
        driver_from_ini(path, "images")
    with pytest.raises(DriverLoadError) as no_driver:
        driver_from_ini(path, "empty")

    assert str(bad_value.value) == f"ex_max_retries in [images] of {path} must be a whole number, got 'lots'"
    assert str(no_driver.value).startswith(f"driver in [empty] of {path} is not set; known drivers: rackimg, ")


def test_a_file_that_is_not_ini_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "clouds.ini"
    path.write_text("driver = rackimg\n")

    with pytest.raises(ValueError, match=f"^cannot read {re.escape(str(path))}: File contains no section headers"):
        driver_from_ini(path, "images")


def test_a_bad_value_in_the_environment_names_the_variable() -> None:
    environ = {"APP_DRIVER": "rackimg", "APP_KEY": "u", "APP_SECRET": "s", "APP_SECURE": "maybe"}

    with pytest.raises(ValueError, match=r"^APP_SECURE must be true or false, got 'maybe'$"):
        driver_from_env("APP_", environ)


def test_a_driver_from_an_ini_section(tmp_path: Path) -> None:
    with LocalCloud() as cloud:
        path = tmp_path / "clouds.ini"
        lines = "\n".join(f"{k} = {v}" for k, v in cloud.driver_kwargs.items())
        path.write_text(f"[images]\ndriver = rackimg\n{lines}\n\n[demo]\ndriver = dummy\ncreds = 1\n")
        assert len(driver_from_ini(path, "images").list_images()) == 18
        assert isinstance(driver_from_ini(path, "demo"), DummyNodeDriver)
        parser = configparser.ConfigParser()
        parser.read(path)
        assert isinstance(driver_from_ini(parser, "demo"), DummyNodeDriver)
        with pytest.raises(ValueError, match=r"no section \[prod\]"):
            driver_from_ini(path, "prod")


def test_a_driver_from_environment_variables() -> None:
    with LocalCloud() as cloud:
        environ = {f"APP_CLOUD_{k.upper()}": str(v) for k, v in cloud.driver_kwargs.items()}
        environ["APP_CLOUD_DRIVER"] = "rackimg"
        environ["UNRELATED"] = "x"
        driver = driver_from_env("APP_CLOUD_", environ)
        assert len(driver.list_images(ex_filters={"type": "BASE"})) == 7
    with pytest.raises(DriverLoadError, match="APP_CLOUD_DRIVER is not set"):
        driver_from_env("APP_CLOUD_", {})


def test_driver_from_openstack_reads_an_openrc_environment_and_clouds_yaml(tmp_path: Path) -> None:
    from rackimg_driver.plugins import driver_from_openstack

    with LocalCloud("openstack") as cloud:
        clouds = tmp_path / "clouds.yaml"
        clouds.write_text(
            f"clouds:\n  lab:\n    region_name: RegionOne\n    auth:\n      auth_url: {cloud.url}/v3\n"
            f"      username: {cloud.username}\n      project_name: {cloud.project_name}\n"
            "      user_domain_name: Default\n",
            encoding="utf-8",
        )
        files = {"OS_CLIENT_CONFIG_FILE": str(clouds), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
        # The password from the environment, the rest from the file: the variables beat the file.
        from_both = driver_from_openstack("lab", {**files, "OS_PASSWORD": cloud.password})
        openrc = {
            "OS_AUTH_URL": cloud.url,
            "OS_USERNAME": cloud.username,
            "OS_PASSWORD": cloud.password,
            "OS_PROJECT_NAME": cloud.project_name,
        }
        from_env = driver_from_openstack(environ=openrc)
        assert isinstance(from_both, RackImgNodeDriver) and isinstance(from_env, RackImgNodeDriver)
        assert from_both.dialect.value == from_env.dialect.value == "openstack"
        assert [i.id for i in from_both.list_images()] == [i.id for i in from_env.list_images()] != []
        with pytest.raises(ValueError, match=r"no cloud 'prod' in .*clouds.yaml \(clouds: lab\)"):
            driver_from_openstack("prod", files)
