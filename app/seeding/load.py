"""Write validated records in one transaction: upsert by id, skip unchanged, prune on request.

Set-based: for each type one query reads the stored hashes, then inserts,
updates and deletes go out as batched executemany calls, never a round trip
per record. Foreign keys are deferred to the commit, so the order of writes
does not matter and a failure anywhere rolls everything back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.records.registry import RECORD_TYPE_LIST, RecordType, changes, dataset_state
from app.seeding.validate import KnownIds, ValidatedSeed, ValidRecord

CHUNK = 2000
Advance = Callable[[int], None]


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


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], advance: Advance) -> None:
    for chunk in _chunks(rows):
        connection.execute(table.insert(), list(chunk))
        advance(len(chunk))


def _write_type(
    connection: sa.Connection,
    record_type: RecordType,
    records: list[ValidRecord],
    prune: bool,
    now: dt.datetime,
    report: LoadReport,
    log: list[dict[str, Any]],
    advance: Advance,
) -> None:
    table = record_type.table
    stored = dict(connection.execute(sa.select(table.c.id, table.c.content_hash)).all())
    new = [r for r in records if r.data["id"] not in stored]
    changed = [r for r in records if r.data["id"] in stored and stored[r.data["id"]] != r.content_hash]
    in_files = {r.data["id"] for r in records}
    gone = sorted(set(stored) - in_files) if prune else []
    name = record_type.name
    report.created[name], report.updated[name], report.deleted[name] = len(new), len(changed), len(gone)
    report.unchanged[name] = len(records) - len(new) - len(changed)
    advance(report.unchanged[name])

    def main_row(record: ValidRecord, created: bool) -> dict[str, Any]:
        row = record_type.row_values(record.data)
        row["content_hash"] = record.content_hash
        row["updated_at"] = now
        if created:
            row["created_at"] = now
        return row

    _insert(connection, table, [main_row(r, True) for r in new], advance)
    if changed:
        columns = [c for c in main_row(changed[0], False) if c != "id"]
        update = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values({c: sa.bindparam(f"b_{c}") for c in columns})
        )
        for chunk in _chunks(changed):
            rows = [{f"b_{k}": v for k, v in main_row(r, False).items()} for r in chunk]
            connection.execute(update, rows)
            advance(len(chunk))
        changed_ids = [r.data["id"] for r in changed]
        for child in record_type.child_tables.values():
            for id_chunk in _chunks(changed_ids):
                connection.execute(child.delete().where(child.c.record_id.in_(id_chunk)))
    for id_chunk in _chunks(gone):
        connection.execute(table.delete().where(table.c.id.in_(id_chunk)))
        advance(len(id_chunk))

    for list_field in record_type.list_fields:
        child_rows = [
            row
            for record in (*new, *changed)
            for row in list_field.to_child_rows(record.data["id"], record.data.get(list_field.alias))
        ]
        for chunk in _chunks(child_rows):
            connection.execute(list_field.table.insert(), list(chunk))

    for action, ids in (
        ("created", [r.data["id"] for r in new]),
        ("updated", [r.data["id"] for r in changed]),
        ("deleted", gone),
    ):
        log.extend({"record_type": name, "record_id": i, "action": action, "changed_at": now} for i in ids)


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
    log: list[dict[str, Any]] = []
    for record_type in RECORD_TYPE_LIST:
        records = validated.records.get(record_type.name, [])
        _write_type(connection, record_type, records, prune, now, report, log, advance)
    version, _changed_at = current_version(connection)
    if log:
        version += 1
        if version == 1:
            connection.execute(dataset_state.insert().values(id=1, version=version, changed_at=now))
        else:
            connection.execute(dataset_state.update().values(version=version, changed_at=now))
        for chunk in _chunks(log):
            connection.execute(changes.insert(), [{**entry, "version": version} for entry in chunk])
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
