"""Courses, lessons, learning paths, catalogs, enrollments, rules and progress."""
