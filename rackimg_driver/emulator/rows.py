"""How the store lays its records out in sqlite: the schema, and rows turned back into records.

Only ``store`` uses this module; nothing here opens a connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from .records import ImageRecord, ServerRecord, from_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT NOT NULL,
    visibility TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    min_disk INTEGER NOT NULL,
    min_ram INTEGER NOT NULL,
    size INTEGER,
    protected INTEGER NOT NULL,
    disk_config TEXT,
    properties TEXT NOT NULL,
    saving_started REAL,
    saving_seconds REAL
);
CREATE INDEX IF NOT EXISTS images_newest_first ON images (created DESC, id DESC);
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tenant TEXT NOT NULL,
    status TEXT NOT NULL,
    image_id TEXT,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

IMAGE_COLUMNS = (
    "id, name, status, owner, visibility, created, updated, min_disk, min_ram, size, "
    "protected, disk_config, properties, saving_started, saving_seconds"
)
INSERT_IMAGE = f"INSERT INTO images ({IMAGE_COLUMNS}) VALUES ({', '.join('?' * 15)})"
SERVER_COLUMNS = "id, name, tenant, status, image_id, created"


def image_from_row(row: Sequence[Any], now: datetime) -> ImageRecord:
    """A row of ``SELECT {IMAGE_COLUMNS} FROM images`` as a record, read at ``now``: a snapshot this
    store is making has a progress until its saving time is over, and is ``active`` after it."""
    (
        image_id,
        name,
        status,
        owner,
        visibility,
        created,
        updated,
        min_disk,
        min_ram,
        size,
        protected,
        disk_config,
        properties,
        saving_started,
        saving_seconds,
    ) = row
    progress = None
    if status == "saving" and saving_started is not None:
        elapsed = now.timestamp() - saving_started
        if elapsed < saving_seconds:
            progress = max(0, min(99, int(100 * elapsed / saving_seconds)))
            size = None
        else:
            status = "active"
    return ImageRecord(
        id=image_id,
        name=name,
        status=status,
        owner=owner,
        visibility=visibility,
        created=from_text(created),
        updated=from_text(updated),
        min_disk=min_disk,
        min_ram=min_ram,
        size=size,
        protected=bool(protected),
        disk_config=disk_config,
        properties=json.loads(properties),
        progress=progress,
    )


def servers_from_rows(rows: Iterable[Sequence[Any]]) -> Iterator[ServerRecord]:
    """Rows of ``SELECT {SERVER_COLUMNS} FROM servers`` as records."""
    for server_id, name, tenant, status, image_id, created in rows:
        yield ServerRecord(server_id, name, tenant, status, image_id, from_text(created))
