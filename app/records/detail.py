"""The API's view of records: every field present, references expanded one level, sources embedded.

A record's detail adds `referenced_by`: for every field of another type that
can point at it (a statement's speaker, a policy's targets, any record's
sources ...), how many records do, the first few, and the list URL that gives
them all (`/v1/statements?speaker=xi-jinping`). Dependencies carry `disputed`
and `disputed_by` (app/records/disputes.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.records.items import items_from_rows
from app.records.listing import Filter, ListSpec, filters_for, order_terms, parse_sort
from app.records.registry import RECORD_TYPE_LIST, RecordType

REFERENCED_BY_ITEMS = 20


def reverse_filters(target: RecordType) -> list[tuple[RecordType, Filter]]:
    """Every (type, filter) whose values are ids of `target` records."""
    return [
        (other, flt) for other in RECORD_TYPE_LIST for flt in filters_for(other).values() if target.name in flt.targets
    ]


def referrer_keys(record_type: RecordType) -> tuple[str, ...]:
    """What a record of this type shows in another's `referenced_by`, in order (those of its item's keys)."""
    return ("type", "id", "name", *record_type.item_fields, "disputed", "disputed_by")


def referenced_by(connection: sa.Connection, record_type: RecordType, record_id: str) -> dict[str, Any]:
    """Who points at this record, per field: total, the first items, and the list URL for all of them."""
    links: dict[str, Any] = {}
    for other, flt in reverse_filters(record_type):
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
        items = items_from_rows(connection, other, rows, embed_sources=False)
        keep = referrer_keys(other)
        links[f"{other.plural}.{flt.name}"] = {
            "total": total,
            "items": [{k: item[k] for k in keep if k in item} for item in items],
            "href": f"/v1/{other.plural}?{flt.name}={value}",
        }
    return links


def record_detail(connection: sa.Connection, record_type: RecordType, record_id: str) -> dict[str, Any] | None:
    """One record as the API shows it, with what refers to it; None when there is no such record."""
    table = record_type.table
    rows = connection.execute(sa.select(table).where(table.c.id == record_id)).mappings().all()
    if not rows:
        return None
    body = items_from_rows(connection, record_type, rows)[0]
    body["referenced_by"] = referenced_by(connection, record_type, record_id)
    return body


def stored_hash(connection: sa.Connection, record_type: RecordType, record_id: str) -> str | None:
    """The stored record's content hash (what its ETag is made from); None when there is no such record."""
    table = record_type.table
    found: str | None = connection.execute(sa.select(table.c.content_hash).where(table.c.id == record_id)).scalar()
    return found
