"""RQ worker entry point and the job runner."""

from __future__ import annotations

from rq import SimpleWorker


class Worker(SimpleWorker):
    """rq's SimpleWorker (jobs run in this process, in its app context) that stops within a second.

    rq listens for commands (``rq`` shutdown, kill-horse) on a Redis channel in a thread that polls every
    60 s, and redis-py's ``PubSubWorkerThread.stop()`` waits for that poll to return: a worker took up to a
    minute to exit after SIGTERM or at the end of a burst run, past systemd's and Kubernetes' grace period.
    Here the thread polls every second; a command still arrives at once (the poll returns on a message).
    """

    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # rq annotates it as None
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )
