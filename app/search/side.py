"""A first large load on SQLite builds its search index beside the record writes, in a second process.

The index is the largest part of such a load (at a million statements, the
documents and FTS5's inserts took about a third of it), and SQLite has one
writer. So when a load creates many records on SQLite and the index is
empty, the loader forks: the child makes the documents from the validated
records it inherited and writes them, with the same backend code, into a
scratch SQLite file holding the same two search tables and the tables that
triggers on `search_documents` fill (the exact keys, the name words), made
from the SQL the database stored for them, while the parent writes the
records. The scratch file has none of those triggers (fired per row, they
cost ~6 times what the documents' own inserts do: 55 s of CPU at a million
statements): the child fills their two tables after the documents,
set-based, with the rows the triggers would have given
(`fill_kept_by_triggers`, ~20 s). No table of the scratch file has a
secondary index.

The parent then takes the finished index in its own transaction: it drops
and re-creates `search_fts` (so no cached state of the old, empty table
survives) and fills `search_documents`, FTS5's shadow tables and the
triggers' tables with the scratch file's rows — the index FTS5 would have
made had the parent inserted the documents itself, since both tables have the
same definition and get the same documents with the same rowids in the same
order (its segments may be cut elsewhere: in the parent the triggers' writes
interleave with FTS5's; at a million statements every answer and score was
the same, and FTS5's integrity check passed). Each table is copied by `INSERT INTO main.t SELECT * FROM
scratch.t`, which SQLite runs as its transfer optimisation (the records and
index B-trees' cells copied as they are, never decoded nor checked row by
row) when the two tables have the same definition and the same indexes, and
the destination is empty, has no triggers and no foreign keys: so the
destination's own secondary indexes and triggers are dropped meanwhile and
made again after (an index then by one sort). A failure on either side raises
in the parent, and the load's transaction rolls back as for any other error;
the scratch file is removed.

Only where `os.fork` exists (Linux, macOS); elsewhere, and for small or
incremental loads, the loader writes the index itself (`IndexWriter`).

The fork, the scratch folder and the child's end with its parent are
app/core/forked.py's (`SideProcess`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app.core.db import sqlite_file
from app.core.dialect import drop_secondary_indexes
from app.core.forked import SideProcess
from app.records.registry import RecordType
from app.search.index import KEPT_BY_TRIGGERS, SEARCH_TABLES, IndexWriter, fill_kept_by_triggers

SIDE_INDEX_FROM = 50_000
"""Documents a first load must add for its index to be built in a second process (below it, the fork and the
copy cost about what they save)."""
SIDE = "techsov_side_index"
"""The scratch file's schema name while the parent takes its rows."""
SHADOW_TABLES = ("search_fts_data", "search_fts_idx", "search_fts_docsize")
"""FTS5's shadow tables of `search_fts` that hold the index (its `_config` keeps the database's own)."""
HASH_SIZE = 64 * 1024 * 1024
"""FTS5's in-memory term buffer in the scratch file (its default is 1 MB): fewer, larger segments to merge."""

Work = Sequence[tuple[RecordType, Sequence[Mapping[str, Any]]]]
"""Records to index (canonical data, by alias), per type, in the order their rows get doc ids."""


def side_index_possible(connection: sa.Connection, documents: int) -> bool:
    """Whether this load may build its index in a second process."""
    if connection.dialect.name != "sqlite" or not hasattr(os, "fork") or documents < SIDE_INDEX_FROM:
        return False
    return sqlite_file(connection.connection.dbapi_connection) is not None


class SideIndex(SideProcess):
    """The index of a first load, built by a forked process into a scratch file, then taken by the parent."""

    what = "building the search index"

    def __init__(self, connection: sa.Connection, work: Work) -> None:
        super().__init__()
        tables = (*SEARCH_TABLES, *KEPT_BY_TRIGGERS)
        found = connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE name IN ({', '.join('?' * len(tables))}) AND sql IS NOT NULL",
            tables,
        ).all()
        self.schema: dict[str, str] = {str(name): str(sql) for name, sql in found}
        self.triggers: dict[str, str] = {
            str(name): str(sql)
            for name, sql in connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'search_documents'"
            )
        }
        """The triggers on search_documents (filling KEPT_BY_TRIGGERS, and emptying them): the child has none,
        and fills those tables at once; the parent's are left out while it copies the rows (SQLite's transfer
        optimisation needs a destination without triggers)."""
        self.work = work

    def build(self, path: Path) -> None:
        _build(path, [self.schema[t] for t in (*SEARCH_TABLES, *KEPT_BY_TRIGGERS)], self.work)

    def started(self) -> None:
        self.work = ()  # the child has its copy

    def take(self, connection: sa.Connection) -> None:
        """Wait for the child, then fill this database's (empty) index with the scratch file's rows."""
        self.wait()
        connection.exec_driver_sql("DROP TABLE search_fts")
        connection.exec_driver_sql(self.schema["search_fts"])
        # Attached, the rows go across inside SQLite.
        self.attach(connection, SIDE)
        for table in (*SHADOW_TABLES, *KEPT_BY_TRIGGERS):  # the empty index's own rows (its structure, averages)
            connection.exec_driver_sql(f"DELETE FROM main.{table}")
        for name in self.triggers:
            connection.exec_driver_sql(f"DROP TRIGGER main.{name}")
        # The tables are empty (a first load). Without their triggers and secondary indexes (doc_id's of the
        # triggers' tables), as the scratch file's, each copy is a transfer of B-tree cells; the indexes are then
        # built after the rows, one sort each, instead of a B-tree insert per row in doc_id's random order.
        later: list[str] = []
        for table in COPIED:
            later.extend(drop_secondary_indexes(connection, table))
            self.transfer(connection, SIDE, table)
        for sql in [*later, *self.triggers.values()]:
            connection.exec_driver_sql(sql)


COPIED = ("search_documents", *SHADOW_TABLES, *KEPT_BY_TRIGGERS)
"""The scratch file's tables the parent takes, each whole."""


def _build(path: Path, schema: Iterable[str], work: Work) -> None:
    """In the child: the search tables in a scratch file, filled by the loader's own `IndexWriter`, then the
    tables the triggers on search_documents keep (the scratch file has none), at once."""
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as connection:
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -262144"):
            connection.exec_driver_sql(f"PRAGMA {pragma}")
        for sql in schema:
            connection.exec_driver_sql(sql)
        connection.exec_driver_sql(f"INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', {HASH_SIZE})")
        writer = IndexWriter(connection)
        for record_type, records in work:
            writer.add(record_type, records)
        fill_kept_by_triggers(connection)
        connection.commit()
    engine.dispose()
