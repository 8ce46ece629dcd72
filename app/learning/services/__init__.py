"""Every operation that changes courses, paths, enrollments, rules and progress."""
