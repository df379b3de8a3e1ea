"""Serving the emulator on 127.0.0.1: :class:`LocalCloud`, :func:`local_cloud`, :func:`serve`.

A :class:`LocalCloud` puts the pieces together (the store, its seed, identity, faults and the
WSGI app) and serves them with ``http_server`` in a daemon thread.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TextIO, TypeVar

from .app import EmulatorApp
from .faults import Faults
from .http_server import WSGIServer
from .identity import Credentials, Identity
from .profiles import get_profile
from .seed import OTHER_TENANT, seed_demo_data, seed_prune_history
from .store import Store

DEFAULT_SAVING_SECONDS = 3.0
#: The second project, the one images are shared with (it owns the seed's "other-tenant-secret").
MEMBER_ACCOUNT = Credentials(
    username="alt",
    api_key="alt-api-key",
    password="alt-password",
    tenant_id=OTHER_TENANT,
    project_name="alt",
    user_id="10002",
)

_Cloud = TypeVar("_Cloud", bound="LocalCloud")


class LocalCloud:
    """A local cloud on 127.0.0.1: the store, the faults and the HTTP server, started on demand.

    :param dialect: ``"rackspace"`` (``/v2/{tenant}``, documented filters), ``"openstack"``
        (``/v2.1``, upstream Nova's quirks and microversions, and Glance v2 at ``/v2/images``) or
        ``"glance"`` (the same cloud; :attr:`driver_kwargs` then choose the glance dialect).
    :param state: a sqlite file (kept across restarts) or None / ``":memory:"``.
    :param port: 0 picks a free port (kept when the same object is restarted).
    :param seed: fill an empty store with the demo data (a file that holds anything, or was
        seeded before, is left as it is).
    :param history: also add 60 nights of snapshots of three servers, for trying a prune
        (:func:`.seed.seed_prune_history`; left out of a store that has them already).
    :param saving_seconds: how long a new snapshot stays SAVING.
    :param max_limit: the largest page of a list call.
    :param token_lifetime: seconds a token stays valid.
    :param member: the second project's account (default: user ``alt``, tenant ``654321``), the
        one images are shared with.
    :param faults: the faults object to use (a new one, seeded with ``fault_seed``, when None).
    :param verbose: log each request to stderr.
    """

    def __init__(
        self,
        dialect: str = "rackspace",
        state: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: bool = True,
        history: bool = False,
        saving_seconds: float = DEFAULT_SAVING_SECONDS,
        max_limit: int = 1000,
        token_lifetime: float = 3600.0,
        username: str = "demo",
        api_key: str = "demo-api-key",
        password: str = "demo-password",
        tenant_id: str = "123456",
        project_name: str = "demo",
        member: Credentials = MEMBER_ACCOUNT,
        faults: Faults | None = None,
        fault_seed: int = 0,
        verbose: bool = False,
    ) -> None:
        self.dialect = get_profile(dialect).name
        self.host = host
        self.port = port
        self.verbose = verbose
        self.store = Store(state or ":memory:")
        if seed:
            self.store.seed_once(seed_demo_data)
        if history:
            seed_prune_history(self.store)
        self.faults = faults if faults is not None else Faults(seed=fault_seed)
        credentials = Credentials(
            username=username,
            api_key=api_key,
            password=password,
            tenant_id=tenant_id,
            project_name=project_name,
        )
        self.identity = Identity(credentials, token_lifetime=token_lifetime, others=(member,))
        self.app = EmulatorApp(
            self.store,
            self.dialect,
            self.faults,
            identity=self.identity,
            max_limit=max_limit,
            saving_seconds=saving_seconds,
        )
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- account ------------------------------------------------------------------------------

    @property
    def username(self) -> str:
        return self.identity.credentials.username

    @property
    def api_key(self) -> str:
        return self.identity.credentials.api_key

    @property
    def password(self) -> str:
        return self.identity.credentials.password

    @property
    def tenant_id(self) -> str:
        return self.identity.credentials.tenant_id

    @property
    def project_name(self) -> str:
        return self.identity.credentials.project_name

    @property
    def url(self) -> str:
        """The root URL, e.g. ``http://127.0.0.1:8774`` (identity lives under it)."""
        return f"http://{self.host}:{self.port}"

    @property
    def compute_url(self) -> str:
        """The compute endpoint the catalog names."""
        return self.app.profile.compute_url(self.url, self.tenant_id)

    @property
    def image_url(self) -> str:
        """The catalog's ``image`` endpoint: Glance v2 answers under ``/v2/images`` (in the
        rackspace dialect, Cloud Images at ``{url}/v2``)."""
        return self.app.profile.image_url(self.url)

    @property
    def saving_seconds(self) -> float:
        """How long new snapshots stay SAVING (may be changed while running)."""
        return self.app.saving_seconds

    @saving_seconds.setter
    def saving_seconds(self, seconds: float) -> None:
        self.app.saving_seconds = seconds

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted since the last start (keep-alive reuses one)."""
        return self._server.connections_opened if self._server else 0

    @property
    def driver_kwargs(self) -> dict[str, Any]:
        """Constructor arguments that point the rackimg driver at this cloud."""
        return self._driver_kwargs(self.identity.credentials)

    @property
    def member_driver_kwargs(self) -> dict[str, Any]:
        """Constructor arguments for the second project (by default user ``alt``, tenant
        ``654321``), the one images are shared with: it accepts or rejects a share."""
        return self._driver_kwargs(self.identity.accounts[1])

    def _driver_kwargs(self, account: Credentials) -> dict[str, Any]:
        if self.dialect == "rackspace":
            return {
                "key": account.username,
                "secret": account.api_key,
                "ex_force_auth_url": self.url,
                "ex_force_auth_version": "2.0_apikey",
                "region": "dfw",
                "ex_dialect": "rackspace",
            }
        return {
            "key": account.username,
            "secret": account.password,
            "ex_force_auth_url": self.url,
            "ex_force_auth_version": "3.x_password",
            "ex_tenant_name": account.project_name,
            "ex_domain_name": account.domain_name,
            "ex_force_service_region": "RegionOne",
            "ex_dialect": "glance" if self.dialect == "glance" else "openstack",
        }

    # -- running ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> LocalCloud:
        """Start serving in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._server = WSGIServer((self.host, self.port), self.app, self.verbose)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"rackimg-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (the store stays open: :meth:`start` again serves the same state)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def close(self) -> None:
        """Stop serving and close the store."""
        self.stop()
        self.store.close()

    def __enter__(self: _Cloud) -> _Cloud:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalCloud {self.dialect} {self.url} {state} state={self.store.path!r}>"


@contextmanager
def local_cloud(
    dialect: str = "rackspace",
    state: str | None = None,
    port: int = 0,
    seed: bool = True,
    saving_seconds: float = DEFAULT_SAVING_SECONDS,
    max_limit: int = 1000,
    **kwargs: Any,
) -> Iterator[LocalCloud]:
    """A started :class:`LocalCloud` for the duration of a ``with`` block (other keyword
    arguments go to :class:`LocalCloud`)."""
    cloud = LocalCloud(
        dialect,
        state,
        port=port,
        seed=seed,
        saving_seconds=saving_seconds,
        max_limit=max_limit,
        **kwargs,
    )
    with cloud:
        yield cloud


def serve(
    host: str = "127.0.0.1",
    port: int = 8774,
    state: str | None = None,
    dialect: str = "rackspace",
    out: TextIO | None = None,
    **kwargs: Any,
) -> None:
    """Run a local cloud in the foreground until Ctrl-C, printing where it is and how to log in."""
    out = out or sys.stdout
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    # A handler, not KeyboardInterrupt: Ctrl-C (or SIGTERM) then stops cleanly wherever the
    # main thread happens to be, even before the banner is out.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _serve_until(stopping, dialect, state, host, port, out, kwargs)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve_until(
    stopping: threading.Event,
    dialect: str,
    state: str | None,
    host: str,
    port: int,
    out: TextIO,
    kwargs: dict[str, Any],
) -> None:
    with LocalCloud(dialect, state, host=host, port=port, **kwargs) as cloud:
        print(f"rackimg emulator ({cloud.dialect}) listening on {cloud.url}", file=out)
        print(f"  compute endpoint: {cloud.compute_url}", file=out)
        print(f"  image endpoint: {cloud.image_url} (Glance v2: /v2/images)", file=out)
        print(f"  state: {cloud.store.path}", file=out)
        for key, value in cloud.driver_kwargs.items():
            print(f"  {key} = {value}", file=out)
        print("Press Ctrl-C to stop.", file=out, flush=True)
        while not stopping.wait(0.2):
            pass
        print("stopping", file=out, flush=True)
