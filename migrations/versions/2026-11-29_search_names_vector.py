"""search on PostgreSQL: the name fields' own tsvector, so the name tiers rank small vectors

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:30:00

PostgreSQL only (SQLite's FTS5 reads any column set from one index): a
generated `names_document` column, the exact-name, name and alias lexemes of
`document` (weights A, B and C, `ts_filter`), with a GIN index of its own.
The tiers that look at names match and rank on it (app/search/backends.py)
instead of detoasting every match's whole weighted document, body included.
Generated, it is filled for stored rows by the ALTER and kept by PostgreSQL
on every insert; nothing else writes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRESQL_UPGRADE = [
    "ALTER TABLE search_documents ADD COLUMN names_document TSVECTOR "
    "GENERATED ALWAYS AS (ts_filter(document, '{a,b,c}')) STORED",
    "CREATE INDEX ix_search_documents_names_document ON search_documents USING GIN (names_document)",
]
POSTGRESQL_DOWNGRADE = [
    "DROP INDEX ix_search_documents_names_document",
    "ALTER TABLE search_documents DROP COLUMN names_document",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
