"""The dialects: each kind of server the driver talks to, as one object.

A dialect knows everything that differs between servers: where it is in the catalog, where
its images are, the headers it wants, how it is asked for a query (which filters it is sent,
which are checked on the client), how a page reads and an image maps, and what it supports.
The driver, the connection and the filters ask it; none of them compares a dialect by name.

To add one, subclass :class:`ImageDialect` (or the one it is most like) and pass an instance
as ``ex_dialect``; docs/contributing.rst shows a whole example.

Private module: its public names are re-exported as ``rackimg_driver.ImageDialect``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from libcloud.common.rackspace import AUTH_URL as RACKSPACE_AUTH_URL
from libcloud.compute.base import NodeDriver, NodeImage

from rackimg_driver import filters
from rackimg_driver.filters import ImageQuery
from rackimg_driver.mapping import (
    brief_image,
    glance_image_from_api,
    glance_images_from_page,
    image_from_api,
    images_from_page,
)
from rackimg_driver.types import Dialect, member_of

__all__ = [
    "DIALECTS",
    "NOVA_MICROVERSION",
    "RACKSPACE_REGIONS",
    "RACKSPACE_SERVICE_NAME",
    "GlanceDialect",
    "ImageDialect",
    "NovaDialect",
    "RackspaceDialect",
    "dialect_for",
    "glance_images_path",
]

#: Regions of Rackspace Cloud Servers v2 (the ``region`` argument, rackspace dialect).
RACKSPACE_REGIONS = ("dfw", "ord", "iad", "lon", "syd", "hkg")
RACKSPACE_SERVICE_NAME = "cloudServersOpenStack"
#: The images proxy exists only up to compute microversion 2.35.
NOVA_MICROVERSION = "2.1"

ToImage = Callable[[Any, NodeDriver, "int | None"], NodeImage]
ReadPage = Callable[[Any, "int | None"], "tuple[list[Any], str | None]"]


def glance_images_path(request_path: str) -> str:
    """Where Glance v2's images are: the catalog's image endpoint may or may not end in /v2."""
    return "/images" if request_path.rstrip("/").endswith("/v2") else "/v2/images"


class ImageDialect:
    """What one kind of server needs; the base is a compute (Nova-shaped) images API.

    ``value`` is the dialect's name (``ex_dialect="..."``, ``driver.dialect.value``).
    """

    value: ClassVar[str] = ""
    #: The catalog entry: its type, and its name where the type alone is not enough.
    service_type: ClassVar[str] = "compute"
    service_name: ClassVar[str | None] = None
    #: libcloud's identity version used unless ``ex_force_auth_version`` says otherwise.
    auth_version: ClassVar[str] = "3.x_password"
    #: The identity URL when the caller gives none (None: the caller must give one).
    auth_url: ClassVar[str | None] = None
    #: Images per request when the caller asks for no page size (None: the server's default).
    page_size: ClassVar[int | None] = None
    #: Whether ``create_image`` (the compute ``createImage`` action) is there.
    creates_images: ClassVar[bool] = True
    #: Whether the servers of ``list_nodes`` are there.
    lists_servers: ClassVar[bool] = True
    #: Whether the images API is itself the image service (members, tags, PATCH, properties).
    is_image_service: ClassVar[bool] = False
    #: The name of the catalog's image service entry (type ``image``), where the type is not enough.
    image_service_name: ClassVar[str | None] = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.value!r}>"

    def __eq__(self, other: object) -> bool:
        # Equal to its own kind, to its name, and to the Dialect member of that name.
        if isinstance(other, ImageDialect):
            return type(other) is type(self)
        if isinstance(other, str):  # Dialect members are strings too
            return other == self.value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def region(self, region: Any) -> str | None:
        """The ``region`` argument checked; ValueError naming it when it is wrong here."""
        if region is not None and not isinstance(region, str):
            raise ValueError(f"region must be a region name or None, got {region!r}")
        return region

    def service_region(self, region: str | None) -> str | None:
        """The catalog's region name for the driver's ``region``."""
        return region

    def images_path(self, request_path: str) -> str:
        """Where the images are, relative to the endpoint (whose path is ``request_path``)."""
        return "/images"

    def listing_path(self, images_path: str, detailed: bool) -> str:
        """What to ask for a page: Nova has a brief and a detailed listing."""
        return images_path + ("/detail" if detailed else "")

    def headers(self) -> dict[str, str]:
        """Headers every request of this dialect carries."""
        return {}

    def plan(self, query: ImageQuery, detailed: bool) -> filters.QueryPlan:
        """What to send for ``query``, and what to check on the client (see :mod:`.filters`)."""
        params, held_back = filters.nova_params(query, trusts_filters=True)
        return filters.make_plan(query, detailed, params, held_back)

    def detailed_pages(self, detailed: bool) -> bool:
        """Whether the pages asked for carry every field (then a brief listing trims them)."""
        return detailed

    def read_page(self) -> ReadPage:
        """A function: a page's parsed body -> (its raw images, the next link or None)."""
        return images_from_page

    def to_image(self, detailed: bool) -> ToImage:
        """A function: one raw image of a page -> NodeImage."""
        return image_from_api if detailed else brief_image

    def read_image(self, body: Any, driver: NodeDriver, status: int | None) -> NodeImage:
        """The answer to a request for one image -> NodeImage."""
        from rackimg_driver.errors import InvalidResponseError

        if not isinstance(body, dict) or "image" not in body:
            raise InvalidResponseError("the answer has no 'image'", status, body)
        return image_from_api(body["image"], driver, status)


class RackspaceDialect(ImageDialect):
    """Rackspace Cloud Servers v2: an API key over identity v2.0, regions by name, and every
    filter answered as documented."""

    value = Dialect.RACKSPACE.value
    service_name = RACKSPACE_SERVICE_NAME
    image_service_name = "cloudImages"
    auth_version = "2.0_apikey"
    auth_url = RACKSPACE_AUTH_URL

    def region(self, region: Any) -> str | None:
        if not isinstance(region, str) or region.lower() not in RACKSPACE_REGIONS:
            raise ValueError(
                f"region must be one of {', '.join(RACKSPACE_REGIONS)} in the rackspace dialect, got {region!r}"
            )
        return region.lower()

    def service_region(self, region: str | None) -> str | None:
        return region.upper() if region else None


class NovaDialect(ImageDialect):
    """Upstream Nova's images proxy at compute microversion 2.1; it answers some filters
    wrongly, so those are checked on the client (see :func:`.filters.nova_params`)."""

    value = Dialect.OPENSTACK.value

    def headers(self) -> dict[str, str]:
        return {
            "X-OpenStack-Nova-API-Version": NOVA_MICROVERSION,
            "OpenStack-API-Version": f"compute {NOVA_MICROVERSION}",
        }

    def plan(self, query: ImageQuery, detailed: bool) -> filters.QueryPlan:
        params, held_back = filters.nova_params(query, trusts_filters=False)
        return filters.make_plan(query, detailed, params, held_back)


class GlanceDialect(ImageDialect):
    """The Image service v2 (``/v2/images``), for clouds where the compute proxy is gone."""

    value = Dialect.GLANCE.value
    service_type = "image"
    page_size = 1000  # Glance's own default is 25 a page; 1000 is its maximum
    creates_images = False
    lists_servers = False
    is_image_service = True

    def images_path(self, request_path: str) -> str:
        return glance_images_path(request_path)

    def listing_path(self, images_path: str, detailed: bool) -> str:
        return images_path  # every field in one listing

    def plan(self, query: ImageQuery, detailed: bool) -> filters.QueryPlan:
        params, held_back = filters.glance_params(query)
        return filters.make_plan(query, detailed, params, held_back)

    def detailed_pages(self, detailed: bool) -> bool:
        return True

    def read_page(self) -> ReadPage:
        return glance_images_from_page

    def to_image(self, detailed: bool) -> ToImage:
        return glance_image_from_api

    def read_image(self, body: Any, driver: NodeDriver, status: int | None) -> NodeImage:
        return glance_image_from_api(body, driver, status)


#: The dialects by name.
DIALECTS: dict[str, ImageDialect] = {
    dialect.value: dialect for dialect in (RackspaceDialect(), NovaDialect(), GlanceDialect())
}


def dialect_for(value: Any) -> ImageDialect:
    """The dialect a name, a :class:`.Dialect` member or an :class:`ImageDialect` stands for."""
    if isinstance(value, ImageDialect):
        return value
    if isinstance(value, type) and issubclass(value, ImageDialect):
        return value()
    member = member_of(Dialect, value)
    if member is not None:
        return DIALECTS[member.value]
    allowed = ", ".join(repr(name) for name in DIALECTS)
    raise ValueError(f"ex_dialect must be one of {allowed} (or an ImageDialect), got {value!r}")
