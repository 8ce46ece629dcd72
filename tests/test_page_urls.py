"""Addresses built once per page for its rows are the addresses url_for gives, under a script root too."""

from __future__ import annotations

from flask import url_for

from app.templating import url_for_ids


def test_row_addresses_match_url_for_under_a_script_root(app):
    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/lms987654321987"}):
        course_href = url_for_ids("learning.course", "course_id")
        resume_href = url_for_ids("learning.resume", "enrollment_id")
        assert course_href(42) == url_for("learning.course", course_id=42) == "/lms987654321987/courses/42"
        assert resume_href(7) == url_for("learning.resume", enrollment_id=7)
        assert resume_href(7).startswith("/lms987654321987/") and "/7" in resume_href(7)
