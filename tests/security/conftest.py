"""Fixtures of the security suite and the summary it prints at the end of the run."""
from __future__ import annotations

import pytest

from .probes import Stats

STATS_KEY = pytest.StashKey[Stats]()


@pytest.fixture(scope="session")
def leak_stats(request: pytest.FixtureRequest) -> Stats:
    """Counts shared by every leak probe of the session (printed by pytest_terminal_summary)."""
    return request.config.stash.setdefault(STATS_KEY, Stats())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    stats = config.stash.get(STATS_KEY, None)
    if stats is None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("security probes (tests/security)")
    write(f"markers planted: {len(stats.markers)} (unique secret strings in restricted places)")
    write(f"roles probed: {', '.join(sorted(stats.roles))}")
    write(f"requests: {stats.requests} over {len(stats.surfaces)} surfaces")
    for surface, count in sorted(stats.surfaces.items()):
        write(f"  {surface}: {count}")
    for note in stats.notes:
        write(f"note: {note}")
    write(f"leaks found: {len(stats.leaks)}")
    for leak in stats.leaks[:50]:
        write(f"  LEAK {leak}")
