"""The Korean analyser loaded before a fork serves the forked process (gunicorn's preloading)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from collections.abc import Callable

import pytest
from archive.search.engine import SearchEngine, SearchRequest

from tests.search.test_korean_recall import _doc


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_worker_searches_korean_with_the_model_loaded_before_the_fork(
    make_engine: Callable[..., SearchEngine],
) -> None:
    engine = make_engine()
    engine.apply([_doc(1, "조선로동당 분조관리체를 강화하였다."), _doc(2, "The famine in Chongjin.")], [])
    engine.warm_up(wait=True)  # what gunicorn.conf.py does in the master
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the "worker": analyse new Korean words and search
        try:
            signal.alarm(60)  # a model that cannot work after fork() would hang: fail instead
            os.close(read)
            found = {q: [h.id for h in engine.search(SearchRequest(q=q)).hits]
                     for q in ("노동당", "분조관리체를", "강화하였다", "famine")}
            os.write(write, json.dumps(found).encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert json.loads(b"".join(chunks)) == {"노동당": [1], "분조관리체를": [1], "강화하였다": [1], "famine": [2]}


ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc")
def test_plain_gunicorn_from_the_project_root_preloads_and_serves_korean_search(tmp_path: Path) -> None:
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "test", "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode({"q": "세분 로동자들이"})
        deadline = time.time() + 90
        answers = []
        while len(answers) < 6:
            try:
                with urllib.request.urlopen(url, timeout=30) as answer:
                    answers.append((answer.status, answer.read()))
            except OSError:
                assert proc.poll() is None and time.time() < deadline, proc.stderr.read().decode()[-3000:]
                time.sleep(0.3)
        assert all(status == 200 and json.loads(body)["total"] == 0 for status, body in answers)
        # The master itself holds the Korean analyser (the workers inherit it).
        assert "kiwipiepy" in Path(f"/proc/{proc.pid}/maps").read_text()
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=60)
    log = errors.decode()
    assert "Traceback" not in log
    assert log.count("Booting worker") == 2
