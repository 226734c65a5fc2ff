"""A first large load on SQLite builds its search index beside the record writes, in a second process.

The index is the largest part of such a load (at a million statements, the
documents and FTS5's inserts took about a third of it), and SQLite has one
writer. So when a load creates many records on SQLite and the index is
empty, the loader forks: the child makes the documents from the validated
records it inherited and writes them, with the same backend code, into a
scratch SQLite file holding the same two search tables (made from the SQL
the database stored for them), while the parent writes the records. The
parent then takes the finished index in its own transaction: it drops and
re-creates `search_fts` (so no cached state of the old, empty table
survives) and fills `search_documents` and FTS5's shadow tables with the
scratch file's rows — the same bytes FTS5 would have written had the
parent inserted the documents itself, since both tables have the same
definition and get the same documents with the same rowids in the same
order. A failure on either side raises in the parent, and the load's
transaction rolls back as for any other error; the scratch file is removed.

Only where `os.fork` exists (Linux, macOS); elsewhere, and for small or
incremental loads, the loader writes the index itself (`IndexWriter`).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app.core.db import ON_CHECKIN, sqlite_file
from app.records.registry import RecordType
from app.search.index import SEARCH_TABLES, IndexWriter

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


class SideIndex:
    """The index of a first load, built by a forked process into a scratch file, then taken by the parent."""

    def __init__(self, connection: sa.Connection, work: Work) -> None:
        found = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE name IN (?, ?) AND sql IS NOT NULL",
            SEARCH_TABLES,
        ).all()
        self.schema: dict[str, str] = {str(name): str(sql) for name, sql in found}
        self.folder = Path(tempfile.mkdtemp(prefix="techsov-index-"))
        self.path = self.folder / "index.sqlite3"
        self.errors = self.folder / "error.txt"
        self.attached = False
        self.pid = os.fork()
        if self.pid == 0:  # the child: build, then leave without running any of the parent's cleanup
            code = 0
            try:
                _build(self.path, [self.schema[t] for t in SEARCH_TABLES], work)
            except BaseException:
                self.errors.write_text(traceback.format_exc())
                code = 1
            finally:
                os._exit(code)

    def take(self, connection: sa.Connection) -> None:
        """Wait for the child, then fill this database's (empty) index with the scratch file's rows."""
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if os.waitstatus_to_exitcode(status) != 0:
            detail = self.errors.read_text() if self.errors.exists() else f"exit status {status}"
            raise RuntimeError(f"building the search index in a second process failed:\n{detail}")
        connection.exec_driver_sql("DROP TABLE search_fts")
        connection.exec_driver_sql(self.schema["search_fts"])
        # Attached, the rows go across inside SQLite. A database read in a transaction can be neither
        # detached nor removed before the transaction ends: that is done when the connection goes back to
        # the pool (app/core/db.py), after the commit or the rollback.
        connection.exec_driver_sql(f"ATTACH DATABASE ? AS {SIDE}", (str(self.path),))
        self.attached = True
        connection.info.setdefault(ON_CHECKIN, []).append(self._detach)
        for table in SHADOW_TABLES:  # the empty index's own rows (its structure record, its averages)
            connection.exec_driver_sql(f"DELETE FROM main.{table}")
        for table in ("search_documents", *SHADOW_TABLES):
            columns = ", ".join(row[1] for row in connection.exec_driver_sql(f"PRAGMA main.table_info({table})"))
            connection.exec_driver_sql(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM {SIDE}.{table}")

    def close(self) -> None:
        """Stop the child if it still runs (the load failed first); remove the scratch file unless attached."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        if not self.attached:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _detach(self, dbapi_connection: Any) -> None:
        dbapi_connection.execute(f"DETACH DATABASE {SIDE}")
        shutil.rmtree(self.folder, ignore_errors=True)


def _build(path: Path, schema: Iterable[str], work: Work) -> None:
    """In the child: the search tables in a scratch file, filled by the loader's own `IndexWriter`."""
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
        connection.commit()
    engine.dispose()
