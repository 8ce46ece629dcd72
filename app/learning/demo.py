"""Demo courses, a path and rules with real lesson text, for `flask demo`."""

from __future__ import annotations

import io
import logging

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.accounts.models import Group, OrgUnit
from app.extensions import db
from app.learning.lesson_kinds import Upload
from app.learning.models import Course, EnrollmentRule, LearningPath
from app.learning.services import courses as authoring
from app.learning.services import rules as rule_service

logger = logging.getLogger(__name__)

SLIDES = [
    "Keep hot food hot and cold food cold.",
    "The danger zone: 5 to 60 degrees Celsius.",
    "Probe the core. Write it on the log.",
]

FOOD_SAFETY = [
    (
        "page",
        "Why food safety matters",
        """\
Every plate that leaves our kitchen carries our name. Foodborne illness is not an abstract risk: it happens when
bacteria such as *Salmonella*, *Listeria* or *E. coli* multiply in food that was stored, cooked or handled the wrong
way. Most cases come from a handful of mistakes that are easy to avoid once you know them.

In this course you will learn the four habits that prevent almost all of those mistakes: **clean**, **separate**,
**cook** and **chill**. You will also learn what to do when something goes wrong, because hiding a problem is always
worse than reporting it.

By the end you should be able to explain the danger zone, take and record a food temperature, and set up a station
so that raw and ready-to-eat food never meet.""",
    ),
    (
        "page",
        "Clean and separate",
        """\
## Wash your hands — properly

The first thing you do when you arrive for your shift, before you touch any food: **wash your hands**.

1. Wet your hands with warm water.
2. Apply soap.
3. Rub palms, backs and between fingers for 20 seconds — and under the nails.
4. Rinse.
5. Dry with a disposable towel.

Wash again after handling raw meat, after a break, after touching your face or phone, and whenever you change
tasks.

## Keep raw and ready-to-eat apart

- Use the colour-coded boards and knives: **red** for raw meat, **blue** for raw fish, **green** for salad and
  fruit, **yellow** for cooked meat.
- Store raw meat on the **bottom** shelf of the walk-in, ready-to-eat food above it.
- Never put cooked food back on a plate or tray that held raw food.
- Never rinse raw chicken under the tap: rinsing does not make it safer, it splashes bacteria around the sink and
  onto you. Cooking is what kills them.

## Allergens: know the 14

We must tell guests when a dish contains any of the 14 allergens: celery, cereals containing gluten,
crustaceans, eggs, fish, lupin, milk, molluscs, mustard, tree nuts, peanuts, sesame, soya, and sulphites.
Tomato, onion and garlic are not on the list. Keep the allergen sheet at the pass up to date, and never guess: if
you are not sure what is in a dish, ask the chef.

## Clean, then sanitise

Cleaning removes dirt; sanitising kills what is left. Wipe surfaces with detergent first, then apply sanitiser at
the strength on the bottle and leave it for the contact time shown.""",
    ),
    ("video", "Temperature control in two minutes", ""),
    (
        "page",
        "Cook and chill: the danger zone",
        """\
Bacteria grow fastest between **5 °C and 60 °C** (41 °F – 140 °F). That range is the *danger zone*.

| Food | Safe minimum core temperature |
|---|---|
| Poultry, stuffing | 74 °C (165 °F) |
| Minced meat, burgers | 71 °C (160 °F) |
| Whole cuts of beef, pork, fish | 63 °C (145 °F) |
| Reheated food | 74 °C (165 °F) |

Once cooked, **hold hot food at 63 °C or above** on the pass and in the bain-marie, and keep chilled food —
in the walk-in, the reach-ins and any chilled display — at **5 °C or below**.

Chill cooked food from 60 °C to 21 °C within two hours and to 5 °C within the next four. Use shallow pans and ice
baths; never put a deep pot of hot stock straight into the walk-in.

Record every check on the temperature log. If a reading is out of range, tell your shift lead at once.""",
    ),
]

OPENING = [
    (
        "page",
        "Before the doors open",
        """\
The first hour sets the tone for the whole day. Arrive fifteen minutes before your shift and sign in.

1. Check the walk-in and reach-in temperatures and write them on the log (at or below 5 °C).
2. Turn on the fryers and grills in the order on the station card; never leave a fryer heating unattended.
3. Sanitise every prep surface and set out fresh sanitiser buckets.
4. Check the handwash sinks: soap, towels, hot water.
5. Read the day's notes from the manager: deliveries, specials, large bookings.""",
    ),
    ("file", "Opening and closing checklist", ""),
    (
        "page",
        "Closing safely",
        """\
At close, work from the dining room back to the kitchen. Label, date and cover everything that goes into storage.
Filter the fryer oil once it has cooled below 50 °C, using the safety pitcher. Switch off and clean the grills,
take out the rubbish, and do a last walk-through with the closing checklist before you set the alarm.""",
    ),
]

SELLING = [
    (
        "Widgets 101",
        "page",
        """\
Atrium Widgets come in three lines, all on the same platform, so customers can start small and grow without
migrating:

| Line | Built for |
|---|---|
| **Core** | Small teams of up to 50 people who want to start this week |
| **Pro** | Growing companies that must connect Widgets to their CRM and HR systems |
| **Enterprise** | Organisations that need single sign-on, audit trails and a service-level agreement |

Three questions place a customer on the right line: *How many people? Which systems must it connect to? Who signs
off on security?*

## Warranty and Widget Care Plus

Every Widget comes with a **standard one-year warranty**. **Widget Care Plus** extends it to **three years** and
adds next-business-day replacement. Offer it whenever a customer asks for a longer warranty: warranties cannot be
extended any other way, and a discount is never a substitute for one.""",
    ),
    (
        "The partner program",
        "page",
        """\
The Widget Partner Network has two tiers. Your tier decides your **partner discount** off the list price:

- **Gold** resellers get **20 %**.
- **Silver** resellers get **12 %**.

## The floor price

Each product line has a published **floor price**. Partners may never quote below it, whatever the competition:
the floor price protects every partner's margin and the customer's trust in our prices. If a deal cannot close
above the floor, talk to your partner manager before you quote.

## Register every deal in the Partner Hub

Register each opportunity in the **Partner Hub**, the partner portal, before your first demonstration. A
registered deal is protected for you for 90 days: no other partner can claim it.""",
    ),
    (
        "Discovery conversations",
        "page",
        """\
Every Atrium sale moves through five stages, in this order: **Discovery**, **Demonstration**, **Proposal**,
**Negotiation** and **Close**. Skipping one — demonstrating before you have discovered anything — is the most
common reason deals stall.

Great discovery is 80 % listening. Open with the customer's goals, not our features. Good discovery questions:

- *What problem are you solving?*
- *What happens today, and what does it cost when it goes wrong?*
- *Who else decides?*

Summarise what you heard before you propose anything; customers buy from people who understood them. Questions
that push for a decision, such as *Can you sign today?*, belong to the close, not to discovery.""",
    ),
    (
        "Handling objections",
        "page",
        """\
Treat an objection as a request for information. *Acknowledge* it, *ask* a clarifying question, *answer* with
evidence (a reference customer, a benchmark, a trial) and *confirm* the concern is resolved.

The three objections you will hear most, and the best first answer to each:

| Objection | Best first answer |
|---|---|
| Too expensive | Compare the total cost of ownership |
| Not now | Ask what would make it a priority |
| We use a competitor | Ask what they would change about it |

The price objection is usually a question about value: return to the cost of the problem you uncovered in
discovery.""",
    ),
]

ONBOARDING = [
    (
        "page",
        "Welcome aboard",
        """\
Welcome! This short course walks you through how we work, where to find help and what is expected in your first
thirty days. Take your time; you can come back to any lesson whenever you like.

Your manager and your onboarding buddy are your first points of contact. Don't hesitate to ask — there are no
silly questions in your first month.""",
    ),
    (
        "page",
        "How we work",
        """\
We write things down. Decisions, meeting notes and how-tos live in the shared wiki, so everyone can find them.
We respect focus time: meetings have an agenda, start on time and end early when they can. And we give feedback
kindly and directly, because we want each other to succeed.""",
    ),
]


def _checklist_pdf() -> bytes:
    """A one-page checklist as a PDF (drawn with Pillow, which writes PDFs natively)."""
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    lines = ["Bistro Bello - Opening and closing checklist", ""]
    items = [
        "OPENING",
        "[ ] Fridge and freezer temperatures logged",
        "[ ] Fryers and grills on, in order",
        "[ ] Prep surfaces sanitised",
        "[ ] Handwash sinks stocked",
        "[ ] Manager's notes read",
        "",
        "CLOSING",
        "[ ] Food labelled, dated, covered",
        "[ ] Fryer oil filtered below 50 C",
        "[ ] Grills off and cleaned",
        "[ ] Rubbish out",
        "[ ] Final walk-through, alarm set",
    ]
    y = 120
    for text in lines + items:
        draw.text((120, y), text, fill="black", font_size=36)
        y += 60
    out = io.BytesIO()
    page.save(out, format="PDF")
    return out.getvalue()


def _video() -> bytes | None:
    """A short WebM of three captioned slides, rendered here so the demo plays offline; None without PyAV."""
    try:
        import av
    except ImportError:  # PyAV comes with the `demo` extra (make run installs it): leave the video out
        logger.warning("PyAV is not installed (pip install 'atrium[demo]'): the demo has no video lesson")
        return None

    out = io.BytesIO()
    container = av.open(out, mode="w", format="webm")
    stream = container.add_stream("libvpx", rate=10)
    stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
    for frame_number in range(240):
        slide = SLIDES[min(frame_number // 80, len(SLIDES) - 1)]
        image = Image.new("RGB", (640, 360), (154, 52, 18))
        draw = ImageDraw.Draw(image)
        draw.text((40, 150), slide, fill="white", font_size=28)
        draw.text((40, 300), f"Bistro Bello · {frame_number / 10:4.1f}s", fill="white", font_size=20)
        for packet in stream.encode(av.VideoFrame.from_image(image)):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return out.getvalue()


def _captions() -> bytes:
    return (
        b"WEBVTT\n\n00:00:00.000 --> 00:00:08.000\nKeep hot food hot and cold food cold.\n\n"
        b"00:00:08.000 --> 00:00:16.000\nThe danger zone is between 5 and 60 degrees Celsius.\n\n"
        b"00:00:16.000 --> 00:00:24.000\nCheck core temperatures with a clean probe and write them on the log.\n"
    )


def _course(
    title: str,
    lessons: list[tuple[str, str, str]],
    *,
    category: str,
    tags: list[str],
    minutes: int,
    description: str,
    self_enroll: bool = True,
) -> Course:
    course = db.session.scalars(select(Course).where(Course.title == title)).first()
    if course is not None:
        return course
    course = authoring.create_course(
        {
            "title": title,
            "description": description,
            "category": category,
            "tags": tags,
            "language": "en",
            "duration_minutes": minutes,
            "self_enroll": self_enroll,
            "listed": True,
        }
    )
    for kind, lesson_title, body in lessons:
        uploads: dict[str, Upload | None] = {}
        fields = {"body": body}
        if kind == "video":
            video = _video()
            if video is None:
                continue
            fields = {
                "captions_language": "en",
                "transcript": "Keep hot food hot and cold food cold. The danger zone is between 5 and 60 "
                "degrees Celsius. Check core temperatures with a clean probe and write them on "
                "the log.",
            }
            uploads = {
                "video_file": Upload("temperature-control.webm", video),
                "captions_file": Upload("temperature-control.vtt", _captions()),
            }
        elif kind == "file":
            fields = {"note": "Print this and keep it by the pass. Tick each line at opening and at close."}
            uploads = {"document_file": Upload("opening-closing-checklist.pdf", _checklist_pdf())}
        authoring.add_lesson(course, kind, lesson_title, True, fields, uploads)
    authoring.set_course_status(course, "published")
    return course


def _rule(
    name: str,
    conditions: list[dict[str, str]],
    *,
    course: Course | None = None,
    path: LearningPath | None = None,
    due_days: int | None = None,
) -> None:
    if db.session.scalars(select(EnrollmentRule).where(EnrollmentRule.name == name)).first():
        return
    draft = rule_service.RuleDraft(
        name=name,
        match="all",
        conditions=conditions,
        course=course,
        path=path,
        due_mode="after_enrolment" if due_days else "none",
        due_days=due_days,
        due_date=None,
    )
    rule_service.run_rule(rule_service.save_rule(None, draft))


def bistro_courses() -> tuple[Course, Course]:
    """Food Safety and Opening and Closing; the demo then adds the quiz (assessments) and the rules."""
    food = _course(
        "Food Safety Basics",
        FOOD_SAFETY,
        category="Food safety",
        tags=["safety", "kitchen"],
        minutes=25,
        description="The four habits that keep our guests safe: clean, separate, cook, chill.",
    )
    opening = _course(
        "Opening and Closing Procedures",
        OPENING,
        category="Operations",
        tags=["operations"],
        minutes=15,
        description="How to open and close a Bistro Bello location safely and on time.",
    )
    return food, opening


def bistro_rules(food: Course, opening: Course) -> None:
    for location in ("Riverside", "Airport"):
        unit = db.session.scalars(select(OrgUnit).where(OrgUnit.name == location)).first()
        if unit is not None:
            _rule(
                f"{location} crew need Food Safety",
                [{"field": "org_unit", "op": "is", "value": str(unit.id)}],
                course=food,
                due_days=14,
            )
    crew = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "Midwest")).first()
    if crew is not None:
        _rule(
            "Every location learns opening and closing",
            [{"field": "org_unit", "op": "is", "value": str(crew.id)}],
            course=opening,
            due_days=30,
        )


def assign_food_safety_to_the_demo_learner(food: Course) -> None:
    """Lee Learner's manager assigned Food Safety, due in two weeks: the quiz walkthrough starts on Lee's home."""
    from datetime import date, timedelta

    from app.accounts.models import User
    from app.learning.services.enrollments import enrol

    learner = db.session.scalars(select(User).where(User.email == "learner@bistro.example")).first()
    manager = db.session.scalars(select(User).where(User.email == "manager@bistro.example")).first()
    if learner is not None:
        enrol(learner, food, due_on=date.today() + timedelta(days=14), source="manager", assigned_by=manager)


def partners_path() -> LearningPath:
    """The Selling Atrium Widgets path; the demo then adds the exam (assessments) and the rules."""
    steps = []
    for index, (title, kind, body) in enumerate(SELLING, start=1):
        steps.append(
            _course(
                f"Selling Atrium Widgets {index}: {title}",
                [(kind, title, body)],
                category="Sales",
                tags=["sales", "certification"],
                minutes=10,
                description=f"Part {index} of the Selling Atrium Widgets path.",
                self_enroll=False,
            )
        )
    path = db.session.scalars(
        select(LearningPath).where(LearningPath.title == "Selling Atrium Widgets")
    ).first()
    if path is None:
        path = authoring.create_path(
            {
                "title": "Selling Atrium Widgets",
                "description": "From the product lines to closing: the path every partner "
                "sales rep completes to sell Atrium Widgets.",
                "self_enroll": True,
            }
        )
        authoring.set_path_courses(path, [c.id for c in steps])
        authoring.set_path_status(path, "published")
    return path


def partners_rules(path: LearningPath) -> None:
    for tier in ("gold", "silver"):
        group = db.session.scalars(select(Group).where(Group.name == f"{tier.title()} partners")).first()
        if group is not None:
            _rule(
                f"{tier.title()} partners sell Widgets",
                [{"field": "group", "op": "is", "value": str(group.id)}],
                path=path,
                due_days=30 if tier == "gold" else 60,
            )


def onboarding(company: str) -> None:
    _course(
        f"Welcome to {company}",
        ONBOARDING,
        category="Onboarding",
        tags=["onboarding"],
        minutes=10,
        description="Your first steps: how we work and where to find help.",
    )


def new_hire_rule(company: str, new_hires: Group) -> None:
    """New hires (people in *new_hires*, e.g. mapped from the identity provider) take the welcome course."""
    course = db.session.scalars(select(Course).where(Course.title == f"Welcome to {company}")).first()
    if course is not None:
        _rule(
            "New hires take the welcome course",
            [{"field": "group", "op": "is", "value": str(new_hires.id)}],
            course=course,
            due_days=14,
        )
