"""Credentials as OpenStack users have them: an openrc file's OS_* variables and clouds.yaml
(with secure.yaml), against the local cloud in the openstack dialect; what wins over what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rackimg_driver.emulator import LocalCloud

from .conftest import SEEDED_IDS, Rackimg, run_together


def openrc(cloud: LocalCloud) -> dict[str, str]:
    """What ``source demo-openrc.sh`` sets for the local cloud."""
    return {
        "OS_AUTH_URL": f"{cloud.url}/v3",
        "OS_USERNAME": cloud.username,
        "OS_PASSWORD": cloud.password,
        "OS_PROJECT_NAME": cloud.project_name,
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_REGION_NAME": "RegionOne",
        "OS_INTERFACE": "public",
        "OS_IDENTITY_API_VERSION": "3",
    }


def clouds_yaml(cloud: LocalCloud, password: str | None, extra: str = "") -> str:
    secret = f"        password: {password}\n" if password is not None else ""
    return (
        "clouds:\n"
        "  local:\n"
        "    region_name: RegionOne\n"
        f"{extra}"
        "    auth:\n"
        f"      auth_url: {cloud.url}/v3\n"
        f"      username: {cloud.username}\n"
        f"{secret}"
        f"      project_name: {cloud.project_name}\n"
        "      user_domain_name: Default\n"
    ).replace("        password", "      password")


def ids(result: object) -> list[str]:
    return [record["id"] for record in json.loads(result.stdout)]  # type: ignore[attr-defined]


def test_an_openrc_environment_is_enough(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    result = rackimg("images", "list", "--json", env=openrc(openstack_cloud))

    assert result.returncode == 0, result.stderr
    assert ids(result) == SEEDED_IDS


def test_an_application_credential_in_the_environment_is_tried(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    env = {
        "OS_AUTH_URL": openstack_cloud.url,
        "OS_APPLICATION_CREDENTIAL_ID": "no-such-credential",
        "OS_APPLICATION_CREDENTIAL_SECRET": "a-secret-9c1d",
        "OS_AUTH_TYPE": "v3applicationcredential",
    }

    result = rackimg("images", "list", env=env)

    # The local cloud knows only passwords: it refuses the login for using another method.
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"rackimg: error: identity at {openstack_cloud.url}")
    assert "Expecting the password method" in line
    assert "a-secret-9c1d" not in line


def test_clouds_yaml_in_the_working_directory_with_secure_yaml(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    (rackimg.cwd / "clouds.yaml").write_text(clouds_yaml(openstack_cloud, None), encoding="utf-8")
    (rackimg.cwd / "secure.yaml").write_text(
        f"clouds:\n  local:\n    auth:\n      password: {openstack_cloud.password}\n", encoding="utf-8"
    )

    by_option, by_variable = run_together(
        lambda: rackimg("images", "list", "--json", "--os-cloud", "local"),
        lambda: rackimg("images", "list", "--json", env={"OS_CLOUD": "local"}),
    )

    for result in (by_option, by_variable):
        assert result.returncode == 0, result.stderr
        assert ids(result) == SEEDED_IDS


def test_clouds_yaml_in_the_users_config_and_the_glance_dialect(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    config = Path(rackimg.env["XDG_CONFIG_HOME"]) / "openstack"
    config.mkdir(parents=True)
    extra = "    dialect: glance\n"
    (config / "clouds.yaml").write_text(clouds_yaml(openstack_cloud, openstack_cloud.password, extra), encoding="utf-8")
    openstack_cloud.faults.set_delay(0.0)  # counts the requests

    result = rackimg("images", "list", "-f", "value", "-c", "id", "-c", "glance_status", "--os-cloud", "local")

    assert result.returncode == 0, result.stderr
    statuses = dict(line.split() for line in result.stdout.splitlines())
    assert statuses and all(status != "-" for status in statuses.values())  # Glance's own field


def test_options_beat_the_environment_which_beats_clouds_yaml(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    (rackimg.cwd / "clouds.yaml").write_text(clouds_yaml(openstack_cloud, "wrong-in-file"), encoding="utf-8")
    good = openstack_cloud.password

    env_wins, option_wins, file_only = run_together(
        lambda: rackimg("images", "list", "--json", "--os-cloud", "local", env={"OS_PASSWORD": good}),
        lambda: rackimg(
            "images", "list", "--json", "--os-cloud", "local", "--password", good, env={"OS_PASSWORD": "wrong-env"}
        ),
        lambda: rackimg("images", "list", "--os-cloud", "local"),
    )

    assert env_wins.returncode == 0, env_wins.stderr
    assert option_wins.returncode == 0, option_wins.stderr
    assert ids(env_wins) == ids(option_wins) == SEEDED_IDS
    assert file_only.returncode == 3
    assert "wrong-in-file" not in file_only.stderr


def test_a_missing_cloud_or_clouds_yaml_exits_2(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    nothing = rackimg("images", "list", "--os-cloud", "local")
    (rackimg.cwd / "clouds.yaml").write_text(clouds_yaml(openstack_cloud, "x"), encoding="utf-8")
    other = rackimg("images", "list", "--os-cloud", "prod")

    assert nothing.returncode == 2
    (line,) = nothing.stderr.splitlines()
    assert line.startswith("rackimg: error: --os-cloud local: no clouds.yaml (looked in ")
    assert "/etc/openstack/clouds.yaml" in line
    assert other.returncode == 2
    assert other.stderr.splitlines() == [
        f"rackimg: error: no cloud 'prod' in {rackimg.cwd / 'clouds.yaml'} (clouds: local)"
    ]


def test_without_pyyaml_clouds_yaml_names_the_extra_to_install(
    rackimg: Rackimg, openstack_cloud: LocalCloud, tmp_path: Path
) -> None:
    blocker = tmp_path / "no-yaml" / "yaml"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('PyYAML is not installed here')\n", encoding="utf-8")
    (rackimg.cwd / "clouds.yaml").write_text(clouds_yaml(openstack_cloud, "x"), encoding="utf-8")

    result = rackimg("images", "list", "--os-cloud", "local", env={"PYTHONPATH": str(blocker.parent)})

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"rackimg: error: reading {rackimg.cwd / 'clouds.yaml'} needs PyYAML: pip install 'rackimg-driver[yaml]'"
        " (or give the settings as OS_* variables)"
    ]


UNSUPPORTED = {
    "project-id": (
        {"OS_PROJECT_NAME": "", "OS_PROJECT_ID": "abc123"},
        "rackimg: error: OS_PROJECT_ID: libcloud logs in to a project by its name:"
        " give OS_PROJECT_NAME (or --tenant) as well",
    ),
    "project-domain": (
        {"OS_PROJECT_DOMAIN_NAME": "Engineering"},
        "rackimg: error: OS_PROJECT_DOMAIN_NAME is 'Engineering': libcloud takes the project's domain by its id:"
        " give OS_PROJECT_DOMAIN_ID (or --project-domain-id)",
    ),
    "interface": (
        {"OS_INTERFACE": "internal"},
        "rackimg: error: OS_INTERFACE is 'internal': the driver uses the catalog's public endpoints only",
    ),
}


@pytest.mark.parametrize(("changes", "message"), UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_what_libcloud_cannot_do_is_said_naming_the_variable_before_any_request(
    rackimg: Rackimg, openstack_cloud: LocalCloud, changes: dict[str, str], message: str
) -> None:
    openstack_cloud.faults.set_delay(0.0)

    result = rackimg("images", "list", env={**openrc(openstack_cloud), **changes})

    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]
    assert openstack_cloud.faults.injected()["delay"] == 0


def test_a_wrong_region_lists_the_catalogs_regions(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    from_env, from_option = run_together(
        lambda: rackimg("images", "list", env={**openrc(openstack_cloud), "OS_REGION_NAME": "Mars"}),
        lambda: rackimg("images", "list", "--region", "Venus", env=openrc(openstack_cloud)),
    )

    assert from_env.returncode == from_option.returncode == 2
    assert from_env.stderr.splitlines() == [
        "rackimg: error: OS_REGION_NAME 'Mars' is not in the catalog: its compute regions are RegionOne"
    ]
    assert from_option.stderr.splitlines() == [
        "rackimg: error: --region 'Venus' is not in the catalog: its compute regions are RegionOne"
    ]


def test_a_missing_identity_url_names_the_option_and_the_variables(rackimg: Rackimg) -> None:
    result = rackimg("--cloud", "openstack", "images", "list", env={"OS_USERNAME": "demo", "OS_PASSWORD": "x"})

    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        "rackimg: error: --cloud openstack needs the identity URL: give --auth-url, OS_AUTH_URL or RACKIMG_AUTH_URL"
    ]
