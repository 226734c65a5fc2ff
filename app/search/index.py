"""The search index follows the records, refreshed by every load.

The seed loader writes index rows with the records, inside its transaction
(`IndexWriter`): documents are made from the validated records it already
holds (the same documents their stored rows give), the rows of updated and
deleted records are removed first, and the index changes with the records or
not at all. `refresh_search_index` does the same from stored rows, for ids
given. Work is set-based: rows are read and written a few thousand per
statement.

After each load the index is compared with the record tables (rows per
type). When they disagree — the first load after the migration that added
search, or records written without going through a load — the whole index is
rebuilt from the rows in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa

from app.records.registry import BY_NAME, RECORD_TYPE_LIST, RecordType
from app.search.backends import BATCH, SearchBackend, SearchDocument, backend_for
from app.search.text import name_keys, name_terms, terms, unique

ChangedIds = dict[str, list[str]]
"""Record ids per record type."""

search_metadata = sa.MetaData()
search_documents = sa.Table(
    "search_documents",
    search_metadata,
    sa.Column("doc_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("record_type", sa.String(20), nullable=False),
    sa.Column("record_id", sa.String(80), nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("fields", sa.Text(), nullable=False),
)
"""The columns both engines share (created by migration 0002, outside the records' metadata)."""

SEARCH_TABLES = ("search_documents", "search_fts")
"""Tables (and the prefix of FTS5's shadow tables) that belong to search, not to the record models."""
POSTGRESQL_SEARCH_TABLES = ("search_names",)
"""PostgreSQL's alone: the name tiers' narrow table (migration 0008), kept by triggers."""
EXACT_KEYS_TABLE = "search_exact"
"""SQLite's table of exact-name keys (migration 0009), kept by triggers on search_documents."""
NAME_TERMS_TABLE = "search_name_terms"
"""Each name word's documents in order (migrations 0010 on SQLite, 0011 on PostgreSQL), kept by triggers on
search_documents."""
KEPT_BY_TRIGGERS = (EXACT_KEYS_TABLE, NAME_TERMS_TABLE)
"""SQLite's tables that triggers on search_documents fill from its rows."""


def _split(column: str) -> str:
    """The words of a space-separated column (letters and digits, app/search/text.py), as the triggers split it."""
    return f"""json_each('["' || replace({column}, ' ', '","') || '"]')"""


def _document_length(row: str) -> str:
    """SQL of `document_length` of the search_documents row `row`: the terms of its four term columns."""
    return " + ".join(
        f"(CASE WHEN {row}.{column} = '' THEN 0 ELSE length({row}.{column}) - length(replace({row}.{column}, ' ', '')) "
        "+ 1 END)"
        for column in ("exact", "names", "aliases", "body")
    )


NAME_TERMS_AVERAGE_LENGTH = 75.0
"""The constant average document length of `search_name_terms`' rank (migration 0010's AVERAGE_LENGTH)."""


def _name_term_rank(occurrences: str, length: str) -> str:
    """SQL of migration 0010's rank: bm25 of a word held `occurrences` times in the names of a document `length`
    terms long, with FTS5's constants and the names column's weight, as `(2.2 - score) × 10^6`."""
    frequency = f"5.0 * {occurrences}"
    norm = f"1.2 * (0.25 + 0.75 * ({length}) / {NAME_TERMS_AVERAGE_LENGTH})"
    return f"CAST((2.2 - {frequency} * 2.2 / ({frequency} + {norm})) * 1000000 AS INTEGER)"


FILL_KEPT_BY_TRIGGERS = (
    f"INSERT INTO {EXACT_KEYS_TABLE} (key, doc_id) SELECT k.value, d.doc_id "
    f"FROM search_documents AS d, {_split('d.exact')} AS k WHERE k.value != '' ORDER BY 1, 2",
    # MATERIALIZED: a document's length is counted once, not (the subquery flattened into the aggregate) once per
    # distinct word of its names.
    f"INSERT INTO {NAME_TERMS_TABLE} (term, rank, doc_id) "
    f"WITH d AS MATERIALIZED (SELECT doc_id, names, {_document_length('search_documents')} AS length "
    "FROM search_documents) "
    f"SELECT w.value, {_name_term_rank('count(*)', 'd.length')}, d.doc_id FROM d, {_split('d.names')} AS w "
    "WHERE w.value != '' GROUP BY d.doc_id, w.value ORDER BY 1, 2, 3",
)
"""SQLite: the rows the triggers of migrations 0009 and 0012 give `search_exact` and `search_name_terms` for
every row of `search_documents`, made at once, in each table's key order (its B-tree appended to, not written
at random pages). An index built without those triggers (app/search/side.py) fills them so: at a million
statements the triggers cost ~55 s of CPU, these statements ~20 s. The migrations cannot import this module (they
are frozen), so tests/search/test_index.py checks these rows against the triggers' on the same documents."""


def fill_kept_by_triggers(connection: sa.Connection) -> None:
    """SQLite: fill the (empty) tables the triggers on search_documents keep from its rows, as they would."""
    for sql in FILL_KEPT_BY_TRIGGERS:
        connection.exec_driver_sql(sql)


def body_fields(record_type: RecordType) -> list[str]:
    """The text fields of a type searched besides its names, in declared order."""
    return [f for f in record_type.search_fields if f != "name"]


def document_for(record_type: RecordType, row: sa.RowMapping) -> SearchDocument:
    """A record row as an index document."""
    body = [(f, row[f]) for f in body_fields(record_type)]
    return _document(record_type, row["id"], row["name"], row["names"], row["aliases"], body)


def document_for_record(record_type: RecordType, data: Mapping[str, Any]) -> SearchDocument:
    """A validated record (its canonical data, by alias) as an index document: the same document its
    stored row gives, without reading the row back."""
    body = [(f, data.get(alias)) for f, alias in _body_aliases(record_type)]
    return _document(record_type, data["id"], data["name"], data.get("names"), data.get("aliases"), body)


def _body_aliases(record_type: RecordType) -> list[tuple[str, str]]:
    """(field name, alias in a record's data) of the type's body fields (worked out once per type)."""
    return _body_aliases_of(record_type.name)


@cache
def _body_aliases_of(type_name: str) -> list[tuple[str, str]]:
    record_type = BY_NAME[type_name]
    return [(f, record_type.field(f).alias) for f in body_fields(record_type)]


def _document(
    record_type: RecordType,
    record_id: str,
    name: str,
    names: dict[str, str] | None,
    aliases: list[str] | None,
    body_values: Iterable[tuple[str, str | None]],
) -> SearchDocument:
    names = names or {}
    aliases = aliases or []
    body = {f: value for f, value in body_values if value}
    exact = [*name_keys(name), *(k for tag, v in names.items() for k in name_keys(v, tag))]
    exact += [k for alias in aliases for k in name_keys(alias)]
    columns = {
        "exact": " ".join(unique(exact)),
        "names": " ".join([*name_terms(name), *(t for tag, v in names.items() for t in name_terms(v, tag))]),
        "aliases": " ".join([t for alias in aliases for t in name_terms(alias)]),
        "body": " ".join(terms("\n".join(body.values()))),
    }
    fields: dict[str, Any] = {"name": name}
    if names:
        fields["names"] = names
    if aliases:
        fields["aliases"] = aliases
    fields.update(body)
    return SearchDocument(record_type.name, record_id, name, orjson.dumps(fields).decode(), columns)


def document_length(document: SearchDocument) -> int:
    """How many terms a document's indexed columns hold together (the length bm25 weighs matches by)."""
    return sum(text.count(" ") + 1 for text in document.columns.values() if text)


def _columns(record_type: RecordType) -> list[sa.Column[Any]]:
    table = record_type.table
    return [table.c.id, table.c.name, table.c.names, table.c.aliases, *(table.c[f] for f in body_fields(record_type))]


def _documents_by_id(
    connection: sa.Connection, record_type: RecordType, ids: Sequence[str]
) -> Iterator[SearchDocument]:
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        query = sa.select(*_columns(record_type)).where(record_type.table.c.id.in_(chunk))
        for row in connection.execute(query).mappings():
            yield document_for(record_type, row)


def _all_documents(connection: sa.Connection, record_type: RecordType) -> Iterator[list[SearchDocument]]:
    """Every record of a type, a batch at a time along the id (no cursor held open while writing)."""
    table, after = record_type.table, None
    while True:
        query = sa.select(*_columns(record_type)).order_by(table.c.id).limit(BATCH)
        if after is not None:
            query = query.where(table.c.id > after)
        rows = list(connection.execute(query).mappings())
        if not rows:
            return
        yield [document_for(record_type, row) for row in rows]
        after = rows[-1]["id"]


def _batched(documents: Iterable[SearchDocument]) -> Iterator[list[SearchDocument]]:
    batch: list[SearchDocument] = []
    for document in documents:
        batch.append(document)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class IndexWriter:
    """The loader's side of the index: documents made from the validated records as they are written,
    in the loader's transaction (nothing is read back from the record tables)."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.backend = backend_for(connection)
        self.empty = connection.execute(sa.select(search_documents.c.doc_id).limit(1)).first() is None
        """An empty index (a first load) has nothing to remove."""

    def remove(self, record_type: str, record_ids: Sequence[str]) -> None:
        """Drop the index rows of these records, if any."""
        if not self.empty and record_ids:
            self.backend.delete(self.connection, record_type, record_ids)

    def add(self, record_type: RecordType, records: Iterable[Mapping[str, Any]]) -> None:
        """Index records (canonical data, by alias) that have no index rows, shortest documents first: they get
        the lower doc_ids, so the first block of a large level (app/search/repository.py, RANK_BLOCK) holds
        the matches its engine most likely ranks best (bm25 favours short documents)."""
        documents = sorted((document_for_record(record_type, data) for data in records), key=document_length)
        for batch in _batched(documents):
            self.backend.insert(self.connection, batch)

    def finish(self) -> None:
        """Rebuild the whole index if it is out of step with the record tables; then leave it ready for reads."""
        if not index_in_step(self.connection):
            rebuild_search_index(self.connection)
        self.backend.settle(self.connection)


def refresh_search_index(connection: sa.Connection, changed: ChangedIds, deleted: ChangedIds) -> None:
    """Re-index changed records and drop deleted ones, in the caller's transaction; rebuild if out of step."""
    backend = backend_for(connection)
    empty = connection.execute(sa.select(search_documents.c.doc_id).limit(1)).first() is None
    if not empty:
        for record_type, ids in [*deleted.items(), *changed.items()]:
            backend.delete(connection, record_type, ids)
    for record_type, ids in changed.items():
        for batch in _batched(_documents_by_id(connection, BY_NAME[record_type], ids)):
            backend.insert(connection, batch)
    if not index_in_step(connection):
        rebuild_search_index(connection)


def rebuild_search_index(
    connection: sa.Connection,
    record_types: Sequence[RecordType] = RECORD_TYPE_LIST,
    backend: SearchBackend | None = None,
) -> None:
    """Index every record of `record_types` anew, in the caller's transaction, with `backend` (by default the
    connection's own at head, `backend_for`; a migration that indexes an older schema passes its own)."""
    backend = backend or backend_for(connection)
    backend.clear(connection)
    for record_type in record_types:
        for batch in _all_documents(connection, record_type):
            backend.insert(connection, batch)


def index_in_step(connection: sa.Connection) -> bool:
    """True when the index holds as many rows of each type as the record tables."""
    indexed: dict[str, int] = dict(
        connection.execute(
            sa.select(search_documents.c.record_type, sa.func.count()).group_by(search_documents.c.record_type)
        ).all()
    )
    for record_type in RECORD_TYPE_LIST:
        stored = connection.execute(sa.select(sa.func.count()).select_from(record_type.table)).scalar_one()
        if indexed.pop(record_type.name, 0) != stored:
            return False
    return not indexed


def outside_search_tables(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic `include_name` filter: the search tables are engine-specific DDL (migration 0002), not models."""
    kept_apart = (*SEARCH_TABLES, *POSTGRESQL_SEARCH_TABLES, *KEPT_BY_TRIGGERS)
    return not (type_ == "table" and name is not None and name.startswith(kept_apart))
