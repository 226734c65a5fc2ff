"""Seed folder in, database out: read, validate against what is stored, write — one transaction."""

from __future__ import annotations

import datetime as dt
import gc
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.core.db import sqlite_file
from app.core.forked import sweep_scratch
from app.core.state import dataset_state
from app.seeding.load import Advance, LoadReport, known_ids, record_load, write_seed
from app.seeding.lock import DEFAULT_WAIT_TIMEOUT, begin_immediate, load_transaction, sqlite_busy
from app.seeding.quality import (
    PublisherDomains,
    duplicate_sources,
    links_to_copies,
    quality_figures,
    read_publisher_domains,
    store_quality,
    with_actor_websites,
)
from app.seeding.reader import RawRecord, SeedError, read_seed_dir
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
    return _checked(raws, errors, domains, known)


def _checked(
    raws: list[RawRecord], read_errors: list[SeedError], domains: PublisherDomains, known: KnownIds | None
) -> Checked:
    """Validate what was read: the records, then the sources as citations (duplicates, links to copies).

    A file that could not be read whole (a YAML syntax error) is reported alone: its other problems, and the
    "unknown source" of every record elsewhere that cites a record it holds, would be noise."""
    unreadable = [e for e in read_errors if e.unreadable]
    if unreadable:
        return Checked(ValidatedSeed(), unreadable, [], domains)
    validated = validate_seed(raws, known)
    sources = {v.data["id"]: v for v in validated.records.get("source", ())}
    actors = [v.data for v in validated.records.get("actor", ())]
    source_data = [v.data for v in sources.values()]

    def located(source_id: str, field_name: str, message: str) -> SeedError:
        source = sources[source_id]
        return SeedError(source.path, source.line, field_name, message)

    duplicates = [located(p.source_id, p.field, p.message) for p in duplicate_sources(source_data)]
    copies = links_to_copies(source_data, with_actor_websites(domains, actors))
    warnings = [located(p.source_id, p.field, p.message) for p in copies]

    def by_place(error: SeedError) -> tuple[str, int]:
        return error.path, error.line or 0

    errors = sorted(read_errors + validated.errors + duplicates, key=by_place)
    return Checked(validated, errors, sorted(warnings, key=by_place), domains)


def load_dir(
    engine: sa.Engine,
    seed_dir: Path,
    *,
    prune: bool = False,
    wait: bool = True,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    on_wait: Callable[[], None] = lambda: None,
    on_total: Advance = lambda _n: None,
    advance: Advance = lambda _n: None,
) -> LoadReport:
    """Validate and load a seed folder in one transaction; raise SeedInvalid and write nothing on any problem.

    Without `prune`, references may point at records already stored; with it,
    the files must stand alone, since everything else is deleted.

    One load at a time (app/seeding/lock.py): the files are read first, then
    the load waits for any other load to commit (`on_wait` is called once if
    it must; `wait=False` raises LoadBusy instead), and only then validates
    against what is stored and plans its writes, in the transaction it
    writes in.

    The load keeps when it began and how long it took (reading the files,
    then the work done once it held the lock; not the wait for another
    load, nor its own commit) in the dataset state it commits.
    """
    started = _Started(dt.datetime.now(dt.UTC), time.perf_counter())
    sweep_scratch()
    with _without_cycle_collection(), _terminate_as_exception():
        read_errors: list[SeedError] = []
        raws = read_seed_dir(seed_dir, read_errors)
        domains = read_publisher_domains(seed_dir, read_errors)
        started.reading = time.perf_counter() - started.clock
        with (
            engine.connect() as connection,
            _load_transaction(connection, wait=wait, wait_timeout=wait_timeout, on_wait=_once(on_wait)),
        ):
            # The records are freed when _load returns, before the collector is back: its first collection
            # would otherwise walk every one of them (4 s at a million records).
            return _load(connection, raws, read_errors, domains, prune, on_total, advance, started)


@dataclass
class _Started:
    """When a load began (wall clock, for the record; monotonic, for its duration) and its time reading files."""

    at: dt.datetime
    clock: float
    reading: float = 0.0


class Terminated(Exception):
    """The load was asked to stop (SIGTERM); raised where it was, so everything it holds is undone."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}; nothing was written")


@contextmanager
def _terminate_as_exception() -> Iterator[None]:
    """While a load runs in a process with SIGTERM's default action (the CLI), SIGTERM raises Terminated:
    the transaction rolls back, the side index's child is stopped and its scratch folder removed, instead
    of the process vanishing with them left behind.

    The handler runs wherever Python is when the signal comes; inside a statement's execution (a
    parameter being converted, an event hook) SQLAlchemy wraps what it raises in a StatementError,
    which is unwrapped here: a stop is a stop wherever it landed."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except sa.exc.StatementError as exc:
        if isinstance(exc.orig, Terminated):
            raise exc.orig from None
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _once(callback: Callable[[], None]) -> Callable[[], None]:
    called = False

    def call() -> None:
        nonlocal called
        if not called:
            called = True
            callback()

    return call


@contextmanager
def _load_transaction(
    connection: sa.Connection, *, wait: bool, wait_timeout: float, on_wait: Callable[[], None]
) -> Iterator[None]:
    """The load's transaction, holding the load lock; on a SQLite file never loaded, in rollback-journal mode.

    SQLite's journal mode cannot change inside a transaction, and whether the
    file was ever loaded is known only once the lock is held. So a first load
    takes the lock, finds the file empty, lets go, switches the journal
    (possible only while no other connection has the file open) and takes the
    lock again; all it plans is read after that.
    """
    raw = connection.connection.dbapi_connection  # not through SQLAlchemy: it would begin a transaction
    if connection.dialect.name != "sqlite" or raw is None or sqlite_file(raw) is None:
        with load_transaction(connection, wait=wait, wait_timeout=wait_timeout, on_wait=on_wait):
            yield
        return
    switched = False
    begin_immediate(raw, wait, wait_timeout, on_wait)
    try:
        if _never_loaded(raw):
            raw.execute("ROLLBACK")
            switched = _rollback_journal(raw)
            begin_immediate(raw, wait, wait_timeout, on_wait)
        with connection.begin():
            yield
    finally:
        if raw.in_transaction:  # failed before SQLAlchemy's transaction began
            raw.execute("ROLLBACK")
        if switched:
            _back_to_wal(raw)


def _rollback_journal(raw: Any) -> bool:
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
    timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        return bool(raw.execute("PRAGMA main.journal_mode = DELETE").fetchone()[0] == "delete")
    except sqlite3.OperationalError:
        return False  # another connection has the file open
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def _back_to_wal(raw: Any) -> None:
    """WAL again after a first load. A load that took the lock as this one ended holds the file now: it is
    not waited for; the next connection to open the file switches it (app/core/db.py)."""
    timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        raw.execute("PRAGMA main.journal_mode = WAL")
    except sqlite3.OperationalError as exc:
        if not sqlite_busy(exc):
            raise
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def _never_loaded(raw: Any) -> bool:
    """True for a migrated SQLite file no load has written to (its dataset version is still unset)."""
    return bool(raw.execute(f"SELECT count(*) FROM {dataset_state.name}").fetchone()[0] == 0)


def _load(
    connection: sa.Connection,
    raws: list[RawRecord],
    read_errors: list[SeedError],
    domains: PublisherDomains,
    prune: bool,
    on_total: Advance,
    advance: Advance,
    started: _Started,
) -> LoadReport:
    locked = time.perf_counter()
    checked = _checked(raws, read_errors, domains, None if prune else known_ids(connection))
    if checked.errors:
        raise SeedInvalid(checked.errors)
    on_total(checked.validated.count)
    report = write_seed(
        connection,
        checked.validated,
        prune=prune,
        advance=advance,
        records_written=lambda written, records: store_quality(written, domains, records),
    )
    record_load(connection, started.at, started.reading + time.perf_counter() - locked)
    return report
