"""The SCIM resources Atrium serves, described with scim2-models: what a client sends and reads back.

Requests are read with the full core User model (so attributes Atrium does not keep, such as phone numbers,
are accepted and ignored rather than refused); the Schemas endpoint publishes only what Atrium keeps.
"""

from __future__ import annotations

from typing import Any

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Extension,
    Filter,
    Group,
    Mutability,
    Patch,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_models.resources.schema import Attribute

ATRIUM_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:atrium:2.0:User"
CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 500


class AtriumUser(Extension):
    """Where the person sits in this portal: their organisation unit (by name, path or id) and job title."""

    __schema__ = URN(ATRIUM_USER_SCHEMA)

    org_unit: str | None = None
    """The organisation unit: its id, its name, or its path from the top ("Europe/Paris")."""

    job_title: str | None = None
    """The job title, as the enrolment rules read it."""


UserResource = User[EnterpriseUser | AtriumUser]
GroupResource = Group

# What Atrium keeps of each schema; everything else a client sends is accepted and ignored.
_KEPT: dict[str, dict[str, set[str] | None]] = {
    CORE_USER_SCHEMA: {
        "userName": None,
        "name": {"formatted", "givenName", "familyName"},
        "displayName": None,
        "title": None,
        "preferredLanguage": None,
        "locale": None,
        "timezone": None,
        "active": None,
        "emails": {"value", "type", "primary"},
        "groups": None,
    },
    ENTERPRISE_USER_SCHEMA: {
        "employeeNumber": None,
        "department": None,
        "organization": None,
        "manager": {"value", "$ref", "displayName"},
    },
    ATRIUM_USER_SCHEMA: {"orgUnit": None, "jobTitle": None},
    CORE_GROUP_SCHEMA: {"displayName": None, "members": None},
}

# Suggested values the common time zones; any IANA zone is accepted.
_COMMON_ZONES = ["Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
                 "America/Los_Angeles", "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney"]  # fmt: skip


def _kept(schema: Schema, canonical: dict[str, list[str]]) -> Schema:
    kept = _KEPT[str(schema.id)]
    attributes: list[Attribute] = []
    for attribute in schema.attributes or []:
        if attribute.name not in kept:
            continue
        subs = kept[attribute.name]
        if subs is not None and attribute.sub_attributes:
            attribute.sub_attributes = [s for s in attribute.sub_attributes if s.name in subs]
        if attribute.name == "members":
            # A member's display is the person's name in this portal: read-only to clients.
            for sub in attribute.sub_attributes or []:
                if sub.name == "display":
                    sub.mutability = Mutability.read_only
        if attribute.name in canonical:
            attribute.canonical_values = canonical[attribute.name] or None
        attributes.append(attribute)
    schema.attributes = attributes
    return schema


def schemas(locales: list[str], org_units: list[str]) -> list[Schema]:
    """The schemas this portal serves, with the values it suggests for its languages and units."""
    user_values = {"preferredLanguage": locales, "locale": locales, "timezone": _COMMON_ZONES}
    documents = [
        _kept(User.to_schema().model_copy(deep=True), user_values),
        _kept(EnterpriseUser.to_schema().model_copy(deep=True), {}),
        _kept(AtriumUser.to_schema().model_copy(deep=True), {"orgUnit": org_units}),
        _kept(Group.to_schema().model_copy(deep=True), {}),
    ]
    documents[2].name = "AtriumUser"
    documents[2].description = "Where the person sits in this portal"
    return documents


def resource_types() -> list[ResourceType]:
    return [
        ResourceType.model_validate(
            {
                "id": "User",
                "name": "User",
                "description": "People of this portal",
                "endpoint": "/Users",
                "schema": CORE_USER_SCHEMA,
                "schemaExtensions": [
                    {"schema": ENTERPRISE_USER_SCHEMA, "required": False},
                    {"schema": ATRIUM_USER_SCHEMA, "required": False},
                ],
            }
        ),
        ResourceType.model_validate(
            {
                "id": "Group",
                "name": "Group",
                "description": "Groups of people",
                "endpoint": "/Groups",
                "schema": CORE_GROUP_SCHEMA,
            }
        ),
    ]


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A token created on the portal's Integrations page",
                primary=True,
            )
        ],
    )


def with_meta(document: Any, location: str) -> Any:
    """Give a discovery document its meta (resourceType and location)."""
    from scim2_models import Meta

    document.meta = Meta(resource_type=type(document).__name__, location=location)
    return document
