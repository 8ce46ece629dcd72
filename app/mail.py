"""Send mail over SMTP when MAIL_SERVER is set; print it to the console otherwise."""

from __future__ import annotations

import logging
import smtplib
import sys
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from flask import current_app

log = logging.getLogger("atrium.mail")


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text message to *to*; a job function, so it runs in a worker when Redis is set."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not config.get("MAIL_SERVER"):
        printed = f"\n----- mail (MAIL_SERVER not set) -----\n{_readable(message)}\n-----"
        print(printed, file=sys.stderr, flush=True)
        log.info("mail.printed", extra={"to": to, "subject": subject})
        return
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    log.info("mail.sent", extra={"to": to, "subject": subject})


def _readable(message: EmailMessage) -> str:
    """The message as a person reads it: decoded headers and text, not quoted-printable (whose soft line
    breaks and =3D escapes would break a printed link)."""
    headers = "\n".join(f"{name}: {message[name]}" for name in ("From", "To", "Subject"))
    return f"{headers}\n\n{message.get_content().rstrip()}"


# What receives a message for a person without an email address (the inbox feature registers itself).
_without_address: list[Callable[[Any, str, str], Any]] = []


def deliver_without_address(handler: Callable[[Any, str, str], Any]) -> None:
    """Make *handler(person, subject, body)* receive the messages of people who have no email address."""
    _without_address[:] = [handler]


def mail_person(person: Any, subject: str, body: str) -> None:
    """Email *person*; one without an email address (a crew member) finds it in their inbox instead.

    Call it where the message is composed (a job or a request): delivery to the inbox is part of the
    caller's transaction.
    """
    if person.email:
        send_mail(person.email, subject, body)
        return
    if not _without_address:
        log.warning("mail.no_address", extra={"user_id": person.id, "subject": subject})
        return
    _without_address[0](person, subject, body)
