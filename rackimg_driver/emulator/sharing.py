"""The store's image changes beyond create and delete: members, tags, fields and properties,
deactivation. A mixin of :class:`~.store.Store` (it uses the store's lock, connection and reads).

The rules are Glance's (observed on Glance 33): only an image's owner changes it; only a
``shared`` image has members; a member answers for itself; a deactivated image can be
reactivated, a queued one cannot be deactivated. Errors are the records' (``NotAllowed``,
``Conflict``, ``Invalid``, ``ImageNotFound``); the APIs turn them into answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from .records import Conflict, ImageNotFound, ImageRecord, Invalid, MemberRecord, NotAllowed, from_text, to_text

MEMBER_STATUSES = ("pending", "accepted", "rejected")
#: The image fields a change may set, as the store's columns.
FIELDS = ("name", "visibility", "protected", "min_disk", "min_ram")


class MemberNotFound(LookupError):
    """The project is not a member of the image (or may not see that membership)."""


class SharingMixin:
    """Members, tags, field changes and deactivation, for :class:`~.store.Store`."""

    _conn: sqlite3.Connection

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def get_image(self, tenant: str, image_id: str) -> ImageRecord:
        raise NotImplementedError

    def now(self) -> datetime:
        raise NotImplementedError

    def _owned(self, tenant: str, image_id: str, action: str) -> ImageRecord:
        record = self.get_image(tenant, image_id)
        if record.owner != tenant:
            raise NotAllowed(f"You are not authorized to complete {action} action.")
        return record

    # -- members ------------------------------------------------------------------------------

    def list_members(self, tenant: str, image_id: str) -> list[MemberRecord]:
        """The members of a shared image: all of them for its owner, a member's own for a member."""
        record = self.get_image(tenant, image_id)
        if record.visibility != "shared":
            raise NotAllowed("Only shared images have members.")
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT image_id, member, status, created, updated FROM image_members WHERE image_id = ? "
                "AND (? OR member = ?) ORDER BY created, member",
                (image_id, record.owner == tenant, tenant),
            ).fetchall()
        return list(_members(rows))

    def get_member(self, tenant: str, image_id: str, member: str) -> MemberRecord:
        record = self.get_image(tenant, image_id)
        if record.owner != tenant and member != tenant:
            raise MemberNotFound(member)
        for found in self.list_members(tenant, image_id):
            if found.member == member:
                return found
        raise MemberNotFound(member)

    def add_member(self, tenant: str, image_id: str, member: str) -> MemberRecord:
        """Share an image of ``tenant`` with the project ``member`` (``pending``)."""
        record = self._owned(tenant, image_id, "add_member")
        if record.visibility != "shared":
            raise NotAllowed(f"Image members can only be added to shared images (this one is {record.visibility}).")
        if not member or len(member) > 255:
            raise Invalid("A member id is 1 to 255 characters.")
        now = to_text(self.now())
        with self._transaction() as conn:
            try:
                conn.execute("INSERT INTO image_members VALUES (?, ?, 'pending', ?, ?)", (image_id, member, now, now))
            except sqlite3.IntegrityError:
                raise Conflict(f"Member {member} already associated with image {image_id}.") from None
        return self.get_member(tenant, image_id, member)

    def set_member_status(self, tenant: str, image_id: str, member: str, status: str) -> MemberRecord:
        """The member's answer to a share: only the member itself may give it."""
        self.get_image(tenant, image_id)
        if status not in MEMBER_STATUSES:
            raise Invalid(f"Provided object does not match schema 'member': '{status}' is not one of {MEMBER_STATUSES}")
        found = self.get_member(tenant, image_id, member)
        if member != tenant:
            raise NotAllowed("You are not permitted to modify 'status' on this image member.")
        with self._transaction() as conn:
            conn.execute(
                "UPDATE image_members SET status = ?, updated = ? WHERE image_id = ? AND member = ?",
                (status, to_text(self.now()), image_id, found.member),
            )
        return self.get_member(tenant, image_id, member)

    def delete_member(self, tenant: str, image_id: str, member: str) -> None:
        self._owned(tenant, image_id, "delete_member")
        with self._transaction() as conn:
            gone = conn.execute("DELETE FROM image_members WHERE image_id = ? AND member = ?", (image_id, member))
            if gone.rowcount == 0:
                raise MemberNotFound(member)

    # -- tags, fields, properties -------------------------------------------------------------

    def add_tag(self, tenant: str, image_id: str, tag: str) -> None:
        self._owned(tenant, image_id, "modify_image")
        if not tag or len(tag) > 255:
            raise Invalid("A tag is 1 to 255 characters.")
        with self._transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO image_tags VALUES (?, ?)", (image_id, tag))
            self._touch(conn, image_id)

    def remove_tag(self, tenant: str, image_id: str, tag: str) -> None:
        self._owned(tenant, image_id, "modify_image")
        with self._transaction() as conn:
            if conn.execute("DELETE FROM image_tags WHERE image_id = ? AND tag = ?", (image_id, tag)).rowcount == 0:
                raise MemberNotFound(tag)
            self._touch(conn, image_id)

    def update_image(
        self,
        tenant: str,
        image_id: str,
        fields: Mapping[str, Any],
        properties: Mapping[str, str | None],
        tags: list[str] | None = None,
    ) -> ImageRecord:
        """Set an image's ``fields`` (of :data:`FIELDS`), its whole ``properties`` and, unless
        None, its whole ``tags``, in one change (the caller has checked every value)."""
        self._owned(tenant, image_id, "modify_image")
        columns = [f"{name} = ?" for name in fields]
        values = [int(v) if name == "protected" else v for name, v in fields.items()]
        with self._transaction() as conn:
            conn.execute(
                f"UPDATE images SET {', '.join([*columns, 'properties = ?'])} WHERE id = ?",
                (*values, json.dumps(dict(properties), sort_keys=True), image_id),
            )
            if tags is not None:
                conn.execute("DELETE FROM image_tags WHERE image_id = ?", (image_id,))
                conn.executemany("INSERT OR IGNORE INTO image_tags VALUES (?, ?)", [(image_id, t) for t in tags])
            self._touch(conn, image_id)
        return self.get_image(tenant, image_id)

    def _touch(self, conn: sqlite3.Connection, image_id: str) -> None:
        conn.execute("UPDATE images SET updated = ? WHERE id = ?", (to_text(self.now()), image_id))

    # -- deactivation -------------------------------------------------------------------------

    def deactivate_image(self, tenant: str, image_id: str) -> None:
        self._switch(tenant, image_id, "active", "deactivated", "deactivate")

    def reactivate_image(self, tenant: str, image_id: str) -> None:
        self._switch(tenant, image_id, "deactivated", "active", "reactivate")

    def _switch(self, tenant: str, image_id: str, before: str, after: str, action: str) -> None:
        record = self._owned(tenant, image_id, action)
        if record.status == after:
            return  # twice is fine
        if record.status != before:
            raise NotAllowed(f"Not allowed to {action} image in status '{record.status}'")
        with self._transaction() as conn:
            conn.execute("UPDATE images SET status = ? WHERE id = ?", (after, image_id))
            self._touch(conn, image_id)


def _members(rows: list[Any]) -> Iterator[MemberRecord]:
    for image_id, member, status, created, updated in rows:
        yield MemberRecord(image_id, member, status, from_text(created), from_text(updated))


__all__ = ["FIELDS", "MEMBER_STATUSES", "ImageNotFound", "MemberNotFound", "SharingMixin"]
