"""Private: the JSON parser the driver reads answers with (orjson when the ``fast`` extra is
installed, else the standard library's ``json``), chosen at the first answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["json_parser", "loads"]


def _orjson_loads(text: str | bytes) -> Any:
    try:
        return _orjson.loads(text)
    except _orjson.JSONDecodeError:
        # What orjson refuses and json takes (NaN, integers past 64 bits) is still read;
        # JSON nested past orjson's limit is read by json, which may recurse too deep.
        return json.loads(text)


def _choose_parser() -> tuple[Callable[[str | bytes], Any], str]:
    """The optional "fast" extra's compiled parser where it is installed, else ``json``.

    Chosen at the first answer, not at import: importing orjson costs about 20 ms
    (it loads ``dataclasses`` and more), which ``import rackimg_driver`` need not pay.
    """
    global _orjson
    try:
        import orjson
    except ImportError:
        return json.loads, "json (stdlib)"
    _orjson = orjson
    return _orjson_loads, f"orjson {orjson.__version__}"


_orjson: Any = None
_parser: tuple[Callable[[str | bytes], Any], str] | None = None


def loads(text: str | bytes) -> Any:
    """Parse an answer's JSON with the chosen parser."""
    global _parser
    if _parser is None:
        _parser = _choose_parser()
    return _parser[0](text)


def json_parser() -> str:
    """The JSON parser the driver reads answers with: ``"orjson X.Y"`` where the ``fast``
    extra is installed, else ``"json (stdlib)"``."""
    global _parser
    if _parser is None:
        _parser = _choose_parser()
    return _parser[1]
