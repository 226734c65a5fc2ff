"""search on SQLite: the exact-name keys in a table of their own

The exact tier of a search (app/search/backends.py) asks whether any
document holds the query's compact key among its exact-name keys. In FTS5
that reads every entry of the key's word, in every column: `ai` is the exact
key of no record but a word in the text of a fifth of them. `search_exact`
holds one row per (key, document), so that question is one B-tree look-up.
Triggers on `search_documents` keep it in step with every write of the index
(load, side index, refresh, rebuild); rows already indexed are copied at the
upgrade. The keys are letters and digits (app/search/text.py), so splitting
the space-separated `exact` column through a JSON array is safe.

PostgreSQL is unchanged: its exact keys have a tsvector and GIN index of their
own (migration 0003).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keys(row: str) -> str:
    """The JSON array of the keys in the `exact` column of `row` (space-separated letters and digits)."""
    return f"""json_each('["' || replace({row}.exact, ' ', '","') || '"]')"""


SQLITE_UPGRADE = [
    """
    CREATE TABLE search_exact (
        key TEXT NOT NULL,
        doc_id INTEGER NOT NULL,
        CONSTRAINT pk_search_exact PRIMARY KEY (key, doc_id)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX ix_search_exact_doc_id ON search_exact (doc_id)",
    f"""
    CREATE TRIGGER search_exact_insert AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_exact (key, doc_id) SELECT value, new.doc_id FROM {_keys("new")} WHERE value != '';
    END
    """,
    """
    CREATE TRIGGER search_exact_delete AFTER DELETE ON search_documents BEGIN
        DELETE FROM search_exact WHERE doc_id = old.doc_id;
    END
    """,
    "INSERT INTO search_exact (key, doc_id) "
    f"SELECT k.value, d.doc_id FROM search_documents AS d, {_keys('d')} AS k WHERE k.value != ''",
]
SQLITE_DOWNGRADE = ["DROP TRIGGER search_exact_delete", "DROP TRIGGER search_exact_insert", "DROP TABLE search_exact"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
