"""RQ worker entry point and the job runner."""
