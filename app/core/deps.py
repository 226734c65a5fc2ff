"""Request-scoped dependencies: the database, read through a worker thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from anyio import CapacityLimiter
from fastapi import Depends, Request

from app.core.errors import ServiceUnavailable

T = TypeVar("T")


class Database:
    """The app's engine; every read runs in a short transaction off the event loop."""

    def __init__(self, engine: sa.Engine, threads: int = 2) -> None:
        self.engine = engine
        self.threads = threads
        self._limiter: CapacityLimiter | None = None

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

    def stream(self, work: Callable[[sa.Connection], Iterator[T]]) -> Iterator[T]:
        """Items from `work` on a connection held until the last one is taken (or the client leaves)."""
        with self.engine.connect() as connection:
            yield from work(connection)

    async def read(self, work: Callable[[sa.Connection], T]) -> T:
        """`read_sync` in a worker thread, so a slow query never blocks other requests.

        At most `threads` reads run at once: more threads than cores only take
        turns at the GIL (and each holds a pooled connection); the rest wait.
        """
        if self._limiter is None:
            self._limiter = CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(self.read_sync, work, limiter=self._limiter)


def get_database(request: Request) -> Database:
    """The app's database."""
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
