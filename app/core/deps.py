"""Request-scoped dependencies: the database, read through a worker thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Literal, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from anyio import CapacityLimiter
from fastapi import Depends, Request

from app.core.errors import ServiceUnavailable

T = TypeVar("T")


Lane = Literal["read", "search"]
"""Which worker threads a read waits for: ordinary reads, or full-text searches."""


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

    def read_sync(self, work: Callable[[sa.Connection], T]) -> T:
        """Run `work` on a connection; database trouble becomes a clean 503."""
        try:
            with self.engine.connect() as connection:
                return work(connection)
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

    def stream(self, work: Callable[[sa.Connection], Iterator[T]]) -> Iterator[T]:
        """Items from `work` on a connection held until the last one is taken (or the client leaves)."""
        with self.engine.connect() as connection:
            yield from work(connection)

    async def read(self, work: Callable[[sa.Connection], T], lane: Lane = "read") -> T:
        """`read_sync` in a worker thread of `lane`, so a slow query never blocks the event loop.

        At most `threads[lane]` reads of a lane run at once: more threads than cores
        only take turns at the GIL (and each holds a pooled connection); the rest wait.
        """
        limiter = self._limiters.get(lane)
        if limiter is None:
            limiter = self._limiters[lane] = CapacityLimiter(self.threads[lane])
        return await anyio.to_thread.run_sync(self.read_sync, work, limiter=limiter)


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
