"""Certification operations, by topic: definitions (what earns it), lifecycle (a person's record over
time), requirements (what counts as done), people (who must hold it), imports and reminders."""
