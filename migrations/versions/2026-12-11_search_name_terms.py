"""search on SQLite: each name word's documents in their order of relevance

A one-word search's names tier holds every record whose name has the word;
for a common word that is thousands (4,200 statements for each of
bench/run's words at 100k), and FTS5 can only rank them by scoring each
(bm25: a read of its sizes and positions), so such a level was ranked a
block of 1,024 at a time. `search_name_terms` holds one row per (word of the
`names` column, document), keyed by the word, then `rank`, then doc_id, so
the best documents of such a level are the first rows of one index range
(app/search/repository.py).

`rank` is bm25 of the word in the names, as FTS5 computes it for that tier
(k1 1.2, b 0.75, the names column's weight 5: app/search/backends.py), with
one difference: the average document length is a constant, AVERAGE_LENGTH,
not the index's, so that a document's rank depends on itself alone (its
occurrences of the word, its length in terms over the four term columns, as
app/search/index.document_length counts them) and no write changes another
document's. With the index's own average the order is bm25's over the whole
level (the idf is the same for every document of it); with 75 terms, at
100k statements (average 74.1), a first page of bench/run's words held on
average 50 of the level's 50 best by bm25 (48 with 80, 46 with 60), where
ranking the first 1,024 matches held 29. It is kept as
`(2.2 - score) × 10^6`, an integer, lower first. Triggers on
`search_documents` keep the table exact with every write of the index
(load, side index, refresh, rebuild); rows already indexed are copied at the
upgrade. The words are letters and digits (app/search/text.py), so splitting
the space-separated `names` column through a JSON array is safe.

PostgreSQL is unchanged: it ranks every match (`search_names`, 0008).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-11 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _words(row: str) -> str:
    """The JSON array of the words in the `names` column of `row` (space-separated letters and digits)."""
    return f"""json_each('["' || replace({row}.names, ' ', '","') || '"]')"""


def _length(row: str) -> str:
    """How many terms the four term columns of `row` hold together (`document_length`)."""
    return " + ".join(
        f"(CASE WHEN {row}.{column} = '' THEN 0 ELSE length({row}.{column}) - length(replace({row}.{column}, ' ', '')) "
        "+ 1 END)"
        for column in ("exact", "names", "aliases", "body")
    )


AVERAGE_LENGTH = 75.0
"""The average document length (in terms) bm25 is computed with here: about the synthetic seeds' (74 at 100k)."""


def _rank(occurrences: str, length: str) -> str:
    """SQL of a document's rank for a word it holds `occurrences` times in its names, being `length` terms long:
    bm25 with FTS5's constants and the names column's weight, the average length AVERAGE_LENGTH."""
    frequency = f"5.0 * {occurrences}"
    norm = f"1.2 * (0.25 + 0.75 * ({length}) / {AVERAGE_LENGTH})"
    return f"CAST((2.2 - {frequency} * 2.2 / ({frequency} + {norm})) * 1000000 AS INTEGER)"


def _rows(row: str, source: str = "") -> str:
    """SELECT of the `search_name_terms` rows of the documents `row` (one per distinct word of each one's names),
    from `source` (a table and a comma) when not a trigger's row."""
    return (
        f"SELECT w.value, {_rank('count(*)', _length(row))}, {row}.doc_id "
        f"FROM {source}{_words(row)} AS w WHERE w.value != '' GROUP BY {row}.doc_id, w.value"
    )


SQLITE_UPGRADE = [
    """
    CREATE TABLE search_name_terms (
        term TEXT NOT NULL,
        rank INTEGER NOT NULL,
        doc_id INTEGER NOT NULL,
        CONSTRAINT pk_search_name_terms PRIMARY KEY (term, rank, doc_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX ix_search_name_terms_doc_id ON search_name_terms (doc_id)",
    f"""
    CREATE TRIGGER search_name_terms_insert AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_name_terms (term, rank, doc_id) {_rows("new")};
    END
    """,
    """
    CREATE TRIGGER search_name_terms_delete AFTER DELETE ON search_documents BEGIN
        DELETE FROM search_name_terms WHERE doc_id = old.doc_id;
    END
    """,
    f"INSERT INTO search_name_terms (term, rank, doc_id) {_rows('d', 'search_documents AS d, ')}",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER search_name_terms_delete",
    "DROP TRIGGER search_name_terms_insert",
    "DROP TABLE search_name_terms",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
