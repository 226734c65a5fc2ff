"""Seed folder in, database out: read, validate against what is stored, write — one transaction."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.core.db import sqlite_file
from app.records.registry import dataset_state
from app.seeding.load import Advance, LoadReport, known_ids, write_seed
from app.seeding.quality import (
    PublisherDomains,
    SourceProblem,
    duplicate_sources,
    links_to_copies,
    quality_figures,
    read_publisher_domains,
    store_quality,
    with_actor_websites,
)
from app.seeding.reader import SeedError, read_seed_dir
from app.seeding.validate import KnownIds, ValidatedSeed, validate_seed


class SeedInvalid(Exception):
    """The seed files have problems; nothing was written."""

    def __init__(self, errors: list[SeedError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the seed files")
        self.errors = errors


@dataclass
class Checked:
    """A validated seed folder: its records, its problems, and the warnings that do not stop a load."""

    validated: ValidatedSeed
    errors: list[SeedError] = field(default_factory=list)
    warnings: list[SeedError] = field(default_factory=list)
    domains: PublisherDomains = field(default_factory=dict)

    def quality(self) -> dict[str, Any]:
        """The quality figures of the folder's records."""
        records = {name: [v.data for v in items] for name, items in self.validated.records.items()}
        return quality_figures(records, self.domains)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: a load holds millions of records (dicts and lists, none in a cycle),
    and each full collection would walk them all again; at 100k records that was a quarter of the load."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_dir(seed_dir: Path, known: KnownIds | None = None) -> Checked:
    """Read and validate a seed folder, collecting every problem."""
    with _without_cycle_collection():
        return _check_dir(seed_dir, known)


def _check_dir(seed_dir: Path, known: KnownIds | None) -> Checked:
    errors: list[SeedError] = []
    raws = read_seed_dir(seed_dir, errors)
    domains = read_publisher_domains(seed_dir, errors)
    validated = validate_seed(raws, known)
    sources = {v.data["id"]: v for v in validated.records.get("source", ())}
    actors = [v.data for v in validated.records.get("actor", ())]

    def located(problem: SourceProblem) -> SeedError:
        source = sources[problem.source_id]
        return SeedError(source.path, source.line, problem.field, problem.message)

    source_data = [v.data for v in sources.values()]
    errors += [located(p) for p in duplicate_sources(source_data)]
    warnings = [located(p) for p in links_to_copies(source_data, with_actor_websites(domains, actors))]
    all_errors = sorted(errors + validated.errors, key=lambda e: (e.path, e.line or 0))
    return Checked(validated, all_errors, sorted(warnings, key=lambda e: (e.path, e.line or 0)), domains)


def load_dir(
    engine: sa.Engine,
    seed_dir: Path,
    *,
    prune: bool = False,
    on_total: Advance = lambda _n: None,
    advance: Advance = lambda _n: None,
) -> LoadReport:
    """Validate and load a seed folder in one transaction; raise SeedInvalid and write nothing on any problem.

    Without `prune`, references may point at records already stored; with it,
    the files must stand alone, since everything else is deleted.
    """
    with (
        _without_cycle_collection(),
        engine.connect() as connection,
        _first_load_journal(connection),
        connection.begin(),
    ):
        # The records are freed when _load returns, before the collector is back: its first collection
        # would otherwise walk every one of them (4 s at a million records).
        return _load(connection, seed_dir, prune, on_total, advance)


@contextmanager
def _first_load_journal(connection: sa.Connection) -> Iterator[None]:
    """SQLite's rollback journal for the first load into a file no other connection has open; WAL after it.

    In WAL mode every page of a large load is written twice, to the WAL and then, by the checkpoint at
    commit, to the file (1M statements: a 3.4 GB WAL; that load took 96 s in WAL mode, 82 s with the
    rollback journal). With the rollback journal a page the file did not have before is written once, and
    a database never loaded has few other pages.
    Undone either way the load ends (a failed load rolls back through the journal, as through the WAL);
    after a crash, SQLite rolls the hot journal back on the next open. SQLite switches only when no other
    connection has the file open (asked without waiting: otherwise the load stays in WAL, as before); a
    server that starts during such a load waits for the file until the load ends.
    """
    raw = connection.connection.dbapi_connection  # not through SQLAlchemy: it would begin a transaction
    if connection.dialect.name != "sqlite" or raw is None or not _never_loaded(raw):
        yield
        return
    timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        switched = raw.execute("PRAGMA main.journal_mode = DELETE").fetchone()[0] == "delete"
    except connection.dialect.loaded_dbapi.OperationalError:
        switched = False  # another connection has the file open
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    try:
        yield
    finally:
        if switched:
            raw.execute("PRAGMA main.journal_mode = WAL")


def _never_loaded(raw: Any) -> bool:
    """True for a migrated SQLite file no load has written to (its dataset version is still unset)."""
    if sqlite_file(raw) is None:
        return False
    return bool(raw.execute(f"SELECT count(*) FROM {dataset_state.name}").fetchone()[0] == 0)


def _load(connection: sa.Connection, seed_dir: Path, prune: bool, on_total: Advance, advance: Advance) -> LoadReport:
    checked = _check_dir(seed_dir, None if prune else known_ids(connection))
    if checked.errors:
        raise SeedInvalid(checked.errors)
    on_total(checked.validated.count)
    report = write_seed(connection, checked.validated, prune=prune, advance=advance)
    store_quality(connection, seed_dir)
    return report
