"""Private module: text -> the typed arguments of a driver's constructor, and where text comes
from (INI sections, prefixed environment variables). :mod:`rackimg_driver.configuration`
re-exports its public names; see there.
"""

from __future__ import annotations

import configparser
import inspect
import math
import os
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Any

__all__ = ["Label", "convert", "driver_arguments", "ini_section", "prefixed"]

#: Types of libcloud's common constructor arguments, which drivers take through ``**kwargs``.
_COMMON_TYPES: dict[str, Any] = {"secure": bool, "port": int, "timeout": float, "retry_delay": float, "backoff": float}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_NONE = frozenset({"", "none", "null"})

Label = Callable[[str], str]


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
