"""search on PostgreSQL: the exact-name and name fields get tsvectors of their own

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:30:00

PostgreSQL only (SQLite's FTS5 reads any column set from one index): two
generated columns cut from `document` with `ts_filter`, each with a GIN index
of its own — `exact_document`, the exact-name keys (weight A), and
`names_document`, the name and alias lexemes (weights B and C). The tiers
that look at names match and rank on them (app/search/backends.py) instead
of rechecking weights on, and detoasting, every match's whole document, body
included. Generated, they are filled for stored rows by the ALTER and kept
by PostgreSQL on every insert; nothing else writes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRESQL_UPGRADE = [
    "ALTER TABLE search_documents "
    "ADD COLUMN exact_document TSVECTOR GENERATED ALWAYS AS (ts_filter(document, '{a}')) STORED, "
    "ADD COLUMN names_document TSVECTOR GENERATED ALWAYS AS (ts_filter(document, '{b,c}')) STORED",
    "CREATE INDEX ix_search_documents_exact_document ON search_documents USING GIN (exact_document)",
    "CREATE INDEX ix_search_documents_names_document ON search_documents USING GIN (names_document)",
]
POSTGRESQL_DOWNGRADE = [
    "DROP INDEX ix_search_documents_names_document",
    "DROP INDEX ix_search_documents_exact_document",
    "ALTER TABLE search_documents DROP COLUMN names_document, DROP COLUMN exact_document",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
