"""TLS: certificates are verified unless the caller turns that off, as everywhere in libcloud."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import libcloud.security
import pytest
import trustme

from rackimg_driver import RackImgNodeDriver, TransportError
from tests.conftest import FAST_RETRIES, image


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"images": [image("tls-image")]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def https_url() -> Iterator[tuple[str, trustme.CA]]:
    """An HTTPS server on 127.0.0.1 whose certificate comes from a CA nobody trusts by default."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def restore_libcloud_security() -> Iterator[None]:
    saved = (libcloud.security.VERIFY_SSL_CERT, libcloud.security.CA_CERTS_PATH)
    yield
    libcloud.security.VERIFY_SSL_CERT, libcloud.security.CA_CERTS_PATH = saved


def driver_for(url: str) -> RackImgNodeDriver:
    return RackImgNodeDriver("u", ex_force_auth_token="t", ex_force_base_url=url + "/v2/1", **FAST_RETRIES)


def test_an_untrusted_certificate_is_refused_by_default(https_url) -> None:
    url, _ca = https_url
    with pytest.raises(TransportError) as raised:
        driver_for(url).list_images()
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)


def test_a_ca_the_caller_trusts_is_accepted(https_url, restore_libcloud_security, tmp_path) -> None:
    url, ca = https_url
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    libcloud.security.CA_CERTS_PATH = str(bundle)
    assert [i.id for i in driver_for(url).list_images()] == ["tls-image"]


def test_verification_is_off_only_when_the_caller_says_so(https_url, restore_libcloud_security) -> None:
    url, _ca = https_url
    libcloud.security.VERIFY_SSL_CERT = False
    assert [i.id for i in driver_for(url).list_images()] == ["tls-image"]
