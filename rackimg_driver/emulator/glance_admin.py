"""Glance v2's image changes over HTTP: PATCH, members, tags, deactivation (a mixin of
:class:`~.glance_api.GlanceAPI`, routed in ``routes``).

Answers as Glance 33 was observed to: 200 with the image or member, 204 for tags, member
deletion and actions; errors are Glance's HTML pages (403 for what the project may not do,
404 for what it cannot see, 409 for a conflict, 400 for a bad value, 415 for a PATCH that is
not a JSON patch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .answers import glance_fault
from .glance_patch import apply_patch
from .records import Conflict, ImageNotFound, Invalid, NotAllowed
from .sharing import MemberNotFound
from .views import glance_image, glance_member
from .wsgi import Response, json_response

if TYPE_CHECKING:
    from .glance_api import GlanceContext
    from .store import Store

PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
_NO_CONTENT = [("Content-Type", "text/html; charset=UTF-8")]


def _answer(image_id: str, call: Callable[[], Response]) -> Response:
    """``call``'s answer, or the error page the store's error stands for."""
    try:
        return call()
    except ImageNotFound:
        return glance_fault(404, f"No image found with ID {image_id}")
    except MemberNotFound as error:
        return glance_fault(404, f"{error.args[0]} not found for image {image_id}.")
    except NotAllowed as error:
        return glance_fault(403, str(error))
    except Conflict as error:
        return glance_fault(409, str(error))
    except Invalid as error:
        return glance_fault(400, str(error))


def _body(ctx: GlanceContext) -> Any:
    try:
        return ctx.request.json()
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Malformed JSON in request body.") from None


class GlanceAdminHandlers:
    """PATCH, members, tags and actions of ``/v2/images/{id}``."""

    store: Store

    def update_image(self, ctx: GlanceContext, image_id: str) -> Response:
        content_type = ctx.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != PATCH_TYPE:
            return glance_fault(415, f"Unsupported Content-Type. Use {PATCH_TYPE}.")

        def update() -> Response:
            record = self.store.get_image(ctx.tenant, image_id)
            fields, properties, tags = apply_patch(record, _body(ctx))
            updated = self.store.update_image(ctx.tenant, image_id, fields, properties, tags)
            return json_response(200, glance_image(updated))

        return _answer(image_id, update)

    def list_members(self, ctx: GlanceContext, image_id: str) -> Response:
        def members() -> Response:
            found = self.store.list_members(ctx.tenant, image_id)
            return json_response(200, {"members": [glance_member(m) for m in found], "schema": "/v2/schemas/members"})

        return _answer(image_id, members)

    def add_member(self, ctx: GlanceContext, image_id: str) -> Response:
        def add() -> Response:
            body = _body(ctx)
            member = body.get("member") if isinstance(body, dict) else None
            if not isinstance(member, str):
                raise Invalid("Request body must be a JSON object with a 'member' string.")
            return json_response(200, glance_member(self.store.add_member(ctx.tenant, image_id, member)))

        return _answer(image_id, add)

    def get_member(self, ctx: GlanceContext, image_id: str, member_id: str) -> Response:
        return _answer(
            image_id, lambda: json_response(200, glance_member(self.store.get_member(ctx.tenant, image_id, member_id)))
        )

    def update_member(self, ctx: GlanceContext, image_id: str, member_id: str) -> Response:
        def update() -> Response:
            body = _body(ctx)
            status = body.get("status") if isinstance(body, dict) else None
            if not isinstance(status, str):
                raise Invalid("Request body must be a JSON object with a 'status' string.")
            record = self.store.set_member_status(ctx.tenant, image_id, member_id, status)
            return json_response(200, glance_member(record))

        return _answer(image_id, update)

    def delete_member(self, ctx: GlanceContext, image_id: str, member_id: str) -> Response:
        def delete() -> Response:
            self.store.delete_member(ctx.tenant, image_id, member_id)
            return Response(204, b"", list(_NO_CONTENT))

        return _answer(image_id, delete)

    def add_tag(self, ctx: GlanceContext, image_id: str, tag: str) -> Response:
        def add() -> Response:
            self.store.add_tag(ctx.tenant, image_id, tag)
            return Response(204, b"", list(_NO_CONTENT))

        return _answer(image_id, add)

    def remove_tag(self, ctx: GlanceContext, image_id: str, tag: str) -> Response:
        def remove() -> Response:
            self.store.remove_tag(ctx.tenant, image_id, tag)
            return Response(204, b"", list(_NO_CONTENT))

        return _answer(image_id, remove)

    def deactivate(self, ctx: GlanceContext, image_id: str) -> Response:
        def deactivate() -> Response:
            self.store.deactivate_image(ctx.tenant, image_id)
            return Response(204, b"", list(_NO_CONTENT))

        return _answer(image_id, deactivate)

    def reactivate(self, ctx: GlanceContext, image_id: str) -> Response:
        def reactivate() -> Response:
            self.store.reactivate_image(ctx.tenant, image_id)
            return Response(204, b"", list(_NO_CONTENT))

        return _answer(image_id, reactivate)
