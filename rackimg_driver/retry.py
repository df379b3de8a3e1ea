"""When and how long to retry a request.

Reads (GET) are retried on rate limits (413, 429), server errors (500, 502, 503,
504), lost connections, timeouts and answers that are not JSON. A DELETE is
retried only where that is safe: on the same statuses and on a lost answer, with
a 404 after a retry counted as done by the caller when an earlier try may have reached
the server. Anything else (POST) is retried only where the server did nothing: on a rate
limit, which it answers before doing anything, and on a connection that was never made.

Private module: not part of the public API (see docs/reference.rst).
"""

from __future__ import annotations

import random
import time
from email.utils import mktime_tz, parsedate_tz
from typing import NamedTuple

__all__ = ["RETRY_STATUSES", "RetryPolicy", "retry_after_seconds"]

#: Statuses that mean "not done, try again".
RETRY_STATUSES = frozenset({413, 429, 500, 502, 503, 504})
_RATE_LIMITS = frozenset({413, 429})
_RETRY_METHODS = frozenset({"GET", "HEAD", "DELETE"})


class RetryPolicy(NamedTuple):
    """How many times, and how patiently, to retry.

    :param attempts: Tries in all, the first included; 1 turns retrying off.
    :param backoff: The first wait in seconds; it doubles each time (with jitter).
    :param max_delay: The longest single wait, Retry-After included.
    :param total: Seconds a request may take with all its retries; a wait that
        would end past this is not made.
    """

    attempts: int = 5
    backoff: float = 0.5
    max_delay: float = 30.0
    total: float = 120.0

    @classmethod
    def from_arguments(cls, retries: object, backoff: object, max_delay: object, total: object) -> RetryPolicy:
        """Check the driver's ``ex_retry_*`` arguments; ``retries`` is retries after the first try."""
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"ex_max_retries must be a whole number >= 0, got {retries!r}")
        for name, value in (
            ("ex_retry_backoff", backoff),
            ("ex_retry_max_delay", max_delay),
            ("ex_retry_total", total),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
        return cls(attempts=retries + 1, backoff=float(backoff), max_delay=float(max_delay), total=float(total))  # type: ignore[arg-type]

    def may_retry(self, method: str, status: int | None) -> bool:
        """Whether a failure of ``method`` is worth another try; ``status`` None means no answer."""
        method = method.upper()
        if status in _RATE_LIMITS:
            return True
        if method not in _RETRY_METHODS:
            return False
        return status is None or status in RETRY_STATUSES

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1).

        None when the server's Retry-After asks for longer than ``max_delay``:
        then waiting is the caller's decision, and the error carries the figure.
        """
        if retry_after is not None and retry_after > 0:
            return float(retry_after) if retry_after <= self.max_delay else None
        ceiling = min(self.max_delay, self.backoff * 2.0 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)  # jitter, so clients spread out


def retry_after_seconds(value: str | None) -> float:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date."""
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_tz(value)
        if moment is None:
            return 0.0
        return max(0.0, float(mktime_tz(moment)) - time.time())
    except (ValueError, OverflowError, TypeError):
        return 0.0  # a date past any calendar: no usable wait
