"""The background job queue (Huey): public copies of recordings are made here, outside requests.

Storage: SQLite in the data directory by default (`jobs.sqlite3`, nothing else to run), Redis when
ARCHIVE_JOBS_URL is a redis:// URL (production with several machines), or "immediate" (tasks run
in the committing process; the default under tests). Work is recorded in the same transaction as
the change that needs it (`archive.jobs.outbox`) and handed to the queue after commit; the database
stays the truth, so a lost message or a killed worker only delays a copy (`sweep` finds it again).
"""
from __future__ import annotations

from flask import Flask

from archive.jobs.queue import Jobs, build_huey, settings

__all__ = ["Jobs", "build_huey", "init_app", "settings"]


def init_app(app: Flask) -> None:
    """Build the app's queue, register its tasks and the outbox's flush and commit handlers."""
    from archive.core import dispatch
    from archive.jobs import outbox, tasks

    jobs = Jobs(app, build_huey(settings(app), app.config["ARCHIVE_DATA_DIR"]))
    tasks.register(jobs)
    app.extensions["jobs"] = jobs
    dispatch.on_flush("public-copies", outbox.record)
    dispatch.after_commit("public-copies", outbox.drain_after_commit)
    from archive.media import copies

    app.add_template_global(copies.protection, "recording_protection")
