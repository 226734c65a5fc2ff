"""Where SQLite and PostgreSQL differ for search, behind one small interface.

Both store one row per record in `search_documents` (type, id, display name,
the original searchable text as JSON) and index four term columns, from most
to least telling: `exact` (compact full-name keys), `names` (name, other-
language names, pinyin), `aliases`, `body` (summary and the type's text
fields). The terms come from app/search/text.py, space-separated; neither
engine tokenises or stems them any further in a way that matters.

- SQLite: an external-content FTS5 table `search_fts` over `search_documents`
  (tokenizer unicode61 without diacritic removal, prefix indexes for 2 and 3
  characters). Rows leave the index through FTS5's `delete` command, fed the
  stored terms in one INSERT … SELECT.
- PostgreSQL: a `document tsvector` column with a GIN index, written as a
  tsvector literal (weights A exact, B names, C aliases, D body) so that
  PostgreSQL's parser never re-splits a term.

A tier of the ranking is a match of every query term in some columns; each
backend turns one into its own MATCH / tsquery text, built only from
normalised terms (letters and digits), never from the user's syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa

from app.search.text import QueryTerms

COLUMNS = ("exact", "names", "aliases", "body")
"""The indexed term columns, most telling first."""
BATCH = 2000
"""Rows per statement when writing or deleting index rows."""
MAX_POSITION = 16383
"""PostgreSQL keeps positions up to this."""
MAX_POSITIONS_PER_TERM = 255


@dataclass(frozen=True)
class SearchDocument:
    """One record as the index holds it."""

    record_type: str
    record_id: str
    name: str
    fields: str
    """The original searchable text as JSON (for snippets and `matched`)."""
    columns: dict[str, list[str]]
    """Terms per indexed column (see COLUMNS)."""


@dataclass(frozen=True)
class Tier:
    """One level of the ranking: every query term found in these columns."""

    rank: int
    columns: tuple[str, ...]
    prefix: bool
    """Whether prefix terms may match longer words."""
    compact: bool = False
    """Match the query's compact key (exact full names) instead of its terms."""
    scored: bool = False
    """Compute the engine's relevance here (the broadest tier) to order within a tier."""


TIERS = (
    Tier(0, ("exact",), prefix=False, compact=True),
    Tier(1, ("names",), prefix=False),
    Tier(2, ("aliases",), prefix=False),
    Tier(3, ("names", "aliases"), prefix=True),
    Tier(4, ("names", "aliases", "body"), prefix=True, scored=True),
)


class SearchBackend(Protocol):
    """What search needs from a database engine."""

    def insert(self, connection: sa.Connection, documents: Sequence[SearchDocument]) -> None:
        """Add index rows (their records have none yet)."""

    def delete(self, connection: sa.Connection, record_type: str, record_ids: Sequence[str]) -> None:
        """Remove the index rows of these records, if any."""

    def clear(self, connection: sa.Connection) -> None:
        """Remove every index row."""

    def tier_hits(self, tier: Tier, terms: QueryTerms) -> tuple[str, dict[str, Any]]:
        """SQL selecting (doc_id, tier, score) of the documents in `tier`, and its parameters."""


def _chunks(items: Sequence[Any], size: int = BATCH) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class SqliteFts5:
    """SQLite: an external-content FTS5 table over search_documents."""

    WEIGHTS = "10.0, 5.0, 3.0, 1.0"
    """bm25 weight of each column of COLUMNS."""

    def insert(self, connection: sa.Connection, documents: Sequence[SearchDocument]) -> None:
        first = connection.exec_driver_sql("SELECT COALESCE(MAX(doc_id), 0) FROM search_documents").scalar_one()
        for offset, chunk in enumerate(_chunks(documents)):
            start = first + offset * BATCH + 1
            rows = [
                (start + i, d.record_type, d.record_id, d.name, d.fields, *(" ".join(d.columns[c]) for c in COLUMNS))
                for i, d in enumerate(chunk)
            ]
            connection.exec_driver_sql(
                "INSERT INTO search_documents (doc_id, record_type, record_id, name, fields, exact, names, aliases, "
                "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            connection.exec_driver_sql(
                "INSERT INTO search_fts (rowid, exact, names, aliases, body) VALUES (?, ?, ?, ?, ?)",
                [(row[0], *row[5:]) for row in rows],
            )

    def delete(self, connection: sa.Connection, record_type: str, record_ids: Sequence[str]) -> None:
        for chunk in _chunks(record_ids):
            marks = ", ".join("?" * len(chunk))
            where = f"record_type = ? AND record_id IN ({marks})"
            params = (record_type, *chunk)
            connection.exec_driver_sql(
                "INSERT INTO search_fts (search_fts, rowid, exact, names, aliases, body) "
                f"SELECT 'delete', doc_id, exact, names, aliases, body FROM search_documents WHERE {where}",
                params,
            )
            connection.exec_driver_sql(f"DELETE FROM search_documents WHERE {where}", params)

    def clear(self, connection: sa.Connection) -> None:
        connection.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
        connection.exec_driver_sql("DELETE FROM search_documents")

    def tier_hits(self, tier: Tier, terms: QueryTerms) -> tuple[str, dict[str, Any]]:
        if tier.compact:
            expression = f'"{terms.compact}"'
        else:
            prefixes = terms.prefixes if tier.prefix else frozenset()
            expression = " AND ".join(f'"{t}"' + ("*" if t in prefixes else "") for t in terms.terms)
        match = f"{{{' '.join(tier.columns)}}} : ({expression})"
        score = f"bm25(search_fts, {self.WEIGHTS})" if tier.scored else "NULL"
        name = f"m{tier.rank}"
        sql = (
            f"SELECT rowid AS doc_id, {tier.rank} AS tier, {score} AS score "
            f"FROM search_fts WHERE search_fts MATCH :{name}"
        )
        return sql, {name: match}


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresTsvector:
    """PostgreSQL: a weighted tsvector column with a GIN index."""

    WEIGHT: ClassVar[dict[str, str]] = {"exact": "A", "names": "B", "aliases": "C", "body": "D"}

    def tsvector_literal(self, columns: dict[str, list[str]]) -> str:
        """The document as tsvector input text: each term with its positions and column weight."""
        positions: dict[str, list[str]] = {}
        position = 0
        for column in COLUMNS:
            weight = self.WEIGHT[column]
            for term in columns[column]:
                position = min(position + 1, MAX_POSITION)
                seen = positions.setdefault(term, [])
                if len(seen) < MAX_POSITIONS_PER_TERM:
                    seen.append(f"{position}{weight}")
        return " ".join(f"{_lexeme(term)}:{','.join(places)}" for term, places in positions.items())

    def insert(self, connection: sa.Connection, documents: Sequence[SearchDocument]) -> None:
        sql = (
            "INSERT INTO search_documents (record_type, record_id, name, fields, document) "
            "SELECT t, i, n, f, d::tsvector FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) "
            "AS u(t, i, n, f, d)"
        )
        for chunk in _chunks(documents):
            arrays = (
                [d.record_type for d in chunk],
                [d.record_id for d in chunk],
                [d.name for d in chunk],
                [d.fields for d in chunk],
                [self.tsvector_literal(d.columns) for d in chunk],
            )
            connection.exec_driver_sql(sql, arrays)

    def delete(self, connection: sa.Connection, record_type: str, record_ids: Sequence[str]) -> None:
        for chunk in _chunks(record_ids):
            connection.exec_driver_sql(
                "DELETE FROM search_documents WHERE record_type = %s AND record_id = ANY(%s::text[])",
                (record_type, list(chunk)),
            )

    def clear(self, connection: sa.Connection) -> None:
        # DELETE, not TRUNCATE: readers keep seeing the old index until the load commits.
        connection.exec_driver_sql("DELETE FROM search_documents")

    def tier_hits(self, tier: Tier, terms: QueryTerms) -> tuple[str, dict[str, Any]]:
        weights = "".join(self.WEIGHT[c] for c in tier.columns)
        if tier.compact:
            query = f"{_lexeme(terms.compact)}:{weights}"
        else:
            prefixes = terms.prefixes if tier.prefix else frozenset()
            query = " & ".join(f"{_lexeme(t)}:{'*' if t in prefixes else ''}{weights}" for t in terms.terms)
        name = f"m{tier.rank}"
        score = (
            f"-CAST(ts_rank(document, CAST(:{name} AS tsquery)) AS DOUBLE PRECISION)"
            if tier.scored
            else "CAST(NULL AS DOUBLE PRECISION)"
        )
        sql = (
            f"SELECT doc_id, {tier.rank} AS tier, {score} AS score FROM search_documents "
            f"WHERE document @@ CAST(:{name} AS tsquery)"
        )
        return sql, {name: query}


def backend_for(connection: sa.Connection) -> SearchBackend:
    """The search backend of this connection's database."""
    return SqliteFts5() if connection.dialect.name == "sqlite" else PostgresTsvector()
