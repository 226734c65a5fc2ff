"""The kinds of input field: how each is stored, and everything it does in the API.

Every field of an input model maps to one `StoredField`, chosen from its
annotation (see `stored_field_for`). Each kind carries its own behaviour: its
columns or child table, the list filters it offers, its sort key and facet
(app/records/list_parts.py), its CSV cell, how an item shows it, its place in
the response schema and in the export's Frictionless schema. The loader, the
lists, the detail view, the export and the statistics only loop over a type's
fields and call these methods, so a new field needs no code outside its model.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

import orjson
import sqlalchemy as sa
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo
from sqlalchemy.sql.elements import ColumnElement

from app.core.dates import first_day, format_partial, precision_of, stored_date
from app.core.render import FORMULA_STARTS, cell, safe_cell
from app.records.fields import (
    SLUG_MAX_LENGTH,
    ChildRows,
    PartialDateField,
    RecordTypeName,
    RefTo,
    SlugOrText,
    is_slug,
)
from app.records.list_parts import (
    BIGINT,
    DateSortKey,
    Facet,
    Filter,
    FilterContext,
    Match,
    NumberRange,
    NumberSortKey,
    RangeFilter,
    SortKey,
    ValueFilter,
)

Row = Mapping[Any, Any]
Linker = Callable[[str, str], dict[str, Any]]
"""(type, id) -> {"id", "type", "name"} of the referenced record."""
TableNames = Mapping[RecordTypeName, str]
"""Record type -> its table, from the declarations in app/records/registry.py."""
Tables = Mapping[str, sa.Table]
"""Record type -> its table, for the joins that read a referenced record's name."""
CsvColumn = Callable[[Sequence[Row]], list[str]]
"""A batch of rows -> one column of CSV cells."""
ChildRow = tuple[Any, ...]
"""A row of a child-table query, as the driver gives it: the record's id first."""
LIST_SEPARATOR = ";"
"""What joins a list's items in a CSV cell."""

AS_STORED, CONVERTED, LINKED = range(3)
"""How an item shows a field kept on the record's row: its column as stored; `from_columns` of the row (a
partial date); or a reference, expanded once the names of every row's references are read."""


class RefOut(BaseModel):
    """A reference expanded one level. A publisher given as text has no id or type."""

    id: str | None = Field(examples=["huawei"])
    type: str | None = Field(examples=["actor"])
    name: str | None = Field(examples=["Huawei"])


class ChildItems(NamedTuple):
    """How a child-table field's items are read for API items."""

    query: sa.Select[Any]
    """Its rows, the record's id first (limited to a page's records and ordered by the caller)."""
    item: Callable[[ChildRow], Any]
    """One row -> one item."""
    expanded: bool
    """True when the item is what the API shows; False when it is the input value, expanded once names are read."""


def csv_texts(values: Iterable[Any]) -> list[str]:
    """Scalars' cells: empty for none, true/false, numbers as written, text made formula-safe (as `cell`)."""
    return [
        ("'" + v if v.startswith(FORMULA_STARTS) else v) if type(v) is str else ("" if v is None else cell(v))
        for v in values
    ]


class Reference(NamedTuple):
    """One reference found in a record, for cross-record checks. A named tuple, not a frozen dataclass: a load
    makes one per reference (millions), and a frozen dataclass sets each field through `object.__setattr__`."""

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
    """Base: a model field, the way it is stored, and what the API does with it."""

    shown = CONVERTED
    """How an item shows the field when it is kept on the record's row."""

    def __init__(self, name: str, alias: str) -> None:
        self.name = name
        self.alias = alias
        self.required = False
        self.example: Any = None
        """The model's first example (for a list, of one item), if it gives one."""

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

    @property
    def as_is_column(self) -> str | None:
        """The one column of the record's row that holds this field's value unchanged (`to_columns` gives
        `{column: value}`), or None: `RecordType.row_values` then sets it without a dict per field."""
        return None

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
    def child(self) -> ChildTableField | None:
        """The field itself when it lives in a child table, else None."""
        return None

    @property
    def has_child_table(self) -> bool:
        """True when the field lives in a child table."""
        return self.child is not None

    @property
    def empty(self) -> Any:
        """The value shown when the field is not set."""
        return None

    def expand(self, value: Any, link: Linker) -> Any:
        """The value as the API shows it: references become {id, type, name}."""
        return value

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        """The list filter parameters it offers; `name` is the parameter's (a list's singular: `issuer`)."""
        return []

    def sort_key(self, table: sa.Table) -> SortKey | None:
        """The key a list sorts by on this field, when it is sortable."""
        return None

    def facet(self, table: sa.Table) -> Facet | None:
        """What `facets=` and the statistics count this field by, when they can."""
        return None

    def csv_column(self) -> CsvColumn:
        """Its column of CSV cells (a field kept on the record's row), a batch of rows at a time.

        By default the input value is the cell: a partial date as given, a reference as its id (`type:id`
        when it may point at several types), a publisher named as text as that text."""
        from_columns, of_values = self.from_columns, self.csv_of_values
        return lambda rows: of_values([from_columns(row) for row in rows])

    def csv_of_values(self, values: list[Any]) -> list[str]:
        """The cells of these input values (`from_columns`), for rows whose items already hold them."""
        return csv_texts(values)

    def annotation(self) -> Any:
        """Its type in the API's response models, so the OpenAPI document promises what items hold."""
        raise NotImplementedError

    def optional(self, annotation: Any) -> Any:
        """`annotation`, or None when the field is not required."""
        return annotation if self.required else annotation | None

    def table_field(self, description: str) -> dict[str, Any]:
        """Its column in the export's Frictionless Table Schema; `description` is the model's."""
        descriptor: dict[str, Any] = {"name": self.alias, "type": self.table_type, **self.table_constraints()}
        description = self.table_description(description)
        if description:
            descriptor["description"] = description.strip()
        return descriptor

    @property
    def table_type(self) -> str:
        """The type of its column in the export's Frictionless Table Schema."""
        return "string"

    def table_constraints(self) -> dict[str, Any]:
        """Table Schema constraints on its column."""
        return {}

    def table_description(self, description: str) -> str:
        """The model's description of the field, with what a reader of its CSV column needs to know."""
        return description


class ScalarField(StoredField):
    """Text (or a flag): one column."""

    shown = AS_STORED

    def __init__(self, name: str, alias: str, python_type: Any) -> None:
        super().__init__(name, alias)
        self.python_type = python_type

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        """The column's type."""
        return sa.Boolean() if self.python_type is bool else sa.Text()

    @property
    def table_type(self) -> str:
        return "boolean" if self.python_type is bool else "string"

    def columns(self, table_name: str) -> list[sa.Column[Any]]:
        return [sa.Column(self.name, self.sql_type(), nullable=not self.required)]

    def to_columns(self, value: Any) -> dict[str, Any]:
        return {self.name: value}

    @property
    def as_is_column(self) -> str | None:
        return self.name

    def from_columns(self, row: Row) -> Any:
        return row[self.name]

    def match(self, table: sa.Table, values: list[Any]) -> ColumnElement[bool]:
        """Rows whose value is one of `values`."""
        return table.c[self.name].in_(values)

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        if self.alias not in context.text_filters:
            return []
        description = f"{self.alias} equals this text (repeat for OR)"
        return [ValueFilter(name=name, description=description, example=self.example, match=self.match)]

    def csv_column(self) -> CsvColumn:
        name = self.name
        return lambda rows: csv_texts([row[name] for row in rows])

    def annotation(self) -> Any:
        return self.optional(self.python_type)


class EnumField(ScalarField):
    """One of a fixed set of values (a kind, a status): filtered by, sorted by and counted by."""

    def __init__(self, name: str, alias: str, choices: tuple[str, ...]) -> None:
        super().__init__(name, alias, str)
        self.choices = choices

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(max(len(c) for c in self.choices))

    def constraints(self, table_name: str) -> list[sa.Constraint]:
        allowed = ", ".join(f"'{c}'" for c in self.choices)
        return [sa.CheckConstraint(f"{self.name} IN ({allowed})", name=f"{self.name}_allowed")]

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        description = f"{self.alias} is one of these (repeat for OR)"
        return [
            ValueFilter(
                name=name, description=description, example=self.choices[0], choices=self.choices, match=self.match
            )
        ]

    def sort_key(self, table: sa.Table) -> SortKey | None:
        return SortKey(self.alias, table.c[self.name], not self.required)

    def facet(self, table: sa.Table) -> Facet | None:
        return Facet(table.c[self.name], table, table.c.id)

    def annotation(self) -> Any:
        return self.optional(Literal.__getitem__(self.choices))

    def table_constraints(self) -> dict[str, Any]:
        return {"constraints": {"enum": list(self.choices)}}


class NumberField(ScalarField):
    """A number (a dependency's quantity): sorted by, and filtered by range (`quantity_min=`, `quantity_max=`)."""

    def __init__(self, name: str, alias: str, python_type: Any, numbers: NumberRange) -> None:
        super().__init__(name, alias, python_type)
        self.numbers = numbers

    def sql_type(self) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger() if self.numbers.whole else sa.Float()

    @property
    def table_type(self) -> str:
        return "integer" if self.numbers.whole else "number"

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        bounds = (("min", "at least", True), ("max", "at most", False))
        return [
            RangeFilter(
                name=f"{name}_{end}",
                description=f"Keep records whose {self.alias} is {relation} this number (records without one are "
                "left out)",
                example=self.numbers.example(self.example, low=at_least),
                column=self.name,
                at_least=at_least,
                numbers=self.numbers,
            )
            for end, relation, at_least in bounds
        ]

    def sort_key(self, table: sa.Table) -> SortKey | None:
        return NumberSortKey(self.alias, table.c[self.name], not self.required, whole=self.numbers.whole)


class JsonField(StoredField):
    """Maps and short lists of values: one JSON column."""

    shown = AS_STORED

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

    def csv_of_values(self, values: list[Any]) -> list[str]:
        return [cell(value) for value in values]

    def annotation(self) -> Any:
        return list[Any] if isinstance(self.empty_value, list) else dict[str, Any]


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

    def sort_key(self, table: sa.Table) -> SortKey | None:
        return DateSortKey(self.alias, table.c[self.name], not self.required)

    def annotation(self) -> Any:
        return self.optional(str)

    def table_description(self, description: str) -> str:
        return f"{description} A date or a partial date: 2018, 2018-07 or 2018-07-20."


def reference_filter(
    name: str, alias: str, ref: RefTo, context: FilterContext, match: Match, *, text_allowed: bool = False
) -> Filter:
    """The filter of a reference field: records that point at any of the ids given (`type:id` or a bare id
    when the reference may point at several types)."""
    first = ref.types[0]
    if ref.typed:
        description = f"{alias} includes this record: type:id ({', '.join(ref.types)}) or a bare id"
        example = f"{first}:{context.example_ids[first]}"
    else:
        description = f"{alias} includes this {first} id (repeat for OR)"
        example = context.example_ids[first]
    return ValueFilter(
        name=name, description=description, example=example, targets=ref.types, text_allowed=text_allowed, match=match
    )


class RefField(StoredField):
    """A reference to one record of a known type: a foreign-key column `<name>_id`."""

    shown = LINKED

    def __init__(self, name: str, alias: str, ref: RefTo, tables: TableNames) -> None:
        super().__init__(name, alias)
        self.ref = ref
        self.tables = tables
        self.column = f"{name}_id"
        """The foreign-key column (kept: every item and row a load makes reads it)."""

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

    @property
    def as_is_column(self) -> str | None:
        return self.column

    def from_columns(self, row: Row) -> Any:
        return row[self.column]

    def references(self, value: Any) -> Iterator[Reference]:
        if value is not None:
            yield Reference((self.alias,), self.ref.types[0], value, self.ref.kinds)

    def expand(self, value: Any, link: Linker) -> Any:
        return None if value is None else link(self.ref.types[0], value)

    def match(self, table: sa.Table, values: list[Any]) -> ColumnElement[bool]:
        """Rows pointing at any of these ids."""
        return table.c[self.column].in_(values)

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        return [reference_filter(name, self.alias, self.ref, context, self.match)]

    def facet(self, table: sa.Table) -> Facet | None:
        return Facet(table.c[self.column], table, table.c.id, labels=self.ref.types[0])

    def annotation(self) -> Any:
        return self.optional(RefOut)


class TypedRefField(StoredField):
    """A reference that may point at several types (`actor:x`): one foreign key per type."""

    shown = LINKED

    def __init__(self, name: str, alias: str, ref: RefTo, tables: TableNames) -> None:
        super().__init__(name, alias)
        self.ref = ref
        self.tables = tables
        self._typed_columns = [(t, self.column_for(t)) for t in ref.types]
        self._no_target: dict[str, Any] = dict.fromkeys(column for _t, column in self._typed_columns)
        self._column_of: dict[str, str] = dict(self._typed_columns)

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
        # A copy of the all-NULL columns, in their order, with the target's set: a load makes one per reference
        # (millions), so the column names are worked out once, in __init__.
        values = self._no_target.copy()
        column = self._column_of.get(record_type)
        if column is not None:
            values[column] = record_id
        return values

    def typed_value(self, row: Row) -> str | None:
        """The `type:id` string stored in a row."""
        for t, column in self._typed_columns:
            if row[column] is not None:
                return f"{t}:{row[column]}"
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

    def match(self, table: sa.Table, values: list[Any]) -> ColumnElement[bool]:
        """Rows of `table` (the record's, or a child table's) pointing at any of these: `actor:x` matches that
        type only; a bare `x` matches any type."""
        terms: list[ColumnElement[bool]] = []
        for value in values:
            record_type, _, record_id = value.partition(":")
            if record_id:
                if record_type in self.ref.types:
                    terms.append(table.c[self.column_for(record_type)] == record_id)
            else:
                terms.extend(table.c[self.column_for(t)] == value for t in self.ref.types)
        return sa.or_(*terms) if terms else sa.false()

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        return [reference_filter(name, self.alias, self.ref, context, self.match)]

    def annotation(self) -> Any:
        return self.optional(RefOut)


class SlugOrTextField(StoredField):
    """An actor reference when slug-shaped (`<name>_id`), otherwise free text (`<name>_text`)."""

    shown = LINKED

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

    def match(self, table: sa.Table, values: list[Any]) -> ColumnElement[bool]:
        """Rows naming any of these, as an actor id or as text."""
        return sa.or_(table.c[f"{self.name}_id"].in_(values), table.c[f"{self.name}_text"].in_(values))

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        return [reference_filter(name, self.alias, self.ref, context, self.match, text_allowed=True)]

    def annotation(self) -> Any:
        return self.optional(RefOut)


class ChildTableField(StoredField):
    """Base of fields kept as ordered rows of a child table `<owner>_<name>`."""

    table: sa.Table

    @property
    def child(self) -> ChildTableField | None:
        return self

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

    def item_match(self, values: list[Any]) -> ColumnElement[bool]:
        """Child rows whose item matches any of `values`."""
        raise NotImplementedError

    def match(self, table: sa.Table, values: list[Any]) -> ColumnElement[bool]:
        """Records with an item that matches any of `values`."""
        # IN over the child table, not a correlated EXISTS: the index on the target answers it
        # (an EXISTS per record scanned all 1M statements for one reverse link).
        return table.c.id.in_(sa.select(self.table.c.record_id).where(self.item_match(values)))

    def item_query(self, tables: Tables) -> ChildItems:
        """How API items read this field's items (`tables` to join the names of referenced records)."""
        raise NotImplementedError

    def csv_columns(self) -> list[sa.Column[Any]]:
        """The child table's columns its CSV cell is made from."""
        raise NotImplementedError

    def csv_item(self, names: list[str]) -> Callable[[ChildRow], Any]:
        """One item of its CSV cell from a row of `record_id` and `csv_columns` (`names` names the row's values)."""
        return itemgetter(1)

    def csv_references(self, items: list[Any]) -> Iterator[Reference]:
        """The references whose names its CSV cell shows."""
        return iter(())

    def csv_cell(self, items: list[Any], link: Linker) -> str:
        """A record's CSV cell from its items: joined with `;`."""
        return safe_cell(LIST_SEPARATOR.join(items))

    def csv_cell_of_shown(self, shown: list[Any]) -> str:
        """The same cell from the field's value as the record's API item shows it (no query: the stored forms
        are rendered from the items); empty for no items, as a record without child rows gets."""
        return safe_cell(LIST_SEPARATOR.join(shown)) if shown else ""

    def table_description(self, description: str) -> str:
        return (
            f"{description} A list: items joined with `{LIST_SEPARATOR}` (references as ids), or JSON for "
            "lists of objects."
        )


class ValueListField(ChildTableField):
    """A list of plain values kept as rows so they can be filtered on (tags, document numbers)."""

    def __init__(self, name: str, alias: str, *, counted: bool = False) -> None:
        super().__init__(name, alias)
        self.counted = counted
        """Lists count records by its values (`facets=tag`)."""

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

    def item_match(self, values: list[Any]) -> ColumnElement[bool]:
        return self.table.c.value.in_(values)

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        description = f"{self.alias} includes this value (repeat for OR)"
        return [ValueFilter(name=name, description=description, example=self.example, match=self.match)]

    def facet(self, table: sa.Table) -> Facet | None:
        child = self.table
        return Facet(child.c.value, child, child.c.record_id) if self.counted else None

    def item_query(self, tables: Tables) -> ChildItems:
        child = self.table
        return ChildItems(sa.select(child.c.record_id, child.c.value), itemgetter(1), expanded=True)

    def csv_columns(self) -> list[sa.Column[Any]]:
        return [self.table.c.value]

    def annotation(self) -> Any:
        return list[str]


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

    def item_match(self, values: list[Any]) -> ColumnElement[bool]:
        return self.table.c.target_id.in_(values)

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        return [reference_filter(name, self.alias, self.ref, context, self.match)]

    def item_query(self, tables: Tables) -> ChildItems:
        child, target_type = self.table, self.ref.types[0]
        target = tables[target_type].alias("t")
        joined = child.outerjoin(target, target.c.id == child.c.target_id)
        query = sa.select(child.c.record_id, child.c.target_id, target.c.name).select_from(joined)
        return ChildItems(query, lambda row: {"id": row[1], "type": target_type, "name": row[2]}, expanded=True)

    def csv_columns(self) -> list[sa.Column[Any]]:
        return [self.table.c.target_id]

    def csv_cell_of_shown(self, shown: list[Any]) -> str:
        return safe_cell(LIST_SEPARATOR.join([item["id"] for item in shown])) if shown else ""

    def annotation(self) -> Any:
        return list[RefOut]


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

    def item_match(self, values: list[Any]) -> ColumnElement[bool]:
        return self.typed.match(self.table, values)

    def filters(self, name: str, context: FilterContext) -> list[Filter]:
        return [reference_filter(name, self.alias, self.ref, context, self.match)]

    def item_query(self, tables: Tables) -> ChildItems:
        child, types = self.table, self.ref.types
        joined: Any = child
        names = []
        for t in types:
            target = tables[t].alias(f"t_{t}")
            joined = joined.outerjoin(target, target.c.id == child.c[self.typed.column_for(t)])
            names.append(target.c.name)
        query = sa.select(child.c.record_id, *self.csv_columns(), *names).select_from(joined)
        count = len(types)

        def item(row: ChildRow) -> dict[str, Any]:
            for index in range(count):
                if row[1 + index] is not None:
                    return {"id": row[1 + index], "type": types[index], "name": row[1 + count + index]}
            return {"id": None, "type": None, "name": None}

        return ChildItems(query, item, expanded=True)

    def csv_columns(self) -> list[sa.Column[Any]]:
        """One column per type the items may point at (one of them set)."""
        return [self.table.c[self.typed.column_for(t)] for t in self.ref.types]

    def csv_item(self, names: list[str]) -> Callable[[ChildRow], Any]:
        types = self.ref.types

        def item(row: ChildRow) -> str:
            index = next(i for i, target in enumerate(row[1:]) if target is not None)
            return f"{types[index]}:{row[1 + index]}"

        return item

    def csv_cell_of_shown(self, shown: list[Any]) -> str:
        return safe_cell(LIST_SEPARATOR.join([f"{item['type']}:{item['id']}" for item in shown])) if shown else ""

    def annotation(self) -> Any:
        return list[RefOut]


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

    def from_named_row(self, names: list[str]) -> Callable[[ChildRow], Any]:
        """One item from a row of the child table's columns in the order `names` gives."""
        return lambda row: self.item_from_row(dict(zip(names, row, strict=True)))

    def item_query(self, tables: Tables) -> ChildItems:
        query = sa.select(self.table)
        return ChildItems(query, self.from_named_row([c.name for c in query.selected_columns]), expanded=False)

    def csv_columns(self) -> list[sa.Column[Any]]:
        return list(self.table.c)[2:]

    def csv_item(self, names: list[str]) -> Callable[[ChildRow], Any]:
        return self.from_named_row(names)

    def csv_references(self, items: list[Any]) -> Iterator[Reference]:
        return self.references(items)

    def csv_cell(self, items: list[Any], link: Linker) -> str:
        """The JSON of the expanded objects."""
        return orjson.dumps(self.expand(items, link)).decode()

    def csv_cell_of_shown(self, shown: list[Any]) -> str:
        return orjson.dumps(shown).decode() if shown else ""

    def annotation(self) -> Any:
        fields: dict[str, Any] = {f.alias: (f.annotation(), ...) for f in self.fields}
        item_model: Any = create_model(f"{self.model.__name__.removesuffix('In')}Out", **fields)
        return list[item_model]


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


def _first_example(info: FieldInfo) -> Any:
    """The model's first example of the field; of one item, for a list."""
    if not info.examples:
        return None
    example = info.examples[0]
    return example[0] if isinstance(example, list) and example else example


def _number_range(whole: bool, markers: list[Any]) -> NumberRange:
    """The numbers a field takes: its model's `ge` and `le`, else what its column can hold."""
    largest: int | float = BIGINT if whole else sys.float_info.max
    minimum, maximum = (-largest - 1 if whole else -largest), largest
    for marker in markers:
        minimum = getattr(marker, "ge", minimum)
        maximum = getattr(marker, "le", maximum)
    return NumberRange(whole, minimum, maximum)


def stored_field_for(name: str, info: FieldInfo, tables: TableNames) -> StoredField:
    """Choose how a model field is stored from its annotation and markers (`tables` names the referenced tables)."""
    stored = _choose_storage(name, info, tables)
    stored.required = info.is_required()
    stored.example = _first_example(info)
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
        child_rows = _marker(markers, ChildRows)
        if child_rows is not None:
            return ValueListField(name, alias, counted=child_rows.counted)
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
        return EnumField(name, alias, tuple(get_args(base)))
    if base is int or base is float:
        return NumberField(name, alias, base, _number_range(base is int, markers))
    return ScalarField(name, alias, base)
