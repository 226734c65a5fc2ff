"""No orphaned work: the side index's child dies with its load, and its scratch folder does not outlive both.

The load runs in a real process (the CLI); the child is held at the start of
its build so the parent can be killed while both run. The threshold for the
side index is lowered in that process, so a tiny seed takes the ≥ 50k path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.forked import SCRATCH_PREFIX, _owner_tag, sweep_scratch
from app.core.state import current_version
from tests.conftest import TEST_DATABASE_URL, VALID

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL) or not hasattr(os, "fork"), reason="SQLite with fork only")

HELD_LOAD = """
import os, sys, time
from pathlib import Path
import app.search.side as side
side.SIDE_INDEX_FROM = 1
build = side._build
def held(path, schema, work):
    Path(os.environ["TECHSOV_TEST_MARKER"]).write_text(str(os.getpid()))
    time.sleep(60)
    build(path, schema, work)
side._build = held
from app.cli import main
sys.argv = ["techsov", "seed", "load", sys.argv[1]]
main()
"""


def gone(pid: int) -> bool:
    """True once the process has ended (a zombie nobody reaped counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def wait_until(condition: object, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def start_held_load(database_url: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, Path, dict[str, str]]:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    marker = tmp_path / "child.pid"
    env = {**os.environ, "DATABASE_URL": database_url, "TMPDIR": str(scratch), "TECHSOV_TEST_MARKER": str(marker)}
    process = subprocess.Popen(
        [sys.executable, "-c", HELD_LOAD, str(VALID)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert wait_until(lambda: marker.exists() and marker.read_text(), 60), process.stderr and process.stderr.read()
    return process, int(marker.read_text()), scratch, env


def scratch_folders(scratch: Path) -> list[Path]:
    return list(scratch.glob(f"{SCRATCH_PREFIX}*"))


def test_kill_9_of_the_load_ends_its_child_and_the_next_load_sweeps_the_scratch(
    database_url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    process, child, scratch, env = start_held_load(database_url, tmp_path)
    assert len(scratch_folders(scratch)) == 1
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert wait_until(lambda: gone(child), 10), "the index builder outlived its parent"
    assert len(scratch_folders(scratch)) == 1  # nothing could remove it: kill -9

    again = subprocess.run(
        [sys.executable, "-m", "app.cli", "seed", "load", str(VALID)], env=env, capture_output=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert scratch_folders(scratch) == []
    with engine.connect() as connection:
        assert current_version(connection)[0] == 1
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"


def test_sigterm_of_the_load_removes_its_child_and_scratch_and_writes_nothing(
    database_url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    process, child, scratch, _env = start_held_load(database_url, tmp_path)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 1, err.decode()
    lines = err.decode().strip().splitlines()
    assert lines == [
        "error: seed load: Terminated: stopped by SIGTERM; nothing was written (techsov --debug … shows the traceback)"
    ]
    assert wait_until(lambda: gone(child), 10), "the index builder outlived its parent"
    assert scratch_folders(scratch) == []
    with engine.connect() as connection:
        assert current_version(connection)[0] == 0
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"


SIGTERM_AT_THE_FORK = """
import os, signal, sys
from pathlib import Path
import app.search.side as side
side.SIDE_INDEX_FROM = 1
fork = os.fork
def fork_then_sigterm():
    pid = fork()
    if pid:  # the parent, the instant the child exists: before any of its bookkeeping
        Path(os.environ["TECHSOV_TEST_MARKER"]).write_text(str(pid))
        os.kill(os.getpid(), signal.SIGTERM)
    return pid
os.fork = fork_then_sigterm
from app.cli import main
sys.argv = ["techsov", "seed", "load", sys.argv[1]]
main()
"""


def test_sigterm_the_instant_the_child_is_forked_still_removes_child_and_scratch(
    database_url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    """The race behind a once-failing run: a SIGTERM handled between the fork and the parent's note of its
    child left the child's scratch folder behind (the SideIndex was never assigned, so never closed)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    marker = tmp_path / "child.pid"
    env = {**os.environ, "DATABASE_URL": database_url, "TMPDIR": str(scratch), "TECHSOV_TEST_MARKER": str(marker)}
    done = subprocess.run(
        [sys.executable, "-c", SIGTERM_AT_THE_FORK, str(VALID)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: seed load: Terminated: stopped by SIGTERM; nothing was written (techsov --debug … shows the traceback)"
    ]
    assert wait_until(lambda: gone(int(marker.read_text())), 10), "the index builder outlived its parent"
    assert scratch_folders(scratch) == []
    with engine.connect() as connection:
        assert current_version(connection)[0] == 0


def test_the_sweep_leaves_the_folders_of_live_processes(tmp_path: Path) -> None:
    mine = tmp_path / f"{SCRATCH_PREFIX}{_owner_tag(os.getpid())}-x"
    mine.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    theirs = tmp_path / f"{SCRATCH_PREFIX}{int(dead.stdout)}.1-y"
    theirs.mkdir()
    assert sweep_scratch(tmp_path) == [theirs]
    assert mine.exists()
