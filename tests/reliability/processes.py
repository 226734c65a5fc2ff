"""Real processes for the reliability suite: CLI loads that can be held at a chosen statement, `techsov
serve`, and the checks run after each fault (integrity, the stored state, the change feed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.core.state import changes, current_version
from app.records.registry import RECORD_TYPE_LIST
from app.search.index import SEARCH_TABLES
from tests.live import free_port
from tests.seeding.test_concurrent_loads import stored_ids

CASE_TIMEOUT = 90.0
"""Longest any process of a case may take; every wait below is bounded by it or less."""

HELD_LOAD = """
import os, re, signal, sys, time
from pathlib import Path
import sqlalchemy as sa
import app.search.side as side
side.SIDE_INDEX_FROM = 1  # even a small first load on SQLite builds its index in a second process
marker = Path(os.environ["TECHSOV_TEST_MARKER"])
pattern = re.compile(os.environ["TECHSOV_TEST_HOLD_AT"])
action = os.environ["TECHSOV_TEST_ACTION"]
loader = os.getpid()  # not the side index's child, which inherits this hook with the rest of the process
def hold(_conn, _cursor, statement, *_args):
    if os.getpid() == loader and pattern.match(statement) and not marker.exists():
        marker.write_text(str(os.getpid()))
        if action == "sigterm":  # a real SIGTERM, handled while SQLAlchemy runs this statement
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):
                pass
        else:
            time.sleep(120)
if action == "sigterm-binding":  # while SQLAlchemy binds the quality figures to the dataset state's UPDATE
    import app.core.db as db
    serialize = db.JSON_CODECS["json_serializer"]
    def binding(value):
        if os.getpid() == loader and isinstance(value, dict) and "curated_records" in value:
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGTERM)  # its handler runs before os.kill returns
        return serialize(value)
    db.JSON_CODECS["json_serializer"] = binding
else:
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", hold)
from app.cli import main
sys.argv = ["techsov", "seed", "load", *sys.argv[1:]]
main()
"""

STOPPED = (0, -signal.SIGTERM)
"""A server's exit status after SIGTERM: uvicorn shuts down, then raises the signal again (-15)."""
AT_THE_CHANGE_FEED = r'INSERT INTO "?changes"? '
"""The load's last writes: every record, list row and (on SQLite) the side index's child already done."""
AT_THE_FIRST_INSERT = r"INSERT INTO "


def env_for(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, **extra}


def wait_until(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def held_load(
    database_url: str, folder: Path, tmp_path: Path, *flags: str, at: str = AT_THE_CHANGE_FEED, action: str = "hold"
) -> tuple[subprocess.Popen[str], Path]:
    """A CLI load that stops at the first statement matching `at`: held there (`hold`) or SIGTERMed there."""
    marker = tmp_path / f"held-{time.monotonic_ns()}"
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    env = env_for(
        database_url,
        TECHSOV_TEST_MARKER=str(marker),
        TECHSOV_TEST_HOLD_AT=at,
        TECHSOV_TEST_ACTION=action,
        TMPDIR=str(scratch),
    )
    process = subprocess.Popen(
        [sys.executable, "-c", HELD_LOAD, str(folder), *flags],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, marker


def kill_9_when_held(process: subprocess.Popen[str], marker: Path) -> None:
    """kill -9 the load once it is held inside its transaction."""
    if not wait_until(lambda: marker.exists() or process.poll() is not None, CASE_TIMEOUT):
        process.kill()
    assert marker.exists(), f"the load never reached the statement: {process.communicate(timeout=10)[1]}"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL


def cli_load(database_url: str, folder: Path, *flags: str, env: dict[str, str] | None = None) -> str:
    """A CLI load run to its end; its stdout. It must succeed without a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "seed", "load", str(folder), *flags],
        env=env or env_for(database_url),
        capture_output=True,
        text=True,
        timeout=CASE_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


class Server:
    """`techsov serve` in a subprocess on a free port; stderr kept in a file."""

    def __init__(self, database_url: str, tmp_path: Path, *flags: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"server-{self.port}.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), *flags],
            env=env_for(database_url, **env),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(base_url=self.base, timeout=10)

    def wait_ready(self, timeout: float = 60.0) -> None:
        def answers() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited:\n{self.output()}")
            try:
                return self.client.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False

        assert wait_until(answers, timeout), f"the server did not answer:\n{self.output()}"

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise
        finally:
            self.client.close()
            self._log_file.close()
        return code


def check_integrity(engine: sa.Engine) -> None:
    """SQLite's own checks of the file and of the FTS5 index; on both, one search document per record."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            # Raises SQLITE_CORRUPT_VTAB when the index does not match its content.
            connection.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")
            connection.rollback()
        records = sum(
            connection.execute(sa.select(sa.func.count()).select_from(t.table)).scalar_one() for t in RECORD_TYPE_LIST
        )
        documents = connection.exec_driver_sql(f"SELECT count(*) FROM {SEARCH_TABLES[0]}").scalar_one()
    assert documents == records, f"{documents} search documents for {records} records"


def check_state(engine: sa.Engine, ids: set[tuple[str, str]], version: int) -> None:
    """Exactly these records, at this dataset version, with a gapless change feed whose last version
    created, updated and deleted exactly what the state holds."""
    assert stored_ids(engine) == ids
    with engine.connect() as connection:
        assert current_version(connection)[0] == version
        logged = sorted(connection.execute(sa.select(changes.c.version).distinct()).scalars())
        feed = connection.execute(
            sa.select(changes.c.record_type, changes.c.record_id, changes.c.action).order_by(changes.c.seq)
        ).all()
    assert logged == list(range(1, version + 1))
    alive: set[tuple[str, str]] = set()
    for record_type, record_id, action in feed:  # in seq order: replaying the feed gives the state
        if action == "deleted":
            alive.discard((record_type, record_id))
        else:
            alive.add((record_type, record_id))
    assert alive == ids
