"""Drivers by name and by configuration: the ``libcloud.compute.drivers`` entry points.

- :func:`load_driver_class` finds a driver class by name: first among the entry points
  of the namespace (through stevedore), then among libcloud's built-in providers, so
  ``"rackimg"``, ``"dummy"`` and ``"openstack"`` all come through the same call.
- :func:`driver_from_config`, :func:`driver_from_ini` and :func:`driver_from_env` build
  a driver from configuration: a driver name and its constructor arguments, typed where
  the driver expects bools or numbers.
- :func:`register_all` bridges the namespace into libcloud's ``get_driver``, so a libcloud
  application with no stevedore code finds every plugin.
"""

from __future__ import annotations

import configparser
import inspect
import logging
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from libcloud.compute.base import NodeDriver

__all__ = [
    "NAMESPACE",
    "DriverLoadError",
    "RegistrationReport",
    "driver_from_config",
    "driver_from_env",
    "driver_from_ini",
    "known_driver_names",
    "load_driver_class",
    "register_all",
]

LOG = logging.getLogger(__name__)

#: The entry-point namespace of libcloud compute drivers.
NAMESPACE = "libcloud.compute.drivers"

#: The configuration key (``DRIVER`` in the environment) that names the driver.
DRIVER_KEY = "driver"

# Types of libcloud's common constructor arguments that drivers take through **kwargs.
_COMMON_TYPES: dict[str, type] = {"secure": bool, "port": int, "timeout": float, "retry_delay": float, "backoff": float}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class DriverLoadError(ValueError):
    """A driver name that cannot be loaded: unknown, claimed twice, or failing to import."""


def _namespace_entry_points(name: str | None = None) -> list[EntryPoint]:
    found = list(entry_points(group=NAMESPACE))
    return [ep for ep in found if name is None or ep.name == name]


def _distribution(entry_point: EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"


def _claims(entry_points_: list[EntryPoint]) -> list[EntryPoint]:
    """The distinct claims on one name (the same target seen twice on sys.path is one claim)."""
    seen: dict[str, EntryPoint] = {}
    for entry_point in entry_points_:
        seen.setdefault(entry_point.value, entry_point)
    return list(seen.values())


def _builtin_names() -> list[str]:
    from rackimg_driver.registration import registered_drivers

    return sorted(registered_drivers())


def known_driver_names() -> list[str]:
    """Every name :func:`load_driver_class` knows: the namespace's, then libcloud's built-ins."""
    plugins = sorted({ep.name for ep in _namespace_entry_points()})
    return plugins + [name for name in _builtin_names() if name not in plugins]


def load_driver_class(name: str) -> type[NodeDriver]:
    """The driver class called ``name``: an entry point of the namespace, else a libcloud provider.

    :raises DriverLoadError: (a ValueError) for an unknown name, listing the known ones;
        for a name two distributions claim, naming them; for a plugin that fails to import,
        saying why.
    """
    if not isinstance(name, str) or not name.strip():
        raise DriverLoadError(f"a driver name must be a non-empty string, got {name!r}")
    claims = _claims(_namespace_entry_points(name))
    if len(claims) > 1:
        who = "; ".join(f"{ep.value} from {_distribution(ep)}" for ep in claims)
        raise DriverLoadError(f"driver {name!r} is claimed more than once in {NAMESPACE}: {who}")
    if claims:
        from stevedore.driver import DriverManager

        failures: list[str] = []

        def failed(_manager: Any, entry_point: Any, error: BaseException) -> None:
            failures.append(f"{type(error).__name__}: {error}")

        try:
            manager: Any = DriverManager(NAMESPACE, name, on_load_failure_callback=failed)
        except Exception as error:  # stevedore's NoMatches after a failed import, and the like
            reason = failures[0] if failures else f"{type(error).__name__}: {error}"
            raise DriverLoadError(
                f"driver {name!r} ({claims[0].value} from {_distribution(claims[0])}) failed to load: {reason}"
            ) from None
        driver: type[NodeDriver] = manager.driver
        return driver
    from libcloud.compute.providers import get_driver

    try:
        builtin: type[NodeDriver] = get_driver(name)
    except AttributeError:
        raise DriverLoadError(f"unknown driver {name!r}; known: {', '.join(known_driver_names())}") from None
    return builtin


def _expected_types(cls: type) -> dict[str, Any]:
    """What each constructor argument of ``cls`` expects: from annotations, else its default."""
    init = cls.__init__  # type: ignore[misc]
    try:
        hints = typing.get_type_hints(init)
    except Exception:  # annotations that do not resolve: fall back on the defaults
        hints = {}
    types: dict[str, Any] = dict(_COMMON_TYPES)
    for parameter in inspect.signature(init).parameters.values():
        hint = hints.get(parameter.name)
        if hint is not None:
            types[parameter.name] = hint
        elif parameter.default is not inspect.Parameter.empty and parameter.default is not None:
            types[parameter.name] = type(parameter.default)
    return types


def _accepts(hint: Any, kind: type) -> bool:
    if hint is kind:
        return True
    return kind in typing.get_args(hint)


def _convert(driver: str, key: str, value: Any, hint: Any) -> Any:
    """A string from a file or the environment, as the type the driver expects."""
    if not isinstance(value, str) or hint is None or _accepts(hint, str):
        return value
    text = value.strip()
    if _accepts(hint, type(None)) and text.lower() in ("", "none", "null"):
        return None
    if _accepts(hint, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"{driver}: {key} must be true or false, got {value!r}")
    for kind in (int, float):
        if _accepts(hint, kind):
            try:
                return kind(text)
            except ValueError:
                raise ValueError(
                    f"{driver}: {key} must be {'a whole number' if kind is int else 'a number'}, got {value!r}"
                ) from None
    return value


def _required(cls: type) -> list[str]:
    init = cls.__init__  # type: ignore[misc]
    names = []
    for parameter in list(inspect.signature(init).parameters.values())[1:]:
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if parameter.default is inspect.Parameter.empty:
            names.append(parameter.name)
    return names


def driver_from_config(config: Mapping[str, Any]) -> NodeDriver:
    """Build a driver from a mapping: ``driver`` names it, every other key is an argument.

    Values that are strings (from an INI file or the environment) are converted to the
    bool, int or float the driver's constructor expects.

    :raises DriverLoadError: for a missing or unknown driver name.
    :raises ValueError: for a missing required argument (a credential) or a value of the
        wrong form, naming the key.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"a driver configuration must be a mapping, got {type(config).__name__}")
    name = config.get(DRIVER_KEY)
    if not name:
        raise DriverLoadError(
            f"the configuration names no driver (key {DRIVER_KEY!r}); known: {', '.join(known_driver_names())}"
        )
    cls = load_driver_class(str(name))
    arguments = {str(key): value for key, value in config.items() if key != DRIVER_KEY}
    missing = [arg for arg in _required(cls) if arg not in arguments]
    if missing:
        raise ValueError(f"driver {name!r} needs {', '.join(repr(m) for m in missing)}, missing from the configuration")
    types = _expected_types(cls)
    typed = {key: _convert(str(name), key, value, types.get(key)) for key, value in arguments.items()}
    return cls(**typed)


def driver_from_ini(source: str | os.PathLike[str] | configparser.ConfigParser, section: str) -> NodeDriver:
    """Build a driver from a section of an INI file (a path or a parsed ConfigParser)."""
    if isinstance(source, configparser.ConfigParser):
        parser = source
        where = "the configuration"
    else:
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"no configuration file at {path}")
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep ex_ argument case
        parser.read(path, encoding="utf-8")
        where = str(path)
    if not parser.has_section(section):
        raise ValueError(f"no section [{section}] in {where} (sections: {', '.join(parser.sections()) or 'none'})")
    return driver_from_config(dict(parser[section]))


def driver_from_env(prefix: str = "LIBCLOUD_COMPUTE_", environ: Mapping[str, str] | None = None) -> NodeDriver:
    """Build a driver from environment variables: ``{prefix}DRIVER`` names it, every other
    ``{prefix}NAME`` is the argument ``name`` (lowercased), e.g. ``LIBCLOUD_COMPUTE_EX_DIALECT``."""
    environ = os.environ if environ is None else environ
    config = {key[len(prefix) :].lower(): value for key, value in environ.items() if key.startswith(prefix)}
    if DRIVER_KEY not in config:
        raise DriverLoadError(f"{prefix}DRIVER is not set; known drivers: {', '.join(known_driver_names())}")
    return driver_from_config(config)


@dataclass
class RegistrationReport:
    """What :func:`register_all` did: names registered, already there, and skipped with why."""

    registered: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def register_all() -> RegistrationReport:
    """Register every driver of the namespace with libcloud's ``get_driver``.

    Idempotent. A name that two distributions claim, a plugin that fails to import, or a
    name libcloud already gives to another driver is skipped, logged as a warning with the
    reason, and listed in the report; the others are registered all the same.
    """
    from libcloud.compute.providers import set_driver

    from rackimg_driver.registration import registered_drivers

    drivers = registered_drivers()
    report = RegistrationReport()
    by_name: dict[str, list[EntryPoint]] = {}
    for entry_point in _namespace_entry_points():
        by_name.setdefault(entry_point.name, []).append(entry_point)
    for name, found in sorted(by_name.items()):
        claims = _claims(found)
        if len(claims) > 1:
            report.skipped[name] = "claimed by " + " and ".join(f"{ep.value} ({_distribution(ep)})" for ep in claims)
            continue
        module, _, attribute = claims[0].value.partition(":")
        target = (module, attribute)
        if drivers.get(name.lower()) == target:
            report.already.append(name)
            continue
        if name.lower() in drivers:
            current = drivers[name.lower()]
            report.skipped[name] = f"libcloud already has {name!r} as {current[0]}.{current[1]}"
            continue
        try:
            load_driver_class(name)
            set_driver(name, module, attribute)  # type: ignore[arg-type]  # it takes names
        except Exception as error:
            report.skipped[name] = str(error)
            continue
        report.registered.append(name)
    for name, reason in report.skipped.items():
        LOG.warning("libcloud driver %r not registered: %s", name, reason)
    return report
