"""A policy's title and each version's text can be translated (Admin → Translations)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.multilingual.kinds import Kind, loader, portal_locale, register, text_field, titled
from app.policies.models import Policy, PolicyVersion


def register_kinds() -> None:
    """Tell the translation workspace about policies and their versions."""
    register(
        Kind(
            "policy",
            _l("Policy"),
            (Policy,),
            lambda p: int(p.id),
            lambda p: list(text_field("title", _l("Title"), p.title)),
            titled,
            lambda p: portal_locale(),
            lambda: select(Policy).order_by(Policy.title, Policy.id),
            loader(Policy),
        )
    )
    register(
        Kind(
            "policy_version",
            _l("Policy text"),
            (PolicyVersion,),
            lambda v: int(v.id),
            lambda v: list(text_field("body", _l("Policy text (Markdown)"), v.body_markdown, markdown=True)),
            lambda v: f"{v.policy.title} · v{v.number}",
            lambda v: portal_locale(),
            lambda: (
                select(PolicyVersion)
                .join(PolicyVersion.policy)
                .options(contains_eager(PolicyVersion.policy))
                .order_by(Policy.title, PolicyVersion.number)
            ),
            loader(PolicyVersion),
        )
    )
