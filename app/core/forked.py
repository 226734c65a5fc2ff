"""Work done by a forked process beside a load, into a scratch folder the parent then takes.

A first large load on SQLite builds its search index (app/search/side.py) and renders its records' stored
forms (app/records/documents.py) each in a process of its own, while the parent writes the records.

No orphaned work: the child dies with its parent (Linux: `PR_SET_PDEATHSIG`; elsewhere it watches a pipe
whose other end only the parent holds), the scratch folder is removed on every exit the parent survives (a
SIGTERM during a load is turned into an exception, app/seeding/run.py), and a folder whose owner died
without removing it (kill -9) is swept by the next load (`sweep_scratch`): the folder's name carries the
owner's pid and start time.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.core.db import ON_CHECKIN


class SideProcess:
    """Work done by a forked process into a scratch folder beside the load, then taken by the parent.

    Made first, then started (`start`), so that whoever holds it can always `close` it: a SIGTERM raises
    where the load is (app/seeding/run.py), and one raised between the fork and the moment the caller
    holds the object would leave the child's scratch folder with nobody to remove it. A subclass says what
    the child does (`build`, given the scratch file's path) and what the parent takes (after `wait`).
    """

    what = "work"
    """What the child does, for the error a failure raises."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.attached = False
        self.pid = 0
        self._lifeline = -1

    @property
    def path(self) -> Path:
        assert self.folder is not None, "not started"
        return self.folder / "index.sqlite3"

    @property
    def errors(self) -> Path:
        assert self.folder is not None, "not started"
        return self.folder / "error.txt"

    def build(self, path: Path) -> None:
        """In the child: the work, written into the scratch file at `path`."""
        raise NotImplementedError

    def started(self) -> None:
        """In the parent, once the child runs: drop what only the child needed."""

    def start(self) -> None:
        """Make the scratch folder and fork the child that builds in it.

        SIGTERM and SIGINT are held (blocked, not lost) from the folder's making to the child's pid being
        noted, so a stop arrives only once `close` knows both; the child sets its own handling, then lets
        them through.
        """
        parent = os.getpid()
        with _signals_held():
            self.folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{_owner_tag(parent)}-"))
            watch, self._lifeline = os.pipe()  # the parent holds the write end: EOF in the child means it died
            pid = os.fork()
            if pid == 0:  # the child: build, then leave without running any of the parent's cleanup
                code = 0
                try:
                    os.close(self._lifeline)
                    _die_with(parent, watch)
                    self.build(self.path)
                except BaseException:
                    self.errors.write_text(traceback.format_exc())
                    code = 1
                finally:
                    os._exit(code)
            self.pid = pid
            self.started()
            os.close(watch)

    def wait(self) -> None:
        """Wait for the child; raise when it failed."""
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if os.waitstatus_to_exitcode(status) != 0:
            detail = self.errors.read_text() if self.errors.exists() else f"exit status {status}"
            raise RuntimeError(f"{self.what} in a second process failed:\n{detail}")

    def close(self) -> None:
        """Stop the child if it still runs (the load failed first); remove the scratch file unless attached."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        if self._lifeline >= 0:
            os.close(self._lifeline)
            self._lifeline = -1
        if not self.attached and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def attach(self, connection: sa.Connection, schema: str) -> None:
        """Attach the scratch file to this SQLite connection as `schema`, until it goes back to the pool.

        A database read in a transaction can be neither detached nor removed before the transaction ends:
        that is done when the connection goes back to the pool (app/core/db.py), after the commit or the
        rollback."""
        connection.exec_driver_sql(f"ATTACH DATABASE ? AS {schema}", (str(self.path),))
        self.attached = True

        def detach(dbapi_connection: Any) -> None:
            dbapi_connection.execute(f"DETACH DATABASE {schema}")
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)

        connection.info.setdefault(ON_CHECKIN, []).append(detach)

    @staticmethod
    def transfer(connection: sa.Connection, schema: str, table: str) -> None:
        """Copy a table of the attached scratch file (`schema`) whole into this database's own, empty one.

        No column list and `SELECT *`: the only form SQLite runs as its transfer optimisation (`xferOptimization`,
        sqlite/src/insert.c: the records' and indexes' cells copied as they are, never decoded nor checked row by
        row), which it does when both tables and their indexes are defined alike and the destination is empty,
        without triggers and without foreign keys. The definitions are checked first (both are made from the same
        SQL), so that `SELECT *` lists the same columns in the same order."""
        found = [
            connection.exec_driver_sql(
                f"SELECT type, name, sql FROM {side}.sqlite_master WHERE tbl_name = ? ORDER BY type, name", (table,)
            ).all()
            for side in ("main", schema)
        ]
        if found[0] != found[1]:
            raise RuntimeError(f"the scratch file's {table} differs from the database's: {found[1]} != {found[0]}")
        connection.exec_driver_sql(f"INSERT INTO main.{table} SELECT * FROM {schema}.{table}")


SCRATCH_PREFIX = "techsov-index-"
PR_SET_PDEATHSIG = 1


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), to tell it from a later one with its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "0"
    return stat.rsplit(")", 1)[1].split()[19]


def _owner_tag(pid: int) -> str:
    return f"{pid}.{_start_time(pid)}"


def _alive(tag: str) -> bool:
    pid_text, _, started = tag.partition(".")
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # someone else's process
    return started in ("", "0") or _start_time(pid) in (started, "0")


def sweep_scratch(folder: Path | None = None) -> list[Path]:
    """Remove the scratch folders of side indexes whose owner process is gone; return what was removed."""
    removed: list[Path] = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        tag = path.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if path.is_dir() and not _alive(tag):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGTERM and SIGINT blocked in this thread for the block's length; one that came meanwhile is handled
    as the block ends. (The load runs its SIGTERM handler in the main thread, app/seeding/run.py.)"""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _die_with(parent: int, watch: int) -> None:
    """In the child: end when the parent ends, even by kill -9. Entered with SIGTERM and SIGINT blocked
    (`_signals_held`): their default action is set before they are let through, so the parent's handlers,
    inherited by the fork, never run here."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:  # pragma: no cover - macOS: a thread that waits for the pipe's end of file
        threading.Thread(target=lambda: (os.read(watch, 1), os._exit(1)), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(1)
