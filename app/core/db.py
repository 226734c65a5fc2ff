"""Engines, connection settings and the migration check: the one place that opens databases."""

from __future__ import annotations

import sqlite3
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.core.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


class DatabaseNotReady(RuntimeError):
    """The database is missing, unreachable or not at the latest migration."""


ON_CHECKIN = "techsov_on_checkin"
"""Key of a SQLite connection's `info`: callables given the DBAPI connection when it goes back to the pool,
for what cannot be undone while its transaction lasts (detaching a database it read)."""


def sqlite_file(dbapi_connection: Any) -> str | None:
    """The file of a SQLite connection's main database; None in memory or for a temporary database."""
    return dbapi_connection.execute("PRAGMA database_list").fetchone()[2] or None


def is_sqlite(url: str | sa.URL) -> bool:
    """True for a SQLite URL."""
    return sa.make_url(url).get_backend_name() == "sqlite"


def _json_text(value: Any) -> str:
    """JSON columns keep 华为 as 华为, not \\u534e\\u4e3a, so text search finds it."""
    return orjson.dumps(value).decode()


JSON_CODECS: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


def make_engine(
    url: str, *, query_timeout_ms: int | None = None, lock_wait_ms: int = 30_000, **kwargs: Any
) -> sa.Engine:
    """An engine with the settings techsov relies on: WAL and foreign keys on SQLite, and, for the API,
    a time limit on every query (`query_timeout_ms`; loads and migrations run without one). On SQLite,
    `lock_wait_ms` bounds a wait for another connection's lock (then "database is locked")."""
    if is_sqlite(url):
        database = sa.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": lock_wait_ms / 1000, **kwargs.pop("connect_args", {})}
        engine = sa.create_engine(url, connect_args=connect_args, **JSON_CODECS, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers see the old data while a load commits; busy_timeout
            # waits for a writer instead of failing with "database is locked".
            # The driver's own transaction handling is off: SQLAlchemy emits BEGIN
            # (below), so a request's reads share one snapshot.
            # A file another connection is writing in rollback-journal mode (a first load,
            # app/seeding/run.py) cannot switch now: it is left as it is, without waiting, and
            # this connection follows it into WAL when that load switches it back.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=0")
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            cursor.execute(f"PRAGMA busy_timeout={int(lock_wait_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "checkin")
        def _after_return(dbapi_connection: Any, record: Any) -> None:
            # Its transaction has ended: the pool reset the connection before checkin.
            for callback in record.info.pop(ON_CHECKIN, ()):
                callback(dbapi_connection)

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection: sa.Connection) -> None:
            # A load begins its own transaction first (BEGIN IMMEDIATE, app/seeding/lock.py).
            # Sent to the driver itself: through SQLAlchemy's execution it cost a read of one row as much again.
            raw = connection.connection.driver_connection
            if raw is not None and not raw.in_transaction:
                raw.execute("BEGIN")

        seconds = query_timeout_ms / 1000 if query_timeout_ms else None
        if seconds is not None:
            _limit_sqlite_queries(engine, seconds)
        # Its own statement listener is the clock alone: one listening to every engine, even if it was added
        # before this one was made (as a test's does), is counted beside it.
        _DIRECT[engine] = (0 if seconds is None else 1, seconds)
        return engine
    connect_args = {"options": f"-c statement_timeout={int(query_timeout_ms)}"} if query_timeout_ms else {}
    engine = sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True, **JSON_CODECS, **kwargs)
    _DIRECT[engine] = (0, None)  # no statement listener of its own: its time limit is the server's
    return engine


def _limit_sqlite_queries(engine: sa.Engine, seconds: float) -> None:
    """SQLite has no statement timeout: a progress handler interrupts a query past its deadline."""

    @sa.event.listens_for(engine, "connect")
    def _install(dbapi_connection: Any, record: Any) -> None:
        info = record.info

        def over_time() -> int:
            deadline = info.get("deadline")
            return 1 if deadline is not None and time.monotonic() > deadline else 0

        dbapi_connection.set_progress_handler(over_time, 10_000)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _start_clock(connection: sa.Connection, *_args: Any) -> None:
        connection.info["deadline"] = time.monotonic() + seconds


_DIRECT: weakref.WeakKeyDictionary[sa.Engine, tuple[int, float | None]] = weakref.WeakKeyDictionary()
"""Engines made here: how many statement listeners they have of their own (the time limit's clock, or
none), and their time limit in seconds."""


def _direct(connection: sa.Connection) -> bool:
    """Whether a statement may go straight to the driver of this connection (`direct_sqlite`, `direct_rows`):
    its engine made by `make_engine`, not echoing, nothing listening to its executions but the time limit's own
    clock. Then what the clock and an execution would do is done here: the deadline set, and the transaction
    begun if none is."""
    engine = connection.engine
    direct = _DIRECT.get(getattr(engine, "_proxied", engine))  # an engine with options: listens as its own does
    if direct is None or engine.echo:
        return False
    dispatch = engine.dispatch
    if (
        len(dispatch.before_cursor_execute) != direct[0]
        or len(dispatch.after_cursor_execute)
        or len(dispatch.before_execute)
        or len(dispatch.after_execute)
        or len(engine.dialect.dispatch.handle_error)
    ):
        return False
    if direct[1] is not None:
        connection.info["deadline"] = time.monotonic() + direct[1]
    if not connection.in_transaction():
        connection.begin()
    return True


def direct_rows(connection: sa.Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]] | None:
    """On PostgreSQL, the rows of SQL compiled for psycopg (`%s` marks), run on the driver's own cursor where going
    through SQLAlchemy's execution would change nothing but its cost (its result's metadata, built from the
    cursor's description at every statement, was most of a small read's time); None when the statement must go
    the ordinary way (see `_direct`). The time limit is the server's (`statement_timeout`); a driver error is
    raised as SQLAlchemy raises it, and a lost connection is dropped from the pool as SQLAlchemy drops it."""
    if connection.dialect.name != "postgresql" or not _direct(connection):
        return None
    with _driver_cursor(connection, sql, params) as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def direct_copy(connection: sa.Connection, sql: str, types: Sequence[str], rows: Iterable[Sequence[Any]]) -> bool:
    """On PostgreSQL, `rows` written by `sql` (a `COPY … FROM STDIN (FORMAT BINARY)`, each value sent as the type
    named in `types`, at its place) on the driver's own cursor: no statement built, no array made and taken apart
    again. False, having written nothing, where statements must go the ordinary way (see `_direct`, as for
    `direct_rows`); errors are raised as for `direct_rows`."""
    if connection.dialect.name != "postgresql" or not _direct(connection):
        return False
    with _driver_cursor(connection, sql, ()) as cursor, cursor.copy(sql) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    return True


@contextmanager
def _driver_cursor(connection: sa.Connection, sql: str, params: Sequence[Any]) -> Iterator[Any]:
    """The driver's own cursor; a driver error raised in the block is raised as SQLAlchemy raises it, and a lost
    connection dropped from the pool as SQLAlchemy drops it."""
    driver: Any = connection.connection.driver_connection
    error = connection.dialect.loaded_dbapi.Error
    with driver.cursor() as cursor:
        try:
            yield cursor
        except error as exc:
            lost = connection.dialect.is_disconnect(exc, driver, cursor)
            wrapped = sa.exc.DBAPIError.instance(sql, params, exc, error, connection_invalidated=lost)
            if lost:
                connection.invalidate(wrapped)
            raise wrapped from exc


def direct_sqlite(connection: sa.Connection) -> sqlite3.Connection | None:
    """The SQLite driver's connection, to run a statement on directly where going through SQLAlchemy's execution
    would change nothing but its cost (about 30 µs a statement: its events, its result objects, against 5 µs for
    an indexed read of one row); None when the statement must go the ordinary way.

    Direct where `_direct` allows it: a listener added to the engine or to every engine (a test counting
    statements, a tool tracing them) sends every statement the ordinary way again. (One added to a single
    `Connection` is not looked for: asking its joined listeners costs more than the statement.) The transaction
    `_direct` begins sends BEGIN through the engine's `begin` listener.
    """
    if connection.dialect.name != "sqlite" or not _direct(connection):
        return None
    driver: sqlite3.Connection | None = connection.connection.driver_connection
    return driver


def alembic_config(url: str) -> Config:
    """Alembic's configuration for `url`, without needing an alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration in migrations/versions."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def migrating(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in one transaction for migrations.

    On SQLite, altering a table means rebuilding it, and dropping the old copy
    counts every row that points at it as a foreign-key violation. So, as in
    SQLite's own procedure for schema changes, enforcement is off while the
    migrations run and `PRAGMA foreign_key_check` must find nothing before
    the commit.
    """
    with engine.connect() as connection:
        driver = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: before BEGIN
        try:
            with connection.begin():
                yield connection
                if driver is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        table, rowid, parent, _ = broken[0]
                        raise RuntimeError(
                            f"the migration left {len(broken)} broken references, e.g. {table} row {rowid} -> {parent}"
                        )
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=ON")


def upgrade(url: str, engine: sa.Engine | None = None) -> None:
    """Run the migrations up to head (`techsov db upgrade`)."""
    config = alembic_config(url)
    own_engine = engine is None
    engine = engine or make_engine(url)
    try:
        with migrating(engine) as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if own_engine:
            engine.dispose()


def ensure_at_head(engine: sa.Engine) -> None:
    """Refuse a database that is unreachable or not migrated, saying what to run."""
    try:
        current = current_revision(engine)
    except sa.exc.SQLAlchemyError as exc:
        raise DatabaseNotReady(f"cannot reach the database: {type(exc).__name__}") from exc
    head = head_revision()
    if current != head:
        state = "is empty" if current is None else f"is at migration {current}"
        raise DatabaseNotReady(f"the database {state}, but this techsov needs {head}: run `techsov db upgrade`")
