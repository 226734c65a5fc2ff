"""The SQL of search: one ranked page of hits, and the labels fuzzy suggestions are drawn from.

A page is one statement. The ranking tiers (app/search/backends.py) select
the documents matching every query term in their columns through the engine's
full-text index; a document takes its best tier (a source just after the
other records of its tier: citations come after what they back), then the
engine's relevance from the broadest tier (bm25 / ts_rank, as an integer so
cursors compare exactly), then type and id. Pages follow that order by keyset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from app.records.registry import BY_NAME, RECORD_TYPE_LIST
from app.search.backends import backend_for
from app.search.text import QueryTerms

SCORE_SCALE = 1_000_000
"""Relevance is kept to six decimals, as an integer."""


@dataclass(frozen=True)
class Hit:
    """One matching record, with its place in the order."""

    tier: int
    score: int
    record_type: str
    record_id: str
    name: str
    fields: dict[str, Any]

    @property
    def position(self) -> list[Any]:
        """The sort values a cursor keeps."""
        return [self.tier, self.score, self.record_type, self.record_id]


def search_page(
    connection: sa.Connection,
    terms: QueryTerms,
    types: list[str],
    limit: int,
    after: list[Any] | None,
) -> list[Hit]:
    """Up to `limit` hits in rank order, after the cursor's position when given."""
    hits, params = backend_for(connection).hits(terms)
    params["limit"] = limit
    conditions: list[str] = []
    if types:
        conditions.append("d.record_type IN :types")
        params["types"] = types
    outer: list[str] = []
    if after is not None:
        outer.append("(tier, score, record_type, record_id) > (:a_tier, :a_score, :a_type, :a_id)")
        params.update(a_tier=after[0], a_score=after[1], a_type=after[2], a_id=after[3])
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    outer_where = f"WHERE {' AND '.join(outer)}" if outer else ""
    sql = f"""
        WITH hits AS ({hits}),
        best AS (
            SELECT doc_id, MIN(tier) AS tier, COALESCE(MIN(score), 0) AS score FROM hits GROUP BY doc_id
        ),
        ranked AS (
            SELECT b.tier * 2 + CASE WHEN d.record_type = 'source' THEN 1 ELSE 0 END AS tier,
                   CAST(b.score * {SCORE_SCALE} AS BIGINT) AS score,
                   d.record_type AS record_type, d.record_id AS record_id, d.name AS name, d.fields AS fields
            FROM best b JOIN search_documents d ON d.doc_id = b.doc_id
            {where}
        )
        SELECT tier, score, record_type, record_id, name, fields FROM ranked
        {outer_where}
        ORDER BY tier, score, record_type, record_id
        LIMIT :limit
    """
    statement = sa.text(sql)
    if types:
        statement = statement.bindparams(sa.bindparam("types", expanding=True))
    rows = connection.execute(statement, params).all()
    return [
        Hit(int(tier), int(score), record_type, record_id, name, orjson.loads(fields))
        for tier, score, record_type, record_id, name, fields in rows
    ]


def labels(connection: sa.Connection, types: list[str]) -> list[str]:
    """Every name, other-language name and alias of the records of these types (all types when empty)."""
    found: list[str] = []
    for record_type in [BY_NAME[t] for t in types] or RECORD_TYPE_LIST:
        table = record_type.table
        for name, names, aliases in connection.execute(sa.select(table.c.name, table.c.names, table.c.aliases)):
            found.append(name)
            found.extend((names or {}).values())
            found.extend(aliases or [])
    return found
