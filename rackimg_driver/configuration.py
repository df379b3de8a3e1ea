"""Private: configuration -> driver arguments, for the ``rackimg`` command and :mod:`rackimg_driver.plugins`.

Two kinds of configuration end here, and both come out as typed keyword arguments:

- the command's settings (:data:`SETTINGS`): each from its option, else its ``RACKIMG_*``
  environment variable, else its ``OS_*`` one (an openrc file's), else the profile, else
  clouds.yaml (:mod:`._os_config`); :func:`resolve` reads them into :class:`Settings`,
  whose :meth:`~Settings.driver_arguments` are ``RackImgNodeDriver``'s;
- the arguments of any driver class, from a mapping, an INI section (:func:`ini_section`) or
  prefixed environment variables (:func:`prefixed`), checked by :func:`driver_arguments`.

Either way, text becomes what the constructor's annotations (else its defaults) ask for
(:func:`convert`): a bool, an int, a float, None, or a member of an enum such as the dialect.
What cannot be converted is a ValueError that names where the value came from (an option, a
variable, a profile key, a section's key), raised before the driver is made and so before any
request. Nothing here imports libcloud until a driver class is asked about.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rackimg_driver._convert import (
    Label,
    _expected,
    _read_ini,
    _sections,
    _typed,
    convert,
    driver_arguments,
    ini_section,
    prefixed,
)
from rackimg_driver._os_config import identity_url

__all__ = [
    "CLOUDS",
    "DIALECTS",
    "SETTINGS",
    "Label",
    "MissingCredentialsError",
    "Setting",
    "Settings",
    "convert",
    "default_config_path",
    "driver_arguments",
    "ini_section",
    "prefixed",
    "resolve",
]

#: What ``--cloud`` takes: a dialect of the driver, or the embedded local cloud.
CLOUDS = ("rackspace", "openstack", "local")
#: What ``--dialect`` takes: the driver's dialects (its ``ex_dialect``).
DIALECTS = ("rackspace", "openstack", "glance")


class MissingCredentialsError(ValueError):
    """The command's settings give no usable credentials (the command exits 3)."""


# -- the command's settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One setting of the ``rackimg`` command.

    :param name: Its profile key; the option is ``--name`` (dashes for underscores), the
        environment variable ``RACKIMG_NAME``.
    :param argument: The driver argument it gives as it is, if any (the others are read
        together, by :meth:`Settings.driver_arguments`).
    :param check: What its typed value must satisfy, with ``expects`` saying it in words.
    """

    name: str
    argument: str | None = None
    check: Callable[[Any], bool] | None = None
    expects: str = ""

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def variable(self) -> str:
        return "RACKIMG_" + self.name.upper()


#: The command's settings by name, in the order the docs list them.
SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (
        Setting("cloud"),
        Setting("dialect"),
        Setting("user"),
        Setting("api_key"),
        Setting("password"),
        Setting("region"),
        Setting("auth_url", "ex_force_auth_url"),
        Setting("auth_version", "ex_force_auth_version"),
        Setting("tenant", "ex_tenant_name"),
        Setting("domain", "ex_domain_name"),
        Setting("project_domain_id", "ex_tenant_domain_id"),
        Setting("token", "ex_force_auth_token"),
        Setting("base_url", "ex_force_base_url"),
        Setting("retries", "ex_max_retries", lambda n: n >= 0, "a whole number >= 0"),
        Setting("http_timeout", "timeout", lambda s: s > 0, "a number of seconds > 0"),
    )
}

#: Settings that shape the transport, which the local cloud takes too.
_TRANSPORT = ("retries", "http_timeout")

_NO_CREDENTIALS = (
    "no credentials: give --user and --api-key (or --password), RACKIMG_USER and RACKIMG_API_KEY,"
    " an openrc's OS_* variables, --os-cloud, a --profile, or use --cloud local"
)


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/rackimg/config.ini``, else ``~/.config/rackimg/config.ini``."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "rackimg" / "config.ini"


@dataclass(frozen=True)
class Settings:
    """The command's settings as found: each value as text, and where it came from.

    :param values: By setting name; a setting that was not given is absent.
    :param sources: By setting name: the option, the variable, or ``name in profile 'p' of path``.
    """

    values: Mapping[str, str]
    sources: Mapping[str, str]

    def _label(self, name: str) -> str:
        return self.sources.get(name, SETTINGS[name].option)

    @property
    def cloud(self) -> str:
        """``rackspace`` (the default), ``openstack`` or ``local``.

        :raises ValueError: for any other value, naming where it came from.
        """
        cloud = self.values.get("cloud", "rackspace")
        if cloud.lower() not in CLOUDS:
            raise ValueError(f"{self._label('cloud')} must be one of {', '.join(CLOUDS)}, got {cloud!r}")
        return cloud.lower()

    @property
    def dialect(self) -> str | None:
        """The dialect asked for (``rackspace``, ``openstack``, ``glance``), else None: the cloud's.

        :raises ValueError: for any other value, naming where it came from.
        """
        dialect = self.values.get("dialect")
        if dialect is None:
            return None
        if dialect.lower() not in DIALECTS:
            raise ValueError(f"{self._label('dialect')} must be one of {', '.join(DIALECTS)}, got {dialect!r}")
        return dialect.lower()

    def transport_arguments(self) -> dict[str, Any]:
        """The driver arguments of the retries and timeout settings alone (for the local cloud,
        which gives the others itself)."""
        return self._checked({name: self.values[name] for name in _TRANSPORT if name in self.values})

    def driver_arguments(self) -> dict[str, Any]:
        """Every keyword argument of ``RackImgNodeDriver`` for a rackspace or openstack cloud.

        :raises MissingCredentialsError: for neither a token nor a user with a key or password,
            and for a token without the compute endpoint.
        :raises ValueError: for a value of the wrong form, naming its option, variable or
            profile key.
        """
        cloud = self.cloud
        if cloud == "local":
            raise ValueError("the local cloud gives its own driver arguments")
        given = self.values
        if given.get("token"):
            if not given.get("base_url"):
                raise MissingCredentialsError("--token needs --base-url (the compute endpoint)")
        elif not given.get("user") or not (given.get("api_key") or given.get("password")):
            raise MissingCredentialsError(_NO_CREDENTIALS)
        if cloud != "rackspace" and not given.get("token") and not given.get("auth_url"):
            raise MissingCredentialsError(
                f"--cloud {cloud} needs the identity URL: give --auth-url, OS_AUTH_URL or RACKIMG_AUTH_URL"
            )
        # The secret is the API key on Rackspace, the password elsewhere; either stands in.
        secret, other = ("api_key", "password") if cloud == "rackspace" else ("password", "api_key")
        chosen = secret if given.get(secret) else other
        # Each argument: (its value, the setting that gave it, which names it in an error).
        arguments: dict[str, tuple[Any, str]] = {
            "ex_dialect": (self.dialect or cloud, "dialect" if self.dialect else "cloud"),
            "key": (given.get("user", "token"), "user"),
            "secret": (given.get(chosen), chosen),
        }
        if cloud == "rackspace":
            arguments["region"] = (given.get("region", "dfw"), "region")
            if chosen == "password" and given.get("password"):
                arguments["ex_force_auth_version"] = ("2.0_password", "password")
        else:
            arguments["region"] = (given.get("region"), "region")
            if given.get("region"):
                arguments["ex_force_service_region"] = (given["region"], "region")
        raw = {argument: value for argument, (value, _) in arguments.items()}
        labels = {argument: self._label(name) for argument, (_, name) in arguments.items()}
        from rackimg_driver.driver import RackImgNodeDriver

        typed = _typed(RackImgNodeDriver, raw, lambda argument: labels[argument])
        direct = {name: value for name, value in given.items() if SETTINGS[name].argument}
        typed.update(self._checked(direct))
        if isinstance(typed.get("ex_force_auth_url"), str):
            typed["ex_force_auth_url"] = identity_url(typed["ex_force_auth_url"])
        return typed

    def _checked(self, values: Mapping[str, str]) -> dict[str, Any]:
        """Settings that are driver arguments as they are: typed, then checked."""
        from rackimg_driver.driver import RackImgNodeDriver

        expected = _expected(RackImgNodeDriver)
        arguments: dict[str, Any] = {}
        for name, text in values.items():
            setting = SETTINGS[name]
            assert setting.argument is not None
            value = convert(text, expected.get(setting.argument), self._label(name))
            if setting.check is not None and not setting.check(value):
                raise ValueError(f"{self._label(name)} must be {setting.expects}, got {text!r}")
            arguments[setting.argument] = value
        return arguments


def _profile(options: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """The profile's keys and how to name it (``profile 'p' of path``); none when none is asked for."""
    name = options.get("profile") or environ.get("RACKIMG_PROFILE")
    if not name:
        return {}, ""
    path = Path(options.get("config") or environ.get("RACKIMG_CONFIG") or default_config_path(environ))
    if not path.is_file():
        raise ValueError(f"profile {name!r} asked for, but there is no config file at {path}")
    parser = _read_ini(path, keep_case=False)
    for section in (name, f"profile {name}"):
        if parser.has_section(section):
            found = dict(parser[section])
            unknown = sorted(set(found) - set(SETTINGS))
            if unknown:
                raise ValueError(
                    f"profile {name!r} in {path} has unknown key(s) {', '.join(unknown)};"
                    f" allowed: {', '.join(SETTINGS)}"
                )
            return found, f"profile {name!r} of {path}"
    raise ValueError(f"no profile {name!r} in {path} (sections: {_sections(parser)})")


def resolve(options: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """The command's settings: each from ``options`` (by setting name), else its ``RACKIMG_*``
    variable, else its ``OS_*`` variable (an openrc file's), else the profile that
    ``options["profile"]`` or ``RACKIMG_PROFILE`` names (in the file ``options["config"]``,
    ``RACKIMG_CONFIG`` or :func:`default_config_path`), else the cloud of clouds.yaml that
    ``options["os_cloud"]`` or ``OS_CLOUD`` names. An empty value counts as not given. When
    the ``OS_*`` variables or clouds.yaml give anything and nothing names the cloud, it is
    ``openstack``.

    :raises ValueError: for a profile or a clouds.yaml that cannot be read, is not there, or
        has unknown keys, and for ``OS_*`` settings that libcloud cannot honour.
    """
    from rackimg_driver._os_config import from_clouds_yaml, from_environment

    environ = os.environ if environ is None else environ
    profile, where = _profile(options, environ)
    openrc = from_environment(environ)
    os_cloud = options.get("os_cloud") or environ.get("OS_CLOUD")
    clouds = from_clouds_yaml(str(os_cloud), environ) if os_cloud else {}
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS.values():
        candidates = (
            (options.get(setting.name), setting.option),
            (environ.get(setting.variable), setting.variable),
            openrc.get(setting.name, (None, "")),
            (profile.get(setting.name), f"{setting.name} in {where}"),
            clouds.get(setting.name, (None, "")),
        )
        for value, source in candidates:
            if value:
                values[setting.name] = str(value)
                sources[setting.name] = source
                break
    if "cloud" not in values and (openrc or clouds):
        values["cloud"] = "openstack"
        sources["cloud"] = "the OS_* variables" if openrc else f"--os-cloud {os_cloud}"
    return Settings(values, sources)
