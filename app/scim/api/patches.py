"""PATCH bodies as Entra ID and Okta send them, read as RFC 7644 means them."""

from __future__ import annotations

from typing import Any

from app.scim import schemas

_ENTERPRISE = schemas.ENTERPRISE_USER_SCHEMA.lower()
_DROPPED_KEYS = {"id", "meta", "schemas"}


def _as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return value


def normalise_patch(body: dict[str, Any]) -> dict[str, Any]:
    """Read the PATCH variants providers send as RFC 7644 means them.

    Entra ID sends ``"active": "False"`` as a string, op names capitalised, the manager as a bare id on the
    path ``urn:…:enterprise:2.0:User:manager``, and operations with no path whose value names attributes
    with dotted or URN-qualified keys (``{"name.givenName": "Ada"}``); Okta sends ``id`` inside such a value.
    Each becomes the plain operation it stands for.
    """
    operations = body.get("Operations") or body.get("operations")
    if not isinstance(operations, list):
        return body
    normalised: list[Any] = []
    for operation in operations:
        if not isinstance(operation, dict):
            normalised.append(operation)
            continue
        op = {k.lower() if k.lower() in ("op", "path", "value") else k: v for k, v in operation.items()}
        if isinstance(op.get("op"), str):
            op["op"] = op["op"].lower()
        path = op.get("path")
        value = op.get("value")
        if not path and isinstance(value, dict) and op.get("op") in ("add", "replace"):
            for key, inner in value.items():
                if key in _DROPPED_KEYS:
                    continue
                normalised.append(_one({"op": op["op"], "path": key, "value": inner}))
            continue
        normalised.append(_one(op))
    return {**body, "Operations": normalised}


def _one(op: dict[str, Any]) -> dict[str, Any]:
    path = str(op.get("path") or "")
    value = op.get("value")
    lowered = path.lower()
    if lowered == "active" or lowered.endswith(":active"):
        op["value"] = _as_bool(value)
    if lowered in (f"{_ENTERPRISE}:manager", "manager") and isinstance(value, str):
        op["value"] = {"value": value} if value else None
        if not value:
            op = {"op": "remove", "path": path}
    if lowered in (f"{_ENTERPRISE}:manager", "manager") and isinstance(value, dict) and "value" in value:
        op["value"] = {"value": str(value["value"])} if value.get("value") else None
        if not value.get("value"):
            op = {"op": "remove", "path": path}
    if lowered.startswith("members") and isinstance(value, list):
        op["value"] = [{"value": str(v.get("value"))} if isinstance(v, dict) else v for v in value]
    return op
