"""Suite time: the tests that existed at a base commit, run as that commit's `make test` ran them, beside
the same tests run as today's `make test` runs them, in one session on one machine (issue 15).

Tests moved between folders since the base (tests/views/… became tests/curation/… and so on), so a test is
matched by its name inside its file (`test_name[params]`, with its class if it has one), not by its path. A
test of today's suite whose name is not in the base suite is new and left out; a base test with no match today
is counted and named (its cases usually moved into another test).

The base runs from a git worktree of the base commit beside the project (made and removed here), with this
project's virtual environment. It runs as its Makefile ran it: one `pytest` process for the base commit at
8b0b494 (the commit before issue 15); HEAD runs as `make test` runs it now (`-n <workers> --dist loadfile`).

    .venv/bin/python bench/suite_time.py [--base 8b0b494] [--workers auto] [--database-url postgresql://…]
                                        [--base-args "-n 2 --dist loadfile"] [--skip-base]

Without --database-url both runs use SQLite; with it, both use that PostgreSQL server (each its own databases).
Prints each run's wall and CPU time, the number of tests and the ratio HEAD / base.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
NODE_MODULES = ["tests/browser/axe/node_modules", "tests/browser/viewers/node_modules"]


def key(node_id: str) -> str:
    """A test's name within its file: what stays when the file moves."""
    return node_id.split("::", 1)[1]


def collect(checkout: Path, env: dict[str, str]) -> list[str]:
    out = subprocess.run([str(PYTHON), "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly"], cwd=checkout,
                         env=env, capture_output=True, text=True, check=False)
    ids = [line.strip() for line in out.stdout.splitlines() if "::" in line]
    if not ids:
        sys.exit(f"collecting the tests in {checkout} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return ids


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy since boot (all cores; Chromium included)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(checkout: Path, env: dict[str, str], args: list[str], ids: list[str], label: str) -> dict[str, float]:
    """Run the given tests; returns wall and CPU seconds and the pytest summary line."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(ids) + "\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy()
    start = time.perf_counter()
    out = subprocess.run([str(PYTHON), "-m", "pytest", "-q", "-p", "no:randomly", *args, f"@{listing.name}"],
                         cwd=checkout, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    busy = machine_busy() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(listing.name)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = next((line for line in reversed(out.stdout.splitlines()) if re.search(r"\d+ (passed|failed)", line)), "")
    print(f"{label}: {summary.strip('= ')}; wall {wall / 60:.2f} min, CPU of pytest and its workers {cpu / 60:.2f} min"
          " (Chromium's own processes not "
          f"counted), the machine busy {busy / 60:.2f} of {wall * (os.cpu_count() or 1) / 60:.2f} core-minutes",
          flush=True)
    if out.returncode != 0:
        print(out.stdout[-4000:], file=sys.stderr)
    return {"wall": wall, "cpu": cpu, "busy": busy, "returncode": out.returncode}


def fresh_database(url: str, name: str) -> str:
    """A new empty PostgreSQL database beside `url`'s (the base commit's conftest reflects whatever tables it
    finds, so a database a newer schema has used makes it truncate tables it does not know)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    with psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="8b0b494", help="the commit before the work measured (issue 15: 8b0b494)")
    parser.add_argument("--base-args", default="", help="pytest options for the base run (its make test had none)")
    parser.add_argument("--workers", default=os.environ.get("PYTEST_WORKERS", "auto"), help="HEAD's -n, as make test")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL for both runs (default: SQLite)")
    parser.add_argument("--skip-base", action="store_true", help="only run HEAD's matched tests")
    options = parser.parse_args()

    env = {**os.environ, "CI": "true"}
    env.pop("ARCHIVE_TEST_DATABASE_URL", None)
    if options.database_url:
        env["ARCHIVE_TEST_DATABASE_URL"] = options.database_url
    worktree = Path(tempfile.mkdtemp(prefix="suite-base-", dir=ROOT.parent))
    worktree.rmdir()
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(worktree), options.base], cwd=ROOT, check=True)
    try:
        for folder in NODE_MODULES:  # the pinned axe-core and viewers, installed for HEAD
            if (ROOT / folder).is_dir() and (worktree / folder).parent.is_dir():
                (worktree / folder).symlink_to(ROOT / folder)
        subprocess.run([str(ROOT / ".venv" / "bin" / "pybabel"), "-q", "compile", "-d", "archive/translations"],
                       cwd=worktree, check=True)
        base_env = {**env, "PYTHONPATH": str(worktree)}
        if options.database_url:
            base_env["ARCHIVE_TEST_DATABASE_URL"] = fresh_database(options.database_url, "suite_base")
        base_ids = collect(worktree, base_env)
        head_ids = collect(ROOT, env)
        base_keys = Counter(map(key, base_ids))
        head_keys = Counter(map(key, head_ids))
        same = [node for node in head_ids if key(node) in base_keys]
        gone = sorted(k for k in base_keys if k not in head_keys)
        print(f"base {options.base}: {len(base_ids)} tests; HEAD: {len(head_ids)} tests, {len(same)} of them by a "
              f"base test's name ({len(head_ids) - len(same)} new, left out); {len(gone)} base tests have no "
              f"test of the same name now: {', '.join(gone[:12])}{' …' if len(gone) > 12 else ''}", flush=True)
        head = run(ROOT, env, ["-n", str(options.workers), "--dist", "loadfile"], same,
                   f"HEAD, the base's tests, -n {options.workers} --dist loadfile (as make test)")
        if not options.skip_base:
            base = run(worktree, base_env, shlex.split(options.base_args), base_ids,
                       f"base {options.base}, its whole suite, pytest {options.base_args or '(one process, as its make test)'}")
            print(f"ratio HEAD / base: wall {head['wall'] / base['wall']:.2f}×, CPU of pytest {head['cpu'] / base['cpu']:.2f}×, "
                  f"machine busy {head['busy'] / base['busy']:.2f}×")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
        shutil.rmtree(worktree, ignore_errors=True)


if __name__ == "__main__":
    main()
