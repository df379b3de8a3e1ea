"""Drivers by name and by configuration: the ``libcloud.compute.drivers`` entry points.

- :func:`discover` is the one look at the namespace: every driver its entry points declare,
  loaded through stevedore, with the reason for each that fails to import.
- :func:`load_driver_class` finds a driver class by name: first among the namespace's
  drivers, then among libcloud's built-in providers, so ``"rackimg"``, ``"dummy"`` and
  ``"openstack"`` all come through the same call.
- :func:`driver_from_config`, :func:`driver_from_ini` and :func:`driver_from_env` build
  a driver from configuration: a driver name and its constructor arguments, typed where
  the driver expects bools, numbers or an enum; :func:`driver_from_openstack` builds this
  driver from an openrc's ``OS_*`` variables and clouds.yaml.
- :func:`register` makes libcloud's ``get_driver("rackimg")`` return this driver;
  :func:`register_all` does so for every driver of the namespace, so a libcloud application
  with no stevedore code finds every plugin.
"""

from __future__ import annotations

import configparser
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from libcloud.compute.base import NodeDriver

from rackimg_driver import configuration

__all__ = [
    "NAMESPACE",
    "PROVIDER_NAME",
    "DriverLoadError",
    "Plugin",
    "RegistrationReport",
    "discover",
    "driver_from_config",
    "driver_from_env",
    "driver_from_ini",
    "driver_from_openstack",
    "known_driver_names",
    "load_driver_class",
    "register",
    "register_all",
]

LOG = logging.getLogger(__name__)

#: The entry-point namespace of libcloud compute drivers.
NAMESPACE = "libcloud.compute.drivers"

#: The name under which this driver is known to libcloud and in the namespace.
PROVIDER_NAME = "rackimg"

#: The configuration key (``DRIVER`` in the environment) that names the driver.
DRIVER_KEY = "driver"


class DriverLoadError(ValueError):
    """A driver name that cannot be loaded: unknown, claimed twice, or failing to import."""


@dataclass(frozen=True)
class Plugin:
    """One driver of the namespace.

    :param name: Its name in the namespace.
    :param target: What its entry point names, ``module:Class``.
    :param driver: The class, or None when it failed to import.
    :param error: Why it failed to import (``ImportError: ...``), else None.
    """

    name: str
    target: str
    driver: type[NodeDriver] | None
    error: str | None

    def failure(self) -> str:
        """What :func:`load_driver_class` says of a plugin that failed to import."""
        return f"driver {self.name!r} ({self.target} from {_distribution(self)}) failed to load: {self.error}"


def discover() -> list[Plugin]:
    """Every driver the namespace's entry points declare, in their order.

    stevedore reads the entry points (a target that one distribution declares twice, being
    twice on ``sys.path``, is one entry point) and imports each; one that fails to import is
    listed with the reason, and stops nothing else.
    """
    from stevedore.extension import ExtensionManager

    failures: dict[tuple[str, str], str] = {}

    def failed(_manager: Any, entry_point: Any, error: BaseException) -> None:
        failures[entry_point.name, entry_point.value] = f"{type(error).__name__}: {error}"

    manager: ExtensionManager[Any] = ExtensionManager(NAMESPACE, on_load_failure_callback=failed)
    loaded = {(ext.name, ext.entry_point.value): ext.plugin for ext in manager.extensions}
    return [
        Plugin(ep.name, ep.value, loaded.get((ep.name, ep.value)), failures.get((ep.name, ep.value)))
        for ep in manager.list_entry_points()
    ]


def _distribution(plugin: Plugin) -> str:
    """The distribution that declares ``plugin``, as ``name version``; only error messages need it
    (stevedore's entry points do not say)."""
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=NAMESPACE):
        dist = getattr(entry_point, "dist", None)
        if (entry_point.name, entry_point.value) == (plugin.name, plugin.target) and dist is not None:
            return f"{dist.name} {dist.version}"
    return "an unknown distribution"


def _libcloud_drivers() -> dict[str, tuple[str, str]]:
    """libcloud's compute providers by lowercase name: (module, class).

    Its keys are ``Provider`` constants, which hash unlike plain strings on some libcloud
    versions (3.6), so names are compared by value, not by dict lookup.
    """
    from libcloud.compute.providers import DRIVERS

    drivers = cast(dict[Any, tuple[str, str]], DRIVERS)
    return {str(getattr(key, "value", key)).lower(): target for key, target in drivers.items()}


def known_driver_names() -> list[str]:
    """Every name :func:`load_driver_class` knows: the namespace's, then libcloud's built-ins."""
    plugins = sorted({plugin.name for plugin in discover()})
    return plugins + [name for name in sorted(_libcloud_drivers()) if name not in plugins]


def _claims(plugins: list[Plugin]) -> str:
    return "; ".join(f"{plugin.target} from {_distribution(plugin)}" for plugin in plugins)


def load_driver_class(name: str) -> type[NodeDriver]:
    """The driver class called ``name``: a driver of the namespace, else a libcloud provider.

    :raises DriverLoadError: (a ValueError) for an unknown name, listing the known ones;
        for a name two distributions claim, naming them; for a plugin that fails to import,
        saying why.
    """
    if not isinstance(name, str) or not name.strip():
        raise DriverLoadError(f"a driver name must be a non-empty string, got {name!r}")
    claims = [plugin for plugin in discover() if plugin.name == name]
    if len(claims) > 1:
        raise DriverLoadError(f"driver {name!r} is claimed more than once in {NAMESPACE}: {_claims(claims)}")
    if claims:
        if claims[0].driver is None:
            raise DriverLoadError(claims[0].failure())
        return claims[0].driver
    from libcloud.compute.providers import get_driver

    try:
        builtin: type[NodeDriver] = get_driver(name)
    except AttributeError:
        raise DriverLoadError(f"unknown driver {name!r}; known: {', '.join(known_driver_names())}") from None
    return builtin


def _driver_from(config: Mapping[str, Any], label: configuration.Label, no_driver: str) -> NodeDriver:
    if not isinstance(config, Mapping):
        raise ValueError(f"a driver configuration must be a mapping, got {type(config).__name__}")
    name = config.get(DRIVER_KEY)
    if not name:
        raise DriverLoadError(f"{no_driver}; known drivers: {', '.join(known_driver_names())}")
    cls = load_driver_class(str(name))
    arguments = {str(key): value for key, value in config.items() if key != DRIVER_KEY}
    return cls(**configuration.driver_arguments(cls, arguments, str(name), label))


def driver_from_config(config: Mapping[str, Any]) -> NodeDriver:
    """Build a driver from a mapping: ``driver`` names it, every other key is an argument.

    Values that are strings (from an INI file or the environment) are converted to the
    bool, int, float or enum the driver's constructor expects.

    :raises DriverLoadError: for a missing or unknown driver name.
    :raises ValueError: for a missing required argument (a credential) or a value of the
        wrong form, naming the key.
    """
    name = config.get(DRIVER_KEY) if isinstance(config, Mapping) else None
    return _driver_from(config, lambda key: f"{name}: {key}", f"the configuration names no driver (key {DRIVER_KEY!r})")


def driver_from_ini(source: str | os.PathLike[str] | configparser.ConfigParser, section: str) -> NodeDriver:
    """Build a driver from a section of an INI file (a path or a parsed ConfigParser), as
    :func:`driver_from_config` does; an error names the key, the section and the file."""
    config, label = configuration.ini_section(source, section)
    return _driver_from(config, label, f"{label(DRIVER_KEY)} is not set")


def driver_from_env(prefix: str = "LIBCLOUD_COMPUTE_", environ: Mapping[str, str] | None = None) -> NodeDriver:
    """Build a driver from environment variables: ``{prefix}DRIVER`` names it, every other
    ``{prefix}NAME`` is the argument ``name`` (lowercased), e.g. ``LIBCLOUD_COMPUTE_EX_DIALECT``;
    an error names the variable."""
    config = configuration.prefixed(os.environ if environ is None else environ, prefix)
    return _driver_from(config, lambda key: f"{prefix}{key.upper()}", f"{prefix}DRIVER is not set")


def driver_from_openstack(cloud: str | None = None, environ: Mapping[str, str] | None = None) -> NodeDriver:
    """Build this driver as an OpenStack user's tools would log in: from the ``OS_*``
    variables an openrc file sets, and from the cloud ``cloud`` of clouds.yaml (else the one
    ``OS_CLOUD`` names, if any), found where openstacksdk looks, with secure.yaml merged in.
    The variables beat the file; reading the file needs PyYAML (the ``yaml`` extra). The
    same reading as ``rackimg``'s (see the command line's docs), also ``RACKIMG_*`` variables.

    :raises ValueError: naming the variable or the key, for a value of the wrong form, for a
        clouds.yaml that is missing or lacks the cloud, and for what libcloud cannot do (a
        project by id alone, a project domain by a name other than Default, an interface
        other than public); ``MissingCredentialsError`` (a ValueError) for no credentials.
    """
    from rackimg_driver.driver import RackImgNodeDriver

    settings = configuration.resolve({"os_cloud": cloud}, environ)
    if settings.cloud == "local":
        raise ValueError("driver_from_openstack: the local cloud is rackimg_driver.emulator.LocalCloud")
    return RackImgNodeDriver(**settings.driver_arguments())


# -- libcloud's get_driver --------------------------------------------------------------------------


def _set_driver(name: str, module: str, attribute: str) -> None:
    from libcloud.compute.providers import set_driver

    set_driver(name, module, attribute)  # type: ignore[arg-type]  # libcloud's annotations say objects; it takes names


def register() -> None:
    """Register this driver with libcloud's ``get_driver``; calling it again is harmless.

    :raises ValueError: when another driver already holds the name ``rackimg``.
    """
    from rackimg_driver.driver import RackImgNodeDriver

    ours = (RackImgNodeDriver.__module__, RackImgNodeDriver.__name__)
    current = _libcloud_drivers().get(PROVIDER_NAME)
    if current == ours:
        return
    if current is not None:
        raise ValueError(f"libcloud provider {PROVIDER_NAME!r} is already registered to {current[0]}.{current[1]}")
    _set_driver(PROVIDER_NAME, *ours)


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
    drivers = _libcloud_drivers()
    report = RegistrationReport()
    by_name: dict[str, list[Plugin]] = {}
    for plugin in discover():
        by_name.setdefault(plugin.name, []).append(plugin)
    for name, claims in sorted(by_name.items()):
        plugin = claims[0]
        module, _, attribute = plugin.target.partition(":")
        current = drivers.get(name.lower())
        if len(claims) > 1:
            report.skipped[name] = "claimed by " + " and ".join(f"{p.target} ({_distribution(p)})" for p in claims)
        elif current == (module, attribute):
            report.already.append(name)
        elif current is not None:
            report.skipped[name] = f"libcloud already has {name!r} as {current[0]}.{current[1]}"
        elif plugin.driver is None:
            report.skipped[name] = plugin.failure()
        else:
            _set_driver(name, module, attribute)
            report.registered.append(name)
    for name, reason in report.skipped.items():
        LOG.warning("libcloud driver %r not registered: %s", name, reason)
    return report
