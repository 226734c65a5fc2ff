"""SQL of the change feed: rows of the `changes` table after a version, a time or a cursor, in `seq` order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.core.dates import utc
from app.core.state import changes, current_version
from app.records.registry import BY_NAME

BATCH = 1000


@dataclass
class ChangesSpec:
    """A parsed change-feed request."""

    since_version: int | None = None
    since_time: dt.datetime | None = None
    types: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    limit: int = 50
    after_seq: int | None = None


def _query(spec: ChangesSpec, limit: int) -> sa.Select[Any]:
    query = sa.select(changes).order_by(changes.c.seq).limit(limit + 1)
    if spec.since_version is not None:
        query = query.where(changes.c.version > spec.since_version)
    if spec.since_time is not None:
        query = query.where(changes.c.changed_at > spec.since_time)
    if spec.types:
        query = query.where(changes.c.record_type.in_(spec.types))
    if spec.actions:
        query = query.where(changes.c.action.in_(spec.actions))
    if spec.after_seq is not None:
        query = query.where(changes.c.seq > spec.after_seq)
    return query


def entry(row: sa.RowMapping) -> dict[str, Any]:
    """One line of the feed; a deleted record is a tombstone (no `href`)."""
    record_type = row["record_type"]
    deleted = row["action"] == "deleted"
    return {
        "version": row["version"],
        "type": record_type,
        "id": row["record_id"],
        "action": row["action"],
        "changed_at": utc(row["changed_at"]),
        "href": None if deleted else f"/v1/{BY_NAME[record_type].plural}/{row['record_id']}",
    }


def changes_page(connection: sa.Connection, spec: ChangesSpec) -> tuple[list[dict[str, Any]], int | None, int]:
    """One page of entries, the `seq` the next page starts after (None on the last), and the dataset version."""
    rows = list(connection.execute(_query(spec, spec.limit)).mappings())
    next_seq = None
    if len(rows) > spec.limit:
        rows = rows[: spec.limit]
        next_seq = int(rows[-1]["seq"])
    return [entry(r) for r in rows], next_seq, current_version(connection)[0]


def all_changes(connection: sa.Connection, spec: ChangesSpec) -> Iterator[list[dict[str, Any]]]:
    """Every matching entry, batch by batch along `seq` (CSV and NDJSON ignore `limit`)."""
    after = spec.after_seq
    while True:
        paged = ChangesSpec(**{**spec.__dict__, "after_seq": after})
        rows = list(connection.execute(_query(paged, BATCH)).mappings())
        if rows[:BATCH]:
            yield [entry(r) for r in rows[:BATCH]]
        if len(rows) <= BATCH:
            return
        after = int(rows[BATCH - 1]["seq"])
