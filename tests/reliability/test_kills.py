"""kill -9 and SIGTERM in the middle of loads, then a restart: nothing partial is ever visible, the next load
and a server start work, and the database passes its integrity checks (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.forked import SCRATCH_PREFIX
from app.seeding.synth import write_synthetic_seed
from tests.conftest import VALID
from tests.reliability.conftest import FIGURES
from tests.reliability.processes import (
    AT_THE_FIRST_INSERT,
    CASE_TIMEOUT,
    STOPPED,
    Server,
    check_integrity,
    check_state,
    cli_load,
    env_for,
    held_load,
    kill_9_when_held,
)
from tests.seeding.test_concurrent_loads import ids_in

pytestmark = pytest.mark.timeout(CASE_TIMEOUT * 2)


@pytest.fixture
def synth(tmp_path: Path) -> Path:
    folder = tmp_path / "synth"
    write_synthetic_seed(folder, 300)
    return folder


def test_kill_9_during_a_first_load_then_a_server_start_and_a_load(
    database_url: str, engine: sa.Engine, synth: Path, tmp_path: Path
) -> None:
    process, marker = held_load(database_url, synth, tmp_path)
    kill_9_when_held(process, marker)
    FIGURES["processes killed"] += 1
    check_state(engine, set(), 0)  # nothing of the killed load is visible
    check_integrity(engine)

    server = Server(database_url, tmp_path)
    try:
        server.wait_ready()
        card = server.client.get("/v1")
        assert card.status_code == 200, card.text
        assert server.client.get("/v1/statements", params={"count": "true"}).json()["total"] == 0
    finally:
        assert server.stop() in STOPPED
    assert "Traceback" not in server.output()

    cli_load(database_url, synth, env=env_for(database_url, TMPDIR=str(tmp_path / "tmp")))
    FIGURES["loads after a fault"] += 1
    check_state(engine, ids_in(synth), 1)
    check_integrity(engine)
    # The next load swept what the killed one's side index left in the temporary folder.
    assert list((tmp_path / "tmp").glob(f"{SCRATCH_PREFIX}*")) == []


def test_kill_9_during_a_later_load_leaves_the_last_one_then_a_server_and_a_load(
    database_url: str, engine: sa.Engine, synth: Path, tmp_path: Path
) -> None:
    cli_load(database_url, VALID)
    before = ids_in(VALID)
    process, marker = held_load(database_url, synth, tmp_path, "--prune")
    kill_9_when_held(process, marker)
    FIGURES["processes killed"] += 1
    check_state(engine, before, 1)
    check_integrity(engine)

    server = Server(database_url, tmp_path)
    try:
        server.wait_ready()
        assert server.client.get("/v1/actors/huawei").status_code == 200
        listed = server.client.get("/v1/statements", params={"count": "true"}).json()["total"]
        assert listed == len([i for i in before if i[0] == "statement"])
        # The same load again, while the server runs: it waits for nothing (the killed load's lock went with it).
        cli_load(database_url, synth, "--prune", "--no-wait")
        FIGURES["loads after a fault"] += 1
        listed = server.client.get("/v1/statements", params={"count": "true"}).json()["total"]
        assert listed == len([i for i in ids_in(synth) if i[0] == "statement"])
    finally:
        assert server.stop() in STOPPED
    assert "Traceback" not in server.output()
    check_state(engine, ids_in(synth), 2)
    check_integrity(engine)


@pytest.mark.parametrize(
    ("first", "action"),
    [(True, "sigterm"), (False, "sigterm-binding")],
    ids=["first-load-in-a-statement-hook", "later-load-binding-parameters"],
)
def test_sigterm_inside_a_statement_stops_the_load_cleanly(
    database_url: str, engine: sa.Engine, synth: Path, tmp_path: Path, first: bool, action: str
) -> None:
    """The handler runs wherever Python is: here inside SQLAlchemy's execution of the first INSERT, or
    while it binds a statement's parameters (where SQLAlchemy wraps what is raised in a StatementError:
    the cause of tests/search/test_orphans.py's rare failure). Still one clean line, exit status 1,
    nothing written."""
    if not first:
        cli_load(database_url, VALID)
    process, marker = held_load(database_url, synth, tmp_path, "--prune", at=AT_THE_FIRST_INSERT, action=action)
    _out, err = process.communicate(timeout=CASE_TIMEOUT)
    FIGURES["processes killed"] += 1
    assert marker.exists()
    assert process.returncode == 1, err
    assert err.strip().splitlines() == [
        f"error: seed load: Terminated: stopped by {signal.SIGTERM.name}; nothing was written "
        "(techsov --debug … shows the traceback)"
    ]
    check_state(engine, ids_in(VALID) if not first else set(), 0 if first else 1)
    check_integrity(engine)
