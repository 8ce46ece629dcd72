"""What multilingual content does when something happens elsewhere: library versions bring translations."""

from __future__ import annotations

from app.events import OutboxEvent, subscribe
from app.multilingual.library import give_library_translations


@subscribe("library.deployed")
def _library_translations(event: OutboxEvent) -> None:
    """A portal that receives a library version receives its translations too."""
    if "course_id" in event.payload:  # the platform's own record of a deployment names no course
        give_library_translations(event.payload["course_id"], event.payload["version_id"])


@subscribe("library.deployment_upgraded")
def _library_translations_upgraded(event: OutboxEvent) -> None:
    """An upgrade brings the new version's translations and keeps the portal's own."""
    give_library_translations(
        event.payload["course_id"], event.payload["to_version_id"], event.payload["from_version_id"]
    )
