"""The security probes' summary at the end of the run, also under pytest-xdist (a plugin of tests/conftest.py,
so that the controller process, which collects no tests, has these hooks too)."""
from __future__ import annotations

import pytest

from .probes import Stats

STATS_KEY = pytest.StashKey[Stats]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist, a worker hands its counts to the controller, which prints the summary."""
    stats = session.config.stash.get(STATS_KEY, None)
    if stats is not None and hasattr(session.config, "workeroutput"):
        session.config.workeroutput["leak_stats"] = {
            "markers": sorted(stats.markers), "surfaces": dict(stats.surfaces), "requests": stats.requests,
            "roles": sorted(stats.roles), "leaks": [str(leak) for leak in stats.leaks], "notes": stats.notes}


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent when the suite runs in one process
def pytest_testnodedown(node: object, error: object) -> None:
    output = getattr(node, "workeroutput", {}).get("leak_stats")
    if output is None:
        return
    stats = node.config.stash.setdefault(STATS_KEY, Stats())  # type: ignore[attr-defined]
    stats.markers.update(output["markers"])
    stats.surfaces.update(output["surfaces"])
    stats.requests += output["requests"]
    stats.roles.update(output["roles"])
    stats.leaks.extend(output["leaks"])
    stats.notes.extend(note for note in output["notes"] if note not in stats.notes)


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
