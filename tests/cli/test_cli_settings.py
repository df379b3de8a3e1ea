"""Where ``rackimg`` takes its settings from: options, RACKIMG_* variables, profiles; and
``--cloud local``, whose state lives in RACKIMG_DATA_DIR across runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import BACKUP_ACTIVE_ID, DB_SERVER_ID, SNAPSHOT_ACTIVE_ID

from .conftest import SEEDED_IDS, Rackimg, ids_of, openstack_options, run_together, table

NO_CREDENTIALS = (
    "rackimg: error: no credentials: give --user and --api-key (or --password), RACKIMG_USER and"
    " RACKIMG_API_KEY, an openrc's OS_* variables, --os-cloud, a --profile, or use --cloud local"
)


def refused(cloud: LocalCloud) -> str:
    """The one line for credentials that the local cloud's identity service refuses."""
    return f"rackimg: error: identity at {cloud.url} refused the credentials: Invalid credentials with the provider"


WRONG_KEY = "wrong-key-5d41402abc4b2a76"

#: Every key a profile may hold, in the order docs/cli.rst lists them.
PROFILE_KEYS = (
    "cloud, dialect, user, api_key, password, region, auth_url, auth_version, tenant, domain, project_domain_id, token, base_url,"
    " retries, http_timeout"
)


def write_config(path: Path, cloud: LocalCloud, api_key: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"[prod]\nauth_url = {cloud.url}\nuser = {cloud.username}\napi_key = {api_key}\n\n"
        f"[profile staging]\nauth_url = {cloud.url}\nuser = {cloud.username}\napi_key = {api_key}\n\n"
        "[typo]\nuser = demo\napi-key = x\nflavour = y\n",
        encoding="utf-8",
    )
    return path


def env_credentials(cloud: LocalCloud, api_key: str) -> dict[str, str]:
    return {"RACKIMG_AUTH_URL": cloud.url, "RACKIMG_USER": cloud.username, "RACKIMG_API_KEY": api_key}


def assert_lists_servers(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert [row["NAME"] for row in table(result.stdout)] == ["win01", "db01", "web01"]


def test_missing_credentials_exit_3_with_the_documented_message(rackimg: Rackimg) -> None:
    result = rackimg("images", "list")

    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.splitlines() == [NO_CREDENTIALS]


def test_a_token_without_a_base_url_exits_3(rackimg: Rackimg) -> None:
    result = rackimg("--token", "abc", "images", "list")

    assert result.returncode == 3
    assert result.stderr.splitlines() == ["rackimg: error: --token needs --base-url (the compute endpoint)"]


def test_a_fixed_token_and_base_url_need_no_identity_call(rackimg: Rackimg, cloud: LocalCloud) -> None:
    token = cloud.identity.issue().id

    result = rackimg("--token", token, "--base-url", cloud.compute_url, "images", "list", "--brief")

    assert result.returncode == 0, result.stderr
    assert ids_of(result.stdout) == SEEDED_IDS


def test_a_refused_token_exits_3_saying_the_credentials_were_refused(rackimg: Rackimg, cloud: LocalCloud) -> None:
    result = rackimg("--token", "not-a-token-of-this-cloud", "--base-url", cloud.compute_url, "images", "list")

    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        "rackimg: error: credentials refused: 401 Unauthorized: The request you have made requires authentication."
    ]


def test_environment_variables_give_the_credentials(rackimg: Rackimg, cloud: LocalCloud) -> None:
    result = rackimg("servers", env=env_credentials(cloud, cloud.api_key))

    assert_lists_servers(result)


def test_the_cloud_can_come_from_the_environment(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    result = rackimg(
        "images",
        "list",
        "--brief",
        "--status",
        "SAVING",
        env={
            "RACKIMG_CLOUD": "openstack",
            "RACKIMG_AUTH_URL": openstack_cloud.url,
            "RACKIMG_USER": openstack_cloud.username,
            "RACKIMG_PASSWORD": openstack_cloud.password,
            "RACKIMG_TENANT": "demo",
        },
    )

    assert result.returncode == 0, result.stderr
    assert [row["NAME"] for row in table(result.stdout)] == ["db01-saving", "web01-queued"]


def test_a_profile_from_config_or_rackimg_config_or_the_default_file(
    rackimg: Rackimg, cloud: LocalCloud, cli_env: dict[str, str], tmp_path: Path
) -> None:
    explicit = write_config(tmp_path / "elsewhere.ini", cloud, cloud.api_key)
    write_config(Path(cli_env["XDG_CONFIG_HOME"]) / "rackimg" / "config.ini", cloud, cloud.api_key)

    results = run_together(
        lambda: rackimg("--profile", "prod", "--config", str(explicit), "servers"),
        lambda: rackimg("--profile", "staging", "servers", env={"RACKIMG_CONFIG": str(explicit)}),
        lambda: rackimg("servers", env={"RACKIMG_PROFILE": "prod"}),
    )

    for result in results:
        assert_lists_servers(result)


def test_an_option_beats_the_environment_which_beats_the_profile(
    rackimg: Rackimg, cloud: LocalCloud, tmp_path: Path
) -> None:
    good_profile = write_config(tmp_path / "good.ini", cloud, cloud.api_key)
    bad_profile = write_config(tmp_path / "bad.ini", cloud, WRONG_KEY)

    env_beats_profile, option_beats_env, env_wrong_beats_profile = run_together(
        lambda: rackimg(
            "--profile", "prod", "--config", str(bad_profile), "servers", env={"RACKIMG_API_KEY": cloud.api_key}
        ),
        lambda: rackimg("--api-key", cloud.api_key, "servers", env=env_credentials(cloud, WRONG_KEY)),
        lambda: rackimg(
            "--profile", "prod", "--config", str(good_profile), "servers", env={"RACKIMG_API_KEY": WRONG_KEY}
        ),
    )

    assert_lists_servers(env_beats_profile)
    assert_lists_servers(option_beats_env)
    assert env_wrong_beats_profile.returncode == 3
    assert env_wrong_beats_profile.stderr.splitlines() == [refused(cloud)]


def test_an_unknown_profile_exits_2(rackimg: Rackimg, cloud: LocalCloud, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.ini", cloud, cloud.api_key)

    result = rackimg("--profile", "nope", "--config", str(config), "servers")

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"rackimg: error: no profile 'nope' in {config} (sections: prod, profile staging, typo)"
    ]


def test_a_profile_with_unknown_keys_exits_2(rackimg: Rackimg, cloud: LocalCloud, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.ini", cloud, cloud.api_key)

    result = rackimg("--profile", "typo", "--config", str(config), "servers")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"rackimg: error: profile 'typo' in {config} has unknown key(s) api-key, flavour; allowed: {PROFILE_KEYS}"
    ]


#: An identity URL where nothing listens: a command that sent anything would fail with exit 1.
NOWHERE = "http://127.0.0.1:9/v2.0"


@pytest.mark.parametrize(
    ("options", "env", "profile", "said"),
    [
        (["--retries", "-1"], {}, "", "--retries must be a whole number >= 0, got '-1'"),
        (["--http-timeout", "soon"], {}, "", "--http-timeout must be a number, got 'soon'"),
        (["--http-timeout", "0"], {}, "", "--http-timeout must be a number of seconds > 0, got '0'"),
        ([], {"RACKIMG_HTTP_TIMEOUT": "nan"}, "", "RACKIMG_HTTP_TIMEOUT must be a number, got 'nan'"),
        ([], {"RACKIMG_RETRIES": "lots"}, "", "RACKIMG_RETRIES must be a whole number, got 'lots'"),
        ([], {"RACKIMG_CLOUD": "mars"}, "", "RACKIMG_CLOUD must be one of rackspace, openstack, local, got 'mars'"),
        (["--cloud", "local"], {"RACKIMG_RETRIES": "lots"}, "", "RACKIMG_RETRIES must be a whole number, got 'lots'"),
        ([], {}, "retries = lots", "retries in profile 'prod' of {config} must be a whole number, got 'lots'"),
        ([], {}, "cloud = nova", "cloud in profile 'prod' of {config} must be one of rackspace, openstack, local, got 'nova'"),
    ],
    ids=[
        "option-negative", "option-timeout-not-a-number", "option-timeout-zero",
        "variable-timeout-nan", "variable-retries", "variable-cloud", "local-cloud-variable-retries",
        "profile-retries", "profile-cloud",
    ],
)  # fmt: skip
def test_a_bad_value_names_its_option_variable_or_profile_key_and_exits_2_before_any_request(
    rackimg: Rackimg, tmp_path: Path, options: list[str], env: dict[str, str], profile: str, said: str
) -> None:
    config = tmp_path / "c.ini"
    config.write_text(f"[prod]\n{profile}\n", encoding="utf-8")
    credentials = ["--auth-url", NOWHERE, "--user", "demo", "--api-key", "a-key"]

    result = rackimg(*credentials, "--profile", "prod", "--config", str(config), *options, "servers", env=env)

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"rackimg: error: {said.format(config=config)}"]


def test_a_bad_value_that_an_option_or_variable_overrides_is_never_read(
    rackimg: Rackimg, cloud: LocalCloud, tmp_path: Path
) -> None:
    config = tmp_path / "c.ini"
    config.write_text("[prod]\nretries = lots\nhttp_timeout = never\ncloud = nova\n", encoding="utf-8")
    settings = ["--profile", "prod", "--config", str(config), "--cloud", "rackspace", "--retries", "0"]

    result = rackimg(*settings, "servers", env={**env_credentials(cloud, cloud.api_key), "RACKIMG_HTTP_TIMEOUT": "5"})

    assert_lists_servers(result)


def test_openstack_settings_from_a_profile(rackimg: Rackimg, openstack_cloud: LocalCloud, tmp_path: Path) -> None:
    config = tmp_path / "c.ini"
    config.write_text(
        f"[lab]\ncloud = openstack\nauth_url = {openstack_cloud.url}\nuser = {openstack_cloud.username}\n"
        f"password = {openstack_cloud.password}\ntenant = demo\nretries = 0\nhttp_timeout = 5\n",
        encoding="utf-8",
    )

    result = rackimg("--profile", "lab", "--config", str(config), "servers")

    assert_lists_servers(result)


def test_a_profile_without_a_config_file_exits_2(rackimg: Rackimg, tmp_path: Path) -> None:
    missing = tmp_path / "missing.ini"

    result = rackimg("--profile", "prod", "--config", str(missing), "servers")

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"rackimg: error: profile 'prod' asked for, but there is no config file at {missing}"
    ]


def test_a_wrong_api_key_exits_3_and_is_never_printed(rackimg: Rackimg, cloud: LocalCloud, tmp_path: Path) -> None:
    log = tmp_path / "libcloud.log"
    options = ["--auth-url", cloud.url, "--user", cloud.username, "--api-key", WRONG_KEY]

    plain, debug, logged = run_together(
        lambda: rackimg(*options, "images", "list"),
        lambda: rackimg("--debug", *options, "images", "list"),
        lambda: rackimg(*options, "images", "list", env={"LIBCLOUD_DEBUG": str(log)}),
    )

    assert plain.returncode == 3
    assert plain.stderr.splitlines() == [refused(cloud)]
    assert logged.returncode == 3
    assert logged.stderr.splitlines()[-1] == refused(cloud)
    assert debug.returncode != 0
    assert "InvalidCredsError" in debug.stderr
    log_text = log.read_text()
    assert '"apiKey": "<redacted>"' in log_text  # the request was logged, with the key hidden
    for result in (plain, debug, logged):
        assert WRONG_KEY not in result.stdout + result.stderr
    assert WRONG_KEY not in log_text


def test_a_wrong_openstack_password_exits_3_and_is_never_printed(rackimg: Rackimg, openstack_cloud: LocalCloud) -> None:
    options = openstack_options(openstack_cloud)
    options[options.index("--password") + 1] = WRONG_KEY

    result = rackimg(*options, "images", "list")

    assert result.returncode == 3
    assert result.stderr.splitlines() == [refused(openstack_cloud)]
    assert WRONG_KEY not in result.stdout + result.stderr


def test_a_rackspace_region_picks_that_catalog_endpoint(rs: Rackimg) -> None:
    result = rs("--region", "LON", "images", "show", SNAPSHOT_ACTIVE_ID, "--json")

    assert result.returncode == 0, result.stderr
    assert '"name": "web01-2024-03-01"' in result.stdout


def test_an_unknown_rackspace_region_exits_2(rs: Rackimg) -> None:
    result = rs("--region", "mars", "images", "list")

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "rackimg: error: --region must be one of dfw, ord, iad, lon, syd, hkg in the rackspace dialect, got 'mars'"
    ]


# -- --cloud local -------------------------------------------------------------------------------


def test_local_cloud_keeps_a_delete_across_runs(rackimg: Rackimg, cli_env: dict[str, str], tmp_path: Path) -> None:
    local = rackimg.with_options("--cloud", "local")

    deleted = local("images", "delete", "--yes", SNAPSHOT_ACTIVE_ID)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout == f"deleted {SNAPSHOT_ACTIVE_ID}\n"

    other_dir = tmp_path / "other-data"
    shown, listed, elsewhere = run_together(
        lambda: local("images", "show", SNAPSHOT_ACTIVE_ID),
        lambda: local("images", "list", "--brief"),
        lambda: local("images", "show", SNAPSHOT_ACTIVE_ID, env={"RACKIMG_DATA_DIR": str(other_dir)}),
    )

    assert shown.returncode == 4
    assert shown.stderr.splitlines() == [
        f"rackimg: error: no such image {SNAPSHOT_ACTIVE_ID}: 404 Not Found: Image not found."
    ]
    assert listed.returncode == 0, listed.stderr
    assert ids_of(listed.stdout) == [i for i in SEEDED_IDS if i != SNAPSHOT_ACTIVE_ID]
    assert elsewhere.returncode == 0, elsewhere.stderr  # another data dir is another, fresh cloud
    assert elsewhere.stdout.splitlines()[1].split() == ["name", "web01-2024-03-01"]
    assert (Path(cli_env["RACKIMG_DATA_DIR"]) / "local-cloud.sqlite").is_file()


def test_local_cloud_keeps_a_snapshot_across_runs(rackimg: Rackimg) -> None:
    local = rackimg.with_options("--cloud", "local")

    made = local("images", "snapshot", DB_SERVER_ID, "--name", "kept-for-later", "--metadata", "keep=yes")
    assert made.returncode == 0, made.stderr
    image_id, state = made.stdout.split()
    assert state == "SAVING"

    shown = local("images", "list", "--server", DB_SERVER_ID, "--json")

    assert shown.returncode == 0, shown.stderr
    records = {r["id"]: r for r in json.loads(shown.stdout)}
    assert set(records) >= {image_id, BACKUP_ACTIVE_ID}
    assert records[image_id]["name"] == "kept-for-later"
    assert records[image_id]["metadata"]["keep"] == "yes"
    assert records[image_id]["type"] == "SNAPSHOT"
