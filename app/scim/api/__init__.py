"""The SCIM 2.0 endpoints at /scim/v2 (RFC 7644): token-authenticated JSON, no session, no CSRF."""

from __future__ import annotations

from app.scim.api import discovery, groups, users  # noqa: F401 - their routes join the blueprint
from app.scim.api.common import bp, portal_suspended, rate_limit_key, too_many

__all__ = ["bp", "portal_suspended", "rate_limit_key", "too_many"]
