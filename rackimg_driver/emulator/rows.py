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
CREATE TABLE IF NOT EXISTS image_members (
    image_id TEXT NOT NULL,
    member TEXT NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (image_id, member)
);
CREATE TABLE IF NOT EXISTS image_tags (image_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (image_id, tag));
"""

IMAGE_COLUMNS = (
    "id, name, status, owner, visibility, created, updated, min_disk, min_ram, size, "
    "protected, disk_config, properties, saving_started, saving_seconds"
)
#: What a read selects: the columns, then the image's tags (a JSON list, sorted).
IMAGE_SELECT = (
    f"{IMAGE_COLUMNS}, (SELECT json_group_array(tag) FROM "
    "(SELECT tag FROM image_tags WHERE image_tags.image_id = images.id ORDER BY tag))"
)
#: Where ``images`` may be seen by the tenant ``:tenant``: its own, public and community images,
#: and shared ones it is a member of (in any status).
VISIBLE = (
    "(owner = :tenant OR visibility IN ('public', 'community') OR (visibility = 'shared' AND EXISTS "
    "(SELECT 1 FROM image_members m WHERE m.image_id = images.id AND m.member = :tenant)))"
)
#: Where ``images`` is listed to ``:tenant``: its own and public images, community images when
#: ``:community`` is 1, and shared ones whose membership is ``:member_status`` (or ``all``).
LISTED = (
    "(owner = :tenant OR visibility = 'public' OR (visibility = 'community' AND :community) "
    "OR (visibility = 'shared' AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id "
    "AND m.member = :tenant AND (:member_status = 'all' OR m.status = :member_status))))"
)
INSERT_IMAGE = f"INSERT INTO images ({IMAGE_COLUMNS}) VALUES ({', '.join('?' * 15)})"
SERVER_COLUMNS = "id, name, tenant, status, image_id, created"


def image_from_row(row: Sequence[Any], now: datetime) -> ImageRecord:
    """A row of ``SELECT {IMAGE_SELECT} FROM images`` as a record, read at ``now``: a snapshot this
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
        tags,
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
        tags=tuple(json.loads(tags)),
    )


def servers_from_rows(rows: Iterable[Sequence[Any]]) -> Iterator[ServerRecord]:
    """Rows of ``SELECT {SERVER_COLUMNS} FROM servers`` as records."""
    for server_id, name, tenant, status, image_id, created in rows:
        yield ServerRecord(server_id, name, tenant, status, image_id, from_text(created))
