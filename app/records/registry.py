"""The six record types, declared once: model, plural (its path and its table), main date, validity
window, indexes, example id, what it shows in another record's `referenced_by`.

Tables are derived from each model's fields (app/records/storage.py). Adding a
field means adding it to the model; adding an index means adding it here.
Adding a type means its name in `RecordTypeName` (app/records/fields.py), its
model (app/records/models.py) and its declaration here, then a migration and
its seed file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.core.state import metadata
from app.records.fields import RECORD_TYPES, RecordTypeName
from app.records.models import (
    ActorIn,
    DependencyIn,
    HardwareIn,
    PolicyIn,
    RecordIn,
    SourceIn,
    StatementIn,
)
from app.records.storage import (
    ChildTableField,
    Reference,
    StoredField,
    TableNames,
    stored_field_for,
)


@dataclass
class RecordType:
    """One record type: what differs between the six is declared here, the rest is generic."""

    name: RecordTypeName
    plural: str
    """The list's path (`/v1/policies`) and the table's name."""
    model: type[RecordIn]
    main_date: str | None
    example_id: str = field(kw_only=True)
    """A real id of this type, shown in the OpenAPI document's examples."""
    item_fields: tuple[str, ...] = field(default=(), kw_only=True)
    """What the record shows, besides its type, id and name, when it appears in another's `referenced_by`."""
    valid_from: str | None = None
    valid_to: str | None = None
    indexes: tuple[tuple[str, ...], ...] = ()
    acyclic: tuple[str, ...] = ()
    """Reference fields whose chains must not loop (an actor's parent)."""
    default_sort: str = "id"
    """The list order when no `sort` is given."""
    text_filters: tuple[str, ...] = ()
    """Plain text fields a list can be filtered on by exact value (`language=en`)."""
    search_fields: tuple[str, ...] = ("name", "summary")
    """Text fields `q=` looks in, besides aliases."""
    fields: list[StoredField] = field(init=False, repr=False)
    table: sa.Table = field(init=False, repr=False)
    child_tables: dict[str, sa.Table] = field(init=False, repr=False)

    def declare_tables(self, tables: TableNames) -> None:
        """Derive the fields and declare the tables, once every type is named (references cross types)."""
        self.fields = [
            stored_field_for(name, info, tables) for name, info in self.model.model_fields.items() if name != "id"
        ]
        table_name = self.plural
        self.table = sa.Table(
            table_name,
            metadata,
            sa.Column("id", sa.String(80), primary_key=True),
            *(column for f in self.fields for column in f.columns(table_name)),
            sa.Column("content_hash", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            *(c for f in self.fields for c in f.constraints(table_name)),
        )
        self.child_tables = {}
        for f in self.fields:
            child = f.child_table(table_name, metadata)
            if child is not None:
                self.child_tables[f.name] = child
        for columns in self.indexes:
            names = [self.column_name(c) for c in columns] + ["id"]
            sa.Index(f"ix_{table_name}_{'_'.join(names)}", *(self.table.c[n] for n in names))

    def valid_on(self, day: dt.date | None) -> list[ColumnElement[bool]]:
        """Rows valid on `day`: started on or before it (or start unknown) and not yet ended (or end unknown).

        The end date is the first day a record no longer holds. Without a day, or for a type without a
        validity window, there is no condition.
        """
        if day is None or self.valid_from is None:
            return []
        start, end = self.table.c[self.valid_from], self.table.c[self.valid_to or ""]
        return [sa.or_(start.is_(None), start <= day), sa.or_(end.is_(None), end > day)]

    def field(self, name: str) -> StoredField:
        """The stored field called `name`."""
        return next(f for f in self.fields if f.name == name)

    def column_name(self, field_name: str) -> str:
        """The main-table column a field is sorted and filtered on."""
        stored = self.field(field_name)
        columns = stored.columns(self.plural)
        return columns[0].name

    @cached_property
    def column_fields(self) -> list[StoredField]:
        """Fields stored on the record's own row."""
        return [f for f in self.fields if not f.has_child_table]

    @cached_property
    def list_fields(self) -> list[ChildTableField]:
        """Fields stored in child tables."""
        return [child for f in self.fields if (child := f.child) is not None]

    @cached_property
    def _row_plan(self) -> list[tuple[str, str | None, StoredField]]:
        """Per column field, in order: its alias, the one column that holds its value as is (None when
        `to_columns` must convert it), and the field."""
        return [(f.alias, f.as_is_column, f) for f in self.column_fields]

    def row_values(self, record: dict[str, Any]) -> dict[str, Any]:
        """Values of the record's own row, from its input-model dump (by alias)."""
        values: dict[str, Any] = {"id": record["id"]}
        # A value stored as is goes straight in (no dict per field: a load makes the rows of millions).
        for alias, column, f in self._row_plan:
            if column is not None:
                values[column] = record.get(alias)
            else:
                values.update(f.to_columns(record.get(alias)))
        return values

    def references(self, record: dict[str, Any]) -> Iterator[Reference]:
        """Every reference a record makes."""
        for f in self.fields:
            yield from f.references(record.get(f.alias))


ACTOR = RecordType(
    "actor",
    "actors",
    ActorIn,
    main_date="founded_on",
    example_id="huawei",
    item_fields=("kind",),
    valid_from="founded_on",
    valid_to="dissolved_on",
    indexes=(("kind",), ("founded_on",), ("dissolved_on",), ("name",)),
    acyclic=("parent",),
    default_sort="name",
)
POLICY = RecordType(
    "policy",
    "policies",
    PolicyIn,
    main_date="effective_on",
    example_id="cn-ngaidp-2017",
    item_fields=("kind", "status", "effective_on"),
    valid_from="effective_on",
    valid_to="ended_on",
    indexes=(("kind", "effective_on"), ("status",), ("effective_on",), ("announced_on",), ("ended_on",)),
    default_sort="-effective_on",
    search_fields=("name", "summary", "goals"),
)
STATEMENT = RecordType(
    "statement",
    "statements",
    StatementIn,
    main_date="said_on",
    example_id="xi-2025-04-25-self-reliance-beneficial-safe-fair",
    item_fields=("said_on", "speaker"),
    indexes=(("speaker", "said_on"), ("said_on",), ("kind", "said_on")),
    default_sort="-said_on",
    text_filters=("original_language",),
    search_fields=("name", "summary", "text", "original_text", "occasion"),
)
HARDWARE = RecordType(
    "hardware",
    "hardware",
    HardwareIn,
    main_date="released_on",
    example_id="huawei-ascend-910b",
    item_fields=("kind",),
    indexes=(("kind",), ("released_on",), ("name",)),
    acyclic=("successor_of", "family"),
    default_sort="name",
    text_filters=("process_node",),
)
DEPENDENCY = RecordType(
    "dependency",
    "dependencies",
    DependencyIn,
    main_date="valid_from",
    example_id="deepseek-v3-training-h800",
    item_fields=("dependent", "depends_on", "purpose", "system", "status"),
    valid_from="valid_from",
    valid_to="valid_to",
    indexes=(("status",), ("purpose",), ("valid_from",), ("valid_to",)),
    default_sort="-valid_from",
    text_filters=("system",),
    search_fields=("name", "summary", "system", "notes"),
)
SOURCE = RecordType(
    "source",
    "sources",
    SourceIn,
    main_date="published_on",
    example_id="src-bis-advanced-computing-rule-2022-10-07",
    item_fields=("published_on", "url"),
    indexes=(("kind",), ("published_on",)),
    default_sort="-published_on",
    text_filters=("language",),
    search_fields=("name", "summary", "title"),
)

RECORD_TYPE_LIST: tuple[RecordType, ...] = (ACTOR, POLICY, STATEMENT, HARDWARE, DEPENDENCY, SOURCE)
BY_NAME: dict[str, RecordType] = {t.name: t for t in RECORD_TYPE_LIST}
BY_PLURAL: dict[str, RecordType] = {t.plural: t for t in RECORD_TYPE_LIST}
assert tuple(BY_NAME) == RECORD_TYPES, "declare the types in the order RecordTypeName names them"


def _declare_tables(record_types: tuple[RecordType, ...]) -> None:
    tables = {t.name: t.plural for t in record_types}
    for record_type in record_types:
        record_type.declare_tables(tables)


_declare_tables(RECORD_TYPE_LIST)
