"""A Glance v2 image PATCH (``application/openstack-images-v2.1-json-patch``), applied to a record.

No HTTP and no sqlite: :func:`apply_patch` checks every operation first and returns the change
for :meth:`~.sharing.SharingMixin.update_image`, so a failing patch changes nothing (as Glance).
What was observed on Glance 33: ``add`` on an existing field replaces it; ``replace`` or
``remove`` of a property that is not there is 409; read-only fields are 403; a core field
cannot be removed (403); ``visibility`` is one of four words, ``protected`` a JSON bool,
``min_disk``/``min_ram`` whole numbers, property values strings (400 otherwise).
"""

from __future__ import annotations

from typing import Any

from .records import Conflict, ImageRecord, Invalid, NotAllowed

VISIBILITIES = ("public", "private", "shared", "community")
_READ_ONLY = frozenset(
    {
        "id", "status", "owner", "size", "virtual_size", "checksum", "created_at", "updated_at",
        "self", "file", "schema", "os_hash_algo", "os_hash_value", "direct_url", "locations",
        "disk_format", "container_format", "os_hidden", "stores",
    }
)  # fmt: skip
_OPERATIONS = ("add", "replace", "remove")


def apply_patch(record: ImageRecord, patch: Any) -> tuple[dict[str, Any], dict[str, str | None], list[str] | None]:
    """The fields, the whole properties and the whole tags (None: unchanged) after ``patch``."""
    if not isinstance(patch, list):
        raise Invalid("Expected a list of operations.")
    fields: dict[str, Any] = {}
    properties = dict(record.properties)
    tags: list[str] | None = None
    for operation in patch:
        if not isinstance(operation, dict) or operation.get("op") not in _OPERATIONS:
            raise Invalid(f"Unable to find a supported operation in {operation!r}.")
        op, path = operation["op"], operation.get("path")
        if not isinstance(path, str) or not path.startswith("/") or path.count("/") != 1 or len(path) < 2:
            raise Invalid(f"Invalid JSON pointer for this resource: '{path}'")
        name = path[1:].replace("~1", "/").replace("~0", "~")
        if op != "remove" and "value" not in operation:
            raise Invalid(f"Operation {op} needs a value.")
        value = operation.get("value")
        if name in _READ_ONLY:
            raise NotAllowed(f"Attribute '{name}' is read-only.")
        if name == "tags":
            if op == "remove":
                raise NotAllowed("Attribute 'tags' is reserved.")
            tags = _tags(value)
        elif name in ("name", "visibility", "protected", "min_disk", "min_ram"):
            if op == "remove":
                raise NotAllowed(f"Attribute '{name}' is reserved.")
            fields[name] = _core(name, value)
        elif op == "remove":
            if name not in properties:
                raise Conflict(f"Property {name} does not exist.")
            del properties[name]
        else:
            if op == "replace" and name not in properties:
                raise Conflict(f"Property {name} does not exist.")
            if not isinstance(value, str) or len(value) > 65535:
                raise Invalid(f"Provided object does not match schema 'image': {value!r} is not of type 'string'")
            properties[name] = value
    return fields, properties, tags


def _core(name: str, value: Any) -> Any:
    if name == "name":
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise Invalid(f"Provided object does not match schema 'image': {value!r} is not a valid name")
        return value or ""
    if name == "visibility":
        if value not in VISIBILITIES:
            raise Invalid(f"Invalid visibility value: {value}")
        return value
    if name == "protected":
        if type(value) is not bool:
            raise Invalid(f"Provided object does not match schema 'image': {value!r} is not of type 'boolean'")
        return value
    if type(value) is not int or value < 0:
        raise Invalid(f"Provided object does not match schema 'image': {value!r} is not a whole number >= 0")
    return value


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in value):
        raise Invalid(f"Provided object does not match schema 'image': {value!r} is not a list of tags")
    return sorted(set(value))
