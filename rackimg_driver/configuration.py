"""Private: configuration -> driver arguments, for the ``rackimg`` command and :mod:`rackimg_driver.plugins`.

Two kinds of configuration end here, and both come out as typed keyword arguments:

- the command's settings (:data:`SETTINGS`): each from its option, else its ``RACKIMG_*``
  environment variable, else the profile; :func:`resolve` reads them into :class:`Settings`,
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

import configparser
import inspect
import math
import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Any

__all__ = [
    "CLOUDS",
    "DIALECTS",
    "SETTINGS",
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

#: Types of libcloud's common constructor arguments, which drivers take through ``**kwargs``.
_COMMON_TYPES: dict[str, Any] = {"secure": bool, "port": int, "timeout": float, "retry_delay": float, "backoff": float}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_NONE = frozenset({"", "none", "null"})

Label = Callable[[str], str]


class MissingCredentialsError(ValueError):
    """The command's settings give no usable credentials (the command exits 3)."""


# -- text -> typed values --------------------------------------------------------------------------


def _kinds(hint: Any) -> tuple[Any, ...]:
    """The types a hint admits: the members of a union, else the hint itself."""
    return typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, UnionType) else (hint,)


def _member(kind: type[Enum], text: str) -> Enum | None:
    wanted = text.lower()
    for member in kind:
        if str(member.value).lower() == wanted:
            return member
    return None


def convert(value: Any, hint: Any, label: str) -> Any:
    """``value`` as ``hint`` asks, when it is text; anything else is returned as it is.

    An enum in the hint takes one of its values (any case); ``None`` in it takes an empty
    value, ``none`` or ``null``; bool takes true/false, yes/no, on/off, 1/0; int and float
    take their digits (finite numbers only). A hint that admits ``str`` keeps other text.

    :raises ValueError: naming ``label`` for text the hint cannot take.
    """
    if not isinstance(value, str) or hint is None:
        return value
    kinds = _kinds(hint)
    text = value.strip()
    enums = [kind for kind in kinds if isinstance(kind, type) and issubclass(kind, Enum)]
    for kind in enums:
        member = _member(kind, text)
        if member is not None:
            return member
    if str in kinds or Any in kinds:
        return value
    if enums:
        allowed = ", ".join(str(member.value) for kind in enums for member in kind)
        raise ValueError(f"{label} must be one of {allowed}, got {value!r}")
    if type(None) in kinds and text.lower() in _NONE:
        return None
    if bool in kinds:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"{label} must be true or false, got {value!r}")
    numbers: list[type[int] | type[float]] = [number for number in (int, float) if number in kinds]
    for number in numbers:
        try:
            parsed = number(text)
        except ValueError:
            continue
        if math.isfinite(parsed):
            return parsed
    if numbers:
        raise ValueError(f"{label} must be {'a whole number' if numbers == [int] else 'a number'}, got {value!r}")
    return value


def _expected(cls: type) -> dict[str, Any]:
    """What each constructor argument of ``cls`` expects: its annotation, else its default's type."""
    init = cls.__init__  # type: ignore[misc]
    try:
        hints = typing.get_type_hints(init)
    except Exception:  # annotations that do not resolve: fall back on the defaults
        hints = {}
    expected: dict[str, Any] = dict(_COMMON_TYPES)
    for parameter in inspect.signature(init).parameters.values():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        hint = hints.get(parameter.name)
        if hint is not None:
            expected[parameter.name] = hint
        elif parameter.default is not inspect.Parameter.empty and parameter.default is not None:
            expected[parameter.name] = type(parameter.default)
    return expected


def _required(cls: type) -> list[str]:
    init = cls.__init__  # type: ignore[misc]
    parameters = list(inspect.signature(init).parameters.values())[1:]  # not self
    return [
        p.name
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


def _typed(cls: type, arguments: Mapping[str, Any], label: Label) -> dict[str, Any]:
    expected = _expected(cls)
    return {key: convert(value, expected.get(key), label(key)) for key, value in arguments.items()}


def driver_arguments(cls: type, arguments: Mapping[str, Any], driver: str, label: Label) -> dict[str, Any]:
    """``arguments`` for ``cls``'s constructor, typed; ``label(key)`` says where a key came from.

    :raises ValueError: for a required argument that is missing (a credential, say), naming
        the driver ``driver``, and for a value of the wrong form, naming its label.
    """
    missing = [name for name in _required(cls) if name not in arguments]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        raise ValueError(f"driver {driver!r} needs {names}, missing from the configuration")
    return _typed(cls, arguments, label)


# -- sources: INI files and the environment --------------------------------------------------------


def _read_ini(path: Path, keep_case: bool) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    if keep_case:
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are argument names
    try:
        with path.open(encoding="utf-8") as file:
            parser.read_file(file)
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}".splitlines()[0]) from None
    return parser


def _sections(parser: configparser.ConfigParser) -> str:
    return ", ".join(parser.sections()) or "none"


def ini_section(
    source: str | os.PathLike[str] | configparser.ConfigParser, section: str
) -> tuple[dict[str, str], Label]:
    """A section of an INI file (a path, whose keys keep their case, or a parsed ConfigParser),
    and the label of each of its keys (``key in [section] of path``).

    :raises ValueError: for a file that is missing or unreadable, or a section it lacks.
    """
    if isinstance(source, configparser.ConfigParser):
        parser, where = source, "the configuration"
    else:
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"no configuration file at {path}")
        parser, where = _read_ini(path, keep_case=True), str(path)
    if not parser.has_section(section):
        raise ValueError(f"no section [{section}] in {where} (sections: {_sections(parser)})")
    return dict(parser[section]), lambda key: f"{key} in [{section}] of {where}"


def prefixed(environ: Mapping[str, str], prefix: str) -> dict[str, str]:
    """The variables that start with ``prefix``, by the rest of their name, lowercased."""
    return {key[len(prefix) :].lower(): value for key, value in environ.items() if key.startswith(prefix)}


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
    " a --profile, or use --cloud local"
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
    variable, else the profile that ``options["profile"]`` or ``RACKIMG_PROFILE`` names, in the
    file ``options["config"]``, ``RACKIMG_CONFIG`` or :func:`default_config_path`. An empty
    value counts as not given.

    :raises ValueError: for a profile that cannot be read, is not there, or has unknown keys.
    """
    environ = os.environ if environ is None else environ
    profile, where = _profile(options, environ)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS.values():
        candidates = (
            (options.get(setting.name), setting.option),
            (environ.get(setting.variable), setting.variable),
            (profile.get(setting.name), f"{setting.name} in {where}"),
        )
        for value, source in candidates:
            if value:
                values[setting.name] = str(value)
                sources[setting.name] = source
                break
    return Settings(values, sources)
