"""A worker killed while rendering a certificate, and the job run again, gives exactly one certificate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from app import jobs
from app.certificates.models import Certificate
from app.tenancy import as_tenant
from tests.certificates.helpers import award_payload, emit

# Runs one outbox job the way the RQ worker does (workers.runner.run_job), in a process of its own. With
# a marker file named, rendering first writes the marker and then waits, so that the test can kill it there.
RUNNER = """
import sys, time
from app import create_app
from app.certificates import documents
from workers.runner import run_job

tenant_id, outbox_id, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if marker:
    render = documents.html_to_pdf

    def slow_render(html):
        pdf = render(html)
        with open(marker, "w") as out:
            out.write("rendering")
        time.sleep(60)
        return pdf

    documents.html_to_pdf = slow_render
app = create_app()
with app.app_context():
    from app.jobs import JobOutbox
    from app.extensions import db
    from app.tenancy import as_tenant

    with as_tenant(tenant_id):
        row = db.session.get(JobOutbox, outbox_id)
        path, args, kwargs = row.function, list(row.args), dict(row.kwargs)
    db.session.rollback()
    run_job(tenant_id, path, args, kwargs, outbox_id)
"""


def _runner(app, tenant_id: int, outbox_id: int, marker: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PLATFORM_DATABASE_URL": app.config["PLATFORM_DATABASE_URL"] or "",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "ATRIUM_DOMAIN": app.config["ATRIUM_DOMAIN"],
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    root = Path(__file__).resolve().parent.parent.parent
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(tenant_id), str(outbox_id), marker],
        env=env,
        cwd=root,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )


def test_a_worker_killed_while_rendering_and_the_job_run_again_gives_one_certificate(
    app, db, tenant_factory, user_factory, tmp_path
):
    tenant = tenant_factory()
    learner = user_factory(tenant, full_name="Lee Learner")
    payload = award_payload(learner)
    # Record the job as with Redis (an outbox row) but leave it to the processes below to run it.
    previous = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        emit(db, tenant, "certification.awarded", payload)
    finally:
        app.config["REDIS_URL"] = previous
        # Failing to reach that Redis made this process wait before trying Redis again: not the next tests.
        jobs._redis_down_until, jobs._redis_reported_down = 0.0, False
    with as_tenant(tenant):
        outbox = db.session.scalars(
            select(jobs.JobOutbox).where(jobs.JobOutbox.function == "app.certificates.jobs:issue_certificate")
        ).one()
        outbox_id = outbox.id

    marker = tmp_path / "rendering.txt"
    killed = _runner(app, tenant.id, outbox_id, str(marker))
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert killed.poll() is None, "the job ended before it was killed"
            assert time.monotonic() < deadline, "the job did not start rendering"
            time.sleep(0.05)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=10)
    finally:
        if killed.poll() is None:
            os.killpg(killed.pid, signal.SIGKILL)
    with as_tenant(tenant):
        db.session.expire_all()
        certificate = db.session.scalars(select(Certificate)).one()
        assert certificate.pdf_sha256 is None  # the killed run committed nothing

    # The retry, and then a repeated delivery of the same job.
    for _ in range(2):
        retry = _runner(app, tenant.id, outbox_id, "")
        assert retry.wait(timeout=120) == 0
    with as_tenant(tenant):
        db.session.expire_all()
        assert db.session.scalar(select(func.count(Certificate.id))) == 1
        certificate = db.session.scalars(select(Certificate)).one()
        assert certificate.pdf_sha256 is not None and certificate.issued_at is not None
        assert db.session.get(jobs.JobOutbox, outbox_id).status == jobs.JobStatus.done
