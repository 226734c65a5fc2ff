"""SQL of the statistics: one GROUP BY per dimension over the filtered records of each type."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.records.listing import filters_for
from app.records.registry import ACTOR, BY_NAME, POLICY, RECORD_TYPE_LIST, RecordType
from app.records.repository import names_of

GROUPED_BY = ("kind", "status", "purpose")
"""Enum fields counted per type when the type has them."""
LABELLED = {("policy", "jurisdiction"), ("actor", "country")}
"""Dimensions whose values are actor ids: rows carry the actor's name as `label`."""


@dataclass
class StatsSpec:
    """A parsed stats request."""

    types: list[str] = field(default_factory=lambda: [t.name for t in RECORD_TYPE_LIST])
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Row:
    """One count: the dimension, the value (None when not set), how many, and a display label for ids."""

    dimension: str
    value: str | None
    count: int
    label: str | None = None


def _conditions(record_type: RecordType, spec: StatsSpec) -> list[ColumnElement[bool]]:
    terms: list[ColumnElement[bool]] = []
    if spec.tags:
        terms.append(filters_for(record_type)["tag"].condition(record_type, spec.tags))
    if record_type.main_date and (spec.date_from or spec.date_to):
        column = record_type.table.c[record_type.main_date]
        if spec.date_from:
            terms.append(column >= spec.date_from)
        if spec.date_to:
            terms.append(column <= spec.date_to)
    return terms


def _grouped(
    connection: sa.Connection, record_type: RecordType, value: ColumnElement[Any], terms: list[ColumnElement[bool]]
) -> list[tuple[Any, int]]:
    query = sa.select(value.label("value"), sa.func.count().label("n")).where(*terms).group_by(value)
    return [(v, n) for v, n in connection.execute(query.select_from(record_type.table)).all()]


def _dimensions(record_type: RecordType) -> list[tuple[str, ColumnElement[Any]]]:
    """(dimension name, grouped expression) of one type: its enums, year, jurisdiction or country."""
    table = record_type.table
    found: list[tuple[str, ColumnElement[Any]]] = []
    for stored in record_type.fields:
        if stored.alias in GROUPED_BY or (record_type.name, stored.alias) in LABELLED:
            facet = stored.facet(table)
            if facet is not None and facet.source is table:
                found.append((f"{record_type.name}.{stored.alias}", facet.value))
    if record_type.main_date:
        found.append((f"{record_type.name}.year", sa.extract("year", table.c[record_type.main_date])))
    return found


def _text(value: Any) -> str | None:
    """A grouped value as text: years come back as int, float or Decimal depending on the engine."""
    if value is None or isinstance(value, str):
        return value
    return str(int(value))


def counts(connection: sa.Connection, spec: StatsSpec) -> tuple[int, list[Row]]:
    """The total and every count row, unsorted."""
    rows: list[Row] = []
    by_year: dict[str | None, int] = defaultdict(int)
    by_tag: dict[str, int] = defaultdict(int)
    total = 0
    labelled: dict[str, set[str]] = defaultdict(set)
    for name in spec.types:
        record_type = BY_NAME[name]
        terms = _conditions(record_type, spec)
        count = connection.execute(sa.select(sa.func.count()).select_from(record_type.table).where(*terms)).scalar_one()
        total += count
        rows.append(Row("type", name, count))
        for dimension, expression in _dimensions(record_type):
            for value, n in _grouped(connection, record_type, expression, terms):
                text = _text(value)
                rows.append(Row(dimension, text, n))
                if dimension.endswith(".year"):
                    by_year[text] += n
                elif text is not None and dimension in (f"{POLICY.name}.jurisdiction", f"{ACTOR.name}.country"):
                    labelled[dimension].add(text)
        tags = record_type.child_tables["tags"]
        tag_query = sa.select(tags.c.value, sa.func.count()).group_by(tags.c.value)
        if terms:  # unfiltered, the tag index alone answers (30x faster on 200k statements than through IN)
            tag_query = tag_query.where(tags.c.record_id.in_(sa.select(record_type.table.c.id).where(*terms)))
        for value, n in connection.execute(tag_query).all():
            by_tag[value] += n
    rows.extend(Row("year", year, n) for year, n in by_year.items())
    rows.extend(Row("tag", tag, n) for tag, n in by_tag.items())
    names = names_of(connection, ACTOR, set().union(*labelled.values())) if labelled else {}
    for row in rows:
        if row.dimension in labelled and row.value is not None:
            row.label = names.get(row.value)
    return total, rows


def ordered(rows: list[Row]) -> list[Row]:
    """Years in time order (unknown last); everything else largest first, then by value."""
    dimension_order: dict[str, int] = {}
    for row in rows:
        dimension_order.setdefault(row.dimension, len(dimension_order))

    def key(row: Row) -> tuple[Any, ...]:
        unknown = row.value is None
        if row.dimension == "year" or row.dimension.endswith(".year"):
            return (dimension_order[row.dimension], unknown, row.value or "", 0)
        return (dimension_order[row.dimension], unknown, -row.count, row.value or "")

    return sorted(rows, key=key)
