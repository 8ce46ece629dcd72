"""Start an RQ worker for Atrium's queues: ``python -m workers [queue ...]``; ``python -m workers cron``
starts the scheduler of periodic work (the nightly rule run at 02:00 UTC, the certification sweep at
02:30 UTC, SAML metadata re-read at 03:15 UTC, the managers' certification digest on Mondays at
06:00 UTC, expired quiz attempts every 15 minutes, signed audit checkpoints hourly, the job outbox
drain every minute, the sweep of abandoned jobs every three minutes, due HR syncs every five minutes,
the check for HR sources gone stale daily at 07:00 UTC, scheduled reports daily at 05:00 UTC)."""

from __future__ import annotations

import sys

from app import create_app
from app.jobs import QUEUES, redis_connection
from workers import Worker


def main(argv: list[str]) -> int:
    app = create_app()
    if not app.config.get("REDIS_URL"):
        print(
            "REDIS_URL is not set: jobs run inline in the web process; no worker is needed.", file=sys.stderr
        )
        return 2
    if argv[:1] == ["cron"]:
        from rq.cron import CronScheduler

        from workers.runner import run_job

        with app.app_context():
            scheduler = CronScheduler(connection=redis_connection(), name="atrium-cron")
            # Run as a platform job (no tenant): it queues one rule run per tenant.
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "workers.nightly:run_rules_everywhere", [], {}),
                cron="0 2 * * *",
                name="nightly-rules",
            )
            # Certifications entering their renewal window or expiring, and the reminders due.
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "workers.nightly:sweep_certifications_everywhere", [], {}),
                cron="30 2 * * *",
                name="nightly-certifications",
            )
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "workers.nightly:certification_digests_everywhere", [], {}),
                cron="0 6 * * 1",
                name="weekly-certification-digests",
            )
            # Each unit's compliance on Monday morning: the weekly points of the roll-up's 12-week trend.
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "workers.nightly:compliance_snapshots_everywhere", [], {}),
                cron="0 5 * * 1",
                name="weekly-compliance-snapshots",
            )
            # SAML providers whose metadata has an address: new signing certificates picked up daily.
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "workers.nightly:refresh_saml_metadata_everywhere", [], {}),
                cron="15 3 * * *",
                name="daily-saml-metadata",
            )
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "workers.nightly:close_expired_attempts_everywhere", [], {}),
                cron="*/15 * * * *",
                name="expired-quiz-attempts",
            )
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "app.audit.checkpoints:checkpoint_every_tenant", [], {}),
                cron="7 * * * *",
                name="audit-checkpoints",
            )
            # Jobs recorded while Redis was unreachable are sent within a minute of its return.
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "app.jobs:drain", [], {}),
                interval=60,
                name="job-outbox-drain",
            )
            # Jobs whose worker was killed are retried, or marked failed so their page offers to try again.
            scheduler.register(
                run_job,
                queue_name="default",
                args=(None, "app.jobs:sweep", [], {}),
                cron="*/3 * * * *",
                name="abandoned-job-sweep",
            )
            # HR sources whose schedule has come round: each tenant's due previews are queued on "sync".
            scheduler.register(
                run_job,
                queue_name="sync",
                args=(None, "app.syncs.jobs:start_due_runs_everywhere", [], {}),
                cron="*/5 * * * *",
                name="due-hr-syncs",
            )
            # Admins are emailed about an HR source that has not succeeded for longer than its schedule.
            scheduler.register(
                run_job,
                queue_name="sync",
                args=(None, "app.syncs.jobs:warn_stale_everywhere", [], {}),
                cron="0 7 * * *",
                name="stale-hr-syncs",
            )
            # Saved reports sent by email daily, weekly or monthly: each tenant's due deliveries at 05:00 UTC.
            scheduler.register(
                run_job,
                queue_name="reports",
                args=(None, "app.reports.jobs:deliver_due_reports_everywhere", [], {}),
                cron="0 5 * * *",
                name="scheduled-reports",
            )
            scheduler.start()
        return 0
    queues = argv or list(QUEUES)
    with app.app_context():
        # The worker runs jobs in this process, inside the app context created above.
        # A 60 s TTL makes an idle worker refresh its heartbeat every 45 s, well inside /readyz's window.
        worker = Worker(queues, connection=redis_connection(), worker_ttl=60)
        worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
