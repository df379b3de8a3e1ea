"""The local cloud's HTTP face: a plain WSGI application.

Routes (``{c}`` is the compute prefix: ``/v2/{tenant}`` for rackspace, ``/v2.1/{project}`` or
``/v2.1`` for openstack)::

    POST   /v2.0/tokens                    Keystone v2 / Rackspace identity (API key or password)
    POST   /v3/auth/tokens                 Keystone v3 password auth (token in X-Subject-Token)
    GET    {c}/images  {c}/images/detail   list, with filters and paging
    GET    {c}/images/{id}                 one image
    DELETE {c}/images/{id}                 delete (204)
    GET    {c}/servers  {c}/servers/detail  {c}/servers/{id}
    POST   {c}/servers/{id}/action         {"createImage": {"name", "metadata"}} -> 202 + Location
    GET    /v2/images                      Glance v2 list (openstack and glance dialects; see ``glance``)
    GET    /v2/images/{id}                 Glance v2 image
    DELETE /v2/images/{id}                 Glance v2 delete (204)
    GET|POST|DELETE /_emulator/faults      read / merge / clear faults (see ``faults``)
    POST   /_emulator/reset                reseed the store ({"seed": false} leaves it empty)

It knows nothing of sqlite (it calls :class:`Store`) nor of sockets (the server adapts it).
Faults apply to compute and Glance routes, to identity routes only when asked, never to
``/_emulator``. Glance answers errors as real Glance does: HTML pages, not JSON.
"""

from __future__ import annotations

import html
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .dialects import LAST_IMAGES_MICROVERSION, Dialect, MicroversionError, get_dialect
from .faults import DropConnection, FaultPlan, Faults
from .glance import DEFAULT_LIMIT as GLANCE_DEFAULT_LIMIT
from .glance import GlanceQuery, glance_page
from .identity import Identity, Token
from .listing import BadQuery, ImageQuery, select_page
from .seed import seed_demo_data
from .store import (
    ImageNotFound,
    ImageNotOwned,
    ImageNotVisible,
    ImageProtected,
    ImageRecord,
    ServerNotFound,
    SnapshotInProgress,
    Store,
)
from .views import Links, glance_image, image_detail, image_summary, server_detail, server_summary

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

_REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 409: "Conflict", 413: "Request Entity Too Large",
    429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}  # fmt: skip

_FAULT_NAMES = {
    400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
    405: "badMethod", 406: "notAcceptable", 409: "conflictingRequest", 413: "overLimit",
    429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable",
}  # fmt: skip

_AUTH_REQUIRED = "The request you have made requires authentication."
_MAX_NAME_LENGTH = 255
# createImage answers with a JSON body instead of a Location header from this microversion on.
_CREATE_IMAGE_BODY_MICROVERSION = (2, 45)


@dataclass
class Response:
    """An answer before it becomes WSGI."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, json.dumps(payload).encode(), [("Content-Type", "application/json"), *headers])


def fault(status: int, message: str, **extra: Any) -> Response:
    """The error body Nova and Rackspace use: ``{"<faultName>": {"code", "message"}}``."""
    name = _FAULT_NAMES.get(status, "computeFault")
    return json_response(status, {name: {"code": status, "message": message, **extra}})


def glance_fault(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """The error page Glance (webob) answers with: HTML, the message escaped."""
    title = f"{status} {_REASONS.get(status, 'Error')}"
    page = (
        f"<html>\n <head>\n  <title>{title}</title>\n </head>\n <body>\n  <h1>{title}</h1>\n"
        f"  {html.escape(message)}<br /><br />\n\n\n\n </body>\n</html>"
    )
    return Response(status, page.encode(), [("Content-Type", "text/html; charset=UTF-8"), *headers])


@dataclass(frozen=True)
class Request:
    """What the handlers need of a WSGI request."""

    method: str
    path: str
    query: dict[str, str]
    raw_query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    root: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Request:
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        host = headers.get("host") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        raw_query = parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=str(environ.get("PATH_INFO", "/")) or "/",
            query=dict(raw_query),
            raw_query=raw_query,
            headers=headers,
            body=body,
            root=f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
        )

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))


@dataclass(frozen=True)
class ComputeContext:
    """A compute request once authenticated."""

    request: Request
    tenant: str
    links: Links
    microversion: tuple[int, int] | None


class EmulatorApp:
    """The WSGI application of the local cloud.

    :param store: the state.
    :param dialect: ``"rackspace"``, ``"openstack"`` or ``"glance"`` (or a :class:`Dialect`).
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
        dialect: str | Dialect = "rackspace",
        faults: Faults | None = None,
        *,
        identity: Identity | None = None,
        max_limit: int = 1000,
        glance_default_limit: int = GLANCE_DEFAULT_LIMIT,
        saving_seconds: float = 3.0,
        reseed: Callable[[Store], None] = seed_demo_data,
    ) -> None:
        self.store = store
        self.dialect = get_dialect(dialect)
        self.faults = faults if faults is not None else Faults()
        self.identity = identity or Identity()
        self.max_limit = max_limit
        self.glance_default_limit = glance_default_limit
        self.saving_seconds = saving_seconds
        self._reseed = reseed

    def __call__(self, environ: Mapping[str, Any], start_response: StartResponse) -> list[bytes]:
        request = Request.from_environ(environ)
        try:
            response = self.handle(request)
        except DropConnection:
            raise
        except Exception as exc:  # answer like a server rather than kill a thread
            response = fault(500, f"The emulator failed: {exc!r}")
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} {_REASONS.get(response.status, 'Unknown')}", headers)
        return [response.body]

    # -- routing --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request (raises :class:`DropConnection` for a dropped connection)."""
        parts = [part for part in request.path.split("/") if part]
        if parts[:1] == ["_emulator"]:
            return self._admin(request, parts[1:])
        if parts in (["v2.0", "tokens"], ["v3", "auth", "tokens"]):
            return self._with_faults(request, self.faults.plan(identity=True), self._identity)
        if self.dialect.serves_glance and parts[:2] == ["v2", "images"]:

            def image_service(req: Request) -> Response:
                return self._glance(req, parts[2:])

            return self._with_faults(request, self.faults.plan(identity=False), image_service)
        located = self._locate_compute(parts)
        if located is None:
            return fault(404, "The resource could not be found.")
        prefix, tenant, rest = located

        def compute(req: Request) -> Response:
            return self._compute(req, prefix, tenant, rest)

        return self._with_faults(request, self.faults.plan(identity=False), compute)

    def _locate_compute(self, parts: list[str]) -> tuple[str, str | None, list[str]] | None:
        """Split a compute path into (prefix, tenant in the URL or None, the rest)."""
        if not parts or parts[0] != self.dialect.version_segment:
            return None
        if self.dialect.project_optional and (len(parts) == 1 or parts[1] in ("images", "servers")):
            return f"/{parts[0]}", None, parts[1:]
        if len(parts) < 2:
            return None
        return f"/{parts[0]}/{parts[1]}", parts[1], parts[2:]

    def _with_faults(self, request: Request, plan: FaultPlan, handler: Callable[[Request], Response]) -> Response:
        if plan.delay:
            time.sleep(plan.delay)
        if plan.drop:
            raise DropConnection()
        if plan.rate_limit is not None:
            retry_after = plan.rate_limit.retry_after
            response = fault(
                plan.rate_limit.status,
                "This request was rate-limited.",
                retryAfter=str(retry_after),
            )
            response.headers.append(("Retry-After", str(retry_after)))
            return response
        if plan.error_status is not None:
            return fault(plan.error_status, "Injected fault: the server failed.")
        bad_body = plan.bad_body
        if bad_body is not None and bad_body.kind == "html":
            status = bad_body.status or 200
            page = (
                f"<html><head><title>{status} {_REASONS.get(status, '')}</title></head>"
                f"<body><h1>{_REASONS.get(status, 'Error')}</h1>"
                "<p>The proxy answered in HTML.</p></body></html>"
            )
            return Response(status, page.encode(), [("Content-Type", "text/html")])
        response = handler(request)
        if bad_body is not None:  # truncated
            response.body = response.body[: len(response.body) // 2]
            if bad_body.status is not None:
                response.status = bad_body.status
        return response

    # -- admin ----------------------------------------------------------------------------------

    def _admin(self, request: Request, parts: list[str]) -> Response:
        if parts == ["faults"]:
            if request.method == "GET":
                return json_response(200, self.faults.to_dict())
            if request.method == "DELETE":
                self.faults.clear()
                return json_response(200, self.faults.to_dict())
            if request.method == "POST":
                try:
                    spec = request.json()
                except ValueError:
                    return fault(400, "The faults body must be JSON.")
                if not isinstance(spec, dict):
                    return fault(400, "The faults body must be a JSON object.")
                try:
                    self.faults.configure(spec)
                except ValueError as exc:
                    return fault(400, str(exc))
                return json_response(200, self.faults.to_dict())
            return fault(405, "Use GET, POST or DELETE.")
        if parts == ["reset"]:
            if request.method != "POST":
                return fault(405, "Use POST.")
            try:
                options = request.json() if request.body else {}
            except ValueError:
                return fault(400, "The reset body must be JSON.")
            seeded = bool(options.get("seed", True)) if isinstance(options, dict) else True
            if seeded:
                self._reseed(self.store)
            else:
                self.store.reset()
            return json_response(200, {"reset": True, "seeded": seeded})
        return fault(404, "The resource could not be found.")

    # -- identity -------------------------------------------------------------------------------

    def _identity(self, request: Request) -> Response:
        if request.method != "POST":
            return fault(405, "Use POST.")
        try:
            body = request.json()
            auth = body["auth"]
            if not isinstance(auth, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return fault(400, "Expecting to find auth in the request body.")
        if request.path.rstrip("/").endswith("/v2.0/tokens"):
            return self._tokens_v2(request, auth)
        return self._tokens_v3(request, auth)

    def _tokens_v2(self, request: Request, auth: dict[str, Any]) -> Response:
        creds = self.identity.credentials
        api_key = auth.get("RAX-KSKEY:apiKeyCredentials")
        password = auth.get("passwordCredentials")
        if isinstance(api_key, dict):
            method = "APIKEY"
            ok = self.identity.check_api_key(str(api_key.get("username", "")), str(api_key.get("apiKey", "")))
        elif isinstance(password, dict):
            method = "PASSWORD"
            ok = self.identity.check_password(str(password.get("username", "")), str(password.get("password", "")))
        else:
            return fault(400, "Expecting apiKeyCredentials or passwordCredentials.")
        tenant = auth.get("tenantName") or auth.get("tenantId")
        if ok and tenant is not None and not self.identity.knows_tenant(str(tenant)):
            ok = False
        if not ok:
            return fault(401, "Unable to authenticate user with credentials provided.")
        token = self.identity.issue()
        tenant_name = creds.tenant_id if self.dialect.name == "rackspace" else creds.project_name
        catalog = []
        for service in self.dialect.catalog(request.root, creds.tenant_id):
            endpoints = []
            for region in service["regions"]:
                endpoint = {
                    "region": region,
                    "tenantId": creds.tenant_id,
                    "publicURL": service["url"],
                }
                if "version" in service:
                    endpoint.update(
                        versionId=service["version"],
                        versionInfo=service["url"].rsplit("/", 1)[0],
                        versionList=request.root + "/",
                    )
                endpoints.append(endpoint)
            catalog.append({"name": service["name"], "type": service["type"], "endpoints": endpoints})
        access = {
            "token": {
                "id": token.id,
                "expires": _iso_millis(token.expires),
                "tenant": {"id": creds.tenant_id, "name": tenant_name},
                "RAX-AUTH:authenticatedBy": [method],
            },
            "serviceCatalog": catalog,
            "user": {
                "id": creds.user_id,
                "name": creds.username,
                "roles": [{"id": "3", "name": "identity:user-admin"}],
                "RAX-AUTH:defaultRegion": self.dialect.region_names[0],
            },
        }
        return json_response(200, {"access": access})

    def _tokens_v3(self, request: Request, auth: dict[str, Any]) -> Response:
        creds = self.identity.credentials
        unauthorized = json_response(401, {"error": {"code": 401, "message": _AUTH_REQUIRED, "title": "Unauthorized"}})
        identity = auth.get("identity")
        if not isinstance(identity, dict) or "password" not in (identity.get("methods") or []):
            return fault(400, "Expecting the password method in auth.identity.methods.")
        user = (identity.get("password") or {}).get("user") or {}
        if not isinstance(user, dict):
            return fault(400, "Expecting auth.identity.password.user to be an object.")
        if "id" in user:
            user_ok = user["id"] == creds.user_id
        else:
            user_ok = user.get("name") == creds.username and self.identity.knows_domain(user.get("domain"))
        password_ok = self.identity.check_password(creds.username, str(user.get("password")))
        if not (user_ok and password_ok):
            return unauthorized
        scope = auth.get("scope")
        project = scope.get("project") if isinstance(scope, dict) else None
        if isinstance(project, dict):
            if "id" in project:
                project_ok = project["id"] == creds.tenant_id
            else:
                project_ok = project.get("name") == creds.project_name and (
                    self.identity.knows_domain(project.get("domain"))
                )
            if not project_ok:
                return unauthorized
        token = self.identity.issue(scoped=isinstance(project, dict))
        domain = {"id": creds.domain_id, "name": creds.domain_name}
        body: dict[str, Any] = {
            "methods": ["password"],
            "expires_at": _iso_micros(token.expires),
            "issued_at": _iso_micros(self.store.now()),
            "user": {"id": creds.user_id, "name": creds.username, "domain": domain},
            "audit_ids": [uuid.uuid4().hex[:22]],
        }
        if token.tenant_id is not None:
            body["project"] = {"id": creds.tenant_id, "name": creds.project_name, "domain": domain}
            body["roles"] = [{"id": "3", "name": "member"}]
            body["catalog"] = [
                {
                    "id": uuid.uuid5(uuid.NAMESPACE_URL, service["name"]).hex,
                    "type": service["type"],
                    "name": service["name"],
                    "endpoints": [
                        {
                            "id": uuid.uuid5(uuid.NAMESPACE_URL, service["name"] + region).hex,
                            "interface": "public",
                            "region": region,
                            "region_id": region,
                            "url": service["url"],
                        }
                        for region in service["regions"]
                    ],
                }
                for service in self.dialect.catalog(request.root, creds.tenant_id)
            ]
        return json_response(201, {"token": body}, [("X-Subject-Token", token.id)])

    # -- compute --------------------------------------------------------------------------------

    def _compute(self, request: Request, prefix: str, url_tenant: str | None, rest: list[str]) -> Response:
        token = self.identity.validate(request.headers.get("x-auth-token"))
        if token is None or token.tenant_id is None:
            return fault(401, _AUTH_REQUIRED)
        if self.faults.token_expired_by_use(token.id):
            self.identity.revoke(token.id)
            return fault(401, _AUTH_REQUIRED)
        denied = self._check_tenant(token, url_tenant)
        if denied is not None:
            return denied
        try:
            version = self.dialect.microversion(request.headers)
        except MicroversionError as exc:
            return fault(exc.status, str(exc))
        context = ComputeContext(request, token.tenant_id, Links(request.root, prefix), version)
        if rest[:1] == ["images"] and version is not None and version > LAST_IMAGES_MICROVERSION:
            response = fault(404, "The resource could not be found.")
        else:
            response = self._route_compute(context, rest)
        if version is not None:
            text = f"{version[0]}.{version[1]}"
            response.headers += [
                ("X-OpenStack-Nova-API-Version", text),
                ("OpenStack-API-Version", f"compute {text}"),
                ("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
            ]
        response.headers.append(("X-Compute-Request-Id", f"req-{uuid.uuid4()}"))
        return response

    def _check_tenant(self, token: Token, url_tenant: str | None) -> Response | None:
        if url_tenant is None or url_tenant == token.tenant_id:
            return None
        if self.dialect.upstream_nova:
            return fault(
                400,
                f"Malformed request URL: URL's project_id '{url_tenant}' doesn't match "
                f"Context's project_id '{token.tenant_id}'",
            )
        return fault(401, _AUTH_REQUIRED)

    def _route_compute(self, ctx: ComputeContext, rest: list[str]) -> Response:
        method = ctx.request.method
        if rest in (["images"], ["images", "detail"]):
            if method != "GET":
                return fault(405, "The method specified is not allowed for this resource.")
            return self._list_images(ctx, detailed=len(rest) == 2)
        if len(rest) == 2 and rest[0] == "images":
            if method == "GET":
                return self._get_image(ctx, rest[1])
            if method == "DELETE":
                return self._delete_image(ctx, rest[1])
            return fault(405, "The method specified is not allowed for this resource.")
        if rest in (["servers"], ["servers", "detail"]) and method == "GET":
            view = server_detail if len(rest) == 2 else server_summary
            servers = self.store.list_servers(ctx.tenant)
            return json_response(200, {"servers": [view(s, ctx.links) for s in servers]})
        if len(rest) == 2 and rest[0] == "servers" and method == "GET":
            try:
                server = self.store.get_server(ctx.tenant, rest[1])
            except ServerNotFound:
                return fault(404, f"Instance {rest[1]} could not be found.")
            return json_response(200, {"server": server_detail(server, ctx.links)})
        if len(rest) == 3 and rest[0] == "servers" and rest[2] == "action" and method == "POST":
            return self._server_action(ctx, rest[1])
        return fault(404, "The resource could not be found.")

    def _list_images(self, ctx: ComputeContext, detailed: bool) -> Response:
        try:
            query = ImageQuery.from_params(ctx.request.query)
            images = self.store.iter_images(ctx.tenant, after=query.marker)
            page = select_page(images, query, self.dialect, self.max_limit)
        except BadQuery as exc:
            return fault(400, str(exc))
        except ImageNotVisible:
            if self.dialect.upstream_nova:  # Glance's 403, passed through by Nova
                return fault(403, f"HTTP 403 Forbidden: Forbidding request, image {query.marker} not visible")
            return fault(400, f"marker [{query.marker}] not found")
        except ImageNotFound:
            if self.dialect.upstream_nova:  # Glance's 400, passed through by Nova
                return fault(400, f"HTTP 400 Bad Request: No image found with ID {query.marker}")
            return fault(400, f"marker [{query.marker}] not found")
        if detailed:
            body: dict[str, Any] = {"images": [self._image_detail(record, ctx) for record in page.images]}
        else:
            body = {"images": [image_summary(record, ctx.links) for record in page.images]}
        if page.next_marker is not None:
            params = [(k, v) for k, v in ctx.request.raw_query if k not in ("limit", "marker")]
            params += [("limit", str(page.page_size)), ("marker", page.next_marker)]
            href = f"{ctx.request.root}{ctx.request.path}?{urlencode(params)}"
            body["images_links"] = [{"rel": "next", "href": href}]
        return json_response(200, body)

    def _get_image(self, ctx: ComputeContext, image_id: str) -> Response:
        try:
            record = self.store.get_image(ctx.tenant, image_id)
        except ImageNotFound:
            return fault(404, "Image not found.")
        return json_response(200, {"image": self._image_detail(record, ctx)})

    def _image_detail(self, record: ImageRecord, ctx: ComputeContext) -> dict[str, Any]:
        return image_detail(record, ctx.links, upstream_nova=self.dialect.upstream_nova)

    def _delete_image(self, ctx: ComputeContext, image_id: str) -> Response:
        try:
            self.store.delete_image(ctx.tenant, image_id)
        except ImageNotFound:
            return fault(404, "Image not found.")
        except ImageProtected:
            return fault(403, "You are not allowed to delete the image.")
        return Response(204)

    def _server_action(self, ctx: ComputeContext, server_id: str) -> Response:
        try:
            action = ctx.request.json()
        except ValueError:
            return fault(400, "Malformed request body.")
        if not isinstance(action, dict) or "createImage" not in action:
            return fault(400, "The emulator only knows the createImage action.")
        spec = action["createImage"]
        if not isinstance(spec, dict):
            return fault(400, "Invalid input for field/attribute createImage.")
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME_LENGTH:
            return fault(400, "Invalid input for field/attribute name.")
        metadata = spec.get("metadata") or {}
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            return fault(400, "Invalid input for field/attribute metadata.")
        try:
            server = self.store.get_server(ctx.tenant, server_id)
        except ServerNotFound:
            return fault(404, f"Instance {server_id} could not be found.")
        if server.status not in ("ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED"):
            return fault(
                409,
                f"Cannot 'createImage' instance {server_id} while it is in vm_state {server.status.lower()}",
            )
        try:
            record = self.store.create_snapshot(
                ctx.tenant, server_id, name, metadata, saving_seconds=self.saving_seconds
            )
        except SnapshotInProgress:
            return fault(
                409,
                f"Cannot 'createImage' instance {server_id} while it is in task_state image_snapshot",
            )
        if ctx.microversion is not None and ctx.microversion >= _CREATE_IMAGE_BODY_MICROVERSION:
            return json_response(202, {"image_id": record.id})
        location = f"{ctx.links.root}{ctx.links.prefix}/images/{record.id}"
        return Response(202, b"", [("Location", location)])

    # -- Glance v2 ------------------------------------------------------------------------------

    def _glance(self, request: Request, rest: list[str]) -> Response:
        token = self.identity.validate(request.headers.get("x-auth-token"))
        if token is not None and self.faults.token_expired_by_use(token.id):
            self.identity.revoke(token.id)
            token = None
        if token is None or token.tenant_id is None:  # keystonemiddleware's page
            message = (
                "This server could not verify that you are authorized to access the document you requested. "
                "Either you supplied the wrong credentials (e.g., bad password), or your browser does not "
                "understand how to supply the credentials required."
            )
            return glance_fault(401, message, [("WWW-Authenticate", f'Keystone uri="{request.root}"')])
        method = request.method
        if not rest and method == "GET":
            response = self._glance_list(request, token.tenant_id)
        elif len(rest) == 1 and method == "GET":
            response = self._glance_get(token.tenant_id, rest[0])
        elif len(rest) == 1 and method == "DELETE":
            response = self._glance_delete(token.tenant_id, rest[0])
        elif len(rest) <= 1:
            response = glance_fault(405, f"The method {method} is not allowed for this resource. ")
        else:
            response = glance_fault(404, "The resource could not be found.")
        response.headers.append(("x-openstack-request-id", f"req-{uuid.uuid4()}"))
        return response

    def _glance_list(self, request: Request, tenant: str) -> Response:
        try:
            query = GlanceQuery.from_params(request.raw_query, self.max_limit, self.glance_default_limit)
            if query.marker is not None:
                self.store.get_image(tenant, query.marker)  # also with limit=0
            page = glance_page(self.store.iter_images(tenant, after=query.marker), query)
        except BadQuery as exc:
            return glance_fault(400, str(exc))
        except ImageNotVisible:
            return glance_fault(403, f"Forbidding request, image {query.marker} not visible")
        except ImageNotFound:
            return glance_fault(400, f"No image found with ID {query.marker}")
        params = [(key, value) for key, value in request.raw_query if key != "marker"]
        body: dict[str, Any] = {
            "images": [glance_image(record) for record in page.images],
            "first": "/v2/images" + (f"?{urlencode(params)}" if params else ""),
            "schema": "/v2/schemas/images",
        }
        if page.next_marker is not None:
            body["next"] = f"/v2/images?{urlencode([*params, ('marker', page.next_marker)])}"
        return json_response(200, body)

    def _glance_get(self, tenant: str, image_id: str) -> Response:
        try:
            record = self.store.get_image(tenant, image_id)
        except ImageNotFound:
            return glance_fault(404, f"No image found with ID {image_id}")
        return json_response(200, glance_image(record))

    def _glance_delete(self, tenant: str, image_id: str) -> Response:
        try:
            self.store.delete_image(tenant, image_id)
        except ImageNotFound:
            return glance_fault(404, f"Failed to find image {image_id} to delete")
        except ImageNotOwned:
            return glance_fault(403, "You are not authorized to complete delete_image action.")
        except ImageProtected:
            return glance_fault(403, f"Image {image_id} is protected and cannot be deleted.")
        return Response(204, b"", [("Content-Type", "text/html; charset=UTF-8")])


def _iso_millis(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _iso_micros(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
