"""faster reads: the timeline's end dates get indexes; on PostgreSQL the search's name tiers, a narrow table

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09 09:00:00

Both engines: an index on each date the timeline reads that had none —
`actors.dissolved_on`, `policies.ended_on`, `dependencies.valid_to` (with the
id, as the other dates: app/records/registry.py) — so each of its branches
reads the first rows of its range in order instead of every row of the table
(three full scans per timeline page: 22,000 rows at 1M statements).

PostgreSQL only (SQLite's FTS5 reads any column set from one index):
`search_names` holds, per row of `search_documents`, what the name tiers
match, rank and order by (app/search/backends.py): the doc_id, the record's
type and id, and the name vector (`names_document`, as migration 0003 cut it
from `document`), with a GIN index. A search for a common word ranks every
one of its name matches (4% of the statements for many a word): in
`search_documents` each is a heap page of its own (a row holds the record's
text and whole vector), here about 45 rows share a page, and the type and id
come with them instead of from a second look-up per row. The exact keys stay
out (the exact tier, a few rows, reads `search_documents`): at 1M statements
the table is 188 MB without them, 257 MB with, and a common word reads most
of its pages.

Triggers keep it: a statement that inserts documents inserts their rows here, one that deletes documents
deletes theirs (statement-level, through transition tables: a load's batch of 2,000 documents is one insert
here, a load's clear one delete). Nothing updates `search_documents` (a changed record's document is deleted
and inserted anew). The generated columns stay in `search_documents` (the broadest tier leaves the name
tiers' matches out by them); the names' index, read by no query now, is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

INDEXES = (
    ("actors", "dissolved_on"),
    ("policies", "ended_on"),
    ("dependencies", "valid_to"),
)
"""(table, date column) of the timeline's dates without an index until now."""

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRESQL_UPGRADE = [
    """
    CREATE TABLE search_names (
        doc_id BIGINT NOT NULL,
        record_type VARCHAR(20) NOT NULL,
        record_id VARCHAR(80) NOT NULL,
        names_document TSVECTOR NOT NULL,
        CONSTRAINT pk_search_names PRIMARY KEY (doc_id)
    )
    """,
    """
    CREATE FUNCTION search_names_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_names (doc_id, record_type, record_id, names_document)
        SELECT doc_id, record_type, record_id, names_document FROM inserted;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION search_names_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM search_names n USING deleted d WHERE n.doc_id = d.doc_id;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER search_names_insert AFTER INSERT ON search_documents REFERENCING NEW TABLE AS inserted "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_names_insert()",
    "CREATE TRIGGER search_names_delete AFTER DELETE ON search_documents REFERENCING OLD TABLE AS deleted "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_names_delete()",
    "INSERT INTO search_names (doc_id, record_type, record_id, names_document) "
    "SELECT doc_id, record_type, record_id, names_document FROM search_documents",
    "CREATE INDEX ix_search_names_names_document ON search_names USING GIN (names_document)",
    "DROP INDEX ix_search_documents_names_document",
]
POSTGRESQL_DOWNGRADE = [
    "CREATE INDEX ix_search_documents_names_document ON search_documents USING GIN (names_document)",
    "DROP TRIGGER search_names_delete ON search_documents",
    "DROP TRIGGER search_names_insert ON search_documents",
    "DROP FUNCTION search_names_delete()",
    "DROP FUNCTION search_names_insert()",
    "DROP TABLE search_names",
]


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}_id", table, [column, "id"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
    for table, column in reversed(INDEXES):
        op.drop_index(f"ix_{table}_{column}_id", table)
