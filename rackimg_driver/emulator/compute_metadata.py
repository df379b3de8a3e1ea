"""Nova's image metadata proxy over HTTP: ``{c}/images/{id}/metadata[/{key}]`` (a mixin of
:class:`~.compute_api.ComputeAPI`, routed in ``routes``; gone past microversion 2.35 like the
rest of the proxy).

As observed on Nova 34: PUT on the collection replaces every property (``image_type`` and
``instance_uuid`` included), POST merges, a key's PUT must name the key of its URL, deleting a
missing key is 404 "Invalid metadata key"; only the owner changes an image (403); every write
turns a shared or community image private (Nova writes the image back as Glance v1's
``is_public: false``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .answers import nova_fault
from .records import ImageNotFound, Invalid, NotAllowed
from .wsgi import Response, json_response

if TYPE_CHECKING:
    from .compute_api import ComputeContext
    from .profiles import CloudProfile
    from .store import Store

_NOT_PUBLIC = ("shared", "community")


def _answer(call: Callable[[], Response]) -> Response:
    try:
        return call()
    except ImageNotFound:
        return nova_fault(404, "Image not found.")
    except NotAllowed:
        return nova_fault(403, "You are not allowed to modify the image's metadata.")
    except Invalid as error:
        return nova_fault(400, str(error))


def _strings(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and 0 < len(k) <= 255 and isinstance(v, str) and len(v) <= 255 for k, v in value.items()
    ):
        raise Invalid(f"Invalid input for field/attribute {field}.")
    return value


def _body(ctx: ComputeContext, field: str) -> dict[str, str]:
    try:
        body = ctx.request.json()
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Malformed request body.") from None
    if not isinstance(body, dict) or field not in body:
        raise Invalid(f"Invalid input for field/attribute {field}.")
    return _strings(body[field], field)


class ComputeMetadataHandlers:
    """The image metadata calls of the compute API."""

    store: Store
    profile: CloudProfile

    def _set(self, ctx: ComputeContext, image_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.profile.upstream_nova and self.store.get_image(ctx.tenant, image_id).visibility in _NOT_PUBLIC:
            # Nova writes the whole image back in Glance v1's terms (is_public false), so a
            # shared or community image turns private (observed on Nova 34).
            fields["visibility"] = "private"
        return dict(self.store.update_image(ctx.tenant, image_id, fields, properties).properties)

    def get_metadata(self, ctx: ComputeContext, image_id: str) -> Response:
        return _answer(
            lambda: json_response(200, {"metadata": dict(self.store.get_image(ctx.tenant, image_id).properties)})
        )

    def replace_metadata(self, ctx: ComputeContext, image_id: str) -> Response:
        def replace() -> Response:
            metadata = _body(ctx, "metadata")
            self.store.get_image(ctx.tenant, image_id)
            return json_response(200, {"metadata": self._set(ctx, image_id, dict(metadata))})

        return _answer(replace)

    def merge_metadata(self, ctx: ComputeContext, image_id: str) -> Response:
        def merge() -> Response:
            metadata = _body(ctx, "metadata")
            record = self.store.get_image(ctx.tenant, image_id)
            return json_response(200, {"metadata": self._set(ctx, image_id, {**record.properties, **metadata})})

        return _answer(merge)

    def get_metadata_item(self, ctx: ComputeContext, image_id: str, key: str) -> Response:
        def get() -> Response:
            properties = self.store.get_image(ctx.tenant, image_id).properties
            if key not in properties:
                return nova_fault(404, "Metadata item was not found")
            return json_response(200, {"meta": {key: properties[key]}})

        return _answer(get)

    def set_metadata_item(self, ctx: ComputeContext, image_id: str, key: str) -> Response:
        def put() -> Response:
            meta = _body(ctx, "meta")
            if list(meta) != [key]:
                return nova_fault(400, "Request body and URI mismatch")
            record = self.store.get_image(ctx.tenant, image_id)
            self._set(ctx, image_id, {**record.properties, **meta})
            return json_response(200, {"meta": meta})

        return _answer(put)

    def delete_metadata_item(self, ctx: ComputeContext, image_id: str, key: str) -> Response:
        def delete() -> Response:
            record = self.store.get_image(ctx.tenant, image_id)
            if key not in record.properties:
                return nova_fault(404, "Invalid metadata key")
            self._set(ctx, image_id, {k: v for k, v in record.properties.items() if k != key})
            return Response(204)

        return _answer(delete)
