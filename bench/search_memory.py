"""Memory of gunicorn workers: proportional set size (PSS) per worker for 1, 2 and 4 workers.

Builds a throw-away archive (migrated, seeded, demo collection indexed), then for each worker count
starts `gunicorn -w N wsgi:app` from the project root (so gunicorn reads gunicorn.conf.py), warms
every worker with Korean and English searches through HTTP, and reads each process's PSS and RSS
from /proc/<pid>/smaps_rollup. PSS divides each shared page among the processes sharing it, so the
model pages loaded once in the master are counted a fraction per worker; the sum of PSS is what
the machine really spends. `--baseline` also runs gunicorn without the project's settings (every
worker loads its own Kiwi) for comparison.

    cd bench && ../.venv/bin/python search_memory.py [--workers 1 2 4] [--baseline]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KO_TEXTS = sorted((ROOT / "tests" / "search" / "ko").glob("*.txt"))
ENGLISH = ["famine", "border", "Chongjin", "broker", "escape", "market", "prison camp", "China", "mother",
           "school", "\"crossed the river\"", "Hamgyong", "soldiers", "rice", "train", "police", "church"]


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ARCHIVE_DATA_DIR": str(data_dir), "SECRET_KEY": "bench-memory", "PYTHONPATH": str(ROOT),
                "ARCHIVE_INSECURE_COOKIES": "1"})
    env.pop("DATABASE_URL", None)
    return env


def build_archive(data_dir: Path) -> None:
    """A migrated archive with the demo collection loaded and indexed."""
    env = _env(data_dir)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["archive", "seed"], ["archive", "load-demo", "--if-empty"],
                 ["search", "reindex"]):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory(pid: int) -> tuple[float, float]:
    """(PSS, RSS) of one process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        match = re.match(r"(Pss|Rss):\s+(\d+) kB", line)
        if match:
            values[match.group(1)] = int(match.group(2)) / 1024
    return values["Pss"], values["Rss"]


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def korean_queries(rng: random.Random, count: int) -> list[str]:
    """Korean words and two-word queries drawn from the North Korean test texts."""
    words = [w for path in KO_TEXTS for w in re.findall("[가-힣]{2,}", path.read_text(encoding="utf-8"))]
    return [" ".join(rng.sample(words, rng.choice((1, 1, 2)))) for _ in range(count)]


def measure(data_dir: Path, workers: int, queries: list[str], plain: bool) -> dict[str, object]:
    """Start gunicorn with `workers`, warm it, and return PSS/RSS of master and workers."""
    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    if plain:
        empty = data_dir / "empty.conf.py"
        empty.write_text("")
        cmd[3:3] = ["-c", str(empty)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}/api/v1/search?"
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(base + "q=warm", timeout=30).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("gunicorn did not start: " + proc.stderr.read().decode()[-2000:]) from None
                time.sleep(0.5)
        started = time.time()
        for q in queries * workers:  # connections are spread over the workers by the kernel
            with urllib.request.urlopen(base + urllib.parse.urlencode({"q": q}), timeout=60) as answer:
                json.load(answer)
        warm_s = time.time() - started
        time.sleep(1.0)
        pids = _children(proc.pid)
        master = _memory(proc.pid)
        per_worker = [_memory(pid) for pid in pids]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {"workers": workers, "master": master, "per_worker": per_worker, "requests": len(queries) * workers,
            "warm_s": warm_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--queries", type=int, default=60, help="warm-up searches per worker (2/3 Korean)")
    parser.add_argument("--baseline", action="store_true", help="also run without gunicorn.conf.py")
    parser.add_argument("--data-dir", type=Path, help="reuse an archive built by an earlier run")
    args = parser.parse_args()

    rng = random.Random(17)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="archive-memory-"))
    if not (data_dir / "archive.sqlite3").exists():
        print(f"building the demo archive in {data_dir} ...", flush=True)
        build_archive(data_dir)
    korean = korean_queries(rng, args.queries * 2 // 3)
    english = [rng.choice(ENGLISH) for _ in range(args.queries - len(korean))]
    queries = korean + english
    rng.shuffle(queries)

    runs = [(n, False) for n in args.workers] + ([(n, True) for n in args.workers] if args.baseline else [])
    print(f"\n{'setup':<22} {'workers':>7} {'PSS/worker MB (each)':<32} {'max':>6} {'RSS/worker':>10} "
          f"{'master PSS':>10} {'total PSS':>9}")
    for workers, plain in runs:
        result = measure(data_dir, workers, queries, plain)
        pss = [p for p, _ in result["per_worker"]]  # type: ignore[union-attr]
        rss = [r for _, r in result["per_worker"]]  # type: ignore[union-attr]
        master_pss = result["master"][0]  # type: ignore[index]
        label = "no gunicorn.conf.py" if plain else "gunicorn.conf.py"
        print(f"{label:<22} {workers:>7} {', '.join(f'{p:.0f}' for p in pss):<32} {max(pss):>6.0f} "
              f"{max(rss):>10.0f} {master_pss:>10.0f} {sum(pss) + master_pss:>9.0f}", flush=True)
    print("\nTarget: PSS of each worker < 300 MB after warm-up with Korean and English searches.")


if __name__ == "__main__":
    main()
