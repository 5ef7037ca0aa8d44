"""JOBS_COPY_CACHE, the test and development cache of verified copies: where it is and how it is turned off."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from flask import Flask

from archive.media import copies


def test_the_cache_is_on_under_tests_off_when_empty_and_set_from_the_environment(
        app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_JOBS_COPY_CACHE", raising=False)
    app.config.pop("JOBS_COPY_CACHE", None)
    assert copies._cache_dir() == Path(tempfile.gettempdir()) / f"archive-copy-cache-{os.getuid()}"
    monkeypatch.setenv("ARCHIVE_JOBS_COPY_CACHE", str(tmp_path / "from-env"))
    assert copies._cache_dir() == tmp_path / "from-env" and (tmp_path / "from-env").is_dir()
    app.config["JOBS_COPY_CACHE"] = ""  # the app's own setting wins: off
    assert copies._cache_dir() is None
    app.config.pop("JOBS_COPY_CACHE")
    monkeypatch.setenv("ARCHIVE_JOBS_COPY_CACHE", "")
    app.testing = False
    try:
        assert copies._cache_dir() is None
        monkeypatch.delenv("ARCHIVE_JOBS_COPY_CACHE")
        assert copies._cache_dir() is None  # outside tests it is off unless set
    finally:
        app.testing = True
