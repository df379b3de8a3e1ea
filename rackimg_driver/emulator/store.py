"""State of the local cloud: images (as Glance holds them) and servers, kept in sqlite.

The store knows nothing of HTTP or of Nova's JSON (it is moto's ``models``): it hands out the
records of ``records`` (laid out in sqlite as ``rows`` says), which ``views`` and the ``*_api``
handlers turn into API answers. Everything goes through one sqlite connection guarded by a lock,
so the threads of the HTTP server may share a store. A snapshot being made is not driven by a
background thread: its progress is derived from the clock whenever it is read, and the switch to
``active`` is written back the first time a read finds it finished.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta

from .records import (
    UTC,
    Clock,
    ImageNotFound,
    ImageNotOwned,
    ImageNotVisible,
    ImageProtected,
    ImageRecord,
    ServerNotFound,
    ServerRecord,
    SnapshotInProgress,
    from_text,
    to_text,
    utc_now,
)
from .rows import (
    IMAGE_SELECT,
    INSERT_IMAGE,
    LISTED,
    SCHEMA,
    VISIBLE,
    image_from_row,
)
from .servers import ServersMixin
from .sharing import SharingMixin

__all__ = [  # the records and errors are the store's vocabulary: importable from here too
    "UTC", "Clock", "ImageNotFound", "ImageNotOwned", "ImageNotVisible", "ImageProtected", "ImageRecord",
    "ServerNotFound", "ServerRecord", "SnapshotInProgress", "Store", "from_text", "to_text", "utc_now",
]  # fmt: skip


# Namespace of the deterministic ids of bulk images.
_BULK_IDS = uuid.UUID("5b0f3c1e-9a7d-4e42-8c1b-6d2f7a9e3b10")


class Store(SharingMixin, ServersMixin):
    """Images and servers in sqlite.

    :param path: a database file, or ``":memory:"`` for a store that lives as long as the object.
    :param clock: returns the current time (timezone-aware); tests of the store may pass a fake one.
    """

    def __init__(self, path: str = ":memory:", clock: Clock = utc_now) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.executescript(SCHEMA)

    # -- housekeeping -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def now(self) -> datetime:
        """The store's notion of the current time."""
        return self._clock()

    @contextmanager
    def _transaction(self, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction; inside another of this store, part of that one. ``immediate`` takes
        the database's write lock at once (other processes on the same file wait for it)."""
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def seed_once(self, fill: Callable[[Store], None]) -> bool:
        """Run ``fill`` on an empty store never seeded, as one transaction under the write lock:
        of several processes opening the same new file at once, one seeds it. Whether it did."""
        with self._transaction(immediate=True):
            if not self.is_empty() or self.is_seeded():
                return False
            fill(self)
        return True

    def reset(self) -> None:
        """Forget every image, server and fact."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM images")
            conn.execute("DELETE FROM servers")
            conn.execute("DELETE FROM facts")
            conn.execute("DELETE FROM image_members")
            conn.execute("DELETE FROM image_tags")

    def is_seeded(self) -> bool:
        """Whether :meth:`mark_seeded` was called since the last reset."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM facts WHERE key = 'seeded'").fetchone()
        return row is not None

    def is_empty(self) -> bool:
        """Whether the store holds no image and no server."""
        with self._lock:
            row = self._conn.execute("SELECT (SELECT count(*) FROM images) + (SELECT count(*) FROM servers)").fetchone()
        return bool(row[0] == 0)

    def mark_seeded(self) -> None:
        """Remember that the seed data went in, so a restart on the same file does not redo it."""
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO facts (key, value) VALUES ('seeded', '1')")

    # -- images ---------------------------------------------------------------------------------

    def add_image(
        self,
        *,
        name: str,
        owner: str,
        status: str = "active",
        image_id: str | None = None,
        visibility: str = "private",
        created: datetime | None = None,
        updated: datetime | None = None,
        min_disk: int = 0,
        min_ram: int = 0,
        size: int | None = None,
        protected: bool = False,
        disk_config: str | None = None,
        properties: Mapping[str, str | None] | None = None,
    ) -> ImageRecord:
        """Add one image and return it. Ids are random uuids unless given."""
        created = created or self.now()
        row = (
            image_id or str(uuid.uuid4()),
            name,
            status,
            owner,
            visibility,
            to_text(created),
            to_text(updated or created),
            min_disk,
            min_ram,
            size,
            int(protected),
            disk_config,
            json.dumps(dict(properties or {}), sort_keys=True),
            None,
            None,
        )
        with self._transaction() as conn:
            conn.execute(INSERT_IMAGE, row)
        return self.get_image(owner, row[0])

    def add_images_bulk(
        self,
        count: int,
        *,
        owner: str,
        name_prefix: str = "bulk-image",
        start: datetime | None = None,
        status: str = "active",
        visibility: str = "private",
        min_disk: int = 0,
        min_ram: int = 0,
        size: int | None = None,
        disk_config: str | None = None,
        properties: Mapping[str, str | None] | None = None,
        id_seed: int = 0,
    ) -> list[str]:
        """Add ``count`` images in one transaction and return their ids.

        Image ``i`` is named ``"<name_prefix>-<i>"`` (zero-padded) and created one second after
        image ``i - 1``, starting at ``start``; ids are derived from ``id_seed`` and ``i``, so the
        same call gives the same ids.
        """
        start = start or datetime(2020, 1, 1, tzinfo=UTC)
        props = json.dumps(dict(properties or {}), sort_keys=True)
        width = len(str(count))
        rows = []
        for i in range(count):
            moment = to_text(start + timedelta(seconds=i))
            rows.append(
                (
                    str(uuid.uuid5(_BULK_IDS, f"{id_seed}:{i}")), f"{name_prefix}-{i:0{width}d}", status, owner,
                    visibility, moment, moment, min_disk, min_ram, size, 0, disk_config, props, None, None,
                )
            )  # fmt: skip
        with self._transaction() as conn:
            conn.executemany(INSERT_IMAGE, rows)
        return [row[0] for row in rows]

    def get_image(self, tenant: str, image_id: str) -> ImageRecord:
        """The image ``image_id`` as ``tenant`` sees it; raises :class:`ImageNotFound` (its subclass
        :class:`ImageNotVisible` when the image exists but ``tenant`` may not see it)."""
        with self._lock:
            now = self._settle()
            row = self._conn.execute(
                f"SELECT {IMAGE_SELECT}, {VISIBLE} FROM images WHERE id = :id", {"id": image_id, "tenant": tenant}
            ).fetchone()
        if row is None:
            raise ImageNotFound(image_id)
        if not row[-1]:
            raise ImageNotVisible(image_id)
        return image_from_row(row[:-1], now)

    def list_images(self, tenant: str) -> list[ImageRecord]:
        """Every image ``tenant`` can see, newest first (created, then id, descending) like Nova."""
        return list(self.iter_images(tenant))

    def iter_images(
        self,
        tenant: str,
        after: str | None = None,
        batch: int = 500,
        *,
        member_status: str = "accepted",
        community: bool = False,
    ) -> Iterator[ImageRecord]:
        """The images listed to ``tenant``, newest first, starting after the image ``after``: its
        own, the public ones, the shared ones whose membership is ``member_status`` (``all``: any)
        and, with ``community``, the community ones.

        Reads lazily in batches (keyset paging, so a caller that stops early reads little).
        Raises :class:`ImageNotFound` (when first advanced) if ``after`` is not visible.
        """
        params: dict[str, object] = {
            "tenant": tenant, "member_status": member_status, "community": int(community), "batch": batch,
        }  # fmt: skip
        after_cursor = ""
        if after is not None:
            marker = self.get_image(tenant, after)
            params.update(created=to_text(marker.created), id=marker.id)
            after_cursor = "AND (created < :created OR (created = :created AND id < :id)) "
        while True:
            with self._lock:
                now = self._settle()
                rows = self._conn.execute(
                    f"SELECT {IMAGE_SELECT} FROM images WHERE {LISTED} {after_cursor}"
                    "ORDER BY created DESC, id DESC LIMIT :batch",
                    params,
                ).fetchall()
            for row in rows:
                yield image_from_row(row, now)
            if len(rows) < batch:
                return
            params.update(created=rows[-1][5], id=rows[-1][0])
            after_cursor = "AND (created < :created OR (created = :created AND id < :id)) "

    def delete_image(self, tenant: str, image_id: str) -> None:
        """Delete an image of ``tenant``.

        Raises :class:`ImageNotFound` if the tenant cannot see it, :class:`ImageProtected` if it is
        protected, its subclass :class:`ImageNotOwned` if it belongs to someone else (a public
        image of another owner).
        """
        with self._transaction() as conn:
            record = self.get_image(tenant, image_id)
            if record.owner != tenant:
                raise ImageNotOwned(image_id)
            if record.protected:
                raise ImageProtected(image_id)
            conn.execute("DELETE FROM images WHERE id = ?", (image_id,))
            conn.execute("DELETE FROM image_members WHERE image_id = ?", (image_id,))
            conn.execute("DELETE FROM image_tags WHERE image_id = ?", (image_id,))

    def set_protected(self, image_id: str, protected: bool = True) -> None:
        """Protect an image (or lift its protection), as Glance's ``protected`` property does;
        raises :class:`ImageNotFound` when there is no such image."""
        with self._transaction() as conn:
            changed = conn.execute(
                "UPDATE images SET protected = ?, updated = ? WHERE id = ?",
                (int(protected), to_text(self.now()), image_id),
            ).rowcount
        if not changed:
            raise ImageNotFound(image_id)

    def create_snapshot(
        self,
        tenant: str,
        server_id: str,
        name: str,
        metadata: Mapping[str, str] | None = None,
        saving_seconds: float = 3.0,
        size: int = 2_147_483_648,
    ) -> ImageRecord:
        """Start a snapshot of a server: an image that is ``saving`` for ``saving_seconds``.

        The new image carries ``image_type=snapshot`` and ``instance_uuid=<server>``, the OS
        properties of the server's own image, then ``metadata``. Raises :class:`ServerNotFound`,
        or :class:`SnapshotInProgress` while an earlier snapshot of the server is saving.
        """
        with self._transaction() as conn:
            server = self.get_server(tenant, server_id)
            if self.snapshot_in_progress(tenant, server_id):
                raise SnapshotInProgress(server_id)
            properties: dict[str, str | None] = {}
            base = conn.execute(
                "SELECT properties, min_disk, disk_config FROM images WHERE id = ?",
                (server.image_id,),
            ).fetchone()
            min_disk, disk_config = 0, None
            if base is not None:
                inherited = json.loads(base[0])
                for key in ("os_type", "os_distro", "os_version", "auto_disk_config"):
                    if key in inherited:
                        properties[key] = inherited[key]
                min_disk, disk_config = base[1], base[2]
                properties["base_image_ref"] = server.image_id
            properties.update(metadata or {})
            properties["image_type"] = "snapshot"
            properties["instance_uuid"] = server.id
            started = self.now()
            row = (
                str(uuid.uuid4()), name, "saving", tenant, "private", to_text(started), to_text(started), min_disk,
                0, size, 0, disk_config, json.dumps(properties, sort_keys=True), started.timestamp(),
                max(0.0, float(saving_seconds)),
            )  # fmt: skip
            conn.execute(INSERT_IMAGE, row)
        return self.get_image(tenant, row[0])

    def snapshot_in_progress(self, tenant: str, server_id: str) -> bool:
        """Whether a snapshot of the server started by :meth:`create_snapshot` is still saving."""
        with self._lock:
            self._settle()
            rows = self._conn.execute(
                "SELECT properties FROM images WHERE owner = ? AND status = 'saving' AND saving_started IS NOT NULL",
                (tenant,),
            ).fetchall()
        return any(json.loads(row[0]).get("instance_uuid") == server_id for row in rows)

    def _settle(self) -> datetime:
        """Write ``active`` for snapshots whose saving time is over; return the time used."""
        now = self.now()
        finished = self._conn.execute(
            "SELECT id, saving_started + saving_seconds FROM images "
            "WHERE status = 'saving' AND saving_started IS NOT NULL "
            "AND saving_started + saving_seconds <= ?",
            (now.timestamp(),),
        ).fetchall()
        for image_id, done_at in finished:
            done = to_text(datetime.fromtimestamp(done_at, UTC))
            self._conn.execute(
                "UPDATE images SET status = 'active', updated = ?, saving_started = NULL WHERE id = ?",
                (done, image_id),
            )
        return now
