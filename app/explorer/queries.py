"""The few reads the explorer needs that no API endpoint makes: the latest entries of the change log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.changes.queries import entry
from app.core.state import changes
from app.records.items import display_names


def latest_changes(connection: sa.Connection, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` change-log entries, newest first, each with the record's name (none when deleted)."""
    rows = connection.execute(sa.select(changes).order_by(changes.c.seq.desc()).limit(limit)).mappings().all()
    entries = [entry(row) for row in rows]
    wanted: dict[str, set[str]] = {}
    for e in entries:
        if e["action"] != "deleted":
            wanted.setdefault(e["type"], set()).add(e["id"])
    names = display_names(connection, wanted)
    for e in entries:
        e["name"] = names.get(e["type"], {}).get(e["id"])
    return entries
