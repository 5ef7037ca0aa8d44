"""The queue itself: storage chosen by settings, run until idle, status."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

QUEUE_NAME = "archive"


@dataclass(frozen=True)
class Settings:
    """Queue settings (ARCHIVE_JOBS_* in the environment, JOBS_* in the app config)."""

    url: str  # "" (SQLite in the data dir), "sqlite:///path", "redis://host:port/db" or "immediate"
    retries: int
    retry_delay: float
    workers: int
    name: str = QUEUE_NAME


def _setting(app: Flask, key: str, default: Any) -> Any:
    value = app.config.get(f"JOBS_{key}")
    if value is None:
        value = os.environ.get(f"ARCHIVE_JOBS_{key}")
    return default if value in (None, "") else value


def settings(app: Flask) -> Settings:
    """Read and check the queue settings; a bad one stops the start with a message naming it."""
    url = str(_setting(app, "URL", "immediate" if app.testing else "")).strip()
    if url and url != "immediate" and not url.startswith(("redis://", "rediss://", "unix://", "sqlite:///")):
        raise ValueError(f"ARCHIVE_JOBS_URL must be empty (SQLite in the data directory), sqlite:///path, "
                         f"redis://host:port/db or 'immediate', not {url!r}")
    try:
        retries = int(_setting(app, "RETRIES", 3))
        delay = float(_setting(app, "RETRY_DELAY", 10))
        workers = int(_setting(app, "WORKERS", 1))
    except ValueError as problem:
        raise ValueError(f"ARCHIVE_JOBS_RETRIES, ARCHIVE_JOBS_RETRY_DELAY and ARCHIVE_JOBS_WORKERS must be numbers: "
                         f"{problem}") from None
    if retries < 0 or delay < 0 or workers < 1:
        raise ValueError("ARCHIVE_JOBS_RETRIES and ARCHIVE_JOBS_RETRY_DELAY must be 0 or more, "
                         "ARCHIVE_JOBS_WORKERS 1 or more")
    return Settings(url, retries, delay, workers, str(_setting(app, "NAME", QUEUE_NAME)))


def build_huey(s: Settings, data_dir: str | None = None) -> Huey:
    """A Huey instance on the configured storage."""
    if s.url == "immediate":
        return MemoryHuey(s.name, immediate=True)
    if s.url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(s.name, url=s.url)
    if s.url.startswith("sqlite:///"):
        path = Path(s.url[len("sqlite:///"):])
    else:
        path = Path(data_dir or current_app.config["ARCHIVE_DATA_DIR"]) / "jobs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(s.name, filename=str(path))


@dataclass
class Status:
    """What `flask jobs status` prints."""

    outbox: int
    queued: int
    scheduled: int
    running: list[Any] = field(default_factory=list)
    failed: list[Any] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)


class Jobs:
    """The app's queue and its tasks."""

    def __init__(self, app: Flask, huey: Huey) -> None:
        self.app = app
        self.huey = huey
        self.settings = settings(app)
        self.tasks: dict[str, Any] = {}

    def enqueue_copies(self, testimony_id: int) -> None:
        """Queue the job that brings a testimony's public copies up to date."""
        self.tasks["public_copies"](testimony_id)

    def run_until_idle(self, max_wait: float = 300.0) -> int:
        """Process every pending job (retries included, waiting for their backoff) and return how many ran."""
        from archive.jobs import outbox

        outbox.drain()
        executed = self._process(max_wait)
        # Then what no message asks for: copies whose message was lost or whose worker died.
        if outbox.sweep():
            executed += self._process(max_wait)
        return executed

    def _process(self, max_wait: float) -> int:
        executed = 0
        deadline = time.monotonic() + max_wait
        while True:
            task = self.huey.dequeue()
            if task is not None:
                self.huey.execute(task)
                executed += 1
                continue
            due = self.huey.read_schedule()
            if due:
                for item in due:
                    self.huey.enqueue(item)
                continue
            if self.huey.scheduled_count() and time.monotonic() < deadline:
                time.sleep(min(0.2, max(self.settings.retry_delay, 0.01)))
                continue
            return executed

    def status(self) -> Status:
        """Pending (outbox, queue, retries waiting), running and failed jobs."""
        from sqlalchemy import func, select

        from archive.core.extensions import db
        from archive.media import copies
        from archive.models import PublicCopy, PublicCopyOutbox

        outbox_count = db.session.scalar(select(func.count()).select_from(PublicCopyOutbox)) or 0
        rows = db.session.scalars(select(PublicCopy).where(PublicCopy.state.in_(("running", "failed")))
                                  .order_by(PublicCopy.testimony_id)).all()
        return Status(outbox=outbox_count, queued=self.huey.pending_count(), scheduled=self.huey.scheduled_count(),
                      running=[r for r in rows if r.state == "running"],
                      failed=[r for r in rows if r.state == "failed"],
                      stale=copies.stale_testimony_ids(reset_abandoned=False))
