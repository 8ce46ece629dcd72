"""Start an RQ worker for Atrium's queues: ``python -m workers [queue ...]``."""

from __future__ import annotations

import sys

from rq import SimpleWorker

from app import create_app
from app.jobs import QUEUES, redis_connection


def main(argv: list[str]) -> int:
    app = create_app()
    if not app.config.get("REDIS_URL"):
        print(
            "REDIS_URL is not set: jobs run inline in the web process; no worker is needed.", file=sys.stderr
        )
        return 2
    queues = argv or list(QUEUES)
    with app.app_context():
        # SimpleWorker runs jobs in this process, inside the app context created above.
        worker = SimpleWorker(queues, connection=redis_connection())
        worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
