"""Demo library content: "Security Awareness Essentials", published and deployed to every demo tenant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.library import services
from app.library.demo_translations import TRANSLATIONS
from app.library.models import LibraryPackage
from app.tenancy.models import Tenant

SLUG = "security-awareness"
TITLE = "Security Awareness Essentials"
DESCRIPTION = (
    "Twenty minutes that make everyone harder to fool: how to recognise phishing, choose passphrases "
    "that are long and unique, and report anything suspicious without delay or embarrassment."
)

PHISHING = """\
Phishing is a message that pretends to come from someone you trust so that you click a link, open an \
attachment, pay an invoice or type your password into a fake page. It is still the most common way \
attackers get into an organisation, because it targets people rather than machines — and people are busy.

Most phishing messages share a few tell-tale signs. Take five seconds to check for them before you act:

- **Urgency or fear.** "Your account will be closed today", "the CEO needs this payment in the next hour".
  Pressure is there to stop you from thinking.
- **A sender that is almost right.** `payroll@acme-payments.co` instead of `payroll@acme.example`, or a
  display name you know attached to an address you don't.
- **Links that go somewhere else.** On a computer, hover over the link and read the real address before you
  click. On a phone, press and hold the link to preview it.
- **Unexpected attachments** — especially invoices, shipping notices, voicemail files and anything that asks
  you to "enable content" or "enable macros".
- **Requests to change how money moves**: new bank details for a supplier, gift cards, or a transfer that
  must stay confidential.

Phishing does not only arrive by email. The same tricks come by text message ("smishing"), by phone
("vishing"), through chat tools and collaboration apps, and even as QR codes on posters or parcels.

When something feels off, **verify it through a channel you already trust**: call the person on the number
in the staff directory, or open the website by typing its address yourself. Never use the phone number or
link in the suspicious message. A genuine colleague will never mind the check.

And if you already clicked? Don't panic and don't hide it. Report it straight away (see the lesson on
reporting): the minutes right after a click are when the security team can do the most to help.
"""

PASSWORDS = """\
A password protects only as well as its weakest habit. Attackers rarely "guess" passwords one by one; they \
try millions of leaked passwords from other websites against your accounts, and they try the most common \
patterns first — names, seasons, years and keyboard runs like `Summer2024!`.

The best protection is a **passphrase**: several random, unrelated words, such as
`lantern cobalt pickle harbour`. It is long, which makes it strong, and it is a picture you can remember.
Length matters far more than swapping letters for symbols: four or five random words beat eight characters
of "complexity" every time.

Three rules keep your accounts safe:

1. **One account, one password.** Never reuse a password, especially not your work password on a personal
   site. When one site is breached, reused passwords open every other door.
2. **Use a password manager.** Let it create and remember long random passwords for everything else, so the
   only passphrase you need to memorise is the one that unlocks the manager.
3. **Turn on multi-factor authentication (MFA)** wherever it is offered. Even if a password leaks, the
   attacker still needs your phone or security key.

Be wary of MFA requests you did not start. If your phone asks you to approve a sign-in you are not making
right now, **deny it and report it** — someone has your password. Never read an MFA code to anyone who calls
you, whoever they say they are; our IT team will never ask for it.

Finally, change a password when you have reason to think it was exposed — not on a fixed schedule. Frequent
forced changes push people towards predictable patterns, which is exactly what attackers count on.
"""

REPORTING = """\
Security incidents are rarely spotted by technology first. They are spotted by people who notice that \
something is not quite right — and who say so quickly. Reporting is not an admission of failure; it is the \
single most useful thing you can do.

Report it when, for example:

- you clicked a link or opened an attachment that you now doubt;
- you typed your password into a page that turned out to be fake;
- your device is lost or stolen, or behaves strangely (pop-ups, new programs, a very slow machine);
- you received an MFA prompt or a password-reset email you did not ask for;
- personal or customer data was sent to the wrong person, or is somewhere it should not be.

**Report straight away, through the official channel**: the "Report phishing" button in your mail
program if you have one, the IT service desk, or your manager if you cannot reach either. Give what you know:
what happened, when, on which device, and what you have already done. Screenshots help; forwarding the
suspicious message as an attachment helps even more.

Then **don't try to fix it yourself**. Don't delete the evidence, don't run cleaning tools you found online,
and don't warn the whole company by reply-all — the security team will decide what needs to happen and who
needs to know. If you are asked to disconnect a device from the network, do so and leave it switched on.

Nobody is blamed for reporting in good faith. The incidents that do real damage are the ones that stay
quiet for days. Speaking up in the first few minutes turns most of them into a non-event.
"""

VIDEO_TRANSCRIPT = """\
[Narrator] It is Monday morning. Maria, who works in accounts, receives an email from a supplier she knows \
well. It says their bank details have changed and asks her to pay this week's invoice to the new account.

[Narrator] The logo is right, the tone is friendly, and the invoice number matches one she is expecting. But \
the sender's address ends in “-billing.co” instead of the supplier's usual domain, and the message asks her \
to keep the change confidential “for audit reasons”.

[Maria] That's odd. They've never asked for that before.

[Narrator] Instead of replying, Maria looks up the supplier's phone number in the purchasing system and \
calls her usual contact. The supplier has not changed banks. The email was a fake.

[Narrator] Maria uses the Report phishing button, and the security team blocks the sender for everyone. \
Three colleagues had received the same message that morning.

[Narrator] Remember: check the sender, question urgency and secrecy, verify through a channel you already \
trust, and report anything suspicious. Five seconds of doubt can save a great deal.
"""

LESSONS: list[dict[str, Any]] = [
    {"kind": "page", "title": "Recognising phishing", "required": True, "markdown": PHISHING},
    {
        "kind": "video",
        "title": "A phishing attempt, step by step",
        "required": True,
        # A CC0 clip from MDN's examples stands in for a real training film; the transcript is the lesson.
        "url": "https://interactive-examples.mdn.mozilla.net/media/cc0-videos/flower.mp4",
        "captions_language": "en",
        "transcript": VIDEO_TRANSCRIPT,
    },
    {"kind": "page", "title": "Passwords and passphrases", "required": True, "markdown": PASSWORDS},
    {"kind": "page", "title": "Reporting a security incident", "required": True, "markdown": REPORTING},
]


SECURITY_QUESTIONS: list[dict[str, Any]] = [
    {
        "type": "multiple",
        "prompt": "Which of these are signs of a phishing email? Choose all that apply.",
        "options": [
            {"text": "A sender address that does not match the company's domain", "correct": True},
            {"text": "Urgent pressure to act now", "correct": True},
            {"text": "Your manager's name in the signature", "feedback": "Names are easy to copy."},
        ],
    },
    {
        "type": "true_false",
        "prompt": "A long passphrase is stronger than a short complex password.",
        "answer": "true",
    },
    {
        "type": "single",
        "prompt": "You clicked a suspicious link. What do you do first?",
        "options": [
            {"text": "Report it to the security team straight away", "correct": True},
            {"text": "Wait and see whether anything happens"},
            {"text": "Delete the email and say nothing"},
        ],
    },
]


def _security_check_quiz() -> int:
    """The package's closing quiz, built by the platform under Quizzes (once)."""
    from app.assessments import services as assessments
    from app.assessments.models import Quiz
    from app.tenancy import as_tenant

    with as_tenant(services.platform_tenant()):
        quiz = db.session.scalars(select(Quiz).where(Quiz.title == "Security check")).first()
        if quiz is None:
            bank = assessments.create_bank("Security awareness", "Questions for library packages.")
            quiz = assessments.create_quiz({"title": "Security check", "pass_percent": 67})
            for question in SECURITY_QUESTIONS:
                assessments.add_fixed_question(quiz, assessments.add_question(bank, question))
        return quiz.id


def load_library_demo(slugs: tuple[str, ...]) -> None:
    """Create and publish the demo library package if it is missing and deploy it to the demo portals *slugs*.

    Only the demo's own portals: other portals of the installation (or of a test database) are left alone;
    portals created later receive it through the package's automatic deployment. Safe to run again.
    """
    package = db.session.scalars(select(LibraryPackage).where(LibraryPackage.slug == SLUG)).first()
    if package is None:
        package = services.create_package(
            SLUG,
            TITLE,
            DESCRIPTION,
            language="en",
            duration_minutes=20,
            category="Compliance",
            tags=("security", "compliance", "phishing"),
        )
    if package.latest_published is None:
        draft = services.start_new_draft(package)
        services.update_draft(
            draft,
            title=TITLE,
            description=DESCRIPTION,
            language="en",
            duration_minutes=20,
            category="Compliance",
            tags=("security", "compliance", "phishing"),
            lessons=[
                *LESSONS,
                {
                    "kind": "assessment",
                    "title": "Security check",
                    "required": True,
                    "quiz_id": str(_security_check_quiz()),
                },
            ],
            translations=TRANSLATIONS,
        )
        services.publish(draft)
        services.set_targeting(package, list(services.TARGET_AUDIENCES), [], auto_deploy=True)
    already = services.deployed_tenant_ids(package)
    tenants = db.session.scalars(
        select(Tenant).where(Tenant.is_platform.is_(False), Tenant.slug.in_(slugs)).order_by(Tenant.id)
    ).all()
    for tenant in tenants:
        if tenant.id not in already:
            services.deploy(package, tenant, automatic=True)
    db.session.flush()
