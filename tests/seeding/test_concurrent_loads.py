"""One load at a time: a second load waits for the first and plans from what it committed (issue 18).

The first load is held inside its transaction (at its first INSERT, after its
plan) while the second starts: the second must wait, then delete what the
first created. Before the lock, two `--prune` loads planned from the same
state and, on PostgreSQL, left the database empty.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from app.cli import app
from app.core.db import make_engine
from app.core.state import changes, current_version
from app.records.registry import RECORD_TYPE_LIST
from app.seeding.load import LoadReport
from app.seeding.lock import LoadBusy
from app.seeding.run import check_dir, load_dir
from app.seeding.synth import write_synthetic_seed
from tests.conftest import VALID

TIMEOUT = 30.0


def ids_in(folder: Path) -> set[tuple[str, str]]:
    """(type, id) of every record in a seed folder."""
    validated = check_dir(folder).validated
    return {(name, r.data["id"]) for name, records in validated.records.items() for r in records}


def stored_ids(engine: sa.Engine) -> set[tuple[str, str]]:
    """(type, id) of every stored record."""
    with engine.connect() as connection:
        return {
            (t.name, record_id)
            for t in RECORD_TYPE_LIST
            for record_id in connection.execute(sa.select(t.table.c.id)).scalars()
        }


def feed(engine: sa.Engine, version: int) -> set[tuple[str, str, str]]:
    """(type, id, action) the change feed records under one dataset version."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(changes.c.record_type, changes.c.record_id, changes.c.action).where(changes.c.version == version)
        ).all()
    return {(t, i, a) for t, i, a in rows}


@dataclass
class HeldLoad:
    """A load running in a thread, held at its first INSERT (inside its transaction) until released."""

    engine: sa.Engine
    folder: Path
    prune: bool = True
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    report: LoadReport | None = None
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _hold(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT") and not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(TIMEOUT), "never released"

    def _run(self) -> None:
        sa.event.listen(self.engine, "before_cursor_execute", self._hold)
        try:
            self.report = load_dir(self.engine, self.folder, prune=self.prune)
        except BaseException as exc:
            self.error = exc
        finally:
            self.holding.set()

    def start(self) -> HeldLoad:
        self.thread.start()
        assert self.holding.wait(TIMEOUT), "the first load never reached its writes"
        assert self.error is None, self.error
        return self

    def finish(self) -> LoadReport:
        self.release.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive()
        assert self.error is None, self.error
        assert self.report is not None
        return self.report


@pytest.fixture
def synth(tmp_path: Path) -> Path:
    """A small synthetic seed that stands alone (none of its ids are in the fixture seed)."""
    folder = tmp_path / "synth"
    write_synthetic_seed(folder, 60)
    return folder


@pytest.fixture
def second_engine(database_url: str) -> Iterator[sa.Engine]:
    """Another engine on the same database: another process's connections."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_a_second_prune_waits_and_plans_from_what_the_first_committed(
    engine: sa.Engine, second_engine: sa.Engine, synth: Path
) -> None:
    load_dir(engine, VALID)
    valid, synthetic = ids_in(VALID), ids_in(synth)
    assert valid
    assert synthetic
    assert not valid & synthetic

    first = HeldLoad(second_engine, synth).start()
    waiting = threading.Event()
    result: dict[str, Any] = {}

    def second() -> None:
        try:
            result["report"] = load_dir(engine, VALID, prune=True, on_wait=waiting.set)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    assert waiting.wait(TIMEOUT), "the second load did not say it waits"
    assert "report" not in result
    assert "error" not in result
    first_report = first.finish()
    thread.join(TIMEOUT)
    assert "error" not in result, result.get("error")
    second_report: LoadReport = result["report"]

    assert (first_report.version, second_report.version) == (2, 3)
    assert stored_ids(engine) == valid
    with engine.connect() as connection:
        assert current_version(connection)[0] == 3
    created = {(t, i, "created") for t, i in synthetic}
    assert feed(engine, 2) == created | {(t, i, "deleted") for t, i in valid}
    assert feed(engine, 3) == {(t, i, "deleted") for t, i in synthetic} | {(t, i, "created") for t, i in valid}
    assert sum(second_report.deleted.values()) == len(synthetic)


def test_a_load_without_prune_waits_and_sees_the_first_loads_ids(
    engine: sa.Engine, second_engine: sa.Engine, synth: Path
) -> None:
    """The second load's reference check and its plan both come after the first load's commit."""
    first = HeldLoad(second_engine, VALID, prune=False).start()
    waiting = threading.Event()
    result: dict[str, Any] = {}

    def second() -> None:
        result["report"] = load_dir(engine, VALID, on_wait=waiting.set)

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    assert waiting.wait(TIMEOUT)
    assert first.finish().version == 1
    thread.join(TIMEOUT)
    report: LoadReport = result["report"]
    assert not report.changed
    assert report.version == 1
    assert sum(report.unchanged.values()) == len(ids_in(VALID))


def test_no_wait_refuses_at_once_and_changes_nothing(engine: sa.Engine, second_engine: sa.Engine, synth: Path) -> None:
    load_dir(engine, VALID)
    first = HeldLoad(second_engine, synth).start()
    started = time.monotonic()
    with pytest.raises(LoadBusy, match="another load is writing"):
        load_dir(engine, VALID, prune=True, wait=False)
    assert time.monotonic() - started < 5
    assert first.finish().version == 2
    assert stored_ids(engine) == ids_in(synth)


def test_a_wait_is_bounded(engine: sa.Engine, second_engine: sa.Engine, synth: Path) -> None:
    first = HeldLoad(second_engine, synth).start()
    started = time.monotonic()
    with pytest.raises(LoadBusy, match=r"after 0\.5 s"):
        load_dir(engine, VALID, wait_timeout=0.5)
    assert 0.4 < time.monotonic() - started < 10
    assert first.finish().version == 1


def test_the_cli_says_it_waits_or_refuses_in_one_line(
    engine: sa.Engine, second_engine: sa.Engine, synth: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    first = HeldLoad(second_engine, synth).start()
    refused = CliRunner().invoke(app, ["seed", "load", str(VALID), "--no-wait"])
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "error: another load is writing to the database; wait for it to finish, or run again without --no-wait"
    ]
    timer = threading.Timer(1.0, first.release.set)
    timer.start()
    waited = CliRunner().invoke(app, ["seed", "load", str(VALID), "--prune"])
    timer.join()
    first.finish()
    assert waited.exit_code == 0, waited.output
    assert "waiting for another load to finish…" in waited.stderr
    assert "dataset version 2" in waited.stdout
