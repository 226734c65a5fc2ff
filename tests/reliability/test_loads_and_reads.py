"""Concurrent loads in separate processes and readers during a reload, on the database under test."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.state import changes, current_version
from app.records.registry import STATEMENT
from app.seeding.run import load_dir
from app.seeding.synth import write_synthetic_seed
from tests.conftest import VALID
from tests.reliability.conftest import FIGURES
from tests.seeding.test_concurrent_loads import ids_in, stored_ids

CASE_TIMEOUT = 90
pytestmark = pytest.mark.timeout(CASE_TIMEOUT * 2)


@pytest.fixture
def synth(tmp_path: Path) -> Path:
    folder = tmp_path / "synth"
    write_synthetic_seed(folder, 400)
    return folder


def cli_load(database_url: str, folder: Path, *flags: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "seed", "load", str(folder), *flags],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("prune", [True, False], ids=["prune", "no-prune"])
def test_loads_racing_in_processes_end_right(engine: sa.Engine, database_url: str, synth: Path, prune: bool) -> None:
    load_dir(engine, VALID)
    flags = ["--prune"] if prune else []
    first = cli_load(database_url, synth, *flags)
    second = cli_load(database_url, VALID, *flags)
    outputs = [p.communicate(timeout=CASE_TIMEOUT) for p in (first, second)]
    FIGURES["loads raced"] += 2
    for process, (_out, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err
    versions = sorted(int(out.rsplit("dataset version ", 1)[1].split()[0]) for out, _ in outputs)
    with engine.connect() as connection:
        final = current_version(connection)[0]
        logged = sorted(connection.execute(sa.select(changes.c.version).distinct()).scalars())
    assert logged == list(range(1, final + 1))  # gapless, one version per load that changed something
    assert versions[-1] == final
    if prune:
        # Whichever order they committed in, the last one's files are what is stored.
        last = VALID if int(outputs[1][0].rsplit("dataset version ", 1)[1].split()[0]) == final else synth
        assert stored_ids(engine) == ids_in(last)
    else:
        assert stored_ids(engine) == ids_in(VALID) | ids_in(synth)


def test_readers_during_a_reload_see_the_old_or_the_new_state(engine: sa.Engine, synth: Path) -> None:
    load_dir(engine, VALID)
    old = len([i for i in ids_in(VALID) if i[0] == "statement"])
    new = len([i for i in ids_in(synth) if i[0] == "statement"])
    done = threading.Event()
    seen: set[int] = set()
    errors: list[BaseException] = []
    reads = 0

    def read() -> None:
        nonlocal reads
        while not done.is_set():
            try:
                with engine.connect() as connection:
                    seen.add(connection.execute(sa.select(sa.func.count()).select_from(STATEMENT.table)).scalar_one())
                reads += 1
            except BaseException as exc:
                errors.append(exc)

    readers = [threading.Thread(target=read, daemon=True) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        load_dir(engine, synth, prune=True)
    finally:
        done.set()
        for reader in readers:
            reader.join(CASE_TIMEOUT)
    FIGURES["reads made"] += reads
    FIGURES["errors"] += len(errors)
    assert errors == []
    assert reads > 0
    assert seen <= {old, new}
