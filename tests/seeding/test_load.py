"""Loading: one transaction, upsert by id, no-op reloads, prune, change log, dataset version."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from app.cli import app
from app.core.state import changes, current_version, dataset_state
from app.records.registry import ACTOR, RECORD_TYPE_LIST, STATEMENT
from app.seeding import load
from app.seeding.run import SeedInvalid, load_dir
from tests.conftest import INVALID, TEST_DATABASE_URL, VALID

LOAD_TIMING = ("load_started_at", "load_seconds")
"""The dataset state's record of the last successful load: every load writes it, even one that changes nothing."""


def snapshot(engine: sa.Engine, *, with_load_timing: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare database states (without the last load's timing, if asked)."""
    from app.core.state import metadata

    def columns(table: sa.Table) -> list[sa.Column[Any]]:
        return [c for c in table.columns if with_load_timing or c.name not in LOAD_TIMING]

    with engine.connect() as connection:
        return {
            table.name: sorted(tuple(map(str, row)) for row in connection.execute(sa.select(*columns(table))))
            for table in metadata.sorted_tables
        }


def load_failing_on(engine: sa.Engine, folder: Path, insert_into: str) -> None:
    """Load `folder` with the database failing at the first INSERT into table `insert_into`."""

    def fail(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith(f"INSERT INTO {insert_into} "):
            raise RuntimeError("disk on fire")

    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            load_dir(engine, folder)
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)


def copy_fixture(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture seed."""
    folder = tmp_path / "seed"
    shutil.copytree(VALID, folder)
    return folder


def test_load_writes_every_record_and_bumps_the_version(engine: sa.Engine) -> None:
    report = load_dir(engine, VALID)
    assert report.created == {"actor": 7, "policy": 3, "statement": 1, "hardware": 4, "dependency": 2, "source": 2}
    assert report.version == 1
    with engine.connect() as connection:
        assert current_version(connection)[0] == 1
        assert connection.execute(sa.select(sa.func.count()).select_from(changes)).scalar_one() == 19
        roles = connection.execute(sa.select(ACTOR.child_tables["roles"])).mappings().one()
        assert (roles["title"], roles["of_id"], str(roles["from"]), roles["from_precision"]) == (
            "Chair",
            "state-council",
            "2013-03-01",
            "month",
        )


def test_a_second_load_of_the_same_files_changes_nothing(engine: sa.Engine) -> None:
    load_dir(engine, VALID)
    before = snapshot(engine, with_load_timing=False)
    timing = sa.select(dataset_state.c.load_started_at, dataset_state.c.load_seconds)
    with engine.connect() as connection:
        first = connection.execute(timing).one()
    report = load_dir(engine, VALID)
    assert not report.changed
    assert sum(report.unchanged.values()) == 19
    assert report.version == 1
    assert snapshot(engine, with_load_timing=False) == before
    with engine.connect() as connection:
        second = connection.execute(timing).one()
    assert second.load_started_at > first.load_started_at  # the load itself is recorded, for /metrics


def test_a_changed_record_is_updated_alone_and_logged(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    load_dir(engine, folder)
    with engine.connect() as connection:
        stamps = dict(connection.execute(sa.select(ACTOR.table.c.id, ACTOR.table.c.updated_at)).all())
    text = (folder / "actors.yaml").read_text(encoding="utf-8")
    (folder / "actors.yaml").write_text(text.replace("name: HiSilicon", "name: HiSilicon Technologies"), "utf-8")
    report = load_dir(engine, folder)
    assert report.updated == {t.name: (1 if t.name == "actor" else 0) for t in RECORD_TYPE_LIST}
    assert report.version == 2
    with engine.connect() as connection:
        after = dict(connection.execute(sa.select(ACTOR.table.c.id, ACTOR.table.c.updated_at)).all())
        log = connection.execute(
            sa.select(changes.c.record_type, changes.c.record_id, changes.c.action).where(changes.c.version == 2)
        ).all()
    assert [k for k in after if after[k] != stamps[k]] == ["hisilicon"]
    assert log == [("actor", "hisilicon", "updated")]


def test_lists_are_replaced_not_appended_on_update(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    load_dir(engine, folder)
    text = (folder / "statements.yaml").read_text(encoding="utf-8")
    new = text.replace(
        "mentions: [actor:huawei, policy:us-listing-2019, hardware:test-accel]", "mentions: [actor:china]"
    )
    (folder / "statements.yaml").write_text(new, "utf-8")
    load_dir(engine, folder)
    mentions = STATEMENT.child_tables["mentions"]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(mentions.c.position, mentions.c.target_actor_id)).all()
    assert rows == [(0, "china")]


def test_prune_deletes_what_left_the_files_and_says_how_many(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    load_dir(engine, folder)
    (folder / "dependencies.yaml").write_text("[]\n", encoding="utf-8")
    kept = load_dir(engine, folder)
    assert kept.deleted["dependency"] == 0
    pruned = load_dir(engine, folder, prune=True)
    assert pruned.deleted == {t.name: (2 if t.name == "dependency" else 0) for t in RECORD_TYPE_LIST}
    assert pruned.version == 2
    with engine.connect() as connection:
        tombstones = (
            connection.execute(
                sa.select(changes.c.record_id).where(changes.c.action == "deleted").order_by(changes.c.record_id)
            )
            .scalars()
            .all()
        )
    assert tombstones == ["accel-on-node", "huawei-on-gpu"]


def test_prune_refuses_to_orphan_references(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    load_dir(engine, folder)
    (folder / "hardware.yaml").write_text("[]\n", encoding="utf-8")
    before = snapshot(engine)
    with pytest.raises(SeedInvalid) as raised:
        load_dir(engine, folder, prune=True)
    assert any("unknown hardware 'test-gpu'" in str(e) for e in raised.value.errors)
    assert snapshot(engine) == before


def test_a_partial_seed_may_refer_to_stored_records(engine: sa.Engine, tmp_path: Path) -> None:
    load_dir(engine, VALID)
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "statements.yaml").write_text(
        "- {id: s2, name: S2, speaker: huawei, said_on: 2020, kind: remark, text: t, sources: [src-press]}\n",
        encoding="utf-8",
    )
    report = load_dir(engine, folder)
    assert report.created["statement"] == 1
    assert report.unchanged["actor"] == 0


def test_an_invalid_seed_writes_nothing(loaded_engine: sa.Engine) -> None:
    before = snapshot(loaded_engine)
    with pytest.raises(SeedInvalid) as raised:
        load_dir(loaded_engine, INVALID)
    assert len(raised.value.errors) == 3
    assert snapshot(loaded_engine) == before


def test_a_database_failure_mid_load_writes_nothing(loaded_engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    text = (folder / "actors.yaml").read_text(encoding="utf-8")
    (folder / "actors.yaml").write_text(text.replace("name: China", "name: People's Republic of China"), "utf-8")
    (folder / "statements.yaml").write_text(
        (folder / "statements.yaml").read_text("utf-8")
        + "- {id: s2, name: S2, speaker: huawei, said_on: 2020, kind: remark, text: t, sources: [src-press]}\n",
        "utf-8",
    )
    before = snapshot(loaded_engine)
    load_failing_on(loaded_engine, folder, "statements")
    assert snapshot(loaded_engine) == before
    report = load_dir(loaded_engine, folder)
    assert (report.updated["actor"], report.created["statement"], report.version) == (1, 1, 2)


def test_load_cli_prints_a_summary_and_no_progress_bar_off_a_terminal(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["seed", "load", str(VALID)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "19 created, 0 updated, 0 unchanged, 0 deleted; dataset version 1"
    assert result.stderr == ""


def test_load_cli_with_errors_exits_non_zero(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["seed", "load", str(INVALID)])
    assert result.exit_code == 1
    assert "3 problem(s); nothing was written." in result.stderr


def _schema(engine: sa.Engine) -> list[tuple[str, str]]:
    """Every index of the tables (and on PostgreSQL every constraint), as the database describes it."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        else:
            sql = (
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() UNION ALL "
                "SELECT conrelid::regclass || '.' || conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = current_schema()::regnamespace ORDER BY 1"
            )
        return [(name, definition) for name, definition in connection.exec_driver_sql(sql).all()]


def test_indexes_dropped_for_a_bulk_load_come_back_exactly(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "LATER_INDEXES_FROM", 1)
    indexes = _schema(engine)
    report = load_dir(engine, VALID)
    assert report.created["actor"] == 7
    assert _schema(engine) == indexes
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(changes)).scalar_one() == 19


def test_a_failed_bulk_load_keeps_the_indexes(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "LATER_INDEXES_FROM", 1)
    indexes = _schema(engine)
    before = snapshot(engine)
    load_failing_on(engine, VALID, "changes")
    assert _schema(engine) == indexes
    assert snapshot(engine) == before


def test_a_load_leaves_planner_statistics(engine: sa.Engine) -> None:
    load_dir(engine, VALID)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            analysed = connection.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1").scalars().all()
        else:
            analysed = (
                connection.exec_driver_sql("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
                .scalars()
                .all()
            )
    assert {"actors", "statements", "statements_mentions", "changes"} <= set(analysed)


def test_records_are_written_after_the_records_of_their_type_they_refer_to(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    text = (folder / "actors.yaml").read_text(encoding="utf-8")
    blocks = ["- id:" + block for block in text.split("- id:")[1:]]
    (folder / "actors.yaml").write_text("".join(reversed(blocks)), "utf-8")  # children before parents
    inserted: list[str] = []

    def order(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.startswith("INSERT INTO actors "):
            # SQLite: rows of values (id first); PostgreSQL: one array per column (ids first)
            ids = [row[0] for row in parameters] if isinstance(parameters, list) else parameters[0]
            inserted.extend(ids)

    sa.event.listen(engine, "before_cursor_execute", order)
    try:
        load_dir(engine, folder)
    finally:
        sa.event.remove(engine, "before_cursor_execute", order)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(ACTOR.table.c.id, ACTOR.table.c.parent_id, ACTOR.table.c.country_id))
        links = [(target, record_id) for record_id, *targets in rows for target in targets if target is not None]
    assert ("huawei", "hisilicon") in links
    assert all(inserted.index(target) < inserted.index(record_id) for target, record_id in links)


def _journal_seen_by_the_load(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The journal mode each load's transaction runs in."""
    seen: list[str] = []
    write = load.write_seed

    def spy(connection: sa.Connection, *args: Any, **kwargs: Any) -> Any:
        seen.append(connection.exec_driver_sql("PRAGMA journal_mode").scalar_one())
        return write(connection, *args, **kwargs)

    monkeypatch.setattr("app.seeding.run.write_seed", spy)
    return seen


def _journal_mode(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        return str(connection.exec_driver_sql("PRAGMA journal_mode").scalar_one())


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's journal")
def test_a_first_load_uses_the_rollback_journal_and_leaves_wal(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen = _journal_seen_by_the_load(monkeypatch)
    load_dir(engine, VALID)
    assert seen == ["delete"]
    assert _journal_mode(engine) == "wal"
    folder = copy_fixture(tmp_path)
    (folder / "actors.yaml").write_text(
        (folder / "actors.yaml").read_text("utf-8").replace("name: China", "name: PRC"), "utf-8"
    )
    load_dir(engine, folder)  # not a first load: WAL, so readers keep their snapshot meanwhile
    assert seen == ["delete", "wal"]


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's journal")
def test_a_first_load_with_the_file_open_elsewhere_stays_in_wal(
    engine: sa.Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.db import make_engine

    seen = _journal_seen_by_the_load(monkeypatch)
    reader = make_engine(database_url)
    try:
        with reader.connect() as connection:
            connection.exec_driver_sql("SELECT 1").scalar_one()
            load_dir(engine, VALID)  # does not wait for the reader
            assert seen == ["wal"]
    finally:
        reader.dispose()
    assert snapshot(engine)["actors"]
    assert _journal_mode(engine) == "wal"


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's journal")
def test_a_failed_first_load_rolls_back_through_the_journal(engine: sa.Engine, database_url: str) -> None:
    before = snapshot(engine)
    load_failing_on(engine, VALID, "changes")
    assert snapshot(engine) == before
    assert _journal_mode(engine) == "wal"
    assert not Path(database_url.removeprefix("sqlite:///") + "-journal").exists()
