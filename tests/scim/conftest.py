"""A SCIM client for one tenant: its token, and requests with the bearer header and the SCIM media type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from app.tenancy import as_tenant

MEDIA = "application/scim+json"


@dataclass
class Scim:
    tenant: Any
    client: Any
    token: str

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        query_string: dict[str, Any] | None = None,
        **headers: str,
    ) -> Any:
        all_headers = {"Authorization": f"Bearer {self.token if token is None else token}", **headers}
        data = None if body is None else json.dumps(body)
        return self.client.open(
            "/scim/v2" + path,
            method=method,
            data=data,
            content_type=MEDIA if data else None,
            headers=all_headers,
            query_string=query_string,
        )

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Any:
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> Any:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)

    def create_user(self, user_name: str, **fields: Any) -> dict[str, Any]:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, **fields}
        response = self.post("/Users", body)
        assert response.status_code == 201, response.get_data(as_text=True)
        return dict(response.get_json())


def make_token(db: Any, tenant: Any, name: str = "Entra ID") -> str:
    from app.scim import services

    with as_tenant(tenant):
        _token, secret = services.create_token(name)
        db.session.commit()
    return secret


@pytest.fixture
def scim(db: Any, tenant_factory: Any, client_for: Any) -> Scim:
    tenant = tenant_factory()
    return Scim(tenant, client_for(tenant), make_token(db, tenant))
