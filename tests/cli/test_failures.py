"""Every CLI failure is one line (what, where, what to do) and exit status 1; the traceback only with --debug."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from app.cli import app
from app.core.db import make_engine
from app.seeding.run import load_dir
from tests.conftest import TEST_DATABASE_URL, VALID, uses_sqlite
from tests.live import free_port
from tests.seeding.test_load import snapshot

runner = CliRunner()


def one_error_line(result: Result) -> str:
    """The failure's single stderr line (asserting there is exactly one, and no traceback)."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("error: ")
    return lines[0]


def test_db_upgrade_against_an_unreachable_server_names_it_but_not_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://editor:hunter2@127.0.0.1:{port}/newsroom")
    line = one_error_line(runner.invoke(app, ["db", "upgrade"]))
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}, database 'newsroom'" in line
    assert "Connection refused" in line
    assert "check that the server is running" in line
    assert "hunter2" not in line


def test_debug_lets_the_traceback_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://editor@127.0.0.1:{free_port()}/newsroom")
    result = runner.invoke(app, ["--debug", "db", "upgrade"])
    assert result.exit_code == 1
    assert isinstance(result.exception, sa.exc.OperationalError)


def test_a_missing_postgres_driver_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://editor@127.0.0.1:5432/newsroom")
    line = one_error_line(runner.invoke(app, ["db", "upgrade"]))
    assert "PostgreSQL driver (psycopg) is not installed" in line
    assert "pip install 'techsov[postgres]'" in line


def test_a_file_that_is_not_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"this is not a database, it is a newsroom memo\n" * 100)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    line = one_error_line(runner.invoke(app, ["seed", "load", str(VALID)]))
    assert f"cannot use SQLite file {path}: file is not a database" in line


def test_a_load_the_database_refuses_is_one_line_and_writes_nothing(
    loaded_engine: sa.Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A constraint inside the database (a trigger here, the same on both) stops the load."""
    with loaded_engine.begin() as connection:
        if uses_sqlite(database_url):
            connection.exec_driver_sql(
                "CREATE TRIGGER no_updates BEFORE UPDATE ON actors "
                "BEGIN SELECT RAISE(ABORT, 'actors are frozen for the audit'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION frozen() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'actors are frozen for the audit'; END $$"
            )
            connection.exec_driver_sql("CREATE TRIGGER no_updates BEFORE UPDATE ON actors EXECUTE FUNCTION frozen()")
    try:
        folder = tmp_path / "seed"
        folder.mkdir()
        for file in VALID.iterdir():
            text = file.read_text("utf-8")
            (folder / file.name).write_text(text.replace("name: HiSilicon", "name: HiSilicon Ltd"), "utf-8")
        before = snapshot(loaded_engine)
        monkeypatch.setenv("DATABASE_URL", database_url)
        line = one_error_line(runner.invoke(app, ["seed", "load", str(folder)]))
        assert "actors are frozen for the audit" in line
        assert "nothing was written" in line
        assert snapshot(loaded_engine) == before
    finally:
        with loaded_engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER no_updates" + ("" if uses_sqlite(database_url) else " ON actors"))
            if not uses_sqlite(database_url):
                connection.exec_driver_sql("DROP FUNCTION frozen()")


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL: the server ends the load's session")
def test_a_load_whose_connection_is_killed_is_one_line(
    engine: sa.Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = make_engine(database_url)

    def terminate(connection: sa.Connection, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO actors"):
            with admin.connect() as other:
                other.execute(sa.select(sa.func.pg_terminate_backend(cursor.connection.info.backend_pid)))

    sa.event.listen(sa.Engine, "before_cursor_execute", terminate)
    try:
        monkeypatch.setenv("DATABASE_URL", database_url)
        line = one_error_line(runner.invoke(app, ["seed", "load", str(VALID)]))
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", terminate)
        admin.dispose()
    assert "lost the connection to PostgreSQL at" in line
    assert "nothing was committed" in line
    assert load_dir(engine, VALID).version == 1  # the database is fine, and nothing of the killed load stayed
