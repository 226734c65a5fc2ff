"""Who refers to a record: every foreign key that points at its table, read from the tables' declarations.

Every reference between records is a foreign key (app/records/storage.py), so the columns that can point
at a record are exactly the foreign keys to its table, on record tables and on their child tables. Only
the link from a child row to its own record (ON DELETE CASCADE) is not a reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.records.registry import RECORD_TYPE_LIST, RecordType


@dataclass(frozen=True)
class Referrer:
    """One record that refers to another, and through which field."""

    record_type: str
    record_id: str
    field: str

    def __str__(self) -> str:
        return f"{self.record_type} '{self.record_id}' ({self.field})"


def _owners() -> dict[str, tuple[RecordType, str | None]]:
    """Table name -> (the record type it belongs to, the field it holds when it is a child table)."""
    owners: dict[str, tuple[RecordType, str | None]] = {}
    for record_type in RECORD_TYPE_LIST:
        owners[record_type.table.name] = (record_type, None)
        for field_name, child in record_type.child_tables.items():
            owners[child.name] = (record_type, record_type.field(field_name).alias)
    return owners


def _field_of(record_type: RecordType, column: str) -> str:
    """The field of a record table that a foreign-key column stores."""
    for stored in record_type.column_fields:
        if column in (c.name for c in stored.columns(record_type.plural)):
            return stored.alias
    return column


def referrers(connection: sa.Connection, record_type: RecordType, record_id: str, limit: int = 50) -> list[Referrer]:
    """Up to `limit` records (other than itself) whose references point at this record, in table order."""
    owners = _owners()
    found: list[Referrer] = []
    for table_name, (owner, child_field) in owners.items():
        table = record_type.table.metadata.tables[table_name]
        for key in table.foreign_keys:
            if key.column.table is not record_type.table or key.ondelete == "CASCADE":
                continue
            id_column = table.c.record_id if child_field else table.c.id
            query = (
                sa.select(id_column)
                .where(key.parent == record_id, id_column != record_id if owner is record_type else sa.true())
                .distinct()
                .order_by(id_column)
                .limit(limit - len(found))
            )
            field = child_field or _field_of(owner, key.parent.name)
            found.extend(Referrer(owner.name, referrer, field) for referrer in connection.execute(query).scalars())
            if len(found) >= limit:
                return found
    return found
