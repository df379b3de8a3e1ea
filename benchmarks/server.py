"""A fixed-page images API on 127.0.0.1 for the benchmarks: it costs next to nothing.

Every answer is rendered to bytes (status line, headers and body) once, so a
request costs the server one header parse and one ``sendall``. It speaks
HTTP/1.1 with keep-alive and Content-Length, like Nova behind a proxy.

Routes:

- ``POST /v2.0/tokens``: Rackspace identity v2.0 (API key or password); the
  catalog has ``cloudServersOpenStack`` (type ``compute``) in DFW, ORD and IAD.
- ``GET /identity``, ``GET /identity/v3``, ``POST /identity/v3/auth/tokens``
  (and ``/v3/...``): Keystone v3 for openstacksdk; the catalog's ``compute``
  endpoint is ``/v2.1/<tenant>``.
- ``GET /``, ``GET /v2``, ``GET /v2.1``: Nova's version documents.
- ``GET /v2[.1]/<tenant>/images/detail?limit&marker``: pages of at most 1000
  detailed images, with an ``images_links`` next link on every full page
  (also a full last page, which is then followed by an empty one, as Nova does).
- ``GET /_stats`` and ``POST /_reset``: the counters (requests by kind, TCP
  connections that carried API requests, connections that carried image
  pages). Control requests are not counted.

Run it alone with ``python benchmarks/server.py --images 10000``; ``run.py``
starts it as a subprocess so that the server never competes with the
measured client for the GIL.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

MAX_LIMIT = 1000
TENANT = "930053"
USER = "bench"
TOKEN = "bench-token-0123456789abcdef"
REGIONS = ("DFW", "ORD", "IAD")

_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
_DISTROS = (
    ("ubuntu", "22.04", "Ubuntu 22.04 LTS (Jammy Jellyfish)"),
    ("debian", "12", "Debian 12 (Bookworm)"),
    ("centos", "9", "CentOS Stream 9"),
    ("rocky", "9", "Rocky Linux 9"),
    ("windows", "2022", "Windows Server 2022"),
    ("fedora", "39", "Fedora 39"),
)


def image_id(index: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"image-{index}"))


def image_object(index: int, base: str, prefix: str) -> dict[str, Any]:
    """Image ``index`` in Nova's detailed shape, with Rackspace-like metadata (22 keys)."""
    distro, version, label = _DISTROS[index % len(_DISTROS)]
    iid = image_id(index)
    snapshot = index % 4 == 3
    saving = index % 50 == 49
    day = 1 + index % 28
    os_type = "windows" if distro == "windows" else "linux"
    image: dict[str, Any] = {
        "id": iid,
        "name": f"{label} snapshot {index}" if snapshot else f"{label} (PVHVM) build {index}",
        "status": "SAVING" if saving else "ACTIVE",
        "progress": 50 if saving else 100,
        "created": f"2025-{1 + index % 12:02d}-{day:02d}T10:{index % 60:02d}:17Z",
        "updated": f"2025-{1 + index % 12:02d}-{day:02d}T11:{index % 60:02d}:42Z",
        "minDisk": 20 + (index % 3) * 20,
        "minRam": 512 * (1 + index % 4),
        "OS-EXT-IMG-SIZE:size": 1_073_741_824 + index * 4096,
        "OS-DCF:diskConfig": "AUTO" if index % 2 else "MANUAL",
        "metadata": {
            "image_type": "snapshot" if snapshot else "base",
            "os_type": os_type,
            "os_distro": distro,
            "os_version": version,
            "auto_disk_config": "True" if index % 2 else "False",
            "cache_in_nova": "True",
            "vm_mode": "hvm",
            "xenapi_use_agent": "true",
            "com.rackspace__1__build_core": "1",
            "com.rackspace__1__build_managed": "1",
            "com.rackspace__1__build_rackconnect": "1",
            "com.rackspace__1__options": "0",
            "com.rackspace__1__platform_target": "PublicCloud",
            "com.rackspace__1__release_build_date": f"2025-{1 + index % 12:02d}-{day:02d}_10-14-05",
            "com.rackspace__1__release_id": str(1000 + index % 900),
            "com.rackspace__1__release_version": str(index % 17),
            "com.rackspace__1__source": "kickstart",
            "com.rackspace__1__visible_core": "1",
            "com.rackspace__1__visible_managed": "1",
            "com.rackspace__1__visible_rackconnect": "1",
            "org.openstack__1__architecture": "x64",
            "org.openstack__1__os_distro": f"org.{distro}",
        },
        "links": [
            {"href": f"{base}{prefix}/{TENANT}/images/{iid}", "rel": "self"},
            {"href": f"{base}/{TENANT}/images/{iid}", "rel": "bookmark"},
            {
                "href": f"{base}/images/{iid}",
                "rel": "alternate",
                "type": "application/vnd.openstack.image",
            },
        ],
    }
    if snapshot:
        sid = str(uuid.uuid5(_NAMESPACE, f"server-{index // 8}"))
        image["server"] = {
            "id": sid,
            "links": [
                {"href": f"{base}{prefix}/{TENANT}/servers/{sid}", "rel": "self"},
                {"href": f"{base}/{TENANT}/servers/{sid}", "rel": "bookmark"},
            ],
        }
    return image


def _answer(status: int, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    reason = {200: "OK", 201: "Created", 203: "Non-Authoritative Information", 204: "No Content"}.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode("ascii") + body


def _json(status: int, body: Any, extra: str = "") -> bytes:
    return _answer(status, json.dumps(body).encode(), extra=extra)


class Catalog:
    """The fixed answers: identity, version documents and image pages."""

    def __init__(self, images: int, base: str, lazy: bool) -> None:
        self.images = images
        self.base = base
        self.lazy = lazy
        self._ids = {image_id(i): i for i in range(images)}
        # One JSON fragment per image and path prefix, unless lazy (then rendered per page).
        self._fragments: dict[str, list[bytes]] = {}
        self._pages: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()
        if not lazy:
            for prefix in ("/v2", "/v2.1"):
                self._fragments[prefix] = [json.dumps(image_object(i, base, prefix)).encode() for i in range(images)]
            # The pages the clients ask for when they send no limit: rendered now.
            for prefix in ("/v2", "/v2.1"):
                marker: str | None = None
                while True:
                    query = urlencode({"marker": marker}) if marker else ""
                    self.page(prefix, query)
                    start = self._ids[marker] + 1 if marker else 0
                    if start + MAX_LIMIT > images:
                        break
                    marker = image_id(start + MAX_LIMIT - 1)
        self.identity_v2 = self._identity_v2()
        self.identity_v3 = self._identity_v3()

    # -- identity ---------------------------------------------------------

    def _identity_v2(self) -> bytes:
        endpoints = [
            {
                "region": region,
                "tenantId": TENANT,
                "publicURL": f"{self.base}/v2/{TENANT}",
                "versionInfo": f"{self.base}/v2",
                "versionList": self.base,
                "versionId": "2",
            }
            for region in REGIONS
        ]
        body = {
            "access": {
                "token": {
                    "id": TOKEN,
                    "expires": "2099-01-01T00:00:00.000Z",
                    "tenant": {"id": TENANT, "name": TENANT},
                    "RAX-AUTH:authenticatedBy": ["APIKEY"],
                },
                "serviceCatalog": [
                    {"name": "cloudServersOpenStack", "type": "compute", "endpoints": endpoints},
                    {
                        "name": "cloudFiles",
                        "type": "object-store",
                        "endpoints": [
                            {
                                "region": r,
                                "tenantId": f"MossoCloudFS_{TENANT}",
                                "publicURL": f"{self.base}/files/v1/MossoCloudFS_{TENANT}",
                            }
                            for r in REGIONS
                        ],
                    },
                    {
                        "name": "cloudImages",
                        "type": "image",
                        "endpoints": [
                            {"region": r, "tenantId": TENANT, "publicURL": f"{self.base}/glance/v2"} for r in REGIONS
                        ],
                    },
                ],
                "user": {
                    "id": "10040",
                    "name": USER,
                    "roles": [{"id": "3", "name": "identity:user-admin"}],
                    "RAX-AUTH:defaultRegion": "DFW",
                },
            }
        }
        return _json(200, body)

    def _identity_v3(self) -> bytes:
        catalog = [
            {
                "type": "compute",
                "name": "nova",
                "id": "c0",
                "endpoints": [
                    {
                        "id": f"c{i}",
                        "interface": interface,
                        "region": "RegionOne",
                        "region_id": "RegionOne",
                        "url": f"{self.base}/v2.1/{TENANT}",
                    }
                    for i, interface in enumerate(("public", "internal", "admin"))
                ],
            },
            {
                "type": "identity",
                "name": "keystone",
                "id": "k0",
                "endpoints": [
                    {
                        "id": f"k{i}",
                        "interface": interface,
                        "region": "RegionOne",
                        "region_id": "RegionOne",
                        "url": f"{self.base}/identity",
                    }
                    for i, interface in enumerate(("public", "internal", "admin"))
                ],
            },
        ]
        body = {
            "token": {
                "methods": ["password"],
                "expires_at": "2099-01-01T00:00:00.000000Z",
                "issued_at": "2025-01-01T00:00:00.000000Z",
                "audit_ids": ["bench"],
                "user": {
                    "id": "u-bench",
                    "name": USER,
                    "domain": {"id": "default", "name": "Default"},
                    "password_expires_at": None,
                },
                "project": {"id": TENANT, "name": TENANT, "domain": {"id": "default", "name": "Default"}},
                "roles": [{"id": "r0", "name": "member"}, {"id": "r1", "name": "reader"}],
                "is_domain": False,
                "catalog": catalog,
            }
        }
        return _json(201, body, extra=f"X-Subject-Token: {TOKEN}\r\n")

    def identity_versions(self, path: str) -> bytes:
        v3 = {
            "id": "v3.14",
            "status": "stable",
            "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{self.base}/identity/v3/"}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
        }
        if path.rstrip("/").endswith("/v3"):
            return _json(200, {"version": v3})
        return _answer(300, json.dumps({"versions": {"values": [v3]}}).encode())

    def compute_versions(self, path: str) -> bytes:
        def version(vid: str, status: str, maximum: str, minimum: str) -> dict[str, Any]:
            return {
                "id": vid,
                "status": status,
                "version": maximum,
                "min_version": minimum,
                "updated": "2013-07-23T11:33:21Z",
                "links": [{"rel": "self", "href": f"{self.base}/{vid}/"}],
            }

        v2 = version("v2.0", "SUPPORTED", "", "")
        v21 = version("v2.1", "CURRENT", "2.35", "2.1")
        trimmed = path.rstrip("/")
        if trimmed == "/v2":
            return _json(200, {"version": v2})
        if trimmed.startswith("/v2.1"):
            return _json(200, {"version": v21})
        return _json(200, {"versions": [v2, v21]})

    # -- image pages --------------------------------------------------------

    def page(self, prefix: str, query: str) -> bytes:
        """One page of ``GET <prefix>/<tenant>/images/detail?<query>``, cached by query."""
        key = (prefix, query)
        cached = self._pages.get(key)
        if cached is not None:
            return cached
        params = dict(parse_qsl(query, keep_blank_values=True))
        limit = MAX_LIMIT
        if "limit" in params:
            text = params["limit"]
            if not text.isdigit() or int(text) < 1:
                return _json(400, {"badRequest": {"code": 400, "message": f"limit {text!r} is not valid"}})
            limit = min(int(text), MAX_LIMIT)
        start = 0
        if params.get("marker"):
            index = self._ids.get(params["marker"])
            if index is None:
                return _json(400, {"badRequest": {"code": 400, "message": f"marker {params['marker']} not found"}})
            start = index + 1
        stop = min(start + limit, self.images)
        if self.lazy:
            items = [json.dumps(image_object(i, self.base, prefix)).encode() for i in range(start, stop)]
        else:
            items = self._fragments[prefix][start:stop]
        links = b""
        if stop - start == limit:
            # Nova: the request's own parameters, with the marker replaced.
            params["marker"] = image_id(stop - 1)
            href = f"{self.base}{prefix}/{TENANT}/images/detail?{urlencode(params)}"
            links = b', "images_links": ' + json.dumps([{"rel": "next", "href": href}]).encode()
        body = b'{"images": [' + b", ".join(items) + b"]" + links + b"}"
        answer = _answer(200, body)
        if not self.lazy:
            with self._lock:
                self._pages[key] = answer
        return answer


class Counters:
    """What the server saw since the last reset."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.connections = 0  # TCP connections that carried at least one API request
        self.page_connections = 0  # ...that carried at least one image page
        self.auth = 0
        self.pages = 0
        self.other = 0
        self.paths: dict[str, int] = {}

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "connections": self.connections,
                "page_connections": self.page_connections,
                "auth": self.auth,
                "pages": self.pages,
                "other": self.other,
                "paths": dict(self.paths),
            }


class BenchServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, images: int, port: int = 0, lazy: bool = False) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.catalog = Catalog(images, self.base, lazy)
        self.counters = Counters()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: BenchServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._api_seen = False
        self._pages_seen = False

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _count(self, kind: str, path: str) -> None:
        counters = self.server.counters
        with counters.lock:
            if not self._api_seen:
                self._api_seen = True
                counters.connections += 1
            if kind == "pages" and not self._pages_seen:
                self._pages_seen = True
                counters.page_connections += 1
            setattr(counters, kind, getattr(counters, kind) + 1)
            counters.paths[path] = counters.paths.get(path, 0) + 1

    def _send(self, raw: bytes) -> None:
        self.wfile.write(raw)

    def _drain(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        self._drain()
        path = urlsplit(self.path).path.rstrip("/")
        catalog = self.server.catalog
        if path == "/_reset":
            self.server.counters.reset()
            self._send(_answer(204, b""))
        elif path == "/v2.0/tokens":
            self._count("auth", path)
            self._send(catalog.identity_v2)
        elif path in ("/v3/auth/tokens", "/identity/v3/auth/tokens"):
            self._count("auth", path)
            self._send(catalog.identity_v3)
        else:
            self._count("other", path)
            self._send(_json(404, {"itemNotFound": {"code": 404, "message": f"no route {path}"}}))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        catalog = self.server.catalog
        if path == "/_stats":
            self._send(_json(200, self.server.counters.snapshot()))
            return
        for prefix in ("/v2", "/v2.1"):
            if path.rstrip("/") == f"{prefix}/{TENANT}/images/detail":
                self._count("pages", f"{prefix}/{{tenant}}/images/detail")
                self._send(catalog.page(prefix, parts.query))
                return
        trimmed = path.rstrip("/")
        if trimmed.startswith("/identity") or trimmed == "/v3":
            self._count("other", path)
            self._send(catalog.identity_versions(trimmed))
        elif trimmed in ("", "/v2", "/v2.1", f"/v2/{TENANT}", f"/v2.1/{TENANT}"):
            self._count("other", path)
            self._send(catalog.compute_versions(trimmed))
        else:
            self._count("other", path)
            sys.stderr.write(f"bench server: no route for GET {self.path}\n")
            self._send(_json(404, {"itemNotFound": {"code": 404, "message": f"no route {path}"}}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lazy", action="store_true", help="render pages per request (for very large N)")
    args = parser.parse_args(argv)
    server = BenchServer(args.images, args.port, args.lazy)
    print(f"READY {server.base}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
