"""Migrations build the schema; nothing serves a database that is not at head."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app
from app.core.config import Settings
from app.core.db import DatabaseNotReady, current_revision, ensure_at_head, head_revision, make_engine
from app.core.state import metadata
from app.main import create_app
from app.search.index import outside_search_tables
from tests.conftest import uses_sqlite


def test_migrations_build_every_table_of_the_models(engine: sa.Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(sa.inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_migrations_match_the_models(engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": outside_search_tables})
        diff = compare_metadata(context, metadata)
    assert diff == [], "the models changed: add a migration (alembic revision --autogenerate)"


def test_an_empty_database_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(DatabaseNotReady, match="run `techsov db upgrade`"):
        ensure_at_head(engine)


def test_the_app_refuses_to_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(DatabaseNotReady, match="techsov db upgrade"), TestClient(create_app(settings)):
        pass


def test_db_upgrade_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "current"]).exit_code == 1
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"database at migration {head_revision()}" in result.stdout
    assert runner.invoke(app, ["db", "current"]).exit_code == 0


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_every_api_query_has_a_time_limit(database_url: str) -> None:
    from app.core.deps import Database
    from app.core.errors import ServiceUnavailable

    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
    engine = make_engine(database_url, query_timeout_ms=300)
    try:
        with pytest.raises(ServiceUnavailable, match="took longer than the time limit"):
            Database(engine).read_sync(lambda c: c.exec_driver_sql(endless).scalar())
        assert Database(engine).read_sync(lambda c: c.exec_driver_sql("SELECT 1").scalar()) == 1
    finally:
        engine.dispose()


def test_statements_sent_to_the_driver_keep_the_time_limit_and_the_transaction(database_url: str) -> None:
    from app.core.deps import Database
    from app.core.errors import ServiceUnavailable
    from app.records.items import driver_rows

    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
    engine = make_engine(database_url, query_timeout_ms=300)
    try:
        with pytest.raises(ServiceUnavailable, match="took longer than the time limit"):
            Database(engine).read_sync(lambda c: driver_rows(c, endless, ()))

        def in_transaction(connection: sa.Connection) -> tuple[list[tuple[object, ...]], bool]:
            return driver_rows(connection, "SELECT 1", ()), connection.in_transaction()

        assert Database(engine).read_sync(in_transaction) == ([(1,)], True)
    finally:
        engine.dispose()


def test_a_listener_on_statements_sees_those_sent_to_the_driver(database_url: str) -> None:
    from app.records.items import driver_rows

    engine = make_engine(database_url, query_timeout_ms=300)
    seen: list[str] = []

    def count(_c: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    try:
        for target in (engine, sa.Engine):  # one engine's listeners, and every engine's
            sa.event.listen(target, "before_cursor_execute", count)
            try:
                with engine.connect() as connection:
                    assert driver_rows(connection, "SELECT 2", ()) == [(2,)]
            finally:
                sa.event.remove(target, "before_cursor_execute", count)
        assert seen == ["SELECT 2", "SELECT 2"]
        with engine.connect() as connection:
            assert driver_rows(connection, "SELECT 3", ()) == [(3,)]
        assert seen == ["SELECT 2", "SELECT 2"]
    finally:
        engine.dispose()


@pytest.mark.parametrize("timeout_ms", [300, None])
def test_a_listener_on_every_engine_made_before_the_engine_sees_its_statements(
    database_url: str, timeout_ms: int | None
) -> None:
    """A listener added to every engine before this one was made (as a test's held load does) is counted too:
    the engine's own statement listener is its clock alone, or none."""
    from app.records.items import driver_rows

    seen: list[str] = []

    def count(_c: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", count)
    try:
        engine = make_engine(database_url, query_timeout_ms=timeout_ms)
        try:
            with engine.connect() as connection:
                assert driver_rows(connection, "SELECT 4", ()) == [(4,)]
        finally:
            engine.dispose()
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", count)
    assert "SELECT 4" in seen


def test_a_driver_query_binds_its_own_parameters_around_the_ids(engine: sa.Engine) -> None:
    """A DriverQuery's other parameters keep their values and their places, before, between and after the ids
    (listed twice here), on both databases."""
    from app.records.items import DriverQuery

    probe = sa.Table("driver_query_probe", sa.MetaData(), sa.Column("id", sa.String(8), primary_key=True),
                     sa.Column("n", sa.Integer, nullable=False), sa.Column("on", sa.Date))  # fmt: skip
    ids: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    day = dt.date(2020, 1, 3)
    query = DriverQuery(
        sa.union_all(
            sa.select(sa.literal("low").label("side"), probe.c.id).where(probe.c.n < 3, probe.c.id.in_(ids)),
            sa.select(sa.literal("high"), probe.c.id).where(probe.c.id.in_(ids), probe.c.n >= 3, probe.c.on <= day),
        ).order_by("side", "id")
    )
    probe.create(engine)
    try:
        with engine.begin() as connection:
            connection.execute(
                probe.insert(), [{"id": f"r{n}", "n": n, "on": dt.date(2020, 1, n)} for n in (1, 2, 3, 4)]
            )
        with engine.connect() as connection:
            assert query.rows(connection, ["r1", "r3", "r4", "r9"]) == [("high", "r3"), ("low", "r1")]
            assert query.rows(connection, ["r2"]) == [("low", "r2")]
            assert query.rows(connection, []) == []
    finally:
        probe.drop(engine)


def test_postgresql_reads_go_to_the_driver_unless_something_listens(database_url: str) -> None:
    """`direct_rows` runs a statement on the driver's cursor, also on an engine with options (the reads' own, in
    autocommit); a listener sends it the ordinary way (None); a driver's error is SQLAlchemy's."""
    from app.core.db import direct_rows

    engine = make_engine(database_url, query_timeout_ms=300)
    reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with reader.connect() as connection:
            if uses_sqlite(database_url):
                assert direct_rows(connection, "SELECT 1", ()) is None
                return
            assert direct_rows(connection, "SELECT %s + 1", (1,)) == [(2,)]
            assert direct_rows(connection, "SELECT %s || 'b'", ("a",)) == [("ab",)]
            with pytest.raises(sa.exc.ProgrammingError, match="nowhere"):
                direct_rows(connection, "SELECT * FROM nowhere", ())

        def count(*_args: object) -> None:
            pass

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            with reader.connect() as connection:
                assert direct_rows(connection, "SELECT 1", ()) is None
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    finally:
        engine.dispose()


def test_reads_and_searches_wait_in_lanes_of_their_own(engine: sa.Engine) -> None:
    import threading

    import anyio

    from app.core.deps import Database, default_read_threads

    database = Database(engine)
    assert database.threads == {"read": default_read_threads(engine), "search": 2}
    assert default_read_threads(engine) == (1 if engine.dialect.name == "sqlite" else 2)
    one_each = Database(engine, threads=1, search_threads=1)
    searching, release = threading.Event(), threading.Event()

    def slow_search(connection: sa.Connection) -> int:
        searching.set()
        release.wait(10)
        return int(connection.exec_driver_sql("SELECT 1").scalar_one())

    async def main() -> list[int]:
        done: list[int] = []
        async with anyio.create_task_group() as tasks:

            async def search() -> None:
                done.append(await one_each.read(slow_search, "search"))

            tasks.start_soon(search)
            while not searching.is_set():
                await anyio.sleep(0.01)
            # The search lane's one thread is taken; a list still gets its own.
            done.append(await one_each.read(lambda c: int(c.exec_driver_sql("SELECT 2").scalar_one())))
            release.set()
        return done

    assert anyio.run(main) == [2, 1]


def test_inline_reads_run_on_the_calling_thread_on_sqlite_only(engine: sa.Engine) -> None:
    import threading

    import anyio

    from app.core.deps import Database

    database = Database(engine)
    threads: list[int] = []

    def which(connection: sa.Connection) -> int:
        threads.append(threading.get_ident())
        return int(connection.exec_driver_sql("SELECT 7").scalar_one())

    async def main() -> tuple[int, int]:
        return threading.get_ident(), await database.read(which, "inline")

    loop_thread, seven = anyio.run(main)
    assert seven == 7
    if engine.dialect.name == "sqlite":
        assert threads == [loop_thread]
    else:  # a network round trip never holds the loop: an ordinary read in a worker thread
        assert database.inline is None
        assert threads[0] != loop_thread
    database.dispose()


@pytest.mark.skipif(not uses_sqlite(os.environ.get("TEST_DATABASE_URL") or "sqlite://"), reason="SQLite only")
def test_inline_reads_share_one_connection_and_each_sees_what_was_committed_before_it(engine: sa.Engine) -> None:
    from app.core.deps import Database

    database = Database(engine)
    with engine.begin() as writer:
        writer.exec_driver_sql("CREATE TABLE probe (n INTEGER)")

    def read(connection: sa.Connection) -> tuple[int, int]:
        count = connection.exec_driver_sql("SELECT count(*) FROM probe").scalar_one()
        return id(connection.connection.driver_connection), count

    first, before = database.inline_read(read)[1] or (0, 0)
    with engine.begin() as writer:
        writer.exec_driver_sql("INSERT INTO probe VALUES (1)")
    again, after = database.inline_read(read)[1] or (0, 0)
    assert (again, after) == (first, before + 1)  # the same connection, not stuck in the first read's snapshot

    def fail(connection: sa.Connection) -> int:
        connection.exec_driver_sql("SELECT no_such_column FROM probe")
        return 0

    assert database.inline_read(fail) == (False, None)  # given up: made again as an ordinary read
    done, found = database.inline_read(read)  # the failed read's connection closed, another opened
    assert done
    assert found is not None
    assert found[1] == before + 1
    database.dispose()


@pytest.mark.skipif(not uses_sqlite(os.environ.get("TEST_DATABASE_URL") or "sqlite://"), reason="SQLite only")
def test_an_inline_read_too_long_or_locked_out_is_made_again_in_a_thread(engine: sa.Engine) -> None:
    import sqlite3
    import threading
    import time

    import anyio

    from app.core.deps import INLINE_LIMIT_MS, Database

    database = Database(engine)
    threads: list[int] = []
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"

    def long_count(connection: sa.Connection) -> int:
        threads.append(threading.get_ident())
        return int(connection.exec_driver_sql(slow).scalar_one())

    async def main() -> tuple[int, int]:
        return threading.get_ident(), await database.read(long_count, "inline")

    started = time.monotonic()
    loop_thread, counted = anyio.run(main)
    assert counted == 3_000_000
    assert threads[0] == loop_thread  # tried on the loop, given up after INLINE_LIMIT_MS
    assert threads[1] != loop_thread  # and made in a worker thread
    assert len(threads) == 2

    # A writer holding the file exclusively: the inline read gives up at once instead of waiting.
    database.dispose()  # (no other connection may have it open for that lock)
    writer = sqlite3.connect(engine.url.database or "", isolation_level=None)
    writer.execute("PRAGMA locking_mode=EXCLUSIVE")
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("UPDATE dataset_state SET version = version")
    try:
        started = time.monotonic()
        assert database.inline_read(lambda c: c.exec_driver_sql("SELECT count(*) FROM actors").scalar()) == (
            False,
            None,
        )
        assert time.monotonic() - started < INLINE_LIMIT_MS / 1000 + 0.5
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert database.inline_read(lambda c: c.exec_driver_sql("SELECT 3").scalar()) == (True, 3)
    database.dispose()
