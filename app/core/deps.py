"""Request-scoped dependencies: the database, read through a worker thread."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Annotated, Literal, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from anyio import CapacityLimiter
from fastapi import Depends, Request

from app.core.db import ON_CHECKIN, make_engine
from app.core.errors import ServiceUnavailable

T = TypeVar("T")


Lane = Literal["read", "search", "inline", "inline-search"]
"""Which worker threads a read waits for: ordinary reads, or full-text searches; or none: `inline` is for reads
known to take microseconds (one indexed row), made on the event loop itself where that is safe, and
`inline-search` for searches whose work is bounded (a few ms), redone in the search lane when they cannot be."""
INLINE_FALLBACK: dict[Lane, Lane] = {"inline": "read", "inline-search": "search"}
"""The lane of an inline read that could not be made on the event loop."""
INLINE_LIMIT_MS = 50
"""Longest an inline read may hold the event loop: past it, it is interrupted and made again in a thread."""


def default_read_threads(engine: sa.Engine) -> int:
    """Worker threads for ordinary reads when not set: one on SQLite, two on PostgreSQL.

    Python's sqlite3 gives up the GIL and takes it back at every row step, so two
    reads that are mostly Python (building items) on two threads mostly fight over
    it: a page of 50 statements at 1M served 390 req/s on one thread and 278 on two.
    A PostgreSQL read mostly waits on the server, and a second thread has work
    meanwhile (110 -> 162 req/s at 100k).
    """
    return 1 if engine.dialect.name == "sqlite" else 2


class Database:
    """The app's engine; every read runs in a short transaction off the event loop.

    Reads wait in one of two lanes, each with its own threads: ordinary reads
    (lists, records, exports' checks) and full-text searches, whose time is mostly
    spent inside the database engine with the GIL released (on SQLite, two search
    threads served 40 req/s where one served 25). A slow search never holds up a
    list, nor a busy list lane a search.
    """

    def __init__(self, engine: sa.Engine, threads: int | None = None, search_threads: int = 2) -> None:
        self.engine = engine
        self.threads: dict[Lane, int] = {"read": threads or default_read_threads(engine), "search": search_threads}
        self._limiters: dict[Lane, CapacityLimiter] = {}
        self.inline = _inline_engine(engine)
        self.reader = _reader(engine)
        self._inline_file: tuple[int, int] | None = None
        self._inline_connection: sa.Connection | None = None
        """The inline engine's one connection, held between reads (each read ends its own transaction)."""

    def read_sync(self, work: Callable[[sa.Connection], T], engine: sa.Engine | None = None) -> T:
        """Run `work` on a connection; database trouble becomes a clean 503."""

        def on_a_connection() -> T:
            with (engine or self.engine).connect() as connection:
                return work(connection)

        return _answerable(on_a_connection)

    def stream(self, work: Callable[[sa.Connection], Iterator[T]]) -> Iterator[T]:
        """Items from `work` on a connection held until the last one is taken (or the client leaves)."""
        with self.engine.connect() as connection:
            yield from work(connection)

    async def read(self, work: Callable[[sa.Connection], T], lane: Lane = "read") -> T:
        """`read_sync` in a worker thread of `lane`, so a slow query never blocks the event loop.

        At most `threads[lane]` reads of a lane run at once: more threads than cores
        only take turns at the GIL (and each holds a pooled connection); the rest wait.
        An `inline` read runs on the event loop when `inline_read` can, else as an ordinary read (`inline-search`:
        else in the search lane).
        """
        if lane in INLINE_FALLBACK:
            done, value = self.inline_read(work)
            if done:
                return value  # type: ignore[return-value]
            lane = INLINE_FALLBACK[lane]
        limiter = self._limiters.get(lane)
        if limiter is None:
            limiter = self._limiters[lane] = CapacityLimiter(self.threads[lane])
        return await anyio.to_thread.run_sync(self.read_sync, work, self.reader, limiter=limiter)

    def inline_read(self, work: Callable[[sa.Connection], T]) -> tuple[bool, T | None]:
        """(True, what `work` read) on the calling thread — the event loop — or (False, None) when it cannot be
        done there at once: not SQLite, a lock to wait for (a first load), or past `INLINE_LIMIT_MS`.

        Safe on SQLite only: its reads in WAL mode never wait for a writer, and this connection never waits for
        a lock (it gives up instead) nor for the pool (it is its own); its queries are interrupted after
        `INLINE_LIMIT_MS`. A thread hop costs more than a read of one row by its key (50-100 µs, and the GIL
        taken back from the loop); what is given up is redone in a worker thread with the full time limit.
        """
        if self.inline is None:
            return False, None
        try:
            found = os.stat(self.inline.url.database or "")
        except OSError:
            return False, None
        if (found.st_dev, found.st_ino) != self._inline_file:  # another file in its place: open that one
            self._release_inline()
            self.inline.dispose()
            self._inline_file = (found.st_dev, found.st_ino)
        try:
            return True, _answerable(lambda: self._held_read(work))
        except ServiceUnavailable:
            return False, None

    def _held_read(self, work: Callable[[sa.Connection], T]) -> T:
        """`work` on the inline connection, held from one read to the next: checking a connection out of the pool
        and back in costs about as much as a read of one row. Its transaction ends with the read, so the next one
        sees what was committed meanwhile; a read that fails, or leaves something for the pool to undo at check-in
        (`ON_CHECKIN`), closes it, and the next read opens another."""
        assert self.inline is not None
        connection = self._inline_connection
        if connection is None or connection.closed or connection.invalidated:
            connection = self._inline_connection = self.inline.connect()
        try:
            found = work(connection)
        except BaseException:
            self._release_inline()
            raise
        if connection.info.get(ON_CHECKIN):
            self._release_inline()
            return found
        connection.rollback()
        driver = connection.connection.driver_connection
        if driver is None or driver.in_transaction:  # a transaction begun behind SQLAlchemy's back: start afresh
            self._release_inline()
        return found

    def _release_inline(self) -> None:
        connection, self._inline_connection = self._inline_connection, None
        if connection is not None:
            connection.close()

    def dispose(self) -> None:
        """Close every connection (the app's end)."""
        if self.inline is not None:
            self._release_inline()
            self.inline.dispose()
        self.engine.dispose()


def _answerable(read: Callable[[], T]) -> T:
    """What `read` returns; database trouble becomes a clean 503."""
    try:
        return read()
    except sa.exc.OperationalError as exc:
        if type(exc.orig).__name__ == "QueryCanceled" or "interrupted" in str(exc.orig):
            raise ServiceUnavailable(
                "this question took longer than the time limit; narrow it (filters, a smaller limit)"
            ) from None
        raise ServiceUnavailable("the database is not answering; try again shortly") from None
    except sa.exc.DatabaseError as exc:
        if not _unreadable(exc):
            raise
        raise ServiceUnavailable("the database file cannot be read; try again shortly") from None


def _reader(engine: sa.Engine) -> sa.Engine:
    """The engine of `Database.read`: on PostgreSQL, its connections in autocommit.

    A read there runs under READ COMMITTED, where every statement sees the data as of its own start, inside a
    transaction or not: autocommit changes nothing it sees, and spares two round trips per request (BEGIN, and
    the ROLLBACK that returns the connection to the pool). It also keeps psycopg's prepared statements: a
    ROLLBACK drops them all, so a statement was never prepared (`prepare_threshold`: 5 uses on one connection)
    and every question was parsed and planned afresh. SQLite's reads keep their transaction: there it is one
    snapshot for all of a request's statements.
    """
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _inline_engine(engine: sa.Engine) -> sa.Engine | None:
    """One SQLite connection for reads on the event loop: never waits for a lock, interrupted after
    INLINE_LIMIT_MS; None for other databases (a network round trip must not hold the loop)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return make_engine(
        url.render_as_string(hide_password=False),
        query_timeout_ms=INLINE_LIMIT_MS,
        lock_wait_ms=0,
        poolclass=sa.pool.StaticPool,  # one connection, used by one thread at a time: the loop's
        connect_args={"check_same_thread": False},
    )


def _unreadable(exc: sa.exc.DatabaseError) -> bool:
    """SQLite's answer when the file at the database's path is no database (replaced, truncated, corrupted):
    an outage of the file, not a bug, so a 503 like an unreachable server."""
    reason = str(exc.orig)
    return "file is not a database" in reason or "malformed" in reason


def get_database(request: Request) -> Database:
    """The app's database."""
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
