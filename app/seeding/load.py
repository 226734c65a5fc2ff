"""Write validated records in one transaction: upsert by id, skip unchanged, prune on request.

Set-based: for each type one query reads the stored hashes, then inserts,
updates and deletes go out in batches, never a round trip per record. Rows
are built as plain tuples and written through `app.core.dialect.BulkInsert`,
which skips SQLAlchemy's per-row parameter processing. Foreign keys are
deferred to the commit, so the order of writes does not matter and a failure
anywhere rolls everything back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from app.core.dialect import BulkInsert
from app.records.registry import RECORD_TYPE_LIST, RecordType, changes, dataset_state
from app.records.storage import ChildTableField
from app.search.index import refresh_search_index, split_change_log
from app.seeding.validate import KnownIds, ValidatedSeed, ValidRecord

CHUNK = 2000
Advance = Callable[[int], None]
LogEntry = tuple[str, str, str]
"""(record type, record id, action) of one line of the change log."""


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


def current_version(connection: sa.Connection) -> tuple[int, dt.datetime | None]:
    """The dataset version and when it last changed (0, None before the first load)."""
    row = connection.execute(sa.select(dataset_state.c.version, dataset_state.c.changed_at)).first()
    return (row.version, row.changed_at) if row else (0, None)


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


def _write_type(
    connection: sa.Connection,
    record_type: RecordType,
    records: list[ValidRecord],
    prune: bool,
    now: dt.datetime,
    report: LoadReport,
    log: list[LogEntry],
    advance: Advance,
) -> None:
    table = record_type.table
    stored: dict[str, str] = dict(connection.execute(sa.select(table.c.id, table.c.content_hash)).all())
    new: list[ValidRecord] = []
    changed: list[ValidRecord] = []
    for record in records:
        stored_hash = stored.get(record.data["id"])
        if stored_hash is None:
            new.append(record)
        elif stored_hash != record.content_hash:
            changed.append(record)
    if prune:
        in_files = {r.data["id"] for r in records}
        gone = sorted(set(stored) - in_files)
    else:
        gone = []
    del stored
    name = record_type.name
    report.created[name], report.updated[name], report.deleted[name] = len(new), len(changed), len(gone)
    report.unchanged[name] = len(records) - len(new) - len(changed)
    advance(report.unchanged[name])

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

    for list_field in rows.list_fields:
        insert = BulkInsert(connection, list_field.table, rows.child_columns[list_field.name])
        insert.write(rows.child_rows(list_field, new))
        insert.write(rows.child_rows(list_field, changed))

    log.extend((name, r.data["id"], "created") for r in new)
    log.extend((name, r.data["id"], "updated") for r in changed)
    log.extend((name, record_id, "deleted") for record_id in gone)


def write_seed(
    connection: sa.Connection,
    validated: ValidatedSeed,
    *,
    prune: bool = False,
    advance: Advance = lambda _n: None,
    now: dt.datetime | None = None,
) -> LoadReport:
    """Upsert validated records on a connection inside the caller's transaction."""
    now = now or dt.datetime.now(dt.UTC)
    report = LoadReport()
    log: list[LogEntry] = []
    for record_type in RECORD_TYPE_LIST:
        records = validated.records.get(record_type.name, [])
        _write_type(connection, record_type, records, prune, now, report, log, advance)
    refresh_search_index(connection, *split_change_log(log))
    version, _changed_at = current_version(connection)
    if log:
        version += 1
        if version == 1:
            connection.execute(dataset_state.insert().values(id=1, version=version, changed_at=now))
        else:
            connection.execute(dataset_state.update().values(version=version, changed_at=now))
        columns = ["version", "record_type", "record_id", "action", "changed_at"]
        BulkInsert(connection, changes, columns).write(
            (version, record_type, record_id, action, now) for record_type, record_id, action in log
        )
    report.version = version
    return report


def load_seed(
    engine: sa.Engine,
    validated: ValidatedSeed,
    *,
    prune: bool = False,
    advance: Advance = lambda _n: None,
) -> LoadReport:
    """Load validated records in one transaction: all of it is written, or none of it."""
    with engine.begin() as connection:
        return write_seed(connection, validated, prune=prune, advance=advance)
