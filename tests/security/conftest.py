"""Fixtures of the security suite (the summary it prints at the end of the run is tests/security/summary.py)."""
from __future__ import annotations

import pytest

from .probes import Stats
from .summary import STATS_KEY


@pytest.fixture(scope="session")
def leak_stats(request: pytest.FixtureRequest) -> Stats:
    """Counts shared by every leak probe of the session (printed by pytest_terminal_summary)."""
    return request.config.stash.setdefault(STATS_KEY, Stats())
