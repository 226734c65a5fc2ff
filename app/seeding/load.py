"""Write validated records in one transaction: upsert by id, skip unchanged, prune on request.

Set-based: for each type one query reads the stored hashes, then inserts,
updates and deletes go out in batches, never a round trip per record. Rows
are built as plain tuples and written through `app.core.dialect.BulkInsert`,
which skips SQLAlchemy's per-row parameter processing. Foreign keys are
deferred to the commit, so a failure anywhere rolls everything back; still,
every record row is written before any list row, and records before the
records of their type that refer to them, so no key waits for a later row.
The search index is written from the same records, the records' rendered
documents (app/records/documents.py) from the rows, and a load that changed
anything ends by refreshing the planner's statistics.

On SQLite, a table that was empty gets its secondary indexes after its rows
(`LATER_INDEXES_FROM`), and the page cache is larger while loading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from app.core.dialect import BulkInsert, drop_for_bulk_load, drop_secondary_indexes, restore_after_bulk_load
from app.core.state import LOADER, changes, current_version, dataset_state
from app.records.documents import SideForms, refresh_documents, side_forms
from app.records.history import Diff, field_diff
from app.records.in_memory import InMemory
from app.records.registry import RECORD_TYPE_LIST, RecordType
from app.records.repository import BATCH, fetch_records
from app.records.storage import ChildTableField
from app.search.index import NAME_TERMS_TABLE, POSTGRESQL_SEARCH_TABLES, IndexWriter, search_documents
from app.search.side import SideIndex, side_index_possible
from app.seeding.quality import Records
from app.seeding.validate import KnownIds, ValidatedSeed, ValidRecord

CHUNK = 2000
LATER_INDEXES_FROM = 10_000
"""SQLite: a table empty before a load that creates at least this many records gets its secondary indexes
after its rows, each built by one sort instead of a B-tree insert per row (in the load's transaction)."""
SQLITE_LOAD_CACHE_KIB = 256 * 1024
"""SQLite's page cache while loading (its default is 2 MB): large loads touch index pages all over the file,
and a transaction whose changes outgrow the cache spills pages to the WAL, again and again."""
ANALYSIS_LIMIT = 1000
FEW_RECORDS = 1000
"""A type written with fewer records than this (and no prune) compares only their stored hashes, not the whole
table's: an API write of one record reads one row, not a million."""
"""SQLite's ANALYZE after a load looks at about this many rows per index (statistics, not a full scan)."""
Advance = Callable[[int], None]
LogEntry = tuple[str, str, str, Diff | None]
"""(record type, record id, action, what changed) of one line of the change log."""
Previous = dict[tuple[str, str], dict[str, Any]]
"""(record type, id) -> the stored record (as seed files give it) of what a load updates or deletes."""


@dataclass
class LoadReport:
    """What a load did, per type, and the dataset version it left."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    version: int = 0

    @property
    def changed(self) -> bool:
        """True when the load wrote anything."""
        return any(self.created.values()) or any(self.updated.values()) or any(self.deleted.values())

    def summary(self) -> str:
        """One line a person can read."""
        parts = [
            f"{sum(self.created.values())} created",
            f"{sum(self.updated.values())} updated",
            f"{sum(self.unchanged.values())} unchanged",
            f"{sum(self.deleted.values())} deleted",
        ]
        state = f"dataset version {self.version}" + ("" if self.changed else " (no change)")
        return ", ".join(parts) + f"; {state}"


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def known_ids(connection: sa.Connection) -> KnownIds:
    """Ids already stored (with actor kinds), so a partial seed may refer to them."""
    known: dict[str, dict[str, str | None]] = {}
    for record_type in RECORD_TYPE_LIST:
        table = record_type.table
        if record_type.name == "actor":
            rows = connection.execute(sa.select(table.c.id, table.c.kind))
            known["actor"] = {row.id: row.kind for row in rows}
        else:
            known[record_type.name] = dict.fromkeys(connection.execute(sa.select(table.c.id)).scalars())
    return known


def record_load(connection: sa.Connection, started_at: dt.datetime, seconds: float) -> None:
    """Keep when this load began and how long it took, in its own transaction (read by /metrics).

    Nothing is kept while the dataset has no state row: a load into an empty database that wrote nothing.
    """
    connection.execute(dataset_state.update().values(load_started_at=started_at, load_seconds=seconds))


class _TypeRows:
    """The rows of one record type's tables, as tuples in a fixed column order."""

    def __init__(self, record_type: RecordType) -> None:
        self.record_type = record_type
        self.main_columns = [c.name for c in record_type.table.columns]
        self._main_values = itemgetter(*self.main_columns)
        self.list_fields: list[ChildTableField] = record_type.list_fields
        self.child_columns = {f.name: [c.name for c in f.table.columns] for f in self.list_fields}

    def main_rows(self, records: Iterable[ValidRecord], now: dt.datetime) -> Iterator[tuple[Any, ...]]:
        """Rows of the record table for newly created records."""
        row_values, main_values = self.record_type.row_values, self._main_values
        for record in records:
            row = row_values(record.data)
            row["content_hash"] = record.content_hash
            row["created_at"] = row["updated_at"] = now
            yield main_values(row)

    def child_rows(self, list_field: ChildTableField, records: Iterable[ValidRecord]) -> Iterator[tuple[Any, ...]]:
        """Rows of one list field's child table."""
        values = itemgetter(*self.child_columns[list_field.name])
        to_child_rows, alias = list_field.to_child_rows, list_field.alias
        for record in records:
            data = record.data
            value = data.get(alias)
            if value:
                for row in to_child_rows(data["id"], value):
                    yield values(row)


class _LaterIndexes:
    """Secondary indexes dropped before a bulk insert into an empty table and made again after it.

    SQLite: its DDL is transactional, so a failed load leaves the indexes as they were, and readers
    keep their snapshot (with the indexes) until the load commits. The indexes are re-created from the
    SQL SQLite stored for them, so they come back exactly as the migrations made them.
    PostgreSQL: the foreign keys too, each checked by one join when it comes back instead of a check per row
    at the commit (app/core/dialect.py, `drop_for_bulk_load`).
    """

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.pending: list[str] = []

    def defer(self, table: sa.Table | str, rows: int) -> None:
        """Drop the table's secondary indexes when it is empty and about to get `rows` records or more."""
        if rows < LATER_INDEXES_FROM:
            return
        if self.dialect == "postgresql":
            self.pending.extend(drop_for_bulk_load(self.connection, table if isinstance(table, str) else table.name))
            return
        if self.dialect != "sqlite" or isinstance(table, str) or _has_rows(self.connection, table):
            return
        self.pending.extend(drop_secondary_indexes(self.connection, table.name))

    def restore(self) -> None:
        """Build every dropped index (and foreign key) again."""
        if self.dialect == "postgresql":
            restore_after_bulk_load(self.connection, self.pending)
        else:
            for sql in self.pending:
                self.connection.exec_driver_sql(sql)
        self.pending = []


@dataclass
class _TypeWrite:
    """What a load does to one record type: records to create and update, ids to delete."""

    record_type: RecordType
    new: list[ValidRecord]
    changed: list[ValidRecord]
    gone: list[str]


def _stored_hashes(
    connection: sa.Connection,
    record_type: RecordType,
    records: list[ValidRecord],
    removed: Collection[str],
    prune: bool,
) -> dict[str, str]:
    """id -> content hash of the stored records the plan must know: all of them for a prune or a large load, else
    those of the given records and removals only."""
    table = record_type.table
    query = sa.select(table.c.id, table.c.content_hash)
    if prune or len(records) + len(removed) >= FEW_RECORDS:
        return dict(connection.execute(query).all())
    ids = [*(r.data["id"] for r in records), *removed]
    return dict(connection.execute(query.where(table.c.id.in_(ids))).all()) if ids else {}


def _plan_type(
    connection: sa.Connection,
    record_type: RecordType,
    records: list[ValidRecord],
    prune: bool,
    removed: Collection[str],
    report: LoadReport,
) -> _TypeWrite:
    """Compare the records with the stored content hashes (a type with nothing stored needs no comparison);
    delete what `removed` names, and with `prune` whatever the records leave out."""
    stored = _stored_hashes(connection, record_type, records, removed, prune)
    new: list[ValidRecord] = []
    changed: list[ValidRecord] = []
    gone: list[str] = []
    if stored:
        for record in records:
            stored_hash = stored.get(record.data["id"])
            if stored_hash is None:
                new.append(record)
            elif stored_hash != record.content_hash:
                changed.append(record)
        in_files = {r.data["id"] for r in records}
        gone = sorted((set(stored) - in_files) if prune else {i for i in removed if i in stored and i not in in_files})
    else:
        new = records
    # In id order: the primary-key indexes (the record's, its list rows', its index row's) then grow at
    # their end instead of at random pages, which matters once they outgrow the page cache.
    new = _referenced_first(record_type, sorted(new, key=_record_id))
    name = record_type.name
    report.created[name], report.updated[name], report.deleted[name] = len(new), len(changed), len(gone)
    report.unchanged[name] = len(records) - len(new) - len(changed)
    return _TypeWrite(record_type, new, changed, gone)


def _has_rows(connection: sa.Connection, table: sa.Table) -> bool:
    return connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None


def _record_id(record: ValidRecord) -> str:
    return str(record.data["id"])


def _referenced_first(record_type: RecordType, records: list[ValidRecord]) -> list[ValidRecord]:
    """Records in an order where a record's row comes after the rows of the same type it refers to (an
    actor after its parent and its country), so no foreign key waits for a later row: while one waits,
    SQLite looks for waiting children on every parent row it inserts."""
    own = [f for f in record_type.column_fields if record_type.name in getattr(getattr(f, "ref", None), "types", ())]
    if not own:
        return records
    by_id = {r.data["id"]: r for r in records}
    ordered: list[ValidRecord] = []
    placed: set[str] = set()
    for record in records:
        stack, on_stack = [record], {record.data["id"]}
        while stack:
            top = stack[-1]
            top_id = top.data["id"]
            if top_id in placed:
                stack.pop()
                continue
            waiting = {
                ref.target_id
                for f in own
                for ref in f.references(top.data.get(f.alias))
                if ref.target_type == record_type.name and ref.target_id in by_id
            }
            waiting -= placed | on_stack  # what is on the stack is a loop: left in file order
            if waiting:
                stack.extend(by_id[w] for w in sorted(waiting))
                on_stack.update(waiting)
            else:
                placed.add(top_id)
                ordered.append(top)
                stack.pop()
    return ordered


def _write_rows(connection: sa.Connection, plan: _TypeWrite, now: dt.datetime, advance: Advance) -> None:
    """The record table's rows: inserts, updates (their list rows deleted) and deletes."""
    record_type, new, changed, gone = plan.record_type, plan.new, plan.changed, plan.gone
    table = record_type.table
    rows = _TypeRows(record_type)
    BulkInsert(connection, table, rows.main_columns).write(rows.main_rows(new, now), advance)
    if changed:
        columns = [c for c in record_type.row_values(changed[0].data) if c != "id"] + ["content_hash", "updated_at"]
        update = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values({c: sa.bindparam(f"b_{c}") for c in columns})
        )
        for chunk in _chunks(changed):
            params = []
            for record in chunk:
                row = record_type.row_values(record.data)
                row["content_hash"], row["updated_at"] = record.content_hash, now
                params.append({f"b_{k}": v for k, v in row.items()})
            connection.execute(update, params)
            advance(len(chunk))
        changed_ids = [r.data["id"] for r in changed]
        for child in record_type.child_tables.values():
            for id_chunk in _chunks(changed_ids):
                connection.execute(child.delete().where(child.c.record_id.in_(id_chunk)))
    for id_chunk in _chunks(gone):
        connection.execute(table.delete().where(table.c.id.in_(id_chunk)))
        advance(len(id_chunk))


def _write_lists(connection: sa.Connection, plan: _TypeWrite) -> None:
    """The rows of the list fields' child tables of created and updated records."""
    rows = _TypeRows(plan.record_type)
    for list_field in rows.list_fields:
        insert = BulkInsert(connection, list_field.table, rows.child_columns[list_field.name])
        insert.write(rows.child_rows(list_field, plan.new))
        insert.write(rows.child_rows(list_field, plan.changed))


def _write_index(plan: _TypeWrite, search: IndexWriter) -> None:
    name, new, changed, gone = plan.record_type.name, plan.new, plan.changed, plan.gone
    search.remove(name, [*(r.data["id"] for r in new), *(r.data["id"] for r in changed), *gone])
    search.add(plan.record_type, (r.data for r in new))
    search.add(plan.record_type, (r.data for r in changed))


def _side_index(connection: sa.Connection, search: IndexWriter, plans: list[_TypeWrite]) -> SideIndex | None:
    """The index built by a second process, for a first large load on SQLite (app/search/side.py)."""
    if not search.empty or any(plan.changed or plan.gone for plan in plans):
        return None
    if not side_index_possible(connection, sum(len(plan.new) for plan in plans)):
        return None
    return SideIndex(connection, [(plan.record_type, [r.data for r in plan.new]) for plan in plans])


def _touched(plans: list[_TypeWrite]) -> dict[str, list[str]]:
    """The ids of every record the load created, updated or deleted, per type."""
    return {
        plan.record_type.name: [*(r.data["id"] for r in plan.new), *(r.data["id"] for r in plan.changed), *plan.gone]
        for plan in plans
    }


def _previous(connection: sa.Connection, plans: list[_TypeWrite]) -> Previous:
    """The stored records a load is about to update or delete, read before it does, for the change log's diffs
    (batched: a first load, which changes nothing stored, reads nothing)."""
    previous: Previous = {}
    for plan in plans:
        ids = [*(r.data["id"] for r in plan.changed), *plan.gone]
        for id_chunk in _chunks(ids, BATCH):
            for record, _row in fetch_records(connection, plan.record_type, id_chunk):
                previous[(plan.record_type.name, record["id"])] = record
    return previous


def _log(plan: _TypeWrite, log: list[LogEntry], previous: Previous) -> None:
    """The change log's lines for a type: a creation says no more; an update keeps what it changed, a deletion
    every field the record had (app/records/history.py rebuilds any version from them)."""
    name, new, changed, gone = plan.record_type.name, plan.new, plan.changed, plan.gone
    log.extend((name, r.data["id"], "created", None) for r in new)
    log.extend((name, r.data["id"], "updated", field_diff(previous[(name, r.data["id"])], r.data)) for r in changed)
    log.extend((name, record_id, "deleted", field_diff(previous[(name, record_id)], None)) for record_id in gone)


def write_seed(
    connection: sa.Connection,
    validated: ValidatedSeed,
    *,
    prune: bool = False,
    remove: Mapping[str, Collection[str]] | None = None,
    bulk: bool = True,
    editor: str = LOADER,
    advance: Advance = lambda _n: None,
    now: dt.datetime | None = None,
    records_written: Callable[[sa.Connection, Records | None], object] = lambda _connection, _records: None,
) -> LoadReport:
    """Upsert validated records on a connection inside the caller's transaction.

    `remove` names records to delete by type (an API delete). A load (`bulk`) ends by checking that the search
    index is in step with the tables (rebuilding it if not) and refreshing the planner's statistics, each a
    read of whole tables; an API write of a record (`bulk=False`) skips both: its index rows are written
    with it, and one record does not move the statistics. The change log names `editor` as who made the
    changes: the loader, or the API key of a write.

    `records_written` is the caller's work that reads the records as the load leaves them but not the search
    index (a load's quality figures). It runs once the records and their documents are written and before
    the index a second process builds is taken: while that process may still be working, rather than after
    it, when nothing else is left to overlap. It is given every stored record's data, per type, when the load
    holds them all (a first load), or None when they must be read.
    """
    now = now or dt.datetime.now(dt.UTC)
    report = LoadReport()
    log: list[LogEntry] = []
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_LOAD_CACHE_KIB}")
    side: SideIndex | None = None
    forms: SideForms | None = None
    try:
        later = _LaterIndexes(connection)
        search = IndexWriter(connection)
        removals = remove or {}
        first = not any(_has_rows(connection, record_type.table) for record_type in RECORD_TYPE_LIST)
        plans = [
            _plan_type(
                connection,
                record_type,
                validated.records.get(record_type.name, []),
                prune,
                removals.get(record_type.name, ()),
                report,
            )
            for record_type in RECORD_TYPE_LIST
        ]
        previous = _previous(connection, plans)
        # A first load renders every record from the records it holds (no read-back), in a second process
        # while the records are written when there are many.
        written = (
            InMemory({p.record_type.name: [(r.data, r.content_hash) for r in p.new] for p in plans}, now)
            if first
            else None
        )
        forms = side_forms(connection, written) if written is not None else None
        if forms is not None:
            forms.start()
        side = _side_index(connection, search, plans)
        if side is not None:
            side.start()
        for plan in plans:
            advance(report.unchanged[plan.record_type.name])
            later.defer(plan.record_type.table, len(plan.new))
            for child in plan.record_type.child_tables.values():
                later.defer(child, len(plan.new))
        if side is None and search.empty:
            for name in (search_documents.name, *POSTGRESQL_SEARCH_TABLES, NAME_TERMS_TABLE):
                later.defer(name, sum(len(plan.new) for plan in plans))
        # Every record row before any list row: list rows refer to records of any type, and a
        # foreign key that finds its row already there costs SQLite nothing later.
        for plan in plans:
            _write_rows(connection, plan, now, advance)
        for plan in plans:
            _write_lists(connection, plan)
        for plan in plans:
            if side is None:
                _write_index(plan, search)
            _log(plan, log, previous)
        version, _changed_at = current_version(connection)
        if log:
            version += 1
            if version == 1:
                connection.execute(dataset_state.insert().values(id=1, version=version, changed_at=now))
            else:
                connection.execute(dataset_state.update().values(version=version, changed_at=now))
            later.defer(changes, len(log))
            columns = ["version", "record_type", "record_id", "action", "changed_at", "editor", "diff"]
            BulkInsert(connection, changes, columns).write(
                (version, record_type, record_id, action, now, editor, diff)
                for record_type, record_id, action, diff in log
            )
        later.restore()
        # The one place the stored rendered documents follow the records (app/records/documents.py), in this
        # transaction: loads and API writes (app/writes/service.py) both pass through, so neither needs its own.
        # Before the side index is taken, so rendering runs while its child process builds the search index.
        refresh_documents(connection, _touched(plans), forms or written)
        records_written(
            connection, None if written is None else {p.record_type.name: [r.data for r in p.new] for p in plans}
        )
        if side is not None:
            side.take(connection)
        if bulk:
            search.finish()
        if log and bulk:
            _analyze(connection)
    finally:
        for process in (side, forms):
            if process is not None:
                process.close()
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
    report.version = version
    return report


def _analyze(connection: sa.Connection) -> None:
    """Fresh statistics for the query planner, in the load's transaction (committed with the rows).

    Without them PostgreSQL plans a freshly loaded table as if it were tiny or empty (parallel sequential
    scans of child tables); SQLite samples each index (`analysis_limit`) rather than reading it whole.
    """
    if connection.dialect.name == "sqlite":
        limit = connection.exec_driver_sql("PRAGMA analysis_limit").scalar_one()
        connection.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql(f"PRAGMA analysis_limit = {int(limit)}")
    else:
        connection.exec_driver_sql("ANALYZE")
