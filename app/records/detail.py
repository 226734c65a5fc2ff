"""The API's view of records: every field present, references expanded one level, sources embedded."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from app.records.registry import BY_NAME, SOURCE, RecordType
from app.records.repository import fetch_records, names_of

SOURCE_FIELDS = ("title", "publisher", "original_publisher", "url", "published_on", "language", "kind")


def utc(value: dt.datetime) -> str:
    """A stored timestamp as ISO 8601 in UTC (SQLite hands them back without a zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def present(
    connection: sa.Connection, record_type: RecordType, pairs: list[tuple[dict[str, Any], sa.RowMapping]]
) -> list[dict[str, Any]]:
    """API representations of records, with one query per referenced type for the names."""
    wanted: dict[str, set[str]] = defaultdict(set)
    source_ids: set[str] = set()
    for record, _row in pairs:
        for ref in record_type.references(record):
            wanted[ref.target_type].add(ref.target_id)
        source_ids.update(record.get("sources", ()))
    names = {t: names_of(connection, BY_NAME[t], ids) for t, ids in wanted.items()}

    def link(target_type: str, target_id: str) -> dict[str, Any]:
        return {"id": target_id, "type": target_type, "name": names.get(target_type, {}).get(target_id)}

    sources = {
        s["id"]: {"id": s["id"], "type": "source", "name": s["name"], **{f: s.get(f) for f in SOURCE_FIELDS}}
        for s, _ in fetch_records(connection, SOURCE, sorted(source_ids))
    }
    shown = []
    for record, row in pairs:
        body: dict[str, Any] = {"type": record_type.name, "id": record["id"]}
        for field in record_type.fields:
            value = record.get(field.alias, field.empty)
            if field.alias == "sources":
                body["sources"] = [sources.get(i, link("source", i)) for i in value]
            else:
                body[field.alias] = field.expand(value, link)
        body["created_at"] = utc(row["created_at"])
        body["updated_at"] = utc(row["updated_at"])
        shown.append(body)
    return shown


def record_detail(connection: sa.Connection, record_type: RecordType, record_id: str) -> dict[str, Any] | None:
    """One record as the API shows it, or None."""
    pairs = fetch_records(connection, record_type, [record_id])
    return present(connection, record_type, pairs)[0] if pairs else None
