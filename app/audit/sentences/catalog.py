"""The sentence of every audit event type Atrium records (grep ``audit.record(`` to find them)."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.audit.sentences import EventView, fill, sentence, user_content

# Sentences that name only who acted, what they acted on and which fields changed.
PLAIN = {
    "user.created": _l("%(actor)s added %(target)s."),
    "user.updated": _l("%(actor)s changed the details of %(target)s: %(fields)s."),
    "user.deactivated": _l("%(actor)s deactivated %(target)s."),
    "user.reactivated": _l("%(actor)s reactivated %(target)s."),
    "user.locked_out": _l("%(target)s was locked out after too many failed sign-ins."),
    "crew.badge_issued": _l("%(actor)s printed a new badge for %(target)s; earlier badges stopped working."),
    "crew.badge_revoked": _l("%(actor)s revoked the badge of %(target)s."),
    "crew.pin_set": _l("%(actor)s set the PIN of %(target)s."),
    "crew.pin_chosen": _l("%(target)s chose a new PIN."),
    "inbox.delivered": _l("A message was left in the inbox of %(target)s, who has no email address."),
    "user.signed_in": _l("%(target)s signed in."),
    "user.password_reset_requested": _l("A password reset link was sent to %(target)s."),
    "role.created": _l("%(actor)s created the role %(target)s."),
    "org_unit.created": _l("%(actor)s added the unit %(target)s."),
    "org_unit.updated": _l("%(actor)s changed the unit %(target)s: %(fields)s."),
    "org_unit.deleted": _l("%(actor)s removed the unit %(target)s."),
    "group.created": _l("%(actor)s created the group %(target)s."),
    "group.updated": _l("%(actor)s changed the group %(target)s: %(fields)s."),
    "tenant.created": _l("%(actor)s created the portal %(target)s."),
    "tenant.suspended": _l("%(actor)s suspended the portal %(target)s."),
    "tenant.resumed": _l("%(actor)s resumed the portal %(target)s."),
    "tenant.locale_settings_changed": _l("%(actor)s changed the languages of the portal %(target)s."),
    "tenant.session_settings_changed": _l(
        "%(actor)s changed how long a sign-in lasts on the portal %(target)s."
    ),
    "user.session_revoked": _l("%(actor)s signed %(target)s out on one device."),
    "user.sessions_revoked": _l("%(actor)s signed %(target)s out everywhere."),
    "tenant.branding_changed": _l("%(actor)s changed the branding of the portal %(target)s: %(fields)s."),
    "library.package_created": _l("%(actor)s created the library package %(target)s."),
    "library.targeting_changed": _l("%(actor)s changed who receives %(target)s."),
    "library.deployment_hidden": _l("%(actor)s hid %(target)s from the catalog."),
    "library.deployment_shown": _l("%(actor)s showed %(target)s in the catalog again."),
    "policy.created": _l("%(actor)s created the policy %(target)s."),
    "certificate.issued": _l("The signed certificate %(target)s was issued."),
    "identity.saml_key_created": _l("The portal's first SAML key %(target)s was made."),
    "identity.saml_key_rotated": _l("%(actor)s replaced the portal's SAML key with %(target)s."),
    "certificate.revoked": _l("The certificate %(target)s was revoked with its certification."),
    "certificate.reinstated": _l("The certificate %(target)s was reinstated with its certification."),
    "certificate.signing_key_created": _l("The portal's certificate signing key %(target)s was made."),
    "certificate.signing_key_rotated": _l(
        "%(actor)s rotated the portal's certificate signing key; %(target)s signs from now on."
    ),
    "question_bank.created": _l("%(actor)s created the question bank %(target)s."),
    "question_bank.updated": _l("%(actor)s changed the question bank %(target)s."),
    "question.retired": _l("%(actor)s retired question %(target)s."),
    "question.restored": _l("%(actor)s brought back question %(target)s."),
    "quiz.created": _l("%(actor)s created the quiz %(target)s."),
    "quiz.updated": _l("%(actor)s changed the settings of the quiz %(target)s."),
    "quiz.question_added": _l("%(actor)s added a question to the quiz %(target)s."),
    "quiz.pool_added": _l("%(actor)s added a pool of questions to the quiz %(target)s."),
    "quiz.section_removed": _l("%(actor)s removed questions from the quiz %(target)s."),
    "course.created": _l("%(actor)s created the course %(target)s."),
    "course.updated": _l("%(actor)s changed the course %(target)s: %(fields)s."),
    "course.published": _l("%(actor)s published the course %(target)s."),
    "course.draft": _l("%(actor)s turned the course %(target)s back into a draft."),
    "course.archived": _l("%(actor)s archived the course %(target)s."),
    "course.lessons_reordered": _l("%(actor)s reordered the lessons of %(target)s."),
    "lesson.updated": _l("%(actor)s changed the lesson %(target)s."),
    "path.created": _l("%(actor)s created the learning path %(target)s."),
    "path.courses_set": _l("%(actor)s changed the courses of the learning path %(target)s."),
    "path.published": _l("%(actor)s published the learning path %(target)s."),
    "path.draft": _l("%(actor)s turned the learning path %(target)s back into a draft."),
    "path.archived": _l("%(actor)s archived the learning path %(target)s."),
    "rule.created": _l("%(actor)s created the rule %(target)s."),
    "rule.updated": _l("%(actor)s changed the rule %(target)s."),
    "rule.activated": _l("%(actor)s turned on the rule %(target)s."),
    "rule.paused": _l("%(actor)s paused the rule %(target)s."),
    "two_step.enrolled": _l("%(target)s turned on two-step sign-in."),
    "two_step.disabled": _l("%(target)s turned off two-step sign-in."),
    "two_step.recovery_codes_renewed": _l("%(target)s made new two-step recovery codes."),
    "two_step.recovery_code_used": _l("%(target)s signed in with a two-step recovery code."),
    "two_step.code_refused": _l("A wrong two-step sign-in code was entered for %(target)s."),
    "two_step.locked_out": _l("%(target)s was locked out after too many wrong two-step codes."),
    "two_step.reset": _l("%(actor)s reset the two-step sign-in of %(target)s."),
}


def _plain(e: EventView) -> Markup:
    return fill(str(PLAIN[e.event.action]), actor=e.actor, target=e.target, fields=e.changed_fields())


sentence(*PLAIN)(_plain)


# ---------------------------------------------------------------- people and groups


@sentence("user.roles_changed")
def _user_roles_changed(e: EventView) -> Markup:
    return fill(
        _("%(actor)s changed the roles of %(target)s: %(before)s → %(after)s."),
        actor=e.actor,
        target=e.target,
        before=e.value(e.before, "roles"),
        after=e.value(e.after, "roles"),
    )


@sentence("user.password_changed")
def _user_password_changed(e: EventView) -> Markup:
    if e.event.actor_type == "user" and e.event.target_id == str(e.event.actor_id):
        return fill(_("%(target)s changed their password."), target=e.target)
    return fill(_("%(actor)s changed the password of %(target)s."), actor=e.actor, target=e.target)


@sentence("group.members_added")
def _group_members_added(e: EventView) -> Markup:
    return fill(
        _("%(actor)s added %(people)s to the group %(target)s."),
        actor=e.actor,
        people=e.people(e.after.get("user_ids") or []),
        target=e.target,
    )


@sentence("group.member_removed")
def _group_member_removed(e: EventView) -> Markup:
    return fill(
        _("%(actor)s removed %(person)s from the group %(target)s."),
        actor=e.actor,
        person=e.person(e.before.get("user_id")),
        target=e.target,
    )


@sentence("usage.snapshot")
def _usage_snapshot(e: EventView) -> Markup:
    count = format_decimal(e.after.get("active_people") or 0)
    return fill(_("Active people counted for usage: %(count)s."), count=count)


@sentence("tenant.domain_added")
def _tenant_domain_added(e: EventView) -> Markup:
    return fill(
        _("%(actor)s added the domain %(domain)s to the portal %(target)s."),
        actor=e.actor,
        domain=e.value(e.after, "domain"),
        target=e.target,
    )


# ---------------------------------------------------------------- library


@sentence("library.draft_started", "library.draft_saved", "library.version_published")
def _library_version(e: EventView) -> Markup:
    templates = {
        "library.draft_started": _("%(actor)s started version %(version)s of %(target)s."),
        "library.draft_saved": _("%(actor)s saved the draft of version %(version)s of %(target)s."),
        "library.version_published": _("%(actor)s published version %(version)s of %(target)s."),
    }
    return fill(templates[e.event.action], actor=e.actor, version=e.value(e.after, "number"), target=e.target)


@sentence("library.deployed")
def _library_deployed(e: EventView) -> Markup:
    package = getattr(e.obj, "package", None)
    values = {
        "actor": e.actor,
        "version": e.value(e.after, "version"),
        "target": user_content(package.title) if package is not None else e.target,
    }
    if not e.after.get("tenant"):  # recorded in the receiving tenant's own log
        if e.after.get("automatic"):
            return fill(
                _("Version %(version)s of %(target)s was deployed automatically to this portal."), **values
            )
        return fill(_("%(actor)s deployed version %(version)s of %(target)s to this portal."), **values)
    values["tenant"] = e.value(e.after, "tenant")
    if e.after.get("automatic"):
        return fill(
            _("Version %(version)s of %(target)s was deployed automatically to %(tenant)s."), **values
        )
    return fill(_("%(actor)s deployed version %(version)s of %(target)s to %(tenant)s."), **values)


@sentence("library.deployment_upgraded")
def _library_deployment_upgraded(e: EventView) -> Markup:
    return fill(
        _("%(actor)s upgraded %(target)s from version %(before)s to version %(after)s."),
        actor=e.actor,
        target=e.target,
        before=e.value(e.before, "version"),
        after=e.value(e.after, "version"),
    )


# ---------------------------------------------------------------- policies


def _acknowledged_policy(e: EventView) -> tuple[Markup, Markup]:
    ack = e.obj
    if ack is not None:
        return user_content(ack.version.policy.title), user_content(ack.version.number)
    return escape(_("a policy")), escape("?")


@sentence("policy.draft_saved", "policy.version_published", "policy.report_exported")
def _policy_version(e: EventView) -> Markup:
    templates = {
        "policy.draft_saved": _("%(actor)s saved the draft of %(target)s version %(version)s."),
        "policy.version_published": _("%(actor)s published %(target)s version %(version)s."),
        "policy.report_exported": _("%(actor)s exported who accepted %(target)s version %(version)s."),
    }
    return fill(
        templates[e.event.action], actor=e.actor, target=e.target, version=e.value(e.after, "version")
    )


@sentence("policy.acknowledged")
def _policy_acknowledged(e: EventView) -> Markup:
    policy, version = _acknowledged_policy(e)
    return fill(
        _("%(person)s signed %(policy)s version %(version)s."),
        person=e.person(e.after.get("user_id")),
        policy=policy,
        version=version,
    )


@sentence("policy.receipt_rendered")
def _policy_receipt_rendered(e: EventView) -> Markup:
    policy, version = _acknowledged_policy(e)
    ack = e.obj
    return fill(
        _("The receipt of %(person)s for %(policy)s version %(version)s was made."),
        person=e.person(ack.user_id if ack is not None else None),
        policy=policy,
        version=version,
    )


# ---------------------------------------------------------------- questions, attempts and checkpoints


@sentence("question.created")
def _question_created(e: EventView) -> Markup:
    return fill(_("%(actor)s added a question to %(bank)s."), actor=e.actor, bank=e.value(e.after, "bank"))


@sentence("question.revised")
def _question_revised(e: EventView) -> Markup:
    return fill(
        _("%(actor)s revised question %(target)s (revision %(revision)s)."),
        actor=e.actor,
        target=e.target,
        revision=e.value(e.after, "revision"),
    )


@sentence("assessment.started")
def _assessment_started(e: EventView) -> Markup:
    attempt = e.obj
    return fill(
        _("%(person)s started attempt %(number)s of %(quiz)s."),
        person=e.person(attempt.user_id if attempt is not None else e.event.actor_id),
        number=e.value(e.after, "number"),
        quiz=e.value(e.after, "quiz"),
    )


@sentence("assessment.submitted")
def _assessment_submitted(e: EventView) -> Markup:
    attempt = e.obj
    values = {
        "person": e.person(e.after.get("user_id")),
        "quiz": user_content(attempt.quiz.title) if attempt is not None else escape(_("a quiz")),
        "score": format_decimal(e.after.get("score_percent") or 0),
        "number": e.value(e.after, "number"),
    }
    if e.after.get("passed"):
        return fill(_("%(person)s passed %(quiz)s with %(score)s%% (attempt %(number)s)."), **values)
    return fill(_("%(person)s did not pass %(quiz)s: %(score)s%% (attempt %(number)s)."), **values)


@sentence("checkpoint.signed")
def _checkpoint_signed(e: EventView) -> Markup:
    return fill(
        _("%(actor)s signed off %(person)s in %(lesson)s (%(course)s)."),
        actor=e.actor,
        person=e.person(email=e.after.get("learner")),
        lesson=e.value(e.after, "lesson"),
        course=e.value(e.after, "course"),
    )


# ---------------------------------------------------------------- lessons, enrolments and rules


@sentence("lesson.created")
def _lesson_created(e: EventView) -> Markup:
    return fill(
        _("%(actor)s added the lesson %(target)s to %(course)s."),
        actor=e.actor,
        target=e.target,
        course=e.value(e.after, "course"),
    )


@sentence("lesson.removed")
def _lesson_removed(e: EventView) -> Markup:
    return fill(_("%(actor)s removed the lesson %(title)s."), actor=e.actor, title=e.value(e.before, "title"))


@sentence("enrollment.created", "path_enrollment.created")
def _enrollment_created(e: EventView) -> Markup:
    values = {
        "actor": e.actor,
        "person": e.person(email=e.after.get("user")),
        "course": e.value(e.after, "course"),
        "path": e.value(e.after, "path"),
    }
    source = e.after.get("source")
    if e.event.action == "path_enrollment.created":
        if source == "self":
            return fill(_("%(person)s enrolled in the learning path %(path)s."), **values)
        return fill(_("%(actor)s enrolled %(person)s in the learning path %(path)s."), **values)
    if source == "self":
        return fill(_("%(person)s enrolled in %(course)s."), **values)
    if source == "rule":
        return fill(_("A rule enrolled %(person)s in %(course)s."), **values)
    return fill(_("%(actor)s enrolled %(person)s in %(course)s."), **values)


@sentence("enrollment.withdrawn")
def _enrollment_withdrawn(e: EventView) -> Markup:
    enrollment = e.obj
    if enrollment is None:
        return fill(_("%(actor)s withdrew an enrolment (%(target)s)."), actor=e.actor, target=e.target)
    return fill(
        _("%(actor)s withdrew %(person)s from %(course)s."),
        actor=e.actor,
        person=user_content(enrollment.user.full_name),
        course=user_content(enrollment.course.title),
    )


@sentence("enrollment.completed")
def _enrollment_completed(e: EventView) -> Markup:
    return fill(
        _("%(person)s completed %(course)s."),
        person=e.person(e.after.get("user_id")),
        course=e.value(e.after, "course"),
    )


@sentence("path_enrollment.completed")
def _path_enrollment_completed(e: EventView) -> Markup:
    path_enrollment = e.obj
    return fill(
        _("%(person)s completed the learning path %(path)s."),
        person=e.person(path_enrollment.user_id if path_enrollment is not None else None),
        path=e.value(e.after, "path"),
    )


@sentence("rule.ran")
def _rule_ran(e: EventView) -> Markup:
    return fill(
        _("%(actor)s ran the rule %(target)s: %(count)s enrolled."),
        actor=e.actor,
        target=e.target,
        count=format_decimal(e.after.get("enrolled") or 0),
    )


@sentence("usage.exported")
def _usage_exported(e: EventView) -> Markup:
    return fill(
        _("%(actor)s downloaded the usage of every portal for %(month)s."),
        actor=e.actor,
        month=e.value(e.after, "month"),
    )


def _filter_names() -> dict[str, str]:  # built per call: the reader's language
    return {
        "from": _("from"),
        "to": _("to"),
        "actor": _("who did it"),
        "event": _("action"),
        "action": _("action starts with"),
        "target_type": _("target type"),
        "target": _("target"),
    }


@sentence("audit.exported")
def _audit_exported(e: EventView) -> Markup:
    filters = e.after.get("filters") or {}
    if not isinstance(filters, dict) or not filters:
        return fill(_("%(actor)s downloaded the whole audit log."), actor=e.actor)
    names = _filter_names()
    used = Markup(", ").join(
        fill(_("%(filter)s “%(value)s”"), filter=names.get(str(key), str(key)), value=user_content(value))
        for key, value in filters.items()
    )
    return fill(
        _("%(actor)s downloaded the audit log, filtered by %(filters)s."), actor=e.actor, filters=used
    )
