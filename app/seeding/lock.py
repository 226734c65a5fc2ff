"""One load at a time: the load's transaction begins holding the database's write lock for loads.

A load plans what to create, update and delete from what is stored, so its
reads must come after every earlier load's commit, and no other load may
commit between its reads and its own commit. Two loads that planned from the
same state would otherwise both write: on PostgreSQL two `--prune` runs each
deleted what the other had just loaded and left the database empty.

- PostgreSQL: a transaction-level advisory lock (`pg_advisory_xact_lock`),
  taken by the transaction's first statement and released by its commit or
  rollback, even when the process dies (the server ends its session). The
  load runs in READ COMMITTED whatever the server's default: each of its
  reads, all after the lock, sees every commit before it (under REPEATABLE
  READ the snapshot would be the lock statement's, taken before the wait).
- SQLite: `BEGIN IMMEDIATE` takes the database's one write lock before the
  first read, so the snapshot the load plans from is the newest, and nothing
  can commit in between; the wait is SQLite's busy timeout.

A load that finds the lock taken says so once (`on_wait`) and waits up to
`wait_timeout` seconds, or, with `wait=False`, raises `LoadBusy` at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

LOAD_LOCK_KEY = 0x74_65_63_68_73_6F_76  # "techsov" in ASCII: the advisory lock's key (a bigint)
DEFAULT_WAIT_TIMEOUT = 600.0
"""Seconds a load waits for another load to finish before it gives up."""
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""The busy timeout every SQLite connection gets (app/core/db.py), restored once the lock is held."""


class LoadBusy(Exception):
    """Another load holds the database: refused without waiting, or the wait timed out."""

    def __init__(self, waited: float | None) -> None:
        self.waited = waited
        if waited is None:
            message = "another load is writing to the database; wait for it to finish, or run again without --no-wait"
        else:
            message = (
                f"another load still held the database after {waited:g} s; "
                "try again when it has finished, or wait longer with --wait-timeout"
            )
        super().__init__(message)


def sqlite_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database is busy" (SQLITE_BUSY and its variants)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
    text = str(exc)
    return "database is locked" in text or "database is busy" in text


@contextmanager
def load_transaction(
    connection: sa.Connection,
    *,
    wait: bool = True,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    on_wait: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """Begin the load's transaction holding the load lock; commit when the block ends, roll back on error."""
    if connection.dialect.name == "sqlite":
        begin_immediate(connection.connection.driver_connection, wait, wait_timeout, on_wait)
        # SQLAlchemy's BEGIN is skipped on a connection already in a transaction (app/core/db.py).
        with connection.begin():
            yield
        return
    if connection.dialect.name != "postgresql":  # pragma: no cover - the two supported databases
        raise RuntimeError(f"loads are not supported on {connection.dialect.name}")
    connection.execution_options(isolation_level="READ COMMITTED")
    with connection.begin():
        _advisory_lock(connection, wait, wait_timeout, on_wait)
        yield


def begin_immediate(raw: Any, wait: bool, wait_timeout: float, on_wait: Callable[[], None]) -> None:
    """BEGIN IMMEDIATE on the raw connection: at once if free, else after saying so and waiting."""
    restore = int(raw.execute("PRAGMA busy_timeout").fetchone()[0]) or SQLITE_BUSY_TIMEOUT_MS
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not sqlite_busy(exc):
                raise
            if not wait:
                raise LoadBusy(None) from None
        on_wait()
        raw.execute(f"PRAGMA busy_timeout = {max(1, int(wait_timeout * 1000))}")
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not sqlite_busy(exc):
                raise
            raise LoadBusy(wait_timeout) from None
    finally:
        raw.execute(f"PRAGMA busy_timeout = {restore}")


def _advisory_lock(connection: sa.Connection, wait: bool, wait_timeout: float, on_wait: Callable[[], None]) -> None:
    """The transaction-level advisory lock: at once if free, else after saying so and waiting."""
    if connection.execute(sa.select(sa.func.pg_try_advisory_xact_lock(LOAD_LOCK_KEY))).scalar_one():
        return
    if not wait:
        raise LoadBusy(None)
    on_wait()
    # The wait is bounded by lock_timeout alone: an API write's connection has a statement_timeout (the
    # query time limit) that would otherwise end it sooner, as a cancelled query rather than a busy database.
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(wait_timeout * 1000))}")
    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    try:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(LOAD_LOCK_KEY)))
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available: lock_timeout ran out
            raise LoadBusy(wait_timeout) from None
        raise
    connection.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")
    connection.exec_driver_sql("SET LOCAL statement_timeout = DEFAULT")
