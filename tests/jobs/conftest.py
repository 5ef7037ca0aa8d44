"""A real queue (not the immediate one the other tests use): SQLite in the data dir, or Redis db 15."""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from archive import jobs

# Two suites running at once (SQLite and PostgreSQL) give each its own database number; under pytest-xdist
# each worker counts down from it (gw0: 15, gw1: 14, …).
def _redis_url() -> str:
    from redis.connection import parse_url

    url = os.environ.get("ARCHIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    number = int(parse_url(url).get("db", 0)) - int(worker.removeprefix("gw"))
    return url.rsplit("/", 1)[0] + f"/{number % 16}"


REDIS_URL = _redis_url()


def _redis_or_skip() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, app: Flask) -> Iterator[str]:
    """Rebuild the app's queue on a real store; jobs wait until `jobs run` processes them."""
    client = None
    if request.param == "redis":
        client = _redis_or_skip()
        client.flushdb()  # db 15 is this suite's alone
        app.config["JOBS_URL"] = REDIS_URL
    else:
        app.config["JOBS_URL"] = f"sqlite:///{app.config['ARCHIVE_DATA_DIR']}/jobs.sqlite3"
    app.config["JOBS_RETRY_DELAY"] = 0
    app.config["JOBS_RETRIES"] = 2
    app.config["JOBS_COPY_CACHE"] = ""  # every job really encodes (the kill and failure tests interrupt it)
    jobs.init_app(app)
    yield request.param
    if client is not None:
        client.flushdb()
