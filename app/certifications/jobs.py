"""Jobs of certifications: the nightly sweep of a tenant, reminder emails and the managers' weekly digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _

from app.accounts.models import User
from app.certifications.models import CertificationNotice, CertificationRecord, RecordState
from app.certifications.services import reminders, sweep
from app.extensions import db
from app.locales import person_locale
from app.mail import mail_person
from app.multilingual import reading
from app.tenancy import context as tenancy_context
from app.tenancy.models import Tenant, utcnow
from app.timezones import person_time_zone


def sweep_tenant(now: str | None = None) -> dict[str, int]:
    """Move the records the clock has reached, then queue the reminders that are due (the nightly job)."""
    moment = datetime.fromisoformat(now) if now else utcnow()
    counts = sweep.sweep(moment)
    counts["reminders"] = reminders.queue_reminders(moment)
    return counts


def digest_tenant(now: str | None = None) -> int:
    """Queue this week's digest of expiring and expired certifications for each manager (the weekly job)."""
    return reminders.queue_digests(datetime.fromisoformat(now) if now else utcnow())


def _claim(notice_id: int) -> CertificationNotice | None:
    notice = db.session.get(CertificationNotice, notice_id, with_for_update=True)
    if notice is None or notice.sent_at is not None:
        return None  # delivered by an earlier run of this job
    notice.sent_at = utcnow()
    return notice


def _portal(tenant: Tenant, path: str) -> str:
    from app.tenancy.services import portal_url

    return portal_url(tenant, path)


def _date(value: datetime | None, user: User, tenant: Tenant) -> str:
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(person_time_zone(user.time_zone, tenant.time_zone))
    return format_date(value.astimezone(zone).date(), "long")


def _title(certification: Any) -> str:
    """The certification's title in the recipient's language, else the portal's, else as written."""
    return str(reading.translated(certification, "title"))


def send_reminder(notice_id: int, record_id: int, days: int) -> bool:
    """Email the holder that their certification expires in *days* days (0: today), in their language."""
    if _claim(notice_id) is None:
        return False
    record = db.session.get(CertificationRecord, record_id)
    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    user = db.session.get(User, record.user_id) if record else None
    if record is None or user is None or tenant is None or record.state not in ("certified", "expiring"):
        return False
    with force_locale(person_locale(user.locale, tenant)):
        title = _title(record.certification)
        expires = _date(record.expires_at, user, tenant)
        if days == 0:
            subject = _("Your certification %(title)s expires today", title=title)
        else:
            subject = ngettext(
                "Your certification %(title)s expires in %(num)d day",
                "Your certification %(title)s expires in %(num)d days",
                days,
                title=title,
            )
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=user.full_name),
                _("Your certification %(title)s expires on %(date)s.", title=title, date=expires),
                _("See what renewing it needs: %(url)s", url=_portal(tenant, "/certifications")),
                tenant.display_name,
            ]
        )
    mail_person(user, subject, body)
    return True


def send_digest(notice_id: int, manager_id: int) -> bool:
    """Email *manager_id* the expiring and expired certifications of their people, in their language."""
    if _claim(notice_id) is None:
        return False
    manager = db.session.get(User, manager_id)
    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    if manager is None or tenant is None:
        return False
    rows = reminders.digest_rows(manager)
    if not rows:
        return False
    people = {u.id: u for u in db.session.query(User).filter(User.id.in_({r.user_id for r in rows}))}
    with force_locale(person_locale(manager.locale, tenant)):
        lines = []
        for record in rows:
            person = people.get(record.user_id)
            name = person.full_name if person else "?"
            when = _date(record.expires_at, manager, tenant)
            if record.state == RecordState.expired.value:
                lines.append(
                    _(
                        "- %(name)s: %(title)s expired on %(date)s",
                        name=name,
                        title=_title(record.certification),
                        date=when,
                    )
                )
            else:
                lines.append(
                    _(
                        "- %(name)s: %(title)s expires on %(date)s",
                        name=name,
                        title=_title(record.certification),
                        date=when,
                    )
                )
        subject = _("Certifications of your people that need attention")
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=manager.full_name),
                _("These certifications of your people are expiring or have expired:"),
                "\n".join(lines),
                _("See your team: %(url)s", url=_portal(tenant, "/team/")),
                tenant.display_name,
            ]
        )
    mail_person(manager, subject, body)
    return True
