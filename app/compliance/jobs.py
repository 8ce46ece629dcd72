"""Jobs of the compliance dashboard: the reminder a manager sent, written in the person's language."""

from __future__ import annotations

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from app.accounts.models import User
from app.compliance.models import Reminder
from app.compliance.status import Status, for_people
from app.extensions import db
from app.locales import person_locale
from app.mail import mail_person
from app.tenancy import context as tenancy_context
from app.tenancy.models import Tenant


def send_reminder(reminder_id: int) -> bool:
    """Tell the person of *reminder_id* what they still have to do and by when."""
    reminder = db.session.get(Reminder, reminder_id)
    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    person = db.session.get(User, reminder.user_id) if reminder else None
    if reminder is None or person is None or tenant is None:
        return False
    sender = db.session.get(User, reminder.sent_by_id) if reminder.sent_by_id else None
    standing = for_people([person.id], tenant=tenant)[person.id]
    open_items = [item for item in standing.items if item.status != Status.done]
    from app.tenancy.services import portal_url

    with force_locale(person_locale(person.locale, tenant)):
        lines = []
        for item in open_items:
            when = item.due_on or item.expires_on
            lines.append(
                f"- {item.title}" + (f" ({_('by %(date)s', date=format_date(when, 'long'))})" if when else "")
            )
        subject = _("A reminder about your training at %(portal)s", portal=tenant.display_name)
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=person.full_name),
                _("%(manager)s reminds you of the training you still have to do:", manager=sender.full_name)
                if sender
                else _("A reminder of the training you still have to do:"),
                "\n".join(lines) if lines else _("Nothing is open right now: thank you."),
                _("Open your learning: %(url)s", url=portal_url(tenant, "/")),
                tenant.display_name,
            ]
        )
    mail_person(person, subject, body)
    return True


def record_weekly_snapshots() -> int:
    """Record this week's compliance of every unit of the tenant in context (again the same week: updated)."""
    from app.compliance.rollup import record_snapshots

    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    return record_snapshots(tenant=tenant)
