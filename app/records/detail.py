"""The API's view of records: every field present, references expanded one level, sources embedded.

A record's detail adds `referenced_by`: for every field of another type that
can point at it (a statement's speaker, a policy's targets, any record's
sources ...), how many records do, the first few, and the list URL that gives
them all (`/v1/statements?speaker=xi-jinping`). Dependencies carry `disputed`
and `disputed_by` (app/records/disputes.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from app.records.disputes import disputes
from app.records.listing import Filter, ListSpec, filters_for, order_terms, parse_sort
from app.records.registry import BY_NAME, DEPENDENCY, RECORD_TYPE_LIST, SOURCE, RecordType
from app.records.repository import Pair, fetch_records, names_of, records_from_rows

SOURCE_FIELDS = ("title", "publisher", "original_publisher", "url", "published_on", "language", "kind")
REFERENCED_BY_ITEMS = 20
# What a record shows when it appears in another record's `referenced_by`.
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "actor": ("kind",),
    "policy": ("kind", "status", "effective_on"),
    "statement": ("said_on", "speaker"),
    "hardware": ("kind",),
    "dependency": ("dependent", "depends_on", "purpose", "system", "status"),
    "source": ("published_on", "url"),
}


def utc(value: dt.datetime) -> str:
    """A stored timestamp as ISO 8601 in UTC (SQLite hands them back without a zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def present(
    connection: sa.Connection, record_type: RecordType, pairs: list[Pair], *, embed_sources: bool = True
) -> list[dict[str, Any]]:
    """API representations of records: one query per referenced type, whatever the number of records."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for record, _row in pairs:
        for ref in record_type.references(record):
            wanted[ref.target_type].add(ref.target_id)
    source_ids = wanted.pop("source", set()) if embed_sources else set()
    names = {t: names_of(connection, BY_NAME[t], ids) for t, ids in wanted.items()}

    def link(target_type: str, target_id: str) -> dict[str, Any]:
        return {"id": target_id, "type": target_type, "name": names.get(target_type, {}).get(target_id)}

    sources = {
        s["id"]: {"id": s["id"], "type": "source", "name": s["name"], **{f: s.get(f) for f in SOURCE_FIELDS}}
        for s, _ in fetch_records(connection, SOURCE, sorted(source_ids))
    }
    disputed = disputes(connection, [r["id"] for r, _ in pairs]) if record_type is DEPENDENCY else {}
    shown = []
    for record, row in pairs:
        body: dict[str, Any] = {"type": record_type.name, "id": record["id"]}
        for field in record_type.fields:
            value = record.get(field.alias, field.empty)
            if field.alias == "sources" and embed_sources:
                body["sources"] = [sources.get(i, link("source", i)) for i in value]
            else:
                body[field.alias] = field.expand(value, link)
        if record_type is DEPENDENCY:
            body["disputed"] = bool(disputed.get(record["id"]))
            body["disputed_by"] = disputed.get(record["id"], [])
        body["created_at"] = utc(row["created_at"])
        body["updated_at"] = utc(row["updated_at"])
        shown.append(body)
    return shown


def _reverse_filters(target: RecordType) -> list[tuple[RecordType, Filter]]:
    """Every (type, filter) whose values are ids of `target` records."""
    return [
        (other, flt) for other in RECORD_TYPE_LIST for flt in filters_for(other).values() if target.name in flt.targets
    ]


def referenced_by(connection: sa.Connection, record_type: RecordType, record_id: str) -> dict[str, Any]:
    """Who points at this record, per field: total, the first items, and the list URL for all of them."""
    links: dict[str, Any] = {}
    for other, flt in _reverse_filters(record_type):
        value = f"{record_type.name}:{record_id}" if len(flt.targets) > 1 else record_id
        condition = flt.condition(other, [value])
        total = connection.execute(sa.select(sa.func.count()).select_from(other.table).where(condition)).scalar_one()
        if not total:
            continue
        order = order_terms(ListSpec(sort=parse_sort(other, other.default_sort)))
        rows = (
            connection.execute(sa.select(other.table).where(condition).order_by(*order).limit(REFERENCED_BY_ITEMS))
            .mappings()
            .all()
        )
        items = present(connection, other, records_from_rows(connection, other, list(rows)), embed_sources=False)
        keep = ("type", "id", "name", *ITEM_FIELDS[other.name], "disputed", "disputed_by")
        links[f"{other.plural}.{flt.name}"] = {
            "total": total,
            "items": [{k: item[k] for k in keep if k in item} for item in items],
            "href": f"/v1/{other.plural}?{flt.name}={value}",
        }
    return links


def record_detail(connection: sa.Connection, record_type: RecordType, record_id: str) -> dict[str, Any] | None:
    """One record as the API shows it, with what refers to it; None when there is no such record."""
    pairs = fetch_records(connection, record_type, [record_id])
    if not pairs:
        return None
    body = present(connection, record_type, pairs)[0]
    body["referenced_by"] = referenced_by(connection, record_type, record_id)
    return body
