"""The local cloud's HTTP face: a plain WSGI application.

Routes, for a reader (the table itself is ``routes``; ``{c}`` is the compute prefix:
``/v2/{tenant}`` for rackspace, ``/v2.1/{project}`` or ``/v2.1`` for openstack)::

    POST   /v2.0/tokens                    Keystone v2 / Rackspace identity (API key or password)
    POST   /v3/auth/tokens                 Keystone v3 password auth (token in X-Subject-Token)
    GET    {c}/images  {c}/images/detail   list, with filters and paging
    GET    {c}/images/{id}                 one image
    DELETE {c}/images/{id}                 delete (204)
    GET    {c}/servers  {c}/servers/detail  {c}/servers/{id}
    POST   {c}/servers/{id}/action         {"createImage": {"name", "metadata"}} -> 202 + Location
    GET|PUT|POST {c}/images/{id}/metadata, GET|PUT|DELETE .../metadata/{key}   Nova's metadata proxy
    GET    /v2/images                      Glance v2 list (Cloud Images in rackspace)
    GET    /v2/images/{id}                 Glance v2 image
    PATCH  /v2/images/{id}                 Glance v2 JSON patch (200, the image)
    DELETE /v2/images/{id}                 Glance v2 delete (204)
    GET|POST /v2/images/{id}/members, GET|PUT|DELETE .../members/{member}       sharing
    PUT|DELETE /v2/images/{id}/tags/{tag}, POST .../actions/deactivate|reactivate
    GET|POST|DELETE /_emulator/faults      read / merge / clear faults (see ``faults``)
    POST   /_emulator/reset                reseed the store ({"seed": false} leaves it empty)

The app finds the row, applies the faults (``answers.with_faults``: to compute and Glance
requests, to identity requests only when asked, never to ``/_emulator``) and lets the row's API
answer. It knows nothing of sqlite (the APIs call :class:`Store`) nor of sockets (the server
adapts it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Protocol

from .admin_api import AdminAPI
from .answers import NOT_FOUND, nova_fault, with_faults
from .compute_api import ComputeAPI
from .faults import DropConnection, Faults
from .glance_api import GlanceAPI
from .glance_listing import DEFAULT_LIMIT as GLANCE_DEFAULT_LIMIT
from .identity import Identity
from .identity_api import IdentityAPI
from .profiles import CloudProfile, get_profile
from .routes import ADMIN, COMPUTE, GLANCE, IDENTITY, find_route
from .seed import seed_demo_data
from .store import Store
from .wsgi import REASONS, Request, Response, StartResponse


class _API(Protocol):
    def answer(self, request: Request, call: Callable[[Any], Response]) -> Response:
        """Authenticate ``request``, then answer it with ``call`` (the row's handler)."""


class EmulatorApp:
    """The WSGI application of the local cloud.

    :param store: the state.
    :param dialect: ``"rackspace"``, ``"openstack"`` or ``"glance"`` (or a :class:`CloudProfile`).
    :param faults: the faults to inject (a fresh, empty :class:`Faults` when None).
    :param identity: the account and its tokens (default credentials when None).
    :param max_limit: the largest page the list calls return.
    :param glance_default_limit: the page size of ``GET /v2/images`` without ``limit``.
    :param saving_seconds: how long a new snapshot stays SAVING.
    :param reseed: fills the store on ``POST /_emulator/reset``.
    """

    def __init__(
        self,
        store: Store,
        dialect: str | CloudProfile = "rackspace",
        faults: Faults | None = None,
        *,
        identity: Identity | None = None,
        max_limit: int = 1000,
        glance_default_limit: int = GLANCE_DEFAULT_LIMIT,
        saving_seconds: float = 3.0,
        reseed: Callable[[Store], None] = seed_demo_data,
    ) -> None:
        self.store = store
        self.profile = get_profile(dialect)
        self.faults = faults if faults is not None else Faults()
        self.identity = identity or Identity()
        self.compute = ComputeAPI(
            store, self.identity, self.faults, self.profile, max_limit=max_limit, saving_seconds=saving_seconds
        )
        self._apis: dict[str, _API] = {
            ADMIN: AdminAPI(store, self.faults, reseed),
            IDENTITY: IdentityAPI(self.identity, self.profile, clock=store.now),
            GLANCE: GlanceAPI(
                store, self.identity, self.faults, max_limit=max_limit, default_limit=glance_default_limit
            ),
            COMPUTE: self.compute,
        }

    @property
    def saving_seconds(self) -> float:
        """How long a new snapshot stays SAVING (may be changed while serving)."""
        return self.compute.saving_seconds

    @saving_seconds.setter
    def saving_seconds(self, seconds: float) -> None:
        self.compute.saving_seconds = seconds

    def __call__(self, environ: Mapping[str, Any], start_response: StartResponse) -> list[bytes]:
        request = Request.from_environ(environ)
        try:
            response = self.handle(request)
        except DropConnection:
            raise
        except Exception as exc:  # answer like a server rather than kill a thread
            response = nova_fault(500, f"The emulator failed: {exc!r}")
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} {REASONS.get(response.status, 'Unknown')}", headers)
        return [response.body]

    def handle(self, request: Request) -> Response:
        """Answer one request (raises :class:`DropConnection` for a dropped connection)."""
        found = find_route(request, self.profile)
        if found is None:
            return nova_fault(404, NOT_FOUND)
        api = self._apis[found.api]
        call = partial(found.route.handler, api, **found.values)
        if found.api == ADMIN:
            return api.answer(request, call)
        plan = self.faults.plan(identity=found.api == IDENTITY)
        return with_faults(plan, lambda: api.answer(request, call))
