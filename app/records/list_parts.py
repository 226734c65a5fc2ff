"""The parts of a list request a field kind contributes: its filter parameters, its sort key, its facet.

Each kind of stored field (app/records/storage.py) says which of these it
offers; the list engine (app/records/listing.py), the detail view's reverse
links and the statistics only loop over a type's fields and use what they get.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.core.params import MAX_PARAM_LENGTH, bad, parse_int

Match = Callable[[sa.Table, list[Any]], ColumnElement[bool]]
"""(the record's table, the values asked for) -> the rows that match any of them."""
BIGINT = 2**63 - 1
"""The largest integer both databases store in a BIGINT column."""


class HasTable(Protocol):
    """What a filter needs of a record type: its table."""

    table: sa.Table


@dataclass(frozen=True)
class FilterContext:
    """What a field's filters need from the type that declares it."""

    text_filters: tuple[str, ...]
    """Plain text fields the type lets a list filter on by exact value."""
    example_ids: dict[str, str]
    """A real id of each record type, for the OpenAPI examples of reference filters."""


@dataclass(frozen=True, kw_only=True)
class Filter:
    """One filter parameter of a list: its name, what it takes and how it is documented."""

    name: str
    description: str
    example: Any
    choices: tuple[str, ...] = ()
    """The only values it takes (an enum), or empty."""
    targets: tuple[str, ...] = ()
    """The record types whose ids it takes, or empty when it is no reference."""
    text_allowed: bool = False
    """A value that is no record id may still match as text (a publisher named as text)."""

    def parse(self, values: list[str]) -> list[Any]:
        """The values of a request (repeated or comma-separated) as the condition takes them; a 400 if bad."""
        return values

    def condition(self, record_type: HasTable, values: list[Any]) -> ColumnElement[bool]:
        """The rows of `record_type` that match the parsed values."""
        raise NotImplementedError

    def documented(self) -> tuple[dict[str, Any], str, Any]:
        """Its OpenAPI entry: (schema, description, example)."""
        item: dict[str, Any] = {"type": "string", "maxLength": MAX_PARAM_LENGTH}
        description = f"{self.description}."
        if self.choices:
            item = {"type": "string", "enum": list(self.choices)}
            description += f" One of: {', '.join(self.choices)}."
        return {"type": "array", "items": item}, description, [self.example]


@dataclass(frozen=True, kw_only=True)
class ValueFilter(Filter):
    """Rows whose field matches any of the values (a repeated parameter means OR)."""

    match: Match

    def condition(self, record_type: HasTable, values: list[Any]) -> ColumnElement[bool]:
        return self.match(record_type.table, values)


@dataclass(frozen=True)
class NumberRange:
    """The numbers a numeric field takes: whole or not, and its bounds (from the model's `ge` / `le`)."""

    whole: bool
    minimum: int | float
    maximum: int | float

    @property
    def schema(self) -> dict[str, Any]:
        """The JSON Schema of one such number."""
        return {"type": "integer" if self.whole else "number", "minimum": self.minimum, "maximum": self.maximum}

    def example(self, declared: Any, *, low: bool) -> Any:
        """The model's example of the field, else the lower (`low`) or upper bound."""
        if declared is not None:
            return declared
        return self.minimum if low else self.maximum

    def parse(self, field: str, value: str) -> int | float:
        """One number within the bounds, or a 400 naming `field`."""
        if self.whole:
            return parse_int(field, value, minimum=int(self.minimum), maximum=int(self.maximum))
        try:
            number = float(value)
        except ValueError:
            raise bad(field, f"'{value[:100]}' is not a number") from None
        if not math.isfinite(number):
            raise bad(field, f"'{value[:100]}' is not a finite number")
        if not self.minimum <= number <= self.maximum:
            raise bad(field, f"must be between {self.minimum} and {self.maximum}")
        return number


@dataclass(frozen=True, kw_only=True)
class RangeFilter(Filter):
    """`<field>_min` or `<field>_max`: rows whose number is at least (at most) the one value given.

    A record without the number never matches a bound."""

    column: str
    at_least: bool
    numbers: NumberRange

    def parse(self, values: list[str]) -> list[Any]:
        if len(values) > 1:
            raise bad(self.name, "give one number (a bound is not repeated)")
        return [self.numbers.parse(self.name, values[0])]

    def condition(self, record_type: HasTable, values: list[Any]) -> ColumnElement[bool]:
        column: sa.Column[Any] = record_type.table.c[self.column]
        bound = values[0]
        kept: ColumnElement[bool] = column >= bound if self.at_least else column <= bound
        return kept

    def documented(self) -> tuple[dict[str, Any], str, Any]:
        return self.numbers.schema, f"{self.description}.", self.example


@dataclass(frozen=True)
class SortKey:
    """A column a list can be sorted by; its values go into cursors as they are (text)."""

    name: str
    column: sa.Column[Any]
    nullable: bool

    def to_cursor(self, value: Any) -> Any:
        """A row's value as a cursor keeps it (JSON)."""
        return value

    def from_cursor(self, value: Any) -> Any:
        """A cursor's value back as the column's; ValueError when it cannot be one."""
        if isinstance(value, str):
            return value
        raise ValueError(f"not a cursor value of {self.name}: {value!r}")


class DateSortKey(SortKey):
    """A date column (a partial date sorts as its first day): ISO text in cursors."""

    def to_cursor(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    def from_cursor(self, value: Any) -> Any:
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
        raise ValueError(f"not a cursor value of {self.name}: {value!r}")


@dataclass(frozen=True)
class NumberSortKey(SortKey):
    """A numeric column: numbers in cursors."""

    whole: bool = True

    def from_cursor(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and not self.whole:
            return value
        raise ValueError(f"not a cursor value of {self.name}: {value!r}")


@dataclass(frozen=True)
class Facet:
    """What `facets=` (and the statistics) count a field by: a value per row of `source`, keyed by record id."""

    value: ColumnElement[Any]
    source: sa.Table
    record_id: ColumnElement[Any]
    labels: str | None = None
    """The record type whose ids the values are, when they are ids (their names can label them)."""
