"""Who may log in to the local cloud, and the tokens handed out (kept in memory).

No HTTP here: ``identity_api`` parses the Keystone requests and calls :class:`Identity`.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from .records import Clock, utc_now


@dataclass(frozen=True)
class Credentials:
    """The single account of the local cloud.

    Rackspace logs in with ``username`` + ``api_key`` (or password); Keystone v3 with
    ``username`` + ``password`` in ``domain_name``, scoped to ``project_name`` (whose id is
    ``tenant_id``).
    """

    username: str = "demo"
    api_key: str = "demo-api-key"
    password: str = "demo-password"
    tenant_id: str = "123456"
    project_name: str = "demo"
    domain_name: str = "Default"
    domain_id: str = "default"
    user_id: str = "10001"


@dataclass(frozen=True)
class Token:
    """A token; ``tenant_id`` is None for an unscoped (Keystone v3) token."""

    id: str
    expires: datetime
    tenant_id: str | None


class Identity:
    """Checks credentials and issues, checks and revokes tokens.

    :param credentials: the account that may log in.
    :param token_lifetime: seconds a token stays valid.
    :param clock: returns the current time (timezone-aware).
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        token_lifetime: float = 3600.0,
        clock: Clock = utc_now,
        others: tuple[Credentials, ...] = (),
    ) -> None:
        self.credentials = credentials or Credentials()
        #: Every account that may log in: the main one first, then ``others`` (other projects).
        self.accounts = (self.credentials, *others)
        self.token_lifetime = token_lifetime
        self._clock = clock
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def account(self, username: str | None = None, user_id: str | None = None) -> Credentials:
        """The account of that user name (or user id); the main one when none matches."""
        for account in self.accounts:
            if username == account.username or (user_id is not None and user_id == account.user_id):
                return account
        return self.credentials

    def check_api_key(self, username: str, api_key: str) -> bool:
        account = self.account(username)
        return secrets.compare_digest(f"{username}\0{api_key}", f"{account.username}\0{account.api_key}")

    def check_password(self, username: str, password: str) -> bool:
        account = self.account(username)
        return secrets.compare_digest(f"{username}\0{password}", f"{account.username}\0{account.password}")

    def knows_tenant(self, tenant: str, account: Credentials | None = None) -> bool:
        """Whether ``tenant`` names the account's tenant (the main one's by default), by id or name."""
        account = account or self.credentials
        return tenant in (account.tenant_id, account.project_name)

    def knows_domain(self, domain: dict[str, object] | None) -> bool:
        """Whether a Keystone v3 ``domain`` object (by id or name) names our domain."""
        if not domain:
            return False
        if "id" in domain:
            return domain["id"] == self.credentials.domain_id
        return domain.get("name") == self.credentials.domain_name

    def issue(self, scoped: bool = True, account: Credentials | None = None) -> Token:
        """A new token of ``account`` (the main one by default), scoped to its tenant unless
        ``scoped`` is False."""
        token = Token(
            id=secrets.token_hex(16),
            expires=self._clock() + timedelta(seconds=self.token_lifetime),
            tenant_id=(account or self.credentials).tenant_id if scoped else None,
        )
        with self._lock:
            self._tokens[token.id] = token
        return token

    def validate(self, token_id: str | None) -> Token | None:
        """The token if it exists and has not expired, else None."""
        if not token_id:
            return None
        with self._lock:
            token = self._tokens.get(token_id)
        if token is None or token.expires <= self._clock():
            return None
        return token

    def revoke(self, token_id: str) -> None:
        with self._lock:
            self._tokens.pop(token_id, None)
