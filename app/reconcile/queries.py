"""The SQL of reconciliation besides search's: one record looked up by its typed id, in the search index."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa

from app.search.index import search_documents


def indexed_record(connection: sa.Connection, record_type: str, record_id: str) -> tuple[str, dict[str, Any]] | None:
    """The display name and searchable fields of one record, as the search index holds them; None if absent."""
    table = search_documents
    row = connection.execute(
        sa.select(table.c.name, table.c.fields).where(
            table.c.record_type == record_type, table.c.record_id == record_id
        )
    ).first()
    if row is None:
        return None
    fields: dict[str, Any] = orjson.loads(row.fields)
    return row.name, fields
