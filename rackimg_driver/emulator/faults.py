"""Faults the local cloud can inject, switchable at run time from Python or over HTTP.

A :class:`Faults` object holds one optional rule per kind of fault and decides, request by request,
what goes wrong. A rule fires on the next ``count`` requests, or with a ``probability`` (drawn
from a seeded generator, so a run can be repeated), or both (at most ``count`` times, each with
that chance), or on every request when neither is given. It knows nothing of HTTP: ``answers``
turns a :class:`FaultPlan` into an answer, and the server honours :class:`DropConnection`.

JSON form (``GET``/``POST /_emulator/faults``; POST merges, ``null`` clears one kind)::

    {"seed": 7, "include_identity": false,
     "rate_limit": {"status": 413, "retry_after": 3, "count": 2, "probability": null},
     "errors": {"statuses": [500, 503], "count": 1},
     "delay": {"seconds": 0.5, "probability": 0.25},
     "drop": {"count": 1},
     "bad_body": {"kind": "html" | "truncated", "status": 200, "count": 1},
     "token_expiry": {"after_requests": 3}}
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = ("rate_limit", "errors", "delay", "drop", "bad_body", "token_expiry")
BAD_BODY_KINDS = ("html", "truncated")


class DropConnection(Exception):
    """Raised by the app when the connection must be closed without any answer."""


@dataclass
class _Trigger:
    count: int | None = None
    probability: float | None = None

    def fires(self, rng: random.Random) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.probability is not None and rng.random() >= self.probability:
            return False
        if self.count is not None:
            self.count -= 1
        return True


@dataclass
class RateLimitRule(_Trigger):
    status: int = 413
    retry_after: int = 5


@dataclass
class ErrorRule(_Trigger):
    statuses: list[int] = field(default_factory=lambda: [500])
    fired: int = 0

    def next_status(self) -> int:
        status = self.statuses[self.fired % len(self.statuses)]
        self.fired += 1
        return status


@dataclass
class DelayRule(_Trigger):
    seconds: float = 1.0


@dataclass
class DropRule(_Trigger):
    pass


@dataclass
class BadBodyRule(_Trigger):
    kind: str = "html"
    status: int | None = None


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong with one request. ``delay`` comes on top of any of the others."""

    delay: float = 0.0
    drop: bool = False
    rate_limit: RateLimitRule | None = None
    error_status: int | None = None
    bad_body: BadBodyRule | None = None


class Faults:
    """The faults currently switched on, and counts of those injected so far. Thread-safe.

    :param seed: seed of the generator behind probabilistic rules.
    :param include_identity: also inject faults into identity (token) requests.
    """

    def __init__(self, seed: int = 0, include_identity: bool = False) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._include_identity = include_identity
        self._rate_limit: RateLimitRule | None = None
        self._errors: ErrorRule | None = None
        self._delay: DelayRule | None = None
        self._drop: DropRule | None = None
        self._bad_body: BadBodyRule | None = None
        self._token_expiry: int | None = None
        self._token_uses: dict[str, int] = {}
        self._injected = dict.fromkeys(FAULT_KINDS, 0)

    # -- switching faults on and off ------------------------------------------------------------

    def set_rate_limit(
        self,
        status: int = 413,
        retry_after: int = 5,
        count: int | None = None,
        probability: float | None = None,
    ) -> None:
        """Answer 413 or 429 ``overLimit`` with a ``Retry-After`` header instead of handling."""
        if status not in (413, 429):
            raise ValueError("rate_limit status must be 413 or 429")
        rule = RateLimitRule(_count(count), _probability(probability), status, int(retry_after))
        with self._lock:
            self._rate_limit = rule

    def set_errors(
        self,
        statuses: Iterable[int] = (500,),
        count: int | None = None,
        probability: float | None = None,
    ) -> None:
        """Answer with a 5xx fault; successive firings go round ``statuses``."""
        codes = [int(code) for code in statuses]
        if not codes or any(not 500 <= code <= 599 for code in codes):
            raise ValueError("errors statuses must be a non-empty list of 5xx codes")
        with self._lock:
            self._errors = ErrorRule(_count(count), _probability(probability), codes)

    def set_delay(self, seconds: float, count: int | None = None, probability: float | None = None) -> None:
        """Wait ``seconds`` before answering (the answer itself is unchanged)."""
        if seconds < 0:
            raise ValueError("delay seconds must not be negative")
        with self._lock:
            self._delay = DelayRule(_count(count), _probability(probability), float(seconds))

    def set_drop(self, count: int | None = None, probability: float | None = None) -> None:
        """Close the connection without any answer."""
        with self._lock:
            self._drop = DropRule(_count(count), _probability(probability))

    def set_bad_body(
        self,
        kind: str = "html",
        status: int | None = None,
        count: int | None = None,
        probability: float | None = None,
    ) -> None:
        """Answer with a body that is not JSON.

        ``html``: an HTML error page with ``status`` (default 200) instead of handling the request.
        ``truncated``: the request is handled, and its JSON body is cut in half (``status``
        replaces the real status when given).
        """
        if kind not in BAD_BODY_KINDS:
            raise ValueError(f"bad_body kind must be one of {BAD_BODY_KINDS}")
        if kind == "html" and status is None:
            status = 200
        rule = BadBodyRule(_count(count), _probability(probability), kind, status)
        with self._lock:
            self._bad_body = rule

    def set_token_expiry(self, after_requests: int) -> None:
        """Make each token expire once it has served ``after_requests`` more API requests."""
        if after_requests < 0:
            raise ValueError("token_expiry after_requests must not be negative")
        with self._lock:
            self._token_expiry = int(after_requests)
            self._token_uses = {}

    @property
    def include_identity(self) -> bool:
        """Whether identity requests get faults too."""
        return self._include_identity

    @include_identity.setter
    def include_identity(self, value: bool) -> None:
        self._include_identity = bool(value)

    def reseed(self, seed: int) -> None:
        """Restart the generator behind probabilistic rules."""
        with self._lock:
            self._seed = seed
            self._rng = random.Random(seed)

    def clear(self) -> None:
        """Switch every fault off and zero the counters."""
        with self._lock:
            self._rate_limit = self._errors = None
            self._delay = self._drop = self._bad_body = None
            self._token_expiry = None
            self._token_uses = {}
            self._injected = dict.fromkeys(FAULT_KINDS, 0)

    def configure(self, spec: Mapping[str, Any]) -> None:
        """Apply the JSON form (see the module docstring); raises ValueError on a bad spec."""
        unknown = set(spec) - set(FAULT_KINDS) - {"seed", "include_identity"}
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        if "seed" in spec:
            self.reseed(int(spec["seed"]))
        if "include_identity" in spec:
            self.include_identity = bool(spec["include_identity"])
        setters: dict[str, Callable[..., None]] = {
            "rate_limit": self.set_rate_limit,
            "errors": self.set_errors,
            "delay": self.set_delay,
            "drop": self.set_drop,
            "bad_body": self.set_bad_body,
            "token_expiry": self.set_token_expiry,
        }
        for kind, setter in setters.items():
            if kind not in spec:
                continue
            options = spec[kind]
            if options is None:
                self._switch_off(kind)
            elif isinstance(options, Mapping):
                try:
                    setter(**options)
                except TypeError as exc:
                    raise ValueError(f"bad options for {kind}: {exc}") from None
            else:
                raise ValueError(f"{kind} must be an object or null")

    def _switch_off(self, kind: str) -> None:
        with self._lock:
            setattr(self, f"_{kind}", None)

    # -- reading --------------------------------------------------------------------------------

    def injected(self) -> dict[str, int]:
        """How many times each kind of fault was injected since the last :meth:`clear`."""
        with self._lock:
            return dict(self._injected)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the current rules, plus ``injected`` counts."""
        with self._lock:
            state: dict[str, Any] = {"seed": self._seed, "include_identity": self._include_identity}
            for kind in FAULT_KINDS[:-1]:
                rule = getattr(self, f"_{kind}")
                state[kind] = None if rule is None else asdict(rule)
            if state["errors"] is not None:
                del state["errors"]["fired"]
            state["token_expiry"] = None if self._token_expiry is None else {"after_requests": self._token_expiry}
            state["injected"] = dict(self._injected)
        return state

    # -- deciding -------------------------------------------------------------------------------

    def plan(self, identity: bool = False) -> FaultPlan:
        """Decide what goes wrong with the next request (``identity``: is it a token request)."""
        if identity and not self._include_identity:
            return FaultPlan()
        with self._lock:
            delay = 0.0
            if self._delay is not None and self._delay.fires(self._rng):
                delay = self._delay.seconds
                self._injected["delay"] += 1
            if self._drop is not None and self._drop.fires(self._rng):
                self._injected["drop"] += 1
                return FaultPlan(delay=delay, drop=True)
            if self._rate_limit is not None and self._rate_limit.fires(self._rng):
                self._injected["rate_limit"] += 1
                return FaultPlan(delay=delay, rate_limit=self._rate_limit)
            if self._errors is not None and self._errors.fires(self._rng):
                self._injected["errors"] += 1
                return FaultPlan(delay=delay, error_status=self._errors.next_status())
            if self._bad_body is not None and self._bad_body.fires(self._rng):
                self._injected["bad_body"] += 1
                return FaultPlan(delay=delay, bad_body=self._bad_body)
            return FaultPlan(delay=delay)

    def token_expired_by_use(self, token_id: str) -> bool:
        """Count one API request made with ``token_id``; True once its quota is used up."""
        with self._lock:
            if self._token_expiry is None:
                return False
            uses = self._token_uses.get(token_id, 0) + 1
            self._token_uses[token_id] = uses
            if uses > self._token_expiry:
                self._injected["token_expiry"] += 1
                return True
            return False


def _count(count: int | None) -> int | None:
    if count is None:
        return None
    if int(count) < 0:
        raise ValueError("count must not be negative")
    return int(count)


def _probability(probability: float | None) -> float | None:
    if probability is None:
        return None
    if not 0.0 <= float(probability) <= 1.0:
        raise ValueError("probability must be between 0 and 1")
    return float(probability)
