"""`flask jobs run` and `flask jobs status`."""
from __future__ import annotations

import logging

import click
from flask import current_app

from archive.core.commands import ArchiveGroup

jobs_cli = ArchiveGroup("jobs", help="Run and inspect the background job queue (public copies of recordings).")


@jobs_cli.command("run")
@click.option("--until-idle", is_flag=True, help="Process every pending job (waiting for retries) and exit.")
@click.option("--workers", type=int, default=None, help="Worker threads (default ARCHIVE_JOBS_WORKERS or 1).")
def run_command(until_idle: bool, workers: int | None) -> None:
    """Run the worker: until the queue is empty, or for good (what `make run` starts beside gunicorn)."""
    from archive.jobs import outbox

    jobs = current_app.extensions["jobs"]
    if until_idle:
        count = jobs.run_until_idle()
        status = jobs.status()
        click.echo(f"{count} job(s) run; {len(status.failed)} failed.")
        for copy in status.failed:
            click.echo(f"  failed: testimony {copy.testimony_id}, recording {copy.recording_id}: {copy.error}")
        return
    if jobs.huey.immediate:
        raise click.ClickException("ARCHIVE_JOBS_URL is 'immediate': jobs run in the web process, no worker needed.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    outbox.drain()
    outbox.sweep()
    consumer = jobs.huey.create_consumer(workers=workers or jobs.settings.workers, worker_type="thread",
                                         periodic=True, initial_delay=0.1, max_delay=2.0, backoff=1.15)
    consumer.run()


@jobs_cli.command("status")
def status_command() -> None:
    """List pending, running and failed jobs."""
    status = current_app.extensions["jobs"].status()
    click.echo(f"pending: {status.outbox} in the outbox, {status.queued} queued, {status.scheduled} waiting to retry, "
               f"{len(status.stale)} testimonies with a copy to make")
    click.echo(f"running: {len(status.running)}")
    for copy in status.running:
        click.echo(f"  testimony {copy.testimony_id}, recording {copy.recording_id}: {copy.worker}, "
                   f"attempt {copy.attempts}, claim until {copy.lease_until:%Y-%m-%d %H:%M:%S} UTC")
    click.echo(f"failed: {len(status.failed)}")
    for copy in status.failed:
        click.echo(f"  testimony {copy.testimony_id}, recording {copy.recording_id} "
                   f"(after {copy.attempts} attempt(s)): {copy.error}")
