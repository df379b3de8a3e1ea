"""Private module: credentials as OpenStack users already have them.

- :func:`from_environment`: the ``OS_*`` variables an openrc file sets;
- :func:`from_clouds_yaml`: a cloud of ``clouds.yaml`` (``--os-cloud NAME`` or ``OS_CLOUD``),
  found where openstacksdk looks (``OS_CLIENT_CONFIG_FILE``, ``./clouds.yaml``,
  ``~/.config/openstack/clouds.yaml``, ``/etc/openstack/clouds.yaml``), with the same cloud of
  ``secure.yaml`` (found the same way) merged into it. Reading YAML needs PyYAML (the ``yaml``
  extra).

Both give the command's settings (:data:`rackimg_driver.configuration.SETTINGS`) by name, each
as ``(value, where it came from)``, so that an error names the variable or the key. What
libcloud cannot do is said at once, naming where it was asked for: a project by id alone
(libcloud logs in to a project by name), a project domain by name other than ``Default``
(libcloud takes the domain's id), an interface other than ``public``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["clouds_yaml_paths", "from_clouds_yaml", "from_environment", "identity_url"]

Found = dict[str, tuple[str, str]]

#: OS_* variables that give a setting as they are.
_VARIABLES = {
    "OS_AUTH_URL": "auth_url",
    "OS_USERNAME": "user",
    "OS_PASSWORD": "password",
    "OS_PROJECT_NAME": "tenant",
    "OS_TENANT_NAME": "tenant",
    "OS_USER_DOMAIN_NAME": "domain",
    "OS_PROJECT_DOMAIN_ID": "project_domain_id",
    "OS_REGION_NAME": "region",
    "OS_TOKEN": "token",
    "OS_APPLICATION_CREDENTIAL_ID": "user",
    "OS_APPLICATION_CREDENTIAL_SECRET": "password",
}
#: The same in a clouds.yaml cloud (``auth.*`` keys, then the cloud's own).
_AUTH_KEYS = {
    "auth_url": "auth_url",
    "username": "user",
    "password": "password",
    "project_name": "tenant",
    "tenant_name": "tenant",
    "user_domain_name": "domain",
    "project_domain_id": "project_domain_id",
    "token": "token",
    "application_credential_id": "user",
    "application_credential_secret": "password",
}
_CLOUD_KEYS = {"region_name": "region", "dialect": "dialect"}


def identity_url(url: str) -> str:
    """The identity URL as libcloud wants it: without the version at its end (``/v3``,
    ``/v2.0``), which libcloud adds itself."""
    trimmed = url.rstrip("/")
    for version in ("/v3", "/v2.0"):
        if trimmed.endswith(version):
            return trimmed[: -len(version)]
    return url


def _checked(found: Found, asked: Mapping[str, tuple[str, str]]) -> Found:
    """What libcloud cannot honour, said now; ``asked`` holds the project id, the project
    domain name and the interface, by their own names, when given."""
    if "project_id" in asked and "tenant" not in found and "appcred" not in found.get("auth_version", ("", ""))[0]:
        where = asked["project_id"][1]
        raise ValueError(
            f"{where}: libcloud logs in to a project by its name: give OS_PROJECT_NAME (or --tenant) as well"
        )
    if "project_domain_name" in asked and "project_domain_id" not in found:
        name, where = asked["project_domain_name"]
        if name.lower() != "default":
            raise ValueError(
                f"{where} is {name!r}: libcloud takes the project's domain by its id: give OS_PROJECT_DOMAIN_ID"
                " (or --project-domain-id)"
            )
    if "interface" in asked and asked["interface"][0].lower() not in ("public", "publicurl"):
        value, where = asked["interface"]
        raise ValueError(f"{where} is {value!r}: the driver uses the catalog's public endpoints only")
    return found


def _auth_version(found: Found, where: str) -> None:
    if "auth_version" in found or "token" in found:
        return
    if where.endswith("APPLICATION_CREDENTIAL_ID") or where.startswith("auth.application_credential_id"):
        found["auth_version"] = ("3.x_appcred", where)
    elif "password" in found:
        found["auth_version"] = ("3.x_password", found["password"][1])


def from_environment(environ: Mapping[str, str]) -> Found:
    """The settings the ``OS_*`` variables give (empty values count as not given).

    :raises ValueError: naming the variable, for what libcloud cannot do (see the module).
    """
    found: Found = {}
    user_from = ""
    for variable, name in _VARIABLES.items():
        value = environ.get(variable)
        if value and (name not in found or variable.startswith("OS_APPLICATION_CREDENTIAL")):
            found[name] = (value, variable)
            if name == "user":
                user_from = variable
    if "auth_url" in found:
        found["auth_url"] = (identity_url(found["auth_url"][0]), found["auth_url"][1])
    _auth_version(found, user_from)
    asked = {
        key: (environ[variable], variable)
        for key, variable in (
            ("project_id", "OS_PROJECT_ID"),
            ("project_domain_name", "OS_PROJECT_DOMAIN_NAME"),
            ("interface", "OS_INTERFACE"),
        )
        if environ.get(variable)
    }
    return _checked(found, asked)


def clouds_yaml_paths(name: str, environ: Mapping[str, str]) -> list[Path]:
    """Where ``clouds.yaml`` (``name``) or ``secure.yaml`` is looked for, first first."""
    variable = "OS_CLIENT_CONFIG_FILE" if name == "clouds.yaml" else "OS_CLIENT_SECURE_FILE"
    home = Path(environ.get("HOME") or Path.home())
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    paths = [Path(environ[variable])] if environ.get(variable) else []
    return [*paths, Path.cwd() / name, config / "openstack" / name, Path("/etc/openstack") / name]


def _load(path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise ValueError(
            f"reading {path} needs PyYAML: pip install 'rackimg-driver[yaml]' (or give the settings as OS_* variables)"
        ) from None
    try:
        with path.open(encoding="utf-8") as file:
            return yaml.safe_load(file)
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read {path}: {' '.join(str(error).split())}") from None


def _first(name: str, environ: Mapping[str, str]) -> Path | None:
    return next((path for path in clouds_yaml_paths(name, environ) if path.is_file()), None)


def _cloud(path: Path, cloud: str, required: bool) -> dict[str, Any]:
    data = _load(path)
    clouds = data.get("clouds") if isinstance(data, dict) else None
    if not isinstance(clouds, dict):
        if required:
            raise ValueError(f"{path} has no 'clouds' mapping")
        return {}
    entry = clouds.get(cloud)
    if entry is None:
        if required:
            raise ValueError(f"no cloud {cloud!r} in {path} (clouds: {', '.join(map(str, clouds)) or 'none'})")
        return {}
    if not isinstance(entry, dict):
        raise ValueError(f"cloud {cloud!r} in {path} is not a mapping")
    return entry


def from_clouds_yaml(cloud: str, environ: Mapping[str, str]) -> Found:
    """The settings the cloud ``cloud`` of clouds.yaml gives, with secure.yaml's merged in.

    :raises ValueError: for no clouds.yaml, no such cloud in it, a file that cannot be read,
        PyYAML missing (naming the extra), or what libcloud cannot do (naming the key).
    """
    path = _first("clouds.yaml", environ)
    if path is None:
        looked = ", ".join(str(p) for p in clouds_yaml_paths("clouds.yaml", environ))
        raise ValueError(f"--os-cloud {cloud}: no clouds.yaml (looked in {looked})")
    entry = _cloud(path, cloud, required=True)
    secure = _first("secure.yaml", environ)
    secrets = _cloud(secure, cloud, required=False) if secure is not None else {}
    found: Found = {}
    asked: dict[str, tuple[str, str]] = {}
    user_from = ""
    for source, layer in ((path, entry), (secure, secrets)):
        where = f"in cloud {cloud!r} of {source}"
        auth = layer.get("auth")
        for key, value in (auth if isinstance(auth, dict) else {}).items():
            if key in _AUTH_KEYS and value not in (None, ""):
                found[_AUTH_KEYS[key]] = (str(value), f"auth.{key} {where}")
                if key in ("username", "application_credential_id"):
                    user_from = f"auth.{key}"
            elif key in ("project_id", "project_domain_name") and value:
                asked[key] = (str(value), f"auth.{key} {where}")
        for key, value in layer.items():
            if key in _CLOUD_KEYS and value not in (None, ""):
                found[_CLOUD_KEYS[key]] = (str(value), f"{key} {where}")
            elif key == "interface" and value:
                asked[key] = (str(value), f"{key} {where}")
    if "auth_url" in found:
        found["auth_url"] = (identity_url(found["auth_url"][0]), found["auth_url"][1])
    _auth_version(found, user_from)
    return _checked(found, asked)
