"""The store's servers: a mixin of :class:`~.store.Store` (it uses the store's lock, connection
and clock). The local cloud's servers are records only: they boot nothing, and exist so that
snapshots have a server and a prune can see which images are in use."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from contextlib import AbstractContextManager
from datetime import datetime

from .records import ServerNotFound, ServerRecord, to_text
from .rows import SERVER_COLUMNS, servers_from_rows


class ServersMixin:
    """Add, list and get servers, for :class:`~.store.Store`."""

    _conn: sqlite3.Connection
    _lock: threading.RLock

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def now(self) -> datetime:
        raise NotImplementedError

    def add_server(
        self,
        *,
        name: str,
        tenant: str,
        status: str = "ACTIVE",
        server_id: str | None = None,
        image_id: str | None = None,
        created: datetime | None = None,
    ) -> ServerRecord:
        """Add a server and return it."""
        record = ServerRecord(
            id=server_id or str(uuid.uuid4()),
            name=name,
            tenant=tenant,
            status=status,
            image_id=image_id,
            created=created or self.now(),
        )
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO servers ({SERVER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.name,
                    record.tenant,
                    record.status,
                    record.image_id,
                    to_text(record.created),
                ),
            )
        return record

    def list_servers(self, tenant: str) -> list[ServerRecord]:
        """The tenant's servers, newest first."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {SERVER_COLUMNS} FROM servers WHERE tenant = ? ORDER BY created DESC, id DESC",
                (tenant,),
            ).fetchall()
        return list(servers_from_rows(rows))

    def get_server(self, tenant: str, server_id: str) -> ServerRecord:
        """The tenant's server ``server_id``; raises :class:`ServerNotFound`."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {SERVER_COLUMNS} FROM servers WHERE id = ? AND tenant = ?",
                (server_id, tenant),
            ).fetchall()
        for server in servers_from_rows(rows):
            return server
        raise ServerNotFound(server_id)
