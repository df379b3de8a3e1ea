"""Keeping secrets out of every text the driver makes or passes on.

A driver knows its own secrets: the API key or password it was given, a fixed token,
and every token an identity service handed it. :class:`Secrets` holds them and
removes each wherever it appears, in the forms it takes on the way (as it is, escaped
in JSON, shell-quoted in libcloud's curl log, HTML- or URL-encoded in an echo, and
cut off by an excerpt's ``...``). Patterns add what no value can: tokens in an identity
answer that is being logged before the driver has read it.

Private module: not part of the public API (see docs/reference.rst).
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import threading
from collections.abc import Iterable
from functools import cache
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "Secrets", "redact", "tokens_in_identity_answer"]

REDACTED = "<redacted>"

#: Shortest tail of a secret that counts as part of it where an excerpt cuts it off.
_SHORTEST_CUT = 4
#: Shorter values are not looked for everywhere (a password "p" would blot out every p in a
#: message); the patterns still hide them in headers and JSON fields.
_SHORTEST_SECRET = 4


@cache
def _secret_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    # Compiled on first use: only a debug log or a failure needs them.
    return (
        re.compile(r"((?:X-Auth-Token|X-Subject-Token)\s*:\s*)[^\s'\"\r\n]+", re.I),
        re.compile(r'("(?:apiKey|api_key|password|secret|passcode)"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.I),
        re.compile(r'("token"\s*:\s*\{[^{}]*?"id"\s*:\s*")((?:[^"\\]|\\.)*)(")'),
    )


def redact(text: str) -> str:
    """Replace token headers and the JSON fields that name a key or password.

    A pattern only; :meth:`Secrets.scrub` removes the values themselves.
    """
    headers, fields, token_ids = _secret_patterns()
    text = headers.sub(r"\1" + REDACTED, text)
    text = fields.sub(r"\1" + REDACTED + r"\3", text)
    return token_ids.sub(r"\1" + REDACTED + r"\3", text)


def _forms(secret: str) -> set[str]:
    """The ways ``secret`` can be written in a body, a header, a URL or a shell command."""
    escaped = {secret}
    for _ in range(2):  # a body echoed inside another JSON string is escaped twice
        for form in list(escaped):
            escaped |= {json.dumps(form)[1:-1], json.dumps(form, ensure_ascii=False)[1:-1]}
    escaped |= {html.escape(secret), html.escape(secret, quote=False), quote(secret, safe=""), quote_plus(secret)}
    # shlex.quote (libcloud's curl log) writes ' as '"'"' inside single quotes.
    escaped |= {form.replace("'", "'\"'\"'") for form in list(escaped)}
    return {form for form in escaped if form}


def tokens_in_identity_answer(headers: Any, body: Any) -> list[str]:
    """The tokens an identity answer hands out: Keystone v3's ``X-Subject-Token`` header and
    identity v2.0's ``access.token.id`` (wherever ``id`` stands among the token's fields)."""
    found: list[str] = []
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "x-subject-token" and isinstance(value, str) and value:
            found.append(value)
    if isinstance(body, (bytes, str)) and body:
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            return found
    access = body.get("access") if isinstance(body, dict) else None
    token = access.get("token") if isinstance(access, dict) else None
    if isinstance(token, dict) and isinstance(token.get("id"), str) and token["id"]:
        found.append(token["id"])
    return found


class Secrets:
    """The secret values of one driver, shared by its connections; safe across threads."""

    def __init__(self, values: Iterable[Any] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._forms: tuple[str, ...] = ()
        self.add(*values)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self._values)} values>"

    def add(self, *values: Any) -> None:
        """Remember more secrets (None, and values under four characters, are ignored)."""
        new = {
            value
            for value in values
            if isinstance(value, str) and len(value) >= _SHORTEST_SECRET and value not in self._values
        }
        if not new:
            return
        with self._lock:
            self._values |= new
            forms = set(self._forms)
            for value in new:
                forms |= _forms(value)
            # Longest first, so that a secret inside a longer form goes with it.
            self._forms = tuple(sorted(forms, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        """``text`` with every known secret, and every secret-looking header or field, replaced."""
        forms = self._forms
        for form in forms:
            if form in text:
                text = text.replace(form, REDACTED)
        if "..." in text:
            text = self._scrub_cut(text, forms)
        return redact(text)

    @staticmethod
    def _scrub_cut(text: str, forms: tuple[str, ...]) -> str:
        # An excerpt that ends inside a secret leaves its first characters before "...".
        for form in forms:
            for length in range(len(form) - 1, _SHORTEST_CUT - 1, -1):
                cut = form[:length] + "..."
                if cut in text:
                    text = text.replace(cut, REDACTED + "...")
        return text

    def scrub_value(self, value: Any, depth: int = 0) -> Any:
        """A copy of a string, bytes, mapping, list or tuple with the secrets scrubbed."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, bytes):
            return self.scrub(value.decode("utf-8", "replace")).encode("utf-8")
        if depth > 3:
            return value
        if isinstance(value, dict):
            return {key: self.scrub_value(item, depth + 1) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub_value(item, depth + 1) for item in value)
        return value

    def scrub_exception(self, error: BaseException) -> BaseException:
        """Scrub an exception in place, with its causes: its arguments, every text kept on it
        (``message``, ``value``, ``body``, ``headers``, a decoder's ``doc``...), and the
        request a requests error keeps. A context that ``raise ... from None`` hid is dropped."""
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen and len(seen) < 8:
            seen.add(id(current))
            if current.__suppress_context__:
                current.__context__ = None
            self._scrub_one(current)
            current = current.__cause__ or current.__context__
        return error

    def _scrub_one(self, error: BaseException) -> None:
        with contextlib.suppress(TypeError, AttributeError):
            error.args = tuple(self.scrub_value(arg) for arg in error.args)
        for name, value in list(vars(error).items()):
            if isinstance(value, (str, bytes, dict, list, tuple)):
                with contextlib.suppress(TypeError, AttributeError):
                    setattr(error, name, self.scrub_value(value))
        for holder in (error, getattr(error, "response", None)):
            request = getattr(holder, "request", None) if holder is not None else None
            if request is not None and hasattr(request, "headers"):
                with contextlib.suppress(TypeError, AttributeError):
                    holder.request = self._scrubbed_request(request)  # type: ignore[union-attr]

    def _scrubbed_request(self, request: Any) -> Any:
        """A copy of a requests PreparedRequest without the secrets in its headers and body."""
        copy = request.copy() if hasattr(request, "copy") else request
        copy.headers = type(copy.headers)(self.scrub_value(dict(copy.headers)))
        for name in list(copy.headers):
            if name.lower() in ("x-auth-token", "x-subject-token", "authorization"):
                copy.headers[name] = REDACTED
        if isinstance(getattr(copy, "body", None), (str, bytes)):
            copy.body = self.scrub_value(copy.body)
        return copy
