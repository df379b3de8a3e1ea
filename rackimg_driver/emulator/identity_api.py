"""Identity over HTTP: Rackspace / Keystone v2.0 and Keystone v3 tokens (routed in ``routes``).

``POST /v2.0/tokens`` takes an API key (``RAX-KSKEY:apiKeyCredentials``) or a password and
answers ``access`` with the service catalog; ``POST /v3/auth/tokens`` takes a password, answers
201 with the token in ``X-Subject-Token`` and, when scoped to the project, the catalog.
The accounts and tokens are :class:`~.identity.Identity`'s; the catalog is the profile's.
Faults reach these requests only when ``Faults.include_identity`` is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .answers import AUTH_REQUIRED, keystone_error, nova_fault
from .identity import Identity
from .profiles import CloudProfile
from .records import Clock
from .wsgi import Request, Response, json_response


class IdentityAPI:
    """The handlers of the token requests; each takes the request.

    :param identity: the account and its tokens.
    :param profile: the cloud being played (its catalog and regions).
    :param clock: the time a Keystone v3 token says it was issued at.
    """

    def __init__(self, identity: Identity, profile: CloudProfile, clock: Clock) -> None:
        self.identity = identity
        self.profile = profile
        self.clock = clock

    def answer(self, request: Request, call: Callable[[Request], Response]) -> Response:
        return call(request)

    def method_not_allowed(self, request: Request) -> Response:
        return nova_fault(405, "Use POST.")

    def tokens_v2(self, request: Request) -> Response:
        auth = _auth_of(request)
        if isinstance(auth, Response):
            return auth
        api_key = auth.get("RAX-KSKEY:apiKeyCredentials")
        password = auth.get("passwordCredentials")
        if isinstance(api_key, dict):
            method = "APIKEY"
            username = str(api_key.get("username", ""))
            ok = self.identity.check_api_key(username, str(api_key.get("apiKey", "")))
        elif isinstance(password, dict):
            method = "PASSWORD"
            username = str(password.get("username", ""))
            ok = self.identity.check_password(username, str(password.get("password", "")))
        else:
            return nova_fault(400, "Expecting apiKeyCredentials or passwordCredentials.")
        creds = self.identity.account(username)
        tenant = auth.get("tenantName") or auth.get("tenantId")
        if ok and tenant is not None and not self.identity.knows_tenant(str(tenant), creds):
            ok = False
        if not ok:
            return nova_fault(401, "Unable to authenticate user with credentials provided.")
        token = self.identity.issue(account=creds)
        tenant_name = creds.tenant_id if self.profile.tenant_name_is_id else creds.project_name
        access = {
            "token": {
                "id": token.id,
                "expires": _iso_millis(token.expires),
                "tenant": {"id": creds.tenant_id, "name": tenant_name},
                "RAX-AUTH:authenticatedBy": [method],
            },
            "serviceCatalog": self._catalog_v2(request.root, creds.tenant_id),
            "user": {
                "id": creds.user_id,
                "name": creds.username,
                "roles": [{"id": "3", "name": "identity:user-admin"}],
                "RAX-AUTH:defaultRegion": self.profile.region_names[0],
            },
        }
        return json_response(200, {"access": access})

    def _catalog_v2(self, root: str, tenant_id: str) -> list[dict[str, Any]]:
        catalog = []
        for service in self.profile.catalog(root, tenant_id):
            endpoints = []
            for region in service["regions"]:
                endpoint = {"region": region, "tenantId": tenant_id, "publicURL": service["url"]}
                if "version" in service:
                    endpoint.update(
                        versionId=service["version"],
                        versionInfo=service["url"].rsplit("/", 1)[0],
                        versionList=root + "/",
                    )
                endpoints.append(endpoint)
            catalog.append({"name": service["name"], "type": service["type"], "endpoints": endpoints})
        return catalog

    def tokens_v3(self, request: Request) -> Response:
        auth = _auth_of(request)
        if isinstance(auth, Response):
            return auth
        unauthorized = keystone_error(401, AUTH_REQUIRED, "Unauthorized")
        identity = auth.get("identity")
        if not isinstance(identity, dict) or "password" not in (identity.get("methods") or []):
            return nova_fault(400, "Expecting the password method in auth.identity.methods.")
        user = (identity.get("password") or {}).get("user") or {}
        if not isinstance(user, dict):
            return nova_fault(400, "Expecting auth.identity.password.user to be an object.")
        creds = self.identity.account(user.get("name"), user.get("id"))
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
        token = self.identity.issue(scoped=isinstance(project, dict), account=creds)
        domain = {"id": creds.domain_id, "name": creds.domain_name}
        body: dict[str, Any] = {
            "methods": ["password"],
            "expires_at": _iso_micros(token.expires),
            "issued_at": _iso_micros(self.clock()),
            "user": {"id": creds.user_id, "name": creds.username, "domain": domain},
            "audit_ids": [uuid.uuid4().hex[:22]],
        }
        if token.tenant_id is not None:
            body["project"] = {"id": creds.tenant_id, "name": creds.project_name, "domain": domain}
            body["roles"] = [{"id": "3", "name": "member"}]
            body["catalog"] = self._catalog_v3(request.root, creds.tenant_id)
        return json_response(201, {"token": body}, [("X-Subject-Token", token.id)])

    def _catalog_v3(self, root: str, tenant_id: str) -> list[dict[str, Any]]:
        return [
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
            for service in self.profile.catalog(root, tenant_id)
        ]


def _auth_of(request: Request) -> dict[str, Any] | Response:
    """The ``auth`` object of a token request's body, or the 400 that refuses the body."""
    try:
        auth = request.json()["auth"]
        if not isinstance(auth, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return nova_fault(400, "Expecting to find auth in the request body.")
    return auth


def _iso_millis(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _iso_micros(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
