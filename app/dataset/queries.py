"""Questions about the dataset as a whole."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.core.dates import utc
from app.core.state import current_version, dataset_state
from app.records.registry import RECORD_TYPE_LIST


def dataset_card(connection: sa.Connection) -> dict[str, Any]:
    """Version, last change, counts per type and the quality figures of the last load."""
    version, changed_at = current_version(connection)
    quality = connection.execute(sa.select(dataset_state.c.quality)).scalar()
    counts = {}
    for record_type in RECORD_TYPE_LIST:
        counts[record_type.plural] = connection.execute(
            sa.select(sa.func.count()).select_from(record_type.table)
        ).scalar_one()
    return {
        "version": version,
        "last_change": utc(changed_at) if changed_at else None,
        "counts": counts,
        "quality": quality,
    }
