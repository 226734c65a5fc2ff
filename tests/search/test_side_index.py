"""A first large SQLite load builds its index in a forked process: the same index, or no load at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.search import side
from app.seeding import load
from app.seeding.run import load_dir
from tests.conftest import TEST_DATABASE_URL
from tests.search.conftest import write_search_seed
from tests.search.test_index import _hits, name_terms_in_step

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL) or not hasattr(os, "fork"), reason="SQLite with fork only")

NEW_STATEMENT = """\
- id: huawei-kunpeng
  name: Kunpeng servers
  speaker: huawei
  said_on: 2025-05-01
  kind: remark
  text: Our Kunpeng servers run the new models.
  sources: [src-huawei-wire]
"""
QUERIES = ("huawei", "华为", "xi jinping", "chip", "asc", "state council")


def _index_rows(engine: sa.Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            table: sorted(tuple(row) for row in connection.exec_driver_sql(f"SELECT * FROM {table}"))
            for table in ("search_documents", "search_fts_docsize", "search_exact", "search_name_terms")
        }


def _integrity_check(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")


def _loaded(url: str, seed: Path, *, in_side: bool, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    from app.core.db import make_engine

    monkeypatch.setattr(side, "SIDE_INDEX_FROM", 0 if in_side else 10**9)
    engine = make_engine(url)
    load_dir(engine, seed, prune=True)
    return engine


def test_the_index_built_aside_equals_the_index_built_in_line(
    database_url: str, tmp_path: Path, search_seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline_url = f"sqlite:///{tmp_path / 'inline.sqlite3'}"
    Path(inline_url.removeprefix("sqlite:///")).write_bytes(Path(database_url.removeprefix("sqlite:///")).read_bytes())
    aside = _loaded(database_url, search_seed, in_side=True, monkeypatch=monkeypatch)
    inline = _loaded(inline_url, search_seed, in_side=False, monkeypatch=monkeypatch)
    try:
        assert _index_rows(aside) == _index_rows(inline)
        assert _index_rows(aside)["search_documents"]
        for query in QUERIES:
            assert _hits(aside, query) == _hits(inline, query), query
        _integrity_check(aside)
        # The load after it is an ordinary one, on the same connections, into the index it took.
        changed = write_search_seed(tmp_path / "changed", NEW_STATEMENT)
        for engine in (aside, inline):
            load_dir(engine, changed, prune=True)
        assert _hits(aside, "kunpeng") == _hits(inline, "kunpeng") != []
        _integrity_check(aside)
        name_terms_in_step(aside)  # the triggers left out while the index was taken are back
        assert _index_rows(aside) == _index_rows(inline)
    finally:
        aside.dispose()
        inline.dispose()


def _search_schema(connection: sa.Connection) -> list[tuple[object, ...]]:
    """The search tables, their indexes and triggers, as SQLite stored them."""
    query = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name LIKE 'search%' ORDER BY 1, 2"
    return [tuple(row) for row in connection.exec_driver_sql(query)]


def test_the_parent_takes_each_table_by_sqlites_transfer(
    engine: sa.Engine, search_seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each copy of a scratch table is SQLite's transfer optimisation (its records copied undecoded: `RowData` in
    its program), into an empty table; the triggers and secondary indexes are back after."""
    monkeypatch.setattr(side, "SIDE_INDEX_FROM", 0)
    with engine.connect() as connection:
        before = _search_schema(connection)
    copies: dict[str, tuple[bool, bool]] = {}

    def explain(_conn: object, cursor: Any, statement: str, *_args: object) -> None:
        if statement.startswith("INSERT INTO main.") and side.SIDE in statement:
            table = statement.removeprefix("INSERT INTO main.").split()[0]
            raw = cursor.connection
            program = [row[1] for row in raw.execute(f"EXPLAIN {statement}")]
            empty = raw.execute(f"SELECT 1 FROM main.{table} LIMIT 1").fetchone() is None
            copies[table] = ("RowData" in program, empty)

    sa.event.listen(engine, "before_cursor_execute", explain)
    try:
        load_dir(engine, search_seed, prune=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", explain)
    assert copies == dict.fromkeys(side.COPIED, (True, True))
    with engine.connect() as connection:
        assert _search_schema(connection) == before
    name_terms_in_step(engine)
    _integrity_check(engine)


def test_a_connection_that_searched_before_the_load_sees_the_new_index(
    engine: sa.Engine, search_seed: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(side, "SIDE_INDEX_FROM", 0)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with engine.connect() as connection:  # FTS5 keeps the empty index's structure on this connection
        match = "SELECT count(*) FROM search_fts WHERE search_fts MATCH 'huawei'"
        assert connection.exec_driver_sql(match).scalar_one() == 0
        raw = connection.connection.dbapi_connection
    load_dir(engine, search_seed, prune=True)
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection is raw
        assert connection.exec_driver_sql(match).scalar_one() > 0
        # The scratch file, attached to take its rows, was detached when the load's connection was returned.
        assert [row[1] for row in connection.exec_driver_sql("PRAGMA database_list")] == ["main"]
    assert list(scratch.iterdir()) == []
    assert "actor:huawei" in _hits(engine, "huawei")
    _integrity_check(engine)


def test_a_failure_in_the_second_process_loads_nothing(
    engine: sa.Engine, search_seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(side, "SIDE_INDEX_FROM", 0)

    def broken(*_args: object) -> None:
        raise ValueError("disk full, say")

    monkeypatch.setattr(side, "_build", broken)
    with pytest.raises(RuntimeError, match="disk full, say"):
        load_dir(engine, search_seed, prune=True)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM actors").scalar_one() == 0
        assert connection.exec_driver_sql("SELECT count(*) FROM search_documents").scalar_one() == 0
    assert _hits(engine, "huawei") == []


def test_a_failure_in_the_loader_stops_the_second_process_and_removes_its_file(
    engine: sa.Engine, search_seed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(side, "SIDE_INDEX_FROM", 0)
    started: list[side.SideIndex] = []
    real_init = side.SideIndex.__init__

    def remember(self: side.SideIndex, *args: object) -> None:
        real_init(self, *args)  # type: ignore[arg-type]
        started.append(self)

    def broken(*_args: object) -> None:
        raise RuntimeError("the list rows failed")

    monkeypatch.setattr(side.SideIndex, "__init__", remember)
    monkeypatch.setattr(load, "_write_lists", broken)
    with pytest.raises(RuntimeError, match="the list rows failed"):
        load_dir(engine, search_seed, prune=True)
    assert len(started) == 1
    assert started[0].pid == 0
    assert started[0].folder is not None  # it had started
    assert not started[0].folder.exists()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM actors").scalar_one() == 0


def test_small_incremental_and_memory_loads_index_in_line(engine: sa.Engine, search_seed: Path) -> None:
    with engine.connect() as connection:
        assert not side.side_index_possible(connection, side.SIDE_INDEX_FROM - 1)
        assert side.side_index_possible(connection, side.SIDE_INDEX_FROM)
    memory = sa.create_engine("sqlite://")
    with memory.connect() as connection:
        assert not side.side_index_possible(connection, side.SIDE_INDEX_FROM)
