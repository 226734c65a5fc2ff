"""How each kind of input field is stored: columns on the record's table or a child table.

Every field of an input model maps to one `StoredField`, chosen from its
annotation (see `stored_field_for`). The loader, the export and the detail
view only talk to these objects, so a new field needs no code outside its
model.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.core.dates import first_day, format_partial, precision_of, stored_date
from app.records.fields import (
    SLUG_MAX_LENGTH,
    ChildRows,
    PartialDateField,
    RecordTypeName,
    RefTo,
    SlugOrText,
    is_slug,
)

Row = Mapping[Any, Any]
Linker = Callable[[str, str], dict[str, Any]]
"""(type, id) -> {"id", "type", "name"} of the referenced record."""
TableNames = Mapping[RecordTypeName, str]
"""Record type -> its table, from the declarations in app/records/registry.py."""


@dataclass(frozen=True)
class Reference:
    """One reference found in a record, for cross-record checks."""

    loc: tuple[str | int, ...]
    target_type: RecordTypeName
    target_id: str
    kinds: tuple[str, ...]


def fk(table_name: str, *, owner: bool = False) -> sa.ForeignKey:
    """A foreign key to a record table, checked at commit so a load may write in any order.

    Not RESTRICT: both databases check RESTRICT at once even when deferred, and a
    prune deletes referrer and referee in one transaction.
    """
    return sa.ForeignKey(
        f"{table_name}.id",
        ondelete="CASCADE" if owner else None,
        deferrable=True,
        initially="DEFERRED",
    )


def split_typed(value: str) -> tuple[str, str]:
    """`actor:deepseek` -> ('actor', 'deepseek')."""
    record_type, _, record_id = value.partition(":")
    return record_type, record_id


def precision_column(column: str) -> str:
    """The column beside a partial date's first day that keeps its precision (year, month or day)."""
    return f"{column}_precision"


def partial_date(row: Row, column: str) -> str | None:
    """The partial date a row keeps as its first day in `column` and its precision beside it; None when unset."""
    day = row[column]
    return None if day is None else format_partial(stored_date(day), row[precision_column(column)])


class StoredField:
    """Base: a model field and the way it is stored."""

    def __init__(self, name: str, alias: str) -> None:
        self.name = name
        self.alias = alias
        self.required = False

    def columns(self, table_name: str) -> list[sa.Column[Any]]:
        """Columns this field adds to the record's own table."""
        return []

    def constraints(self, table_name: str) -> list[sa.Constraint]:
        """Table constraints this field adds to the record's own table."""
        return []

    def child_table(self, owner_table: str, metadata: sa.MetaData) -> sa.Table | None:
        """The child table holding this field's items, if it has one."""
        return None

    def to_columns(self, value: Any) -> dict[str, Any]:
        """Column values of this field on the record's row."""
        return {}

    def to_child_rows(self, record_id: str, value: Any) -> list[dict[str, Any]]:
        """Rows of the child table for this field's value."""
        return []

    def from_columns(self, row: Row) -> Any:
        """Rebuild the input value from the record's row."""
        return None

    def from_child_rows(self, rows: Sequence[Row]) -> Any:
        """Rebuild the input value from its child rows (in position order)."""
        return None

    def references(self, value: Any) -> Iterator[Reference]:
        """The references this value makes."""
        return iter(())

    @property
    def has_child_table(self) -> bool:
        """True when the field lives in a child table."""
        return False

    @property
    def empty(self) -> Any:
        """The value shown when the field is not set."""
        return None

    def expand(self, value: Any, link: Linker) -> Any:
        """The value as the API shows it: references become {id, type, name}."""
        return value


class ScalarField(StoredField):
    """Text, numbers and enums: one column."""

    def __init__(self, name: str, alias: str, python_type: Any, choices: tuple[str, ...] = ()) -> None:
        super().__init__(name, alias)
        self.python_type = python_type
        self.choices = choices

    def _sql_type(self) -> sa.types.TypeEngine[Any]:
        if self.choices:
            return sa.String(max(len(c) for c in self.choices))
        if self.python_type is int:
            return sa.BigInteger()
        if self.python_type is float:
            return sa.Float()
        if self.python_type is bool:
            return sa.Boolean()
        return sa.Text()

    def columns(self, table_name: str) -> list[sa.Column[Any]]:
        return [sa.Column(self.name, self._sql_type(), nullable=not self.required)]

    def constraints(self, table_name: str) -> list[sa.Constraint]:
        if not self.choices:
            return []
        allowed = ", ".join(f"'{c}'" for c in self.choices)
        return [sa.CheckConstraint(f"{self.name} IN ({allowed})", name=f"{self.name}_allowed")]

    def to_columns(self, value: Any) -> dict[str, Any]:
        return {self.name: value}

    def from_columns(self, row: Row) -> Any:
        return row[self.name]


class JsonField(StoredField):
    """Maps and short lists of values: one JSON column."""

    def __init__(self, name: str, alias: str, empty: Any) -> None:
        super().__init__(name, alias)
        self.empty_value = empty

    @property
    def empty(self) -> Any:
        return type(self.empty_value)()

    def columns(self, table_name: str) -> list[sa.Column[Any]]:
        return [sa.Column(self.name, sa.JSON(), nullable=False)]

    def to_columns(self, value: Any) -> dict[str, Any]:
        return {self.name: value if value is not None else self.empty}

    def from_columns(self, row: Row) -> Any:
        return row[self.name]


class DateField(StoredField):
    """A partial date: its first day (sortable, indexable) and its precision."""

    @property
    def precision_column(self) -> str:
        """Name of the column keeping year/month/day."""
        return precision_column(self.name)

    def columns(self, table_name: str) -> list[sa.Column[Any]]:
        return [
            sa.Column(self.name, sa.Date(), nullable=not self.required),
            sa.Column(self.precision_column, sa.String(5), nullable=not self.required),
        ]

    def constraints(self, table_name: str) -> list[sa.Constraint]:
        return [
            sa.CheckConstraint(
                f"{self.precision_column} IN ('year', 'month', 'day')", name=f"{self.precision_column}_allowed"
            )
        ]

    def to_columns(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {self.name: None, self.precision_column: None}
        return {self.name: first_day(value), self.precision_column: precision_of(value)}

    def from_columns(self, row: Row) -> Any:
        return partial_date(row, self.name)


class RefField(StoredField):
    """A reference to one record of a known type: a foreign-key column `<name>_id`."""

    def __init__(self, name: str, alias: str, ref: RefTo, tables: TableNames) -> None:
        super().__init__(name, alias)
        self.ref = ref
        self.tables = tables

    @property
    def column(self) -> str:
        """The foreign-key column."""
        return f"{self.name}_id"

    def columns(self, table_name: str) -> list[sa.Column[Any]]:
        return [
            sa.Column(
                self.column,
                sa.String(SLUG_MAX_LENGTH),
                fk(self.tables[self.ref.types[0]]),
                index=True,
                nullable=not self.required,
            )
        ]

    def to_columns(self, value: Any) -> dict[str, Any]:
        return {self.column: value}

    def from_columns(self, row: Row) -> Any:
        return row[self.column]

    def references(self, value: Any) -> Iterator[Reference]:
        if value is not None:
            yield Reference((self.alias,), self.ref.types[0], value, self.ref.kinds)

    def expand(self, value: Any, link: Linker) -> Any:
        return None if value is None else link(self.ref.types[0], value)


class TypedRefField(StoredField):
    """A reference that may point at several types (`actor:x`): one foreign key per type."""

    def __init__(self, name: str, alias: str, ref: RefTo, tables: TableNames) -> None:
        super().__init__(name, alias)
        self.ref = ref
        self.tables = tables

    def column_for(self, record_type: str) -> str:
        """The foreign-key column used when the reference points at `record_type`."""
        return f"{self.name}_{record_type}_id"

    def typed_columns(self, index: bool) -> list[sa.Column[Any]]:
        """One nullable foreign-key column per allowed type."""
        return [
            sa.Column(self.column_for(t), sa.String(SLUG_MAX_LENGTH), fk(self.tables[t]), index=index)
            for t in self.ref.types
        ]

    def exactly_one(self) -> sa.CheckConstraint:
        """Exactly one of the typed columns is set."""
        terms = " + ".join(f"(CASE WHEN {self.column_for(t)} IS NULL THEN 0 ELSE 1 END)" for t in self.ref.types)
        return sa.CheckConstraint(f"{terms} = 1", name=f"{self.name}_one_target")

    def columns(self, table_name: str) -> list[sa.Column[Any]]:
        return self.typed_columns(index=True)

    def constraints(self, table_name: str) -> list[sa.Constraint]:
        return [self.exactly_one()]

    def typed_values(self, value: str) -> dict[str, Any]:
        """Column values for one typed reference."""
        record_type, record_id = split_typed(value)
        return {self.column_for(t): (record_id if t == record_type else None) for t in self.ref.types}

    def typed_value(self, row: Row) -> str | None:
        """The `type:id` string stored in a row."""
        for t in self.ref.types:
            if row[self.column_for(t)] is not None:
                return f"{t}:{row[self.column_for(t)]}"
        return None

    def to_columns(self, value: Any) -> dict[str, Any]:
        return self.typed_values(value)

    def from_columns(self, row: Row) -> Any:
        return self.typed_value(row)

    def references(self, value: Any) -> Iterator[Reference]:
        if value is not None:
            record_type, record_id = split_typed(value)
            yield Reference((self.alias,), typing.cast(RecordTypeName, record_type), record_id, ())

    def expand(self, value: Any, link: Linker) -> Any:
        return None if value is None else link(*split_typed(value))


class SlugOrTextField(StoredField):
    """An actor reference when slug-shaped (`<name>_id`), otherwise free text (`<name>_text`)."""

    def __init__(self, name: str, alias: str, ref: RefTo, tables: TableNames) -> None:
        super().__init__(name, alias)
        self.ref = ref
        self.tables = tables

    def columns(self, table_name: str) -> list[sa.Column[Any]]:
        return [
            sa.Column(f"{self.name}_id", sa.String(SLUG_MAX_LENGTH), fk(self.tables[self.ref.types[0]]), index=True),
            sa.Column(f"{self.name}_text", sa.Text()),
        ]

    def to_columns(self, value: Any) -> dict[str, Any]:
        if value is not None and is_slug(value):
            return {f"{self.name}_id": value, f"{self.name}_text": None}
        return {f"{self.name}_id": None, f"{self.name}_text": value}

    def from_columns(self, row: Row) -> Any:
        return row[f"{self.name}_id"] or row[f"{self.name}_text"]

    def references(self, value: Any) -> Iterator[Reference]:
        if value is not None and is_slug(value):
            yield Reference((self.alias,), self.ref.types[0], value, self.ref.kinds)

    def expand(self, value: Any, link: Linker) -> Any:
        if value is None:
            return None
        if is_slug(value):
            return link(self.ref.types[0], value)
        return {"id": None, "type": None, "name": value}


class ChildTableField(StoredField):
    """Base of fields kept as ordered rows of a child table `<owner>_<name>`."""

    table: sa.Table

    @property
    def has_child_table(self) -> bool:
        return True

    @property
    def empty(self) -> Any:
        return []

    def child_table(self, owner_table: str, metadata: sa.MetaData) -> sa.Table:
        self.table = sa.Table(
            f"{owner_table}_{self.name}",
            metadata,
            sa.Column("record_id", sa.String(SLUG_MAX_LENGTH), fk(owner_table, owner=True), primary_key=True),
            sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
            *self.item_columns(),
            *self.item_constraints(),
        )
        return self.table

    def item_columns(self) -> list[sa.Column[Any] | sa.Index]:
        """Columns (and indexes) describing one item."""
        raise NotImplementedError

    def item_constraints(self) -> list[sa.Constraint]:
        """Constraints on one item's row."""
        return []

    def item_values(self, item: Any) -> dict[str, Any]:
        """Column values of one item."""
        raise NotImplementedError

    def item_from_row(self, row: Row) -> Any:
        """Rebuild one item from its row."""
        raise NotImplementedError

    def to_child_rows(self, record_id: str, value: Any) -> list[dict[str, Any]]:
        return [
            {"record_id": record_id, "position": position, **self.item_values(item)}
            for position, item in enumerate(value or ())
        ]

    def from_child_rows(self, rows: Sequence[Row]) -> Any:
        return [self.item_from_row(row) for row in rows]


class ValueListField(ChildTableField):
    """A list of plain values kept as rows so they can be filtered on (tags, document numbers)."""

    def item_columns(self) -> list[sa.Column[Any] | sa.Index]:
        return [sa.Column("value", sa.Text(), nullable=False)]

    def child_table(self, owner_table: str, metadata: sa.MetaData) -> sa.Table:
        table = super().child_table(owner_table, metadata)
        sa.Index(f"ix_{table.name}_value", table.c.value, table.c.record_id)
        return table

    def item_values(self, item: Any) -> dict[str, Any]:
        return {"value": item}

    def item_from_row(self, row: Row) -> Any:
        return row["value"]


class RefListField(ChildTableField):
    """A list of references to one type: an association table with a foreign key per item."""

    def __init__(self, name: str, alias: str, ref: RefTo, tables: TableNames) -> None:
        super().__init__(name, alias)
        self.ref = ref
        self.tables = tables

    def item_columns(self) -> list[sa.Column[Any] | sa.Index]:
        return [
            sa.Column(
                "target_id", sa.String(SLUG_MAX_LENGTH), fk(self.tables[self.ref.types[0]]), nullable=False, index=True
            )
        ]

    def item_values(self, item: Any) -> dict[str, Any]:
        return {"target_id": item}

    def item_from_row(self, row: Row) -> Any:
        return row["target_id"]

    def references(self, value: Any) -> Iterator[Reference]:
        for index, item in enumerate(value or ()):
            yield Reference((self.alias, index), self.ref.types[0], item, self.ref.kinds)

    def expand(self, value: Any, link: Linker) -> Any:
        return [link(self.ref.types[0], item) for item in value or ()]


class TypedRefListField(ChildTableField):
    """A list of references to records of any of several types (statement mentions)."""

    def __init__(self, name: str, alias: str, ref: RefTo, tables: TableNames) -> None:
        super().__init__(name, alias)
        self.ref = ref
        self.tables = tables
        self.typed = TypedRefField("target", alias, ref, tables)

    def item_columns(self) -> list[sa.Column[Any] | sa.Index]:
        return list(self.typed.typed_columns(index=True))

    def item_constraints(self) -> list[sa.Constraint]:
        return [self.typed.exactly_one()]

    def item_values(self, item: Any) -> dict[str, Any]:
        return self.typed.typed_values(item)

    def item_from_row(self, row: Row) -> Any:
        return self.typed.typed_value(row)

    def references(self, value: Any) -> Iterator[Reference]:
        for index, item in enumerate(value or ()):
            record_type, record_id = split_typed(item)
            yield Reference((self.alias, index), typing.cast(RecordTypeName, record_type), record_id, ())

    def expand(self, value: Any, link: Linker) -> Any:
        return [link(*split_typed(item)) for item in value or ()]


class ObjectListField(ChildTableField):
    """A list of small objects (an actor's roles): one row per object, one column per field."""

    def __init__(self, name: str, alias: str, model: type[BaseModel], tables: TableNames) -> None:
        super().__init__(name, alias)
        self.model = model
        self.fields = [stored_field_for(n, info, tables) for n, info in model.model_fields.items()]

    def item_columns(self) -> list[sa.Column[Any] | sa.Index]:
        return [column for field in self.fields for column in field.columns(self.name)]

    def item_constraints(self) -> list[sa.Constraint]:
        return [c for field in self.fields for c in field.constraints(self.name)]

    def item_values(self, item: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in self.fields:
            values.update(field.to_columns(item.get(field.alias)))
        return values

    def item_from_row(self, row: Row) -> Any:
        item = {field.alias: field.from_columns(row) for field in self.fields}
        return {k: v for k, v in item.items() if v is not None}

    def references(self, value: Any) -> Iterator[Reference]:
        for index, item in enumerate(value or ()):
            for field in self.fields:
                for ref in field.references(item.get(field.alias)):
                    yield Reference((self.alias, index, *ref.loc), ref.target_type, ref.target_id, ref.kinds)

    def expand(self, value: Any, link: Linker) -> Any:
        return [
            {field.alias: field.expand(item.get(field.alias, field.empty), link) for field in self.fields}
            for item in value or ()
        ]


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _split_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    if get_origin(annotation) is typing.Annotated:
        base, *markers = get_args(annotation)
        return base, list(markers)
    return annotation, []


def _marker(markers: list[Any], kind: type[Any]) -> Any:
    return next((m for m in markers if isinstance(m, kind)), None)


def stored_field_for(name: str, info: FieldInfo, tables: TableNames) -> StoredField:
    """Choose how a model field is stored from its annotation and markers (`tables` names the referenced tables)."""
    stored = _choose_storage(name, info, tables)
    stored.required = info.is_required()
    return stored


def _choose_storage(name: str, info: FieldInfo, tables: TableNames) -> StoredField:
    alias = info.alias or name
    name = alias  # columns are named after what the seed files write (`from`, not `from_`)
    base, markers = _split_annotated(_strip_optional(info.annotation))
    markers = list(info.metadata) + markers
    origin = get_origin(base)

    if origin is list:
        (item,) = get_args(base)
        item_base, item_markers = _split_annotated(item)
        ref = _marker(item_markers, RefTo)
        if ref is not None:
            return TypedRefListField(name, alias, ref, tables) if ref.typed else RefListField(name, alias, ref, tables)
        if isinstance(item_base, type) and issubclass(item_base, BaseModel):
            return ObjectListField(name, alias, item_base, tables)
        if _marker(markers, ChildRows) is not None:
            return ValueListField(name, alias)
        return JsonField(name, alias, [])
    if origin is dict:
        return JsonField(name, alias, {})
    if _marker(markers, PartialDateField) is not None:
        return DateField(name, alias)
    slug_or_text = _marker(markers, SlugOrText)
    if slug_or_text is not None:
        return SlugOrTextField(name, alias, slug_or_text.ref, tables)
    ref = _marker(markers, RefTo)
    if ref is not None:
        return TypedRefField(name, alias, ref, tables) if ref.typed else RefField(name, alias, ref, tables)
    if get_origin(base) is Literal:
        return ScalarField(name, alias, str, tuple(get_args(base)))
    return ScalarField(name, alias, base)
