"""Cross-tabs for dashboards: `/v1/stats?by=year,jurisdiction` counts records by one or two dimensions at once,
in long format (one row per combination of values), ready for Grafana, Datawrapper, pandas or a pivot table."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.records.registry import ACTOR, BY_NAME, RecordType
from app.records.repository import names_of
from app.stats.queries import GROUPED_BY, StatsSpec, _conditions, _text

DIMENSIONS = ("type", "kind", "status", "purpose", "year", "jurisdiction", "country", "tag")
"""What `by=` takes: one or two of these."""
LABELLED = ("jurisdiction", "country")
"""Dimensions whose values are actor ids: rows carry the actor's name in `<dimension>_label`."""
MAX_BY = 2


def _expression(record_type: RecordType, dimension: str) -> ColumnElement[Any] | None:
    """The grouped expression of one dimension on one type, or None when the type does not have it."""
    table = record_type.table
    if dimension == "type":
        return sa.literal_column("'type'")  # stands for the type's name, filled in without SQL
    if dimension == "year":
        return sa.extract("year", table.c[record_type.main_date]) if record_type.main_date else None
    if dimension == "tag":
        return record_type.child_tables["tags"].c.value
    for stored in record_type.fields:
        if stored.alias != dimension or dimension not in (*GROUPED_BY, *LABELLED):
            continue
        facet = stored.facet(table)
        if facet is not None and facet.source is table and (dimension not in LABELLED or facet.labels == ACTOR.name):
            return facet.value
    return None


def has_dimensions(record_type: RecordType, by: list[str]) -> bool:
    """True when every dimension of `by` applies to the type."""
    return all(_expression(record_type, d) is not None for d in by)


def crosstab(connection: sa.Connection, spec: StatsSpec, by: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """The records counted and one row per combination of values of `by`, summed over the chosen types
    that have every dimension; a value not set is None. Tags count a record once per tag (records without
    tags are not counted under `tag`)."""
    summed: dict[tuple[str | None, ...], int] = defaultdict(int)
    total = 0
    for name in spec.types:
        record_type = BY_NAME[name]
        if not has_dimensions(record_type, by):
            continue
        terms = _conditions(record_type, spec)
        counted = sa.select(sa.func.count()).select_from(record_type.table).where(*terms)
        total += connection.execute(counted).scalar_one()
        grouped = [e for d in by if d != "type" and (e := _expression(record_type, d)) is not None]
        query = sa.select(*grouped, sa.func.count()).select_from(record_type.table)
        if "tag" in by:
            tags = record_type.child_tables["tags"]
            query = query.select_from(record_type.table.join(tags, tags.c.record_id == record_type.table.c.id))
        for *values, n in connection.execute(query.where(*terms).group_by(*grouped)).all():
            found = iter(values)
            summed[tuple(name if d == "type" else _text(next(found)) for d in by)] += n
    ids = {v for key in summed for v, d in zip(key, by, strict=True) if d in LABELLED and v is not None}
    names = names_of(connection, ACTOR, ids) if ids else {}
    rows = []
    for key in sorted(summed, key=lambda k: [(v is None, v or "") for v in k]):
        row: dict[str, Any] = {}
        for dimension, value in zip(by, key, strict=True):
            row[dimension] = value
            if dimension in LABELLED:
                row[f"{dimension}_label"] = names.get(value) if value is not None else None
        row["count"] = summed[key]
        rows.append(row)
    return total, rows


def columns(by: list[str]) -> list[str]:
    """CSV columns of a cross-tab: each dimension (and its label), then `count`."""
    found: list[str] = []
    for dimension in by:
        found.append(dimension)
        if dimension in LABELLED:
            found.append(f"{dimension}_label")
    return [*found, "count"]
