"""Write, version and publish policies; record signed acknowledgements; find who still has to accept."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import String, and_, bindparam, case, cast, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from app import audit, events
from app.accounts import org
from app.accounts.models import GroupMembership, User
from app.audit.models import AuditEvent
from app.errors import ValidationError
from app.extensions import db
from app.inputs import parse_id
from app.multilingual import reading
from app.policies.models import (
    Acknowledgement,
    Policy,
    PolicyAudience,
    PolicyStatus,
    PolicyVersion,
)
from app.storage import UploadRefused, check_upload, storage, stored_filename
from app.tenancy import context as tenancy_context
from app.tenancy.models import insert_unless_exists, utcnow
from app.text import render_markdown


def create_policy(
    title: str,
    *,
    visibility: str = "everyone",
    audiences: dict[str, list[str]] | None = None,
    due_days: int | None = None,
) -> Policy:
    """Create a draft policy that everyone, or the named groups and org units, must accept."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the policy a title."), field="title")
    if db.session.scalars(select(Policy.id).where(Policy.title == title)).first():
        raise ValidationError(_("A policy called “%(name)s” already exists.", name=title), field="title")
    if due_days is not None and not 1 <= due_days <= 3650:
        raise ValidationError(_("Enter between 1 and 3650 days."), field="due_days")
    if visibility not in ("everyone", "restricted"):
        raise ValidationError(_("Choose who must accept the policy."), field="visibility")
    wanted = {(kind, str(v)) for kind in ("group", "org_unit") for v in (audiences or {}).get(kind, [])}
    if visibility == "restricted" and not wanted:
        raise ValidationError(
            _("Name at least one group or organisation unit, or ask everyone."), field="visibility"
        )
    policy = Policy(title=title, visibility=visibility, due_days=due_days)
    db.session.add(policy)
    for kind, value in sorted(wanted):
        policy.audiences.append(PolicyAudience(kind=kind, value=value))
    db.session.flush()
    audit.record("policy.created", target=policy, after={"title": title, "visibility": visibility})
    return policy


def save_draft(
    policy: Policy,
    body_markdown: str = "",
    *,
    material: bool = True,
    content: str = "text",
    document: tuple[str, bytes] | None = None,
) -> PolicyVersion:
    """Write the next version: Markdown text or an uploaded PDF; it is a draft until published.

    *content* is "text" or "pdf" (as the admin chose: a file sent with "text" is ignored);
    *document* is an uploaded (filename, bytes). A PDF draft that already has its file
    keeps it when no new file is uploaded.
    """
    draft = next((v for v in policy.versions if v.published_at is None), None)
    body = (body_markdown or "").strip()
    if content == "pdf":
        if document is None and (draft is None or not draft.is_pdf):
            raise ValidationError(_("Choose the policy's PDF file."), field="document")
        if document is not None:
            try:
                check_upload("document", document[1], document[0], only=("application/pdf",))
            except UploadRefused as refused:
                raise ValidationError(str(refused), field="document") from None
    elif content == "text":
        if not body:
            raise ValidationError(_("Write the policy's text."), field="body")
    else:
        raise ValidationError(_("Choose whether the policy is text or a PDF."), field="content")
    if draft is None:
        draft = PolicyVersion(number=len(policy.versions) + 1)
        policy.versions.append(draft)
    if content == "pdf":
        if document is not None:
            tenant_id = policy.tenant_id or tenancy_context.current_tenant_id()
            draft.document_key = storage().save(int(tenant_id or 0), "policies", document[1], "pdf")
            draft.document_filename = stored_filename(document[0], "application/pdf", "policy")
            draft.document_size = len(document[1])
        draft.body_markdown = body
        draft.body_html = ""
    else:
        draft.document_key = draft.document_filename = None
        draft.document_size = None
        draft.body_markdown = body
        draft.body_html = render_markdown(body)
    draft.material = material or draft.number == 1
    db.session.flush()
    audit.record(
        "policy.draft_saved",
        target=policy,
        after={
            "version": draft.number,
            "content": "pdf" if draft.is_pdf else "text",
            "document": draft.document_filename,
            "material": draft.material,
        },
    )
    return draft


def document_bytes(version: PolicyVersion) -> bytes | None:
    """The PDF of a PDF version, read from storage (None if it is a text version or the file is gone)."""
    if not version.document_key:
        return None
    return storage().read(version.document_key, tenant_id=version.tenant_id)


def content_hash(version: PolicyVersion) -> str:
    """The SHA-256 of exactly what people read: the rendered document, or the PDF's bytes."""
    if version.is_pdf:
        data = document_bytes(version)
        if data is None:
            raise ValidationError(_("The policy's PDF file is missing; upload it again."), field="document")
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha256(version.body_html.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PolicyText:
    """A version's text as this reader is shown it: the original, or a translation of its Markdown body.

    ``locale`` is None for the original (the PDF of a document version is always the original), else the
    translation's; ``sha256`` hashes exactly the HTML shown (the version's own hash for the original).
    """

    html: Markup
    locale: str | None
    lang: str
    sha256: str
    outdated: bool
    wanted: str

    @property
    def fallback(self) -> bool:
        """Not in the reader's language: the portal's translation, or the original, instead."""
        return self.lang != self.wanted


def language_name(locale: str | None) -> str:
    """A language's name in the current language (``es`` → "Spanish"); the code if Babel does not know it."""
    from babel import Locale, UnknownLocaleError
    from flask_babel import get_locale

    if not locale:
        return ""
    try:
        name = Locale.parse(locale).get_display_name(get_locale() or "en")
    except (ValueError, UnknownLocaleError):
        return locale
    return name or locale


def html_hash(html: str) -> str:
    """The SHA-256 of a text's HTML as shown, the way :func:`content_hash` hashes an original body."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def policy_text(version: PolicyVersion) -> PolicyText:
    """The text of *version* in the reader's language (else the portal's, else the original), and its hash."""
    reader = reading.reader()
    original = version.sha256 or (html_hash(version.body_html) if not version.is_pdf else "")
    if version.is_pdf:
        return PolicyText(Markup(), None, reading.portal_locale(), original, False, reader.locale)
    shown = reader.shown(version, "body")
    if shown.translated and shown.html is not None:
        return PolicyText(
            shown.html, shown.locale, shown.locale, html_hash(str(shown.html)), shown.outdated, reader.locale
        )
    body = Markup(version.body_html)  # noqa: S704 - rendered and sanitised by render_markdown when saved
    return PolicyText(body, None, shown.locale, original, False, reader.locale)


def publish_version(version: PolicyVersion) -> PolicyVersion:
    """Publish *version*: its content is fixed and hashed; a material version asks everyone again."""
    if version.published_at is not None:
        raise ValidationError(_("This version is already published and cannot change."))
    version.sha256 = content_hash(version)
    if version.number == 1:
        version.material = True
    version.published_at = utcnow()
    version.policy.status = PolicyStatus.published.value
    audit.record(
        "policy.version_published",
        target=version.policy,
        after={"version": version.number, "sha256": version.sha256, "material": version.material},
    )
    events.emit(
        "policy.version_published",
        {"policy_id": version.policy_id, "version": version.number, "material": version.material},
    )
    return version


def applies_to(policy: Policy, user: User, groups: set[int], units: frozenset[int]) -> bool:
    if policy.visibility == "everyone":
        return True
    for audience in policy.audiences:
        if audience.kind == "group" and parse_id(audience.value) in groups:
            return True
        if audience.kind == "org_unit" and parse_id(audience.value) in units:
            return True
    return False


@dataclass
class PendingPolicy:
    policy: Policy
    version: PolicyVersion
    due_on: date | None

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today


def _published_policies() -> list[Policy]:
    return list(
        db.session.scalars(
            select(Policy)
            .where(Policy.status == PolicyStatus.published.value)
            .options(selectinload(Policy.versions), selectinload(Policy.audiences))
        )
    )


def due_on(policy: Policy, binding: PolicyVersion) -> date | None:
    if policy.due_days and binding.published_at is not None:
        return binding.published_at.date() + timedelta(days=policy.due_days)
    return None


# Beyond this many people, read the whole tenant's memberships and signatures rather than a long IN list.
_IN_LIST_LIMIT = 500


@dataclass
class PolicyStanding(PendingPolicy):
    """A policy a person must accept, and whether they have accepted its binding version."""

    accepted: bool = False


def pending_policies_for(
    users: list[User], policies: list[Policy] | None = None
) -> dict[int, list[PendingPolicy]]:
    """The policies each of *users* must still accept, in a constant number of queries."""
    return {
        user_id: [p for p in standings if not p.accepted]
        for user_id, standings in policy_standing_for(users, policies).items()
    }


def policy_standing_for(
    users: list[User], policies: list[Policy] | None = None
) -> dict[int, list[PolicyStanding]]:
    """Every policy each of *users* must accept, accepted or not, in a constant number of queries."""
    result: dict[int, list[PolicyStanding]] = {user.id: [] for user in users}
    policies = _published_policies() if policies is None else policies
    policies = [p for p in policies if p.binding_version is not None]
    if not users or not policies:
        return result
    ids = list(result)
    memberships = select(GroupMembership.user_id, GroupMembership.group_id)
    signatures = (
        select(Acknowledgement.user_id, Acknowledgement.policy_id, PolicyVersion.number)
        .join(PolicyVersion, PolicyVersion.id == Acknowledgement.version_id)
        .where(Acknowledgement.policy_id.in_([p.id for p in policies]))
    )
    if len(ids) <= _IN_LIST_LIMIT:
        memberships = memberships.where(GroupMembership.user_id.in_(ids))
        signatures = signatures.where(Acknowledgement.user_id.in_(ids))
    groups: dict[int, set[int]] = {}
    if any(p.visibility != "everyone" for p in policies):
        for user_id, group_id in db.session.execute(memberships):
            groups.setdefault(user_id, set()).add(group_id)
    signed: dict[tuple[int, int], int] = {}
    for user_id, policy_id, number in db.session.execute(signatures):
        signed[(user_id, policy_id)] = max(number, signed.get((user_id, policy_id), 0))
    chains = org.ancestries({u.org_unit_id for u in users})
    for user in users:
        units = chains.get(user.org_unit_id, frozenset())
        for policy in policies:
            binding = policy.binding_version
            assert binding is not None
            if not applies_to(policy, user, groups.get(user.id, set()), units):
                continue
            accepted = signed.get((user.id, policy.id), 0) >= binding.number
            current = policy.current_version or binding
            result[user.id].append(
                PolicyStanding(
                    policy=policy, version=current, due_on=due_on(policy, binding), accepted=accepted
                )
            )
    for pending in result.values():
        pending.sort(key=lambda p: (p.due_on or date.max, p.policy.title))
    return result


def pending_policies(user: User) -> list[PendingPolicy]:
    """The policies *user* must still accept: the latest material version they have not signed."""
    return pending_policies_for([user])[user.id]


@dataclass(frozen=True)
class PolicyToAccept:
    """What My learning shows of a policy its reader must still accept: a few columns, no objects."""

    policy_id: int
    title: str
    version_number: int  # the version they will read: the latest published
    due_on: date | None

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today


@lru_cache(maxsize=2)
def _policies_to_accept_statement(per_row: bool) -> Any:
    """One statement, built once per kind of database: the published policies a person must accept and
    has not signed. *per_row*: ``org.probe_per_row()`` (how the units above theirs are looked up).

    Bound at run time: ``user_id`` and ``org_unit_id`` (the person's unit; its ancestors count too).
    """
    published = (
        select(
            PolicyVersion.policy_id,
            func.max(PolicyVersion.number).label("current"),
            # The binding version asks everyone again: the latest material one (version 1 always is).
            func.max(case((PolicyVersion.material, PolicyVersion.number))).label("binding"),
        )
        .where(PolicyVersion.published_at.is_not(None))
        .group_by(PolicyVersion.policy_id)
        .subquery("published")
    )
    binding = aliased(PolicyVersion, name="binding")
    chain = org.ancestry_cte(bindparam("org_unit_id"), "unit_chain", per_row)
    my_groups = select(cast(GroupMembership.group_id, String)).where(
        GroupMembership.user_id == bindparam("user_id")
    )
    my_units = select(cast(chain.c.id, String))
    in_audience = exists().where(
        PolicyAudience.policy_id == Policy.id,
        or_(
            and_(PolicyAudience.kind == "group", func.trim(PolicyAudience.value).in_(my_groups)),
            and_(PolicyAudience.kind == "org_unit", func.trim(PolicyAudience.value).in_(my_units)),
        ),
    )
    signed = aliased(PolicyVersion, name="signed")
    has_signed = (
        exists()
        .where(
            Acknowledgement.user_id == bindparam("user_id"),
            Acknowledgement.policy_id == Policy.id,
            signed.number >= published.c.binding,
        )
        .where(signed.id == Acknowledgement.version_id)
    )
    return (
        select(Policy.id, Policy.title, Policy.due_days, published.c.current, binding.published_at)
        .join(published, published.c.policy_id == Policy.id)
        .join(binding, and_(binding.policy_id == Policy.id, binding.number == published.c.binding))
        .where(
            Policy.status == PolicyStatus.published.value,
            or_(Policy.visibility == "everyone", in_audience),
            ~has_signed,
        )
    )


def policies_to_accept(user: User) -> list[PolicyToAccept]:
    """The policies *user* must still accept, soonest due first: :func:`pending_policies` in one statement."""
    rows = db.session.execute(
        _policies_to_accept_statement(org.probe_per_row()),
        {"user_id": user.id, "org_unit_id": user.org_unit_id},
    ).all()
    result = [
        PolicyToAccept(
            policy_id=policy_id,
            title=title,
            version_number=current,
            due_on=published_at.date() + timedelta(days=due_days) if due_days and published_at else None,
        )
        for policy_id, title, due_days, current, published_at in rows
    ]
    result = _titles_in_readers_language(result)
    result.sort(key=lambda p: (p.due_on or date.max, p.title))
    return result


def _titles_in_readers_language(listed: list[PolicyToAccept]) -> list[PolicyToAccept]:
    """*listed* with each title in the reader's language: no query at all for a reader of the original."""
    reader = reading.reader()
    if not listed or not reader.chain(reading.portal_locale()):
        return listed
    found = {
        p.id: p
        for p in db.session.scalars(select(Policy).where(Policy.id.in_([p.policy_id for p in listed])))
    }
    return [
        replace(p, title=reader.shown(found[p.policy_id], "title").text) if p.policy_id in found else p
        for p in listed
    ]


def overdue_policies_for(users: list[User], today: date) -> dict[int, list[PendingPolicy]]:
    """For each of *users*, the pending policies whose due date has passed (for managers)."""
    return {
        user_id: [p for p in pending if p.overdue(today)]
        for user_id, pending in pending_policies_for(users).items()
    }


def acknowledgement_record(ack: Acknowledgement) -> dict[str, Any]:
    record = {
        "user_id": ack.user_id,
        "policy_id": ack.policy_id,
        "version_id": ack.version_id,
        "content_sha256": ack.content_sha256,
        "signature": ack.signature,
        "ip": ack.ip,
        "user_agent": ack.user_agent,
        "acknowledged_at": _utc_naive(ack.acknowledged_at).isoformat(),
    }
    # A translation signed names its language; the original's record stays as it always was, so that
    # acknowledgements recorded before translations existed still match their audit entries.
    if ack.locale is not None:
        record["locale"] = ack.locale
    return record


def _utc_naive(value: Any) -> Any:
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None)


def acknowledge_policy(
    user: User,
    version: PolicyVersion,
    signature: str,
    *,
    accepted: bool,
    ip: str | None,
    user_agent: str | None,
    read_sha256: str | None = None,
) -> Acknowledgement:
    """Record that *user* accepted *version*, signed with their typed name.

    What is recorded is the text the person is shown in this request's language (:func:`policy_text`):
    the original (locale None, the version's hash) or a translation (its locale, the hash of its HTML).
    *read_sha256* is the hash of the text the page showed them: when the text shown now differs (its
    translation was edited while they read), the signature is refused, so that nobody signs a text they
    have not seen.
    """
    if version.published_at is None or version.sha256 is None:
        raise ValidationError(_("This version is not published."))
    if not accepted:
        raise ValidationError(
            _("Tick the box to confirm you have read and accept the policy."), field="accept"
        )
    if (signature or "").strip().casefold() != user.full_name.strip().casefold():
        raise ValidationError(
            _("Type your full name exactly as shown to sign: %(name)s", name=user.full_name),
            field="signature",
        )
    existing = db.session.scalars(
        select(Acknowledgement).where(
            Acknowledgement.user_id == user.id, Acknowledgement.version_id == version.id
        )
    ).first()
    if existing is not None:
        return existing
    text = policy_text(version)
    if read_sha256 and read_sha256 != text.sha256:
        raise ValidationError(
            _(
                "The text of this policy changed while you were reading it. Read it again as it is now "
                "(below), then sign."
            )
        )
    ack_id = insert_unless_exists(
        Acknowledgement,
        user_id=user.id,
        policy_id=version.policy_id,
        version_id=version.id,
        content_sha256=text.sha256,
        locale=text.locale,
        signature=signature.strip(),
        ip=ip,
        user_agent=(user_agent or "")[:500] or None,
        acknowledged_at=utcnow().replace(microsecond=0),
    )
    if ack_id is None:
        # The same person accepted in another request at the same moment (a double click, a
        # second tab): one acceptance per version is the rule, and theirs is recorded.
        return db.session.scalars(
            select(Acknowledgement).where(
                Acknowledgement.user_id == user.id, Acknowledgement.version_id == version.id
            )
        ).one()
    ack = db.session.get(Acknowledgement, ack_id)
    assert ack is not None  # just inserted in this transaction
    audit.record("policy.acknowledged", target=ack, after=acknowledgement_record(ack))
    events.emit(
        "policy.acknowledged",
        {
            "acknowledgement_id": ack.id,
            "user_id": user.id,
            "policy_id": version.policy_id,
            "version": version.number,
            # Whether the signer now owes nothing of this policy (lessons asking for it complete).
            "nothing_pending": not any(p.policy.id == version.policy_id for p in pending_policies(user)),
        },
    )
    return ack


def verify_acknowledgements(tenant_id: int) -> str | None:
    """Compare every acknowledgement with its audit record; name the first one that differs."""
    recorded = {
        event.target_id: event.after
        for event in db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.tenant_id == tenant_id, AuditEvent.action == "policy.acknowledged"
            )
        )
    }
    for ack in db.session.scalars(
        select(Acknowledgement).where(Acknowledgement.tenant_id == tenant_id).order_by(Acknowledgement.id)
    ):
        if recorded.get(str(ack.id)) != acknowledgement_record(ack):
            return f"acknowledgement {ack.id} differs from its audit record"
    return None
