"""search on SQLite: each name word's documents in their order of relevance

A one-word search's names tier holds every record whose name has the word;
for a common word that is thousands (4,200 statements for each of
bench/run's words at 100k), and FTS5 can only rank them by scoring each
(bm25: a read of its sizes and positions), so such a level was ranked a
block of 1,024 at a time. `search_name_terms` holds one row per (word of the
`names` column, document), keyed by the word, then `rank` — fewer
occurrences of the word in the names and a longer document rank later (the
two things bm25 weighs; it ranks a shorter document above a longer one
holding the word as often) — then doc_id, so the best documents of such a
level are the first rows of one index range (app/search/repository.py).

`rank` is (255 - occurrences) × 2^20 + the document's length in terms (its
four term columns together, as app/search/index.document_length counts
them), each capped, so it depends on the document alone: triggers on
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


def _rows(row: str, source: str = "") -> str:
    """SELECT of the `search_name_terms` rows of the documents `row` (one per distinct word of each one's names),
    from `source` (a table and a comma) when not a trigger's row."""
    return (
        f"SELECT w.value, (255 - min(count(*), 255)) * 1048576 + min({_length(row)}, 1048575), {row}.doc_id "
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
