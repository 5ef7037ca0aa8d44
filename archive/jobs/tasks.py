"""The tasks: each runs inside the app's context, retried with exponential backoff."""
from __future__ import annotations

import logging
from typing import Any

from huey import crontab
from huey.exceptions import RetryTask

from archive.jobs.queue import Jobs

log = logging.getLogger(__name__)
SWEEP_EVERY_MINUTES = 10


def register(jobs: Jobs) -> None:
    """Define the tasks on the app's Huey instance."""
    app, huey, s = jobs.app, jobs.huey, jobs.settings

    @huey.task(retries=s.retries, retry_delay=s.retry_delay, retry_backoff=2, context=True, name="public_copies")
    def public_copies(testimony_id: int, task: Any = None) -> int:
        """Bring a testimony's public copies up to date."""
        from archive.media import copies

        with app.app_context():
            try:
                return copies.refresh_testimony(testimony_id, final_attempt=not (task and task.retries))
            except copies.CopyBusy:
                # Another worker holds it: come back after it, without spending a retry.
                task.retries += 1 if task is not None else 0
                raise RetryTask(delay=max(s.retry_delay, 1.0)) from None

    @huey.periodic_task(crontab(minute=f"*/{SWEEP_EVERY_MINUTES}"), name="sweep_public_copies")
    def sweep_public_copies() -> None:
        """Find copies whose job was lost or whose worker died."""
        from archive.jobs import outbox

        with app.app_context():
            outbox.drain()
            outbox.sweep()

    jobs.tasks["public_copies"] = public_copies
    jobs.tasks["sweep"] = sweep_public_copies
