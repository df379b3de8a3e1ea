"""Private module: the image calls beyond listing, as a mixin of :class:`RackImgNodeDriver`.

libcloud 3.9's ``OpenStack_2_NodeDriver`` names (``ex_update_image``, ``ex_list_image_members``,
``ex_create_image_member``, ``ex_get_image_member``, ``ex_accept_image_member``), and the rest of
the image API: rejecting and removing members, tags, deactivation, and metadata by key.

Members, tags, changes and deactivation go to the image service (catalog type ``image``:
Glance v2, Rackspace's Cloud Images) in every dialect; metadata goes through the compute images
proxy (``/images/{id}/metadata``) where the dialect lists images there, and is Glance
properties in the glance dialect. Every argument is checked before any request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from libcloud.common.exceptions import BaseHTTPError
from libcloud.compute.base import NodeImage, NodeImageMember
from libcloud.compute.types import NodeImageMemberState

from rackimg_driver._arguments import id_of, scrubs_errors, segment
from rackimg_driver._listing import MAPPING_ERRORS
from rackimg_driver.dialects import DIALECTS, ImageDialect
from rackimg_driver.errors import InvalidResponseError
from rackimg_driver.mapping import glance_image_from_api

if TYPE_CHECKING:
    from rackimg_driver.connection import RackImgConnection

__all__ = ["PATCH_CONTENT_TYPE", "UPDATABLE_FIELDS", "VISIBILITIES", "ImageServiceMixin"]

PATCH_CONTENT_TYPE = "application/openstack-images-v2.1-json-patch"
VISIBILITIES = ("public", "private", "shared", "community")
#: The image fields ``ex_update_image`` sets by name; any other key is a property.
UPDATABLE_FIELDS = ("name", "visibility", "protected", "min_disk", "min_ram", "tags")
_OPERATIONS = ("add", "replace", "remove", "move", "copy", "test")
_MEMBER_STATES = {state.value: state for state in NodeImageMemberState}


def _pointer(key: str) -> str:
    """A property name as a JSON pointer (RFC 6901)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _member_id(value: Any, argument: str = "member_id") -> str:
    if isinstance(value, NodeImageMember):
        value = value.id
    if not isinstance(value, str) or not value.strip() or value in (".", ".."):
        raise ValueError(f"{argument} must be a project id (not empty, '.' or '..'), got {value!r}")
    return value


def _text(value: Any, argument: str, limit: int = 255) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError(f"{argument} must be a non-empty string of at most {limit} characters, got {value!r}")
    return value


def _metadata(value: Any, argument: str = "metadata") -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"{argument} must map non-empty strings to strings, got {value!r}")
    return dict(value)


def _field(key: str, value: Any) -> Any:
    """One value of ``ex_update_image``'s mapping, checked."""
    if key == "name":
        return _text(value, "data['name']")
    if key == "visibility":
        if value not in VISIBILITIES:
            raise ValueError(f"data['visibility'] must be one of {', '.join(VISIBILITIES)}, got {value!r}")
        return value
    if key == "protected":
        if not isinstance(value, bool):
            raise ValueError(f"data['protected'] must be True or False, got {value!r}")
        return value
    if key in ("min_disk", "min_ram"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"data[{key!r}] must be a whole number >= 0, got {value!r}")
        return value
    if key == "tags":
        if isinstance(value, str) or not all(isinstance(tag, str) and tag.strip() for tag in value):
            raise ValueError(f"data['tags'] must be a list of non-empty strings, got {value!r}")
        return sorted(set(value))
    if value is not None and not isinstance(value, str):
        raise ValueError(f"data[{key!r}] (a property) must be a string, or None to remove it, got {value!r}")
    return value


def build_patch(data: Any) -> list[dict[str, Any]]:
    """``ex_update_image``'s ``data`` as a JSON patch: a patch (a list) as it is, checked for
    its shape; a mapping of changes as ``replace`` of the fields, ``add`` of properties (it
    replaces an existing one) and ``remove`` of those given as None."""
    if isinstance(data, list):
        for number, operation in enumerate(data):
            if (
                not isinstance(operation, Mapping)
                or operation.get("op") not in _OPERATIONS
                or not isinstance(operation.get("path"), str)
            ):
                raise ValueError(
                    f"data[{number}] must be a JSON-patch operation such as"
                    f" {{'op': 'replace', 'path': '/name', 'value': 'web'}}, got {operation!r}"
                )
        if not data:
            raise ValueError("data must not be an empty patch")
        return [dict(operation) for operation in data]
    if not isinstance(data, Mapping) or not data:
        raise ValueError(f"data must be a JSON-patch list or a non-empty mapping of changes, got {data!r}")
    patch: list[dict[str, Any]] = []
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"data's keys must be non-empty strings, got {key!r}")
        checked = _field(key, value)
        if key in UPDATABLE_FIELDS:
            patch.append({"op": "replace", "path": f"/{key}", "value": checked})
        elif checked is None:
            patch.append({"op": "remove", "path": _pointer(key)})
        else:
            patch.append({"op": "add", "path": _pointer(key), "value": checked})
    return patch


def _object(response: Any, what: str, key: str | None = None) -> Any:
    body = response.object
    if key is not None:
        body = body.get(key) if isinstance(body, dict) else None
    if not isinstance(body, dict):
        raise InvalidResponseError(f"the answer has no {what}", response.status, response.body)
    return body


class ImageServiceMixin:
    """The image service's calls; :class:`RackImgNodeDriver` inherits them."""

    dialect: ImageDialect
    connection: RackImgConnection
    _connections: threading.local

    @property
    def image_connection(self) -> RackImgConnection:
        """This thread's connection to the image service (the listing's own one in the glance
        dialect)."""
        if self.dialect.is_image_service:
            return self.connection
        connection: RackImgConnection | None = getattr(self._connections, "image", None)
        if connection is None:
            connection = self.connection.for_image_service()
            self._connections.image = connection
        return connection

    @property
    def image_service_dialect(self) -> ImageDialect:
        """The dialect of the image service (the driver's own in the glance dialect)."""
        return self.dialect if self.dialect.is_image_service else DIALECTS["glance"]

    def _image_call(self, image_id: str, rest: str = "", method: str = "GET", body: Any = None, **kw: Any) -> Any:
        connection = self.image_connection
        data = "" if body is None else json.dumps(body)
        path = f"{connection.images_path}/{segment(image_id)}{rest}"
        return connection.request(path, method=method, data=data, **kw)

    def _glance_image(self, response: Any) -> NodeImage:
        try:
            return glance_image_from_api(response.object, self, response.status)  # type: ignore[arg-type]
        except MAPPING_ERRORS as error:
            message = f"the image is not understood ({type(error).__name__})"
            raise InvalidResponseError(message, response.status, "") from None

    def image_from_service(self, image: NodeImage | str) -> NodeImage:
        """The image as the image service shows it (with its owner, tags, protection...)."""
        return self._glance_image(self._image_call(id_of(image, "image")))

    def _patch(self, image_id: str, patch: list[dict[str, Any]]) -> NodeImage:
        headers = {"Content-Type": PATCH_CONTENT_TYPE}
        return self._glance_image(self._image_call(image_id, method="PATCH", body=patch, headers=headers))

    # -- libcloud's names ---------------------------------------------------------------------

    @scrubs_errors
    def ex_update_image(self, image_id: NodeImage | str, data: Any) -> NodeImage:
        """Change an image; returns it as the image service shows it after the change.

        :param image_id: A NodeImage or an image id.
        :param data: libcloud's JSON-patch list (sent as it is, e.g.
            ``[{"op": "replace", "path": "/visibility", "value": "shared"}]``), or a mapping
            of changes: ``name``, ``visibility`` (public, private, shared, community),
            ``protected`` (bool), ``min_disk``, ``min_ram`` (whole numbers), ``tags`` (the
            whole list), and any other key a property (a string, or None to remove it).
        :raises ValueError: for a bad argument, before any request.
        :raises BaseHTTPError: 403 for a read-only field or another project's image, 409 for
            a property that is not there, 404 for no such image.
        """
        image = id_of(image_id, "image_id")
        return self._patch(image, build_patch(data))

    @scrubs_errors
    def ex_list_image_members(self, image_id: NodeImage | str) -> list[NodeImageMember]:
        """The projects a shared image is shared with (for a member: its own membership).

        :raises BaseHTTPError: 403 for an image that is not ``shared``.
        """
        image = id_of(image_id, "image_id")
        response = self._image_call(image, "/members")
        members = response.object.get("members") if isinstance(response.object, dict) else None
        if not isinstance(members, list):
            raise InvalidResponseError("the answer has no 'members' list", response.status, response.body)
        return [self._to_member(member, response.status) for member in members]

    @scrubs_errors
    def ex_create_image_member(self, image_id: NodeImage | str, member_id: str) -> NodeImageMember:
        """Share a ``shared`` image with a project (its membership is ``pending`` until the
        project accepts it)."""
        image, member = id_of(image_id, "image_id"), _member_id(member_id)
        response = self._image_call(image, "/members", method="POST", body={"member": member})
        return self._to_member(response.object, response.status)

    @scrubs_errors
    def ex_get_image_member(self, image_id: NodeImage | str, member_id: str) -> NodeImageMember:
        """One membership of an image."""
        image, member = id_of(image_id, "image_id"), _member_id(member_id)
        response = self._image_call(image, f"/members/{segment(member)}")
        return self._to_member(response.object, response.status)

    @scrubs_errors
    def ex_accept_image_member(self, image_id: NodeImage | str, member_id: str) -> NodeImageMember:
        """Accept a share, as the project it was shared with: the image then appears in
        its listing."""
        return self._member_status(image_id, member_id, "accepted")

    # -- beyond libcloud ----------------------------------------------------------------------

    @scrubs_errors
    def ex_reject_image_member(self, image_id: NodeImage | str, member_id: str) -> NodeImageMember:
        """Reject a share, as the project it was shared with: the image leaves its listing."""
        return self._member_status(image_id, member_id, "rejected")

    @scrubs_errors
    def ex_delete_image_member(self, image_id: NodeImage | str, member_id: str) -> bool:
        """Stop sharing an image with a project (as the image's owner). True on 204."""
        image, member = id_of(image_id, "image_id"), _member_id(member_id)
        response = self._image_call(image, f"/members/{segment(member)}", method="DELETE")
        return int(response.status) == 204

    def _member_status(self, image_id: NodeImage | str, member_id: str, status: str) -> NodeImageMember:
        image, member = id_of(image_id, "image_id"), _member_id(member_id)
        response = self._image_call(image, f"/members/{segment(member)}", method="PUT", body={"status": status})
        return self._to_member(response.object, response.status)

    def _to_member(self, data: Any, status: int | None) -> NodeImageMember:
        if not isinstance(data, dict):
            raise InvalidResponseError("an image member is not a JSON object", status, data)
        member, image, state = data.get("member_id"), data.get("image_id"), data.get("status")
        if not (isinstance(member, str) and member and isinstance(image, str) and image and isinstance(state, str)):
            raise InvalidResponseError("an image member has no member_id, image_id or status", status, data)
        created, updated = data.get("created_at"), data.get("updated_at")
        # A word libcloud's NodeImageMemberState lacks stays the server's word; created is the
        # server's text, as in libcloud's own OpenStack driver.
        member_state: Any = _MEMBER_STATES.get(state, state)
        created_text: Any = created if isinstance(created, str) else None
        return NodeImageMember(
            id=member,
            image_id=image,
            state=member_state,
            driver=self,  # type: ignore[arg-type]
            created=created_text,
            extra={
                "status": state,
                "updated": updated if isinstance(updated, str) else None,
                "schema": data.get("schema") if isinstance(data.get("schema"), str) else None,
            },
        )

    @scrubs_errors
    def ex_add_image_tag(self, image: NodeImage | str, tag: str) -> bool:
        """Tag an image (a tag it has already is fine). True on 204."""
        image_id, checked = id_of(image, "image"), _text(tag, "tag")
        return int(self._image_call(image_id, f"/tags/{segment(checked)}", method="PUT").status) == 204

    @scrubs_errors
    def ex_remove_image_tag(self, image: NodeImage | str, tag: str) -> bool:
        """Remove a tag from an image. True on 204.

        :raises BaseHTTPError: 404 for a tag the image does not have.
        """
        image_id, checked = id_of(image, "image"), _text(tag, "tag")
        return int(self._image_call(image_id, f"/tags/{segment(checked)}", method="DELETE").status) == 204

    @scrubs_errors
    def ex_deactivate_image(self, image: NodeImage | str) -> bool:
        """Deactivate an active image (nobody can boot from or download it; the compute API
        shows it UNKNOWN). Deactivating twice is fine. True on 204.

        :raises BaseHTTPError: 403 for an image without data (queued) or not yours.
        """
        image_id = id_of(image, "image")
        return int(self._image_call(image_id, "/actions/deactivate", method="POST").status) == 204

    @scrubs_errors
    def ex_reactivate_image(self, image: NodeImage | str) -> bool:
        """Make a deactivated image active again. True on 204."""
        image_id = id_of(image, "image")
        return int(self._image_call(image_id, "/actions/reactivate", method="POST").status) == 204

    # -- metadata -----------------------------------------------------------------------------

    @scrubs_errors
    def ex_get_image_metadata(self, image: NodeImage | str) -> dict[str, Any]:
        """The image's metadata (its custom properties)."""
        image_id = id_of(image, "image")
        if self.dialect.is_image_service:
            return dict(self._glance_image(self._image_call(image_id)).extra["metadata"])
        return self._compute_metadata(image_id)

    @scrubs_errors
    def ex_set_image_metadata(self, image: NodeImage | str, metadata: Mapping[str, str]) -> dict[str, Any]:
        """Replace all of the image's metadata with ``metadata``; returns the metadata after.

        Every property not given goes, ``image_type`` and ``instance_uuid`` included.
        """
        image_id, wanted = id_of(image, "image"), _metadata(metadata)
        if self.dialect.is_image_service:
            current = self._glance_image(self._image_call(image_id)).extra["metadata"]
            patch: list[dict[str, Any]] = [{"op": "remove", "path": _pointer(k)} for k in current if k not in wanted]
            patch += [{"op": "add", "path": _pointer(k), "value": v} for k, v in wanted.items()]
            return self._patched_metadata(image_id, patch)
        return self._compute_metadata(image_id, method="PUT", body={"metadata": wanted})

    @scrubs_errors
    def ex_update_image_metadata(self, image: NodeImage | str, metadata: Mapping[str, str]) -> dict[str, Any]:
        """Merge ``metadata`` into the image's metadata; returns the whole metadata after."""
        image_id, wanted = id_of(image, "image"), _metadata(metadata)
        if self.dialect.is_image_service:
            patch = [{"op": "add", "path": _pointer(k), "value": v} for k, v in wanted.items()]
            return self._patched_metadata(image_id, patch)
        return self._compute_metadata(image_id, method="POST", body={"metadata": wanted})

    @scrubs_errors
    def ex_delete_image_metadata(self, image: NodeImage | str, key: str) -> bool:
        """Remove one metadata key. True when it is gone.

        :raises BaseHTTPError: 404 for a key the image does not have (in every dialect).
        """
        image_id, checked = id_of(image, "image"), _text(key, "key")
        if self.dialect.is_image_service:
            current = self._glance_image(self._image_call(image_id)).extra["metadata"]
            if checked not in current:
                raise BaseHTTPError(404, f"image {image_id} has no metadata key {checked!r}", {})
            self._patch(image_id, [{"op": "remove", "path": _pointer(checked)}])
            return True
        path = f"{self.connection.images_path}/{segment(image_id)}/metadata/{segment(checked)}"
        return int(self.connection.request(path, method="DELETE").status) == 204

    def _patched_metadata(self, image_id: str, patch: list[dict[str, Any]]) -> dict[str, Any]:
        if not patch:
            return dict(self._glance_image(self._image_call(image_id)).extra["metadata"])
        return dict(self._patch(image_id, patch).extra["metadata"])

    def _compute_metadata(self, image_id: str, method: str = "GET", body: Any = None) -> dict[str, Any]:
        path = f"{self.connection.images_path}/{segment(image_id)}/metadata"
        data = "" if body is None else json.dumps(body)
        response = self.connection.request(path, method=method, data=data)
        return dict(_object(response, "'metadata' object", "metadata"))
