"""The audit log's sentences for the partner program: tiers, their targets, companies, exports."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence


@sentence("partner_tier.created")
def _tier_created(e: EventView) -> Markup:
    return fill(
        _("%(actor)s added the partner tier %(target)s (rank %(rank)s)."),
        actor=e.actor,
        target=e.target,
        rank=e.value(e.after, "rank"),
    )


@sentence("partner_tier.updated")
def _tier_updated(e: EventView) -> Markup:
    if "targets" in e.after:
        return fill(
            _("%(actor)s changed the partner tier %(target)s: targets %(before)s → %(after)s."),
            actor=e.actor,
            target=e.target,
            before=e.value(e.before, "targets"),
            after=e.value(e.after, "targets"),
        )
    return fill(
        _("%(actor)s changed the partner tier %(target)s: %(fields)s."),
        actor=e.actor,
        target=e.target,
        fields=e.changed_fields(),
    )


@sentence("partner_tier.deleted")
def _tier_deleted(e: EventView) -> Markup:
    return fill(_("%(actor)s deleted the partner tier %(target)s."), actor=e.actor, target=e.target)


@sentence("partner_company.tier_set")
def _company_tier_set(e: EventView) -> Markup:
    if e.before.get("tier"):
        text = _("%(actor)s moved the partner company %(target)s from the tier %(before)s to %(after)s.")
    else:
        text = _("%(actor)s made %(target)s a partner company of the tier %(after)s.")
    return fill(
        text,
        actor=e.actor,
        target=e.target,
        before=e.value(e.before, "tier"),
        after=e.value(e.after, "tier"),
    )


@sentence("partner_company.removed")
def _company_removed(e: EventView) -> Markup:
    return fill(
        _("%(actor)s took %(target)s out of the partner program (it was in the tier %(tier)s)."),
        actor=e.actor,
        target=e.target,
        tier=e.value(e.before, "tier"),
    )


@sentence("partner_program.exported")
def _program_exported(e: EventView) -> Markup:
    return fill(
        _(
            "%(actor)s exported the partner program as CSV (%(rows)s rows; tier: %(tier)s; "
            "certification: %(certification)s)."
        ),
        actor=e.actor,
        rows=e.value(e.after, "rows"),
        tier=e.value(e.after, "tier") if e.after.get("tier") else _("any"),
        certification=e.value(e.after, "certification") if e.after.get("certification") else _("any"),
    )
