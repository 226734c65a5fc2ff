"""Whether the dataset changed, found out cheaply and across processes, for the response cache.

A load or a write commits in any process (`techsov seed load` from a shell, another worker) and bumps the
state row (app/core/state.py); a worker's cached answers are good while that row is as it was. Asking costs
next to nothing and needs no worker thread:

- SQLite: `PRAGMA data_version` on a connection of the watch's own, which moves whenever another connection
  (of any process) committed to the file — about 3 µs; only then is the state row read again (about 5 µs).
  A `stat` of the path (about 1.5 µs) notices a file put in the database's place.
- PostgreSQL: one read of the one-row state table on an asynchronous connection of the watch's own (no thread,
  the event loop waits on the socket). Requests that arrive while a read is under way share the next one, so
  16 requests at once cost two round trips, not 16 — and none is answered from a read begun before it arrived.

A watch that cannot tell (the database is unreachable or busy with a first load) says None, and the request
goes the ordinary way, which gives the usual 503 when the database is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import anyio
import sqlalchemy as sa

from app.core.state import dataset_state

State = tuple[int, Any, Any]
"""The dataset version, when it last changed and when the last load began: any load moves it (even one that
changed no record but the quality figures), any change of the data moves the version."""
NO_STATE: State = (0, None, None)
"""An empty database's state: no load yet."""
STATE_SQL = f"SELECT version, changed_at, load_started_at FROM {dataset_state.name}"
RETRY_SECONDS = 1.0
"""After a failure, how long a watch answers None before it tries to connect again."""
PG_TIMEOUT_SECONDS = 2.0


class DatasetWatch(Protocol):
    """The dataset's state as of now, or None when it cannot be told cheaply."""

    async def state(self) -> State | None:
        """The current state (None: unknown, do without the cache)."""

    async def close(self) -> None:
        """Close the watch's own connection."""


def _state(row: Any) -> State:
    return (int(row[0]), row[1], row[2]) if row else NO_STATE


class SqliteWatch:
    """SQLite: `PRAGMA data_version` on a connection kept for it; the state row read again only when it moves."""

    def __init__(self, path: str) -> None:
        self.path = Path(path).resolve()
        self.uri = self.path.as_uri() + "?mode=rw"  # never creates a file
        self.file: tuple[int, int] | None = None
        """The device and inode the connection opened: a file put in its place is another database."""
        self.lock = threading.Lock()
        self.connection: sqlite3.Connection | None = None
        self.data_version: int | None = None
        self.known: State | None = None
        self.retry_at = 0.0

    async def state(self) -> State | None:
        return self.read()

    def read(self) -> State | None:
        """The state now; microseconds, so it runs on the event loop."""
        with self.lock:
            try:
                found = os.stat(self.path)
            except OSError:
                self._drop()
                return None
            if self.connection is not None and (found.st_dev, found.st_ino) != self.file:
                self._drop(retry=False)
            if self.connection is None:
                if time.monotonic() < self.retry_at:
                    return None
                self.file = (found.st_dev, found.st_ino)
                try:
                    # timeout=0: never wait for a lock (a first load holds the file): say "unknown" instead.
                    self.connection = sqlite3.connect(self.uri, uri=True, timeout=0, isolation_level=None,
                                                      check_same_thread=False)  # fmt: skip
                except sqlite3.Error:
                    self.retry_at = time.monotonic() + RETRY_SECONDS
                    return None
                self.data_version = self.known = None
            try:
                # Read the counter before the row: a commit between the two moves the counter again.
                moved = self.connection.execute("PRAGMA data_version").fetchall()[0][0]
                if moved != self.data_version or self.known is None:
                    self.known = _state(next(iter(self.connection.execute(STATE_SQL).fetchall()), None))
                    self.data_version = moved
                return self.known
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return None  # a first load holds the file: ask again next time
                self._drop()
                return None
            except sqlite3.Error:
                self._drop()
                return None

    def _drop(self, retry: bool = True) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = None
        if retry:
            self.retry_at = time.monotonic() + RETRY_SECONDS

    async def close(self) -> None:
        with self.lock:
            if self.connection is not None:
                self.connection.close()
                self.connection = None


class PostgresWatch:
    """PostgreSQL: the state row read on an asynchronous connection kept for it, one read at a time, shared by
    every request that arrived before it began."""

    def __init__(self, url: sa.URL) -> None:
        self.conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.lock = asyncio.Lock()
        self.connection: Any = None
        self.started = 0
        """Reads begun so far; a request needs one numbered above the count it saw when it arrived."""
        self.completed = 0
        self.last: State | None = None
        self.retry_at = 0.0

    async def state(self) -> State | None:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a new event loop (tests start one per client): nothing of the old one works
            self.loop, self.lock, self.connection = loop, asyncio.Lock(), None
        arrived = self.started
        async with self.lock:
            if self.completed > arrived:  # a read that began after this request arrived: its answer is news
                return self.last
            self.started += 1
            number = self.started
            self.last = await self._read()
            self.completed = number
            return self.last

    async def _read(self) -> State | None:
        import psycopg

        try:
            with anyio.fail_after(PG_TIMEOUT_SECONDS):
                if self.connection is None:
                    if time.monotonic() < self.retry_at:
                        return None
                    self.connection = await psycopg.AsyncConnection.connect(
                        self.conninfo, autocommit=True, connect_timeout=int(PG_TIMEOUT_SECONDS)
                    )
                cursor = await self.connection.execute(STATE_SQL)
                return _state(await cursor.fetchone())
        except (psycopg.Error, OSError, TimeoutError):
            await self._drop()
            return None

    async def _drop(self) -> None:
        connection, self.connection = self.connection, None
        self.retry_at = time.monotonic() + RETRY_SECONDS
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close: it is dropped anyway
                await connection.close()

    async def close(self) -> None:
        if self.connection is not None and self.loop is asyncio.get_running_loop():
            await self._drop()
        self.connection = None


def watch_for(engine: sa.Engine) -> DatasetWatch | None:
    """The watch for this engine's database; None for a SQLite database in memory (nothing to watch)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return SqliteWatch(database)
    if url.get_backend_name() == "postgresql":
        return PostgresWatch(url)
    return None
