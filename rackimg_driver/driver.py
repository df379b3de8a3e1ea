"""RackImgNodeDriver: list, page through, get, delete, snapshot and wait for images; list servers.

Private module: its public names are re-exported as ``rackimg_driver.RackImgNodeDriver``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from libcloud.common.exceptions import BaseHTTPError
from libcloud.common.openstack import OpenStackDriverMixin
from libcloud.compute.base import Node, NodeDriver, NodeImage, NodeLocation

from rackimg_driver._arguments import id_of, metadata, scrubs_errors, seconds, segment, wanted_state
from rackimg_driver._image_service import ImageServiceMixin
from rackimg_driver._listing import MAPPING_ERRORS, Pipeline, pages
from rackimg_driver._nodes import node_from_api, nodes_from_page
from rackimg_driver._waiting import poll_image
from rackimg_driver.connection import RackImgConnection
from rackimg_driver.dialects import RACKSPACE_REGIONS, ImageDialect, dialect_for
from rackimg_driver.errors import InvalidResponseError
from rackimg_driver.filters import check_page_size, parse_filters
from rackimg_driver.mapping import trim_to_brief
from rackimg_driver.retention import PruneDecision, PruneResult, apply_prune, plan_prune
from rackimg_driver.retry import RetryPolicy
from rackimg_driver.types import Dialect, ImageState, member_of

__all__ = ["RACKSPACE_REGIONS", "RackImgNodeDriver"]


class RackImgNodeDriver(ImageServiceMixin, OpenStackDriverMixin, NodeDriver):  # type: ignore[misc]
    """A libcloud compute driver for the images API of Rackspace Cloud Servers v2
    and of upstream OpenStack Nova.

    :param key: User name (Rackspace, OpenStack passwords) or application
        credential id.
    :param secret: API key (Rackspace), password or application credential secret.
    :param region: Rackspace region (``dfw``, ``ord``, ``iad``, ``lon``, ``syd``,
        ``hkg``); in the ``openstack`` dialect, the catalog's region name, if any.
    :param ex_dialect: ``"rackspace"`` (default), ``"openstack"`` (upstream Nova,
        compute microversion 2.1) or ``"glance"`` (the Image service v2, the catalog's
        ``image`` endpoint).
    :param ex_page_size: Images per request; by default as many as the server allows.
    :param ex_max_retries: Retries after a failed try (0 turns retrying off); see
        :mod:`rackimg_driver.retry` for which failures are retried.
    :param ex_retry_backoff: The first wait between tries, in seconds; it doubles
        each time, with jitter, unless the server sends Retry-After.
    :param ex_retry_max_delay: The longest single wait, in seconds.
    :param ex_retry_total: Seconds one request may take with all its retries.
    :param ex_connect_timeout: Seconds to wait for a connection (when ``timeout``
        is not given).
    :param ex_read_timeout: Seconds to wait for an answer (when ``timeout`` is not given).

    The OpenStack options (``ex_force_auth_url``, ``ex_force_auth_version``,
    ``ex_force_auth_token``, ``ex_force_base_url``, ``ex_tenant_name``,
    ``ex_domain_name``, ``ex_force_service_region``, ``ex_auth_cache``...) mean
    what they mean in libcloud's OpenStack drivers. Authentication defaults to a
    Rackspace API key over identity v2.0 (``2.0_apikey``) in the rackspace dialect
    and to ``3.x_password`` in the openstack dialect.
    """

    name = "Rackspace Cloud Servers / OpenStack Nova images"
    website = "https://docs.rackspace.com/docs/cloud-servers/v2/"
    type = "rackimg"
    api_name = "rackimg"
    connectionCls = RackImgConnection
    features: dict[str, list[str]] = {"create_node": []}

    def __init__(
        self,
        key: str,
        secret: str | None = None,
        secure: bool = True,
        host: str | None = None,
        port: int | None = None,
        region: str | None = "dfw",
        ex_dialect: ImageDialect | Dialect | str = "rackspace",
        ex_page_size: int | None = None,
        ex_max_retries: int = 4,
        ex_retry_backoff: float = 0.5,
        ex_retry_max_delay: float = 30.0,
        ex_retry_total: float = 120.0,
        ex_connect_timeout: float = 10.0,
        ex_read_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        dialect = dialect_for(ex_dialect)
        self.retry = RetryPolicy.from_arguments(ex_max_retries, ex_retry_backoff, ex_retry_max_delay, ex_retry_total)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (
                seconds("ex_connect_timeout", ex_connect_timeout),
                seconds("ex_read_timeout", ex_read_timeout),
            )
        region = dialect.region(region)
        if not isinstance(key, str) or not key:
            raise ValueError("key (the user name or credential id) must be a non-empty string")
        if kwargs.get("ex_force_auth_token"):
            if not kwargs.get("ex_force_base_url"):
                raise ValueError("ex_force_auth_token needs ex_force_base_url (the compute endpoint)")
        else:
            if not secret:
                raise ValueError("secret (the API key or password) is required")
            if dialect.auth_url is None and not kwargs.get("ex_force_auth_url"):
                raise ValueError(f"ex_force_auth_url (the identity URL) is required in the {dialect.value} dialect")
        self.dialect = dialect
        self.page_size = check_page_size(ex_page_size)
        self._connections = threading.local()
        self._connection_lock = threading.Lock()
        openstack_options = {name: kwargs.pop(name) for name in list(kwargs) if name.startswith("ex_")}
        OpenStackDriverMixin.__init__(self, **openstack_options)
        NodeDriver.__init__(self, key, secret=secret, secure=secure, host=host, port=port, region=region, **kwargs)

    @property  # type: ignore[override]
    def connection(self) -> RackImgConnection:
        """This thread's connection: libcloud's Connection keeps each request's answer on
        itself, so threads sharing a driver each get one, with the token, the catalog and
        the secrets shared (see :meth:`RackImgConnection.for_another_thread`)."""
        connection: RackImgConnection | None = getattr(self._connections, "connection", None)
        if connection is None:
            with self._connection_lock:
                connection = self._first_connection.for_another_thread()
            self._connections.connection = connection
        return connection

    @connection.setter
    def connection(self, value: RackImgConnection) -> None:
        # libcloud's BaseDriver.__init__ sets the first one.
        self._first_connection = value
        self._connections.connection = value

    def __repr__(self) -> str:
        return f"<{type(self).__name__} dialect={self.dialect.value} region={self.region!r}>"

    def _ex_connection_class_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = self.openstack_connection_kwargs()
        kwargs["dialect"] = self.dialect
        kwargs["region"] = self.region
        kwargs["retry"] = self.retry
        return kwargs

    # -- listing -------------------------------------------------------------

    def list_images(
        self,
        location: NodeLocation | None = None,
        ex_filters: Mapping[str, Any] | None = None,
        ex_detailed: bool = True,
        ex_page_size: int | None = None,
        ex_only_active: bool = False,
    ) -> list[NodeImage]:
        """Every image that matches ``ex_filters``, across all pages.

        :param location: Ignored: a driver serves one region.
        :param ex_filters: Any of ``server``, ``name``, ``status``, ``changes-since``,
            ``marker``, ``limit``, ``type``, ``minDisk``, ``minRam``, and ``visibility``,
            ``owner``, ``tag``, ``protected``, ``member_status``, ``sort`` (answered by the
            image service in every dialect; see the docs' filter table). With ``limit``, at
            most that many images in total.
        :param ex_detailed: False for id and name only (state and type are None).
        :param ex_page_size: Images per request, overriding the driver's default.
        :param ex_only_active: As in libcloud's OpenStack drivers: only ACTIVE images
            (the same as ``ex_filters={"status": "ACTIVE"}``). False by default here,
            where libcloud's own default is True.
        :raises ValueError: for a bad filter, before any request.
        """
        # Its errors are scrubbed by ex_iterate_images'.
        if ex_only_active:
            filters = dict(ex_filters or {})
            status = filters.setdefault("status", ImageState.ACTIVE)
            if member_of(ImageState, status) != ImageState.ACTIVE:
                raise ValueError(f"ex_only_active=True contradicts ex_filters['status']={status!r}")
            ex_filters = filters
        return list(self.ex_iterate_images(ex_filters, ex_detailed, ex_page_size))

    def ex_iterate_images(
        self,
        ex_filters: Mapping[str, Any] | None = None,
        ex_detailed: bool = True,
        ex_page_size: int | None = None,
    ) -> Iterator[NodeImage]:
        """Like :meth:`list_images`, but a generator that fetches one page at a time.

        The filters are checked at once, so bad input raises ``ValueError`` here,
        not at the first ``next()``.
        """
        query = parse_filters(ex_filters)
        # Filters Nova's proxy ignores are answered by the image service, in every dialect.
        dialect = self.dialect if not query.needs_image_service else self.image_service_dialect
        connection = (lambda: self.connection) if dialect is self.dialect else (lambda: self.image_connection)
        page_size = check_page_size(ex_page_size) or self.page_size or dialect.page_size
        plan = dialect.plan(query, bool(ex_detailed))
        to_image = dialect.to_image(plan.detailed)
        pipeline = Pipeline(
            to_item=lambda raw, status: to_image(raw, self, status),
            check=plan.check,
            trim=trim_to_brief if not ex_detailed and dialect.detailed_pages(plan.detailed) else None,
            limit=query.limit,
        )
        return self._scrubbed(
            pipeline.run(
                pages(
                    self._fetch(lambda: dialect.listing_path(connection().images_path, plan.detailed), connection),
                    dialect.read_page(),
                    plan.params,
                    query.marker,
                    lambda: pipeline.page_limit(page_size, plan.exact),
                )
            )
        )

    def _scrubbed(self, items: Iterator[Any]) -> Iterator[Any]:
        """The items, with any error on the way scrubbed of the driver's secrets."""
        try:
            yield from items
        except Exception as error:
            raise self.connection.secrets.scrub_exception(error)  # noqa: B904 (the same error)

    def _fetch(
        self, action: Callable[[], str], connection: Callable[[], RackImgConnection] | None = None
    ) -> Callable[[dict[str, Any], bool], Any]:
        """One page's answer, parsed: what :func:`._listing.pages` asks for each page."""

        def fetch(params: dict[str, Any], first_marker: bool) -> Any:
            try:
                return (connection() if connection else self.connection).request(action(), params=params)
            except BaseHTTPError as error:
                if error.code == 400 and first_marker:
                    message = f"unknown marker {params.get('marker')!r}: the server refused it ({error.message})"
                    raise BaseHTTPError(400, message, error.headers) from error
                raise

        return fetch

    # -- servers -------------------------------------------------------------

    @scrubs_errors
    def list_nodes(self, ex_page_size: int | None = None) -> list[Node]:
        """The servers (read-only): libcloud Nodes with ``id``, ``name``, ``state``, and in
        ``extra`` the ``image_id`` each boots from (None from a volume) and the raw ``status``.

        :param ex_page_size: Servers per request; by default as many as the server allows.
        :raises NotImplementedError: in a dialect without servers (glance).
        """
        if not self.dialect.lists_servers:
            raise NotImplementedError(f"list_nodes needs the compute API: the {self.dialect.value} dialect has none")
        page_size = check_page_size(ex_page_size)
        pipeline = Pipeline(to_item=lambda raw, status: node_from_api(raw, self, status))
        listing = pages(self._fetch(lambda: "/servers/detail"), nodes_from_page, {}, None, lambda: page_size)
        return list(pipeline.run(listing))

    # -- single images -------------------------------------------------------

    @scrubs_errors
    def get_image(self, image_id: str) -> NodeImage:
        """The image with this id, detailed.

        :raises BaseHTTPError: with code 404 when there is no such image.
        :raises ValueError: for an empty id, ``.`` or ``..``, before any request.
        """
        image_id = id_of(image_id, "image_id")
        response = self.connection.request(f"{self.connection.images_path}/{segment(image_id)}")
        try:
            return self.dialect.read_image(response.object, self, response.status)
        except MAPPING_ERRORS as error:
            raise InvalidResponseError(
                f"the image is not understood ({type(error).__name__})", response.status, ""
            ) from None

    @scrubs_errors
    def delete_image(self, node_image: NodeImage) -> bool:
        """Delete an image (a NodeImage, or its id). True when the server answers 204.

        :raises BaseHTTPError: 404 for no such image, 403 for a protected image
            or one that is not yours. When an earlier try may have reached the server
            (its answer was lost, it timed out, or a 5xx came back) and a retry finds
            the image gone, the image counts as deleted; after a rate limit (the server
            did nothing) a 404 is a 404.
        :raises ValueError: for an empty id, ``.`` or ``..``, before any request.
        """
        image_id = id_of(node_image, "node_image")
        connection = self.connection
        try:
            response = connection.request(f"{connection.images_path}/{segment(image_id)}", method="DELETE")
        except BaseHTTPError as error:
            if error.code == 404 and connection.attempts > 1 and connection.may_have_acted:
                return True  # an earlier try deleted it; its answer was lost
            raise
        return int(response.status) == 204

    # -- making images -------------------------------------------------------

    @scrubs_errors
    def create_image(  # type: ignore[override]  # libcloud's annotation says a list
        self,
        node: Node | str,
        name: str,
        description: str | None = None,
        ex_metadata: Mapping[str, str] | None = None,
    ) -> NodeImage:
        """Snapshot a server (the ``createImage`` server action) and return the new image.

        The image is usually ``SAVING`` at first; :meth:`ex_wait_for_image` waits for it.

        :param node: The server: a libcloud Node or its id.
        :param name: The new image's name.
        :param description: Kept as ``metadata["description"]`` (the API has no field for it).
        :param ex_metadata: Metadata for the image, strings to strings.
        :raises ValueError: for a bad argument, before any request.
        :raises BaseHTTPError: 404 for no such server, 409 when the server is busy.
        """
        if not self.dialect.creates_images:
            raise NotImplementedError(
                f"create_image is a compute API action: the {self.dialect.value} dialect has none"
                " (use the openstack or rackspace dialect)"
            )
        server_id = id_of(node, "node", Node)
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        body = {"createImage": {"name": name, "metadata": metadata(ex_metadata, description)}}
        # A POST is retried only where the server did nothing (a rate limit, no connection).
        response = self.connection.request(
            f"/servers/{segment(server_id)}/action", method="POST", data=json.dumps(body)
        )
        location = response.headers.get("location")
        if not location:
            raise InvalidResponseError("createImage answered without a Location header", response.status, response.body)
        image_id = unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])
        if not image_id.strip() or image_id in (".", ".."):
            raise InvalidResponseError("createImage answered with a Location without an image id", 202, location)
        return self.get_image(image_id)

    @scrubs_errors
    def ex_wait_for_image(
        self,
        image: NodeImage | str,
        state: ImageState | str = ImageState.ACTIVE,
        timeout: float = 600,
        interval: float = 5,
        callback: Callable[[int], Any] | None = None,
    ) -> NodeImage:
        """Poll an image until it reaches ``state`` and return it.

        :param image: A NodeImage or an image id.
        :param state: The state to wait for (``ACTIVE`` by default).
        :param timeout: Seconds to wait at most.
        :param interval: Seconds between polls.
        :param callback: Called with each new ``progress`` value (0-100) as it changes.
        :raises ImageWaitError: when the image turns ERROR or DELETED (unless that is
            the state waited for), or disappears (404).
        :raises ImageWaitTimeout: when ``timeout`` runs out first.
        """
        image_id = id_of(image, "image")
        wanted = wanted_state(state)
        limit = seconds("timeout", timeout)
        pause = seconds("interval", interval)
        return poll_image(self.get_image, image_id, wanted, limit, pause, callback)

    # -- retention -----------------------------------------------------------

    def ex_plan_prune(
        self,
        keep: int | None = None,
        older_than: Any = None,
        per: str | None = "server",
        ex_filters: Mapping[str, Any] | None = None,
        exclude_metadata: Mapping[str, str] | None = None,
        now: datetime | None = None,
        ex_nodes: Sequence[Node] | None = None,
    ) -> list[PruneDecision]:
        """Which snapshots a prune keeps and deletes, changing nothing: one
        :class:`PruneDecision` per snapshot considered (see :doc:`retention`).

        :param keep: Keep the newest ``keep`` of each server's snapshots (of all with ``per=None``).
        :param older_than: Delete only those created before: a ``timedelta``, a ``datetime``,
            ``"30d"``, ``"12h"`` (s, m, h, d, w) or an ISO date. With ``keep``, both must agree.
        :param ex_filters: Narrows what is considered, as in :meth:`list_images` (here
            ``server`` may also be a list of servers).
        :param exclude_metadata: Always keep snapshots with any of these metadata pairs.
        :param now: What ``older_than`` counts back from (default: now).
        :param ex_nodes: The servers (default :meth:`list_nodes`; required in the glance dialect).
        :raises ValueError: with no rule, ``keep`` below 1 or a bad argument, before any request.
        """
        return plan_prune(self, keep, older_than, per, ex_filters, exclude_metadata, now, ex_nodes)

    def ex_apply_prune(
        self,
        plan: Sequence[PruneDecision],
        on_progress: Callable[[int, int, PruneResult], Any] | None = None,
    ) -> list[PruneResult]:
        """Delete a plan's ``"delete"`` decisions, continuing past failures: one
        :class:`PruneResult` per decision (``deleted``, ``gone``, ``skipped``, ``failed``).
        Each image is looked at again right before its delete (see :doc:`retention`).

        :param on_progress: Called after each delete decision with (done, total, result).
        """
        return apply_prune(self, plan, on_progress)
