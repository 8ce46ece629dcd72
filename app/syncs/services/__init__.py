"""Every operation of HR syncs: sources (``sources``), reading and diffing (``preview``), applying and
rolling back (``apply``), and the life of a run with its schedule (``runs``)."""
