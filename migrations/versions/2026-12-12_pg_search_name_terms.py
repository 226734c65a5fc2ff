"""search on PostgreSQL: each name word's documents in their order of relevance, as on SQLite

A one-word search's names tier holds every record whose name has the word;
for a common word that is tens of thousands at 1M statements (42,755 for
`satellites`), and PostgreSQL ranked them all: ts_rank read ~19,900 pages of
`search_names` (0008) at every search, more than shared_buffers holds.
`search_name_terms` (migration 0010 made it for SQLite) holds one row per
(word of the names, document), keyed by the word, then `rank`, then doc_id,
so the best documents of such a level are the first rows of one index range
(app/search/repository.py), in the same order as on SQLite: `rank` is the
same integer, bm25 of the word in the names over a constant average length
(0010's AVERAGE_LENGTH), computed in double precision as SQLite computes it
and truncated toward zero as its CAST is.

The words and their occurrences are the names' lexemes in the document's
vector (weight B: app/search/backends.py), which is what the names tier
matches on PostgreSQL. The document's length (in terms over its four
columns, as `document_length` counts them) is a new column of
`search_documents`, `term_count`, which the index's insert fills from the
term columns it is given (app/search/backends.py); documents indexed before
this migration have none, and their length is how many positions their
vector holds — the same, for any document under 16,383 terms with no word
more than 255 times (where to_tsvector stops keeping positions) — measured
once, at the upgrade. The record's type comes along
(PostgreSQL has no doc_id ranges per type to filter by, as SQLite reads
them), covered by the key's index so that the rows read in order are
filtered without a look-up of each.

Triggers keep it, statement-level like `search_names`'s (0008): a load's
batch of 2,000 documents is one insert here, a load's clear one delete.
Rows already indexed are copied at the upgrade.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AVERAGE_LENGTH = 75.0
"""As migration 0010's: the average document length (in terms) bm25 is computed with."""


def _rank(occurrences: str, length: str) -> str:
    """SQL of 0010's rank, in double precision (a bare `5.0` is numeric on PostgreSQL) and truncated (a cast to
    integer rounds on PostgreSQL): the same integer SQLite computes."""
    frequency = f"(5.0::float8 * {occurrences})"
    norm = f"(1.2::float8 * (0.25::float8 + 0.75::float8 * ({length}) / {AVERAGE_LENGTH}::float8))"
    return f"trunc((2.2::float8 - {frequency} * 2.2::float8 / ({frequency} + {norm})) * 1000000::float8)::integer"


VECTOR_LENGTH = "length(d.document) + length(d.document::text) - length(replace(d.document::text, ',', ''))"
"""How many positions the vector of document `d` holds: one a lexeme and one more a comma of its text (`'chips':3B,9`;
the lexemes are letters and digits). It reads the whole vector (~40 µs a document at 100k statements, most of it
taken from TOAST): only documents indexed before this migration, which have no `term_count`, are measured so."""


def _rows(source: str) -> str:
    """SELECT of the `search_name_terms` rows of the documents in `source` (one per distinct lexeme of each one's
    names): the document's length is taken once, before its words (`OFFSET 0`: a subquery kept apart)."""
    return (
        f"SELECT w.lexeme, {_rank('array_length(w.positions, 1)', 'l.length')}, d.doc_id, d.record_type "
        f"FROM {source} AS d, LATERAL (SELECT COALESCE(d.term_count, {VECTOR_LENGTH}) OFFSET 0) AS l(length), "
        "unnest(ts_filter(d.names_document, '{b}')) AS w"
    )


POSTGRESQL_UPGRADE = [
    "ALTER TABLE search_documents ADD COLUMN term_count INTEGER",
    """
    CREATE TABLE search_name_terms (
        term TEXT NOT NULL,
        rank INTEGER NOT NULL,
        doc_id BIGINT NOT NULL,
        record_type VARCHAR(20) NOT NULL
    )
    """,
    f"""
    CREATE FUNCTION search_name_terms_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_name_terms (term, rank, doc_id, record_type) {_rows("inserted")};
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION search_name_terms_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM search_name_terms t USING deleted d WHERE t.doc_id = d.doc_id;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER search_name_terms_insert AFTER INSERT ON search_documents REFERENCING NEW TABLE AS inserted "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_name_terms_insert()",
    "CREATE TRIGGER search_name_terms_delete AFTER DELETE ON search_documents REFERENCING OLD TABLE AS deleted "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_name_terms_delete()",
    f"INSERT INTO search_name_terms (term, rank, doc_id, record_type) {_rows('search_documents')}",
    # The keys after the copy: one sort each, not a B-tree insert per row.
    "ALTER TABLE search_name_terms ADD CONSTRAINT pk_search_name_terms PRIMARY KEY (term, rank, doc_id) "
    "INCLUDE (record_type)",
    "CREATE INDEX ix_search_name_terms_doc_id ON search_name_terms (doc_id)",
    "ANALYZE search_name_terms",  # the planner's first searches know the words' rows are many, not a guess
]
POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER search_name_terms_delete ON search_documents",
    "DROP TRIGGER search_name_terms_insert ON search_documents",
    "DROP FUNCTION search_name_terms_delete()",
    "DROP FUNCTION search_name_terms_insert()",
    "DROP TABLE search_name_terms",
    "ALTER TABLE search_documents DROP COLUMN term_count",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
