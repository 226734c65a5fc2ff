"""search on SQLite: a document's length taken once, not once per word of its names

Migration 0010's trigger ranks each (word of the names, document) row of
`search_name_terms` by the document's length in terms over its four term
columns, counted in SQL (`length - length(replace(...))` of each column,
the body included). In its aggregate the count stood in the rank of every
group, so SQLite counted it again for every distinct word of the names: a
first load of 100k statements counted the bodies (~280 characters each)
~690,000 times instead of ~107,000, ~1 s of the side index's 10 s of CPU
(app/search/side.py), the last process of such a load to finish.

The trigger is made again with the length taken once per document, in a
subquery kept apart (`LIMIT 1`: SQLite does not flatten it into the join,
and so does not copy its expression into every group), as 0011's trigger
does on PostgreSQL (`OFFSET 0`). The rank is 0010's expression on the same
integer, so every row is the same (tests/search/test_index.py checks the
table against the documents after loads and after this migration's
downgrade and upgrade; at 100k statements the 689,731 rows were compared
whole). Nothing stored changes.

PostgreSQL is unchanged.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-13 09:00:00
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _migration_0010() -> ModuleType:
    """Migration 0010, whose rank, words and length this trigger uses as they are (one formula, not a copy)."""
    path = Path(__file__).with_name("2026-12-11_search_name_terms.py")
    spec = importlib.util.spec_from_file_location("techsov_migration_0010", path)
    assert spec is not None, path
    assert spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _trigger(rows: str) -> str:
    return f"""
    CREATE TRIGGER search_name_terms_insert AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_name_terms (term, rank, doc_id) {rows};
    END
    """


def _rows_length_once(m0010: ModuleType) -> str:
    """0010's `_rows("new")`, the document's length counted once, before its words."""
    return (
        f"SELECT w.value, {m0010._rank('count(*)', 'd.length')}, new.doc_id "
        f"FROM (SELECT {m0010._length('new')} AS length LIMIT 1) AS d, {m0010._words('new')} AS w "
        "WHERE w.value != '' GROUP BY new.doc_id, w.value"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        m0010 = _migration_0010()
        op.execute("DROP TRIGGER search_name_terms_insert")
        op.execute(_trigger(_rows_length_once(m0010)))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        m0010 = _migration_0010()
        op.execute("DROP TRIGGER search_name_terms_insert")
        op.execute(_trigger(m0010._rows("new")))
