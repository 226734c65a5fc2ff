"""Where SQLite and PostgreSQL differ for search, behind one small interface.

Both store one row per record in `search_documents` (type, id, display name,
the original searchable text as JSON) and index four term columns, from most
to least telling: `exact` (compact full-name keys), `names` (name, other-
language names, pinyin), `aliases`, `body` (summary and the type's text
fields). The terms come from app/search/text.py, space-separated; neither
engine tokenises or stems them any further in a way that matters.

- SQLite: an external-content FTS5 table `search_fts` over `search_documents`
  (tokenizer unicode61 without diacritic removal, prefix indexes for 2 and 3
  characters). Rows leave the index through FTS5's `delete` command, fed the
  stored terms in one INSERT … SELECT.
- PostgreSQL: a `document tsvector` column with a GIN index, built in the
  INSERT from the four term columns with the `simple` configuration (no
  stemming, no stop words) and weights A exact, B names, C aliases, D body;
  and, cut from it (generated columns, migration 0003), `exact_document`
  (A), with a GIN index, which the exact tier reads, and `names_document`
  (B, C), copied with the doc_id, type and id into the narrow table
  `search_names` (kept by triggers, migration 0008), whose GIN index the
  name tiers read; a one-word query's large names level is read in order
  from `search_name_terms` (migration 0011), as on SQLite (0010).
  The terms are letters and digits only, which PostgreSQL's parser keeps
  whole (tests/search/test_index.py checks that on PostgreSQL).

A tier of the ranking is a match of every query term in some columns; each
backend turns one into its own MATCH / tsquery text, built only from
normalised terms (letters and digits), never from the user's syntax. A
search reads the index one tier at a time, narrowest first: the documents of
a tier match it and none of the narrower tiers (FTS5 `NOT`, `AND NOT @@`), and
the engine ranks them and hands over only the best few (`ORDER BY score LIMIT
:n`), so no statement ever joins or sorts every match with its stored text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa

from app.search.text import QueryTerms

COLUMNS = ("exact", "names", "aliases", "body")
"""The indexed term columns, most telling first."""
BATCH = 2000
"""Rows per statement when writing or deleting index rows."""


@dataclass(frozen=True)
class SearchDocument:
    """One record as the index holds it."""

    record_type: str
    record_id: str
    name: str
    fields: str
    """The original searchable text as JSON (for snippets and `matched`)."""
    columns: dict[str, str]
    """Space-separated terms per indexed column (see COLUMNS)."""


@dataclass(frozen=True)
class Tier:
    """One level of the ranking: every query term found in these columns."""

    rank: int
    columns: tuple[str, ...]
    prefix: bool
    """Whether prefix terms may match longer words."""
    compact: bool = False
    """Match the query's compact key (exact full names) instead of its terms."""
    excluded: tuple[Tier, ...] | None = None
    """The narrower tiers whose matches a read of this one leaves out, when not all of them (`narrower`): one
    known to hold no document of the types read can be left out of the query, which then reads less."""

    def without(self, empty: Collection[int]) -> Tier:
        """This tier, read without excluding the narrower tiers whose ranks are in `empty` (tiers found to hold
        no document of the types read): the same documents and scores, fewer index entries read."""
        kept = tuple(t for t in narrower(self) if t.rank not in empty)
        return self if kept == narrower(self) else replace(self, excluded=kept)


EXACT = Tier(0, ("exact",), prefix=False, compact=True)
NARROWER = (
    Tier(1, ("names",), prefix=False),
    Tier(2, ("aliases",), prefix=False),
    Tier(3, ("names", "aliases"), prefix=True),
)
BROADEST = Tier(4, ("names", "aliases", "body"), prefix=True)
"""Every other tier but EXACT is a subset of this one: its hits are scanned once, with the engine's relevance,
and each is placed in the first narrower tier it also matches."""
TIERS = (EXACT, *NARROWER, BROADEST)


class SearchBackend(Protocol):
    """What search needs from a database engine."""

    KEYED: bool
    """Whether `tier_hits` and `tier_some` select each document's record_type and record_id beside its doc_id
    (else the caller joins search_documents for them)."""
    FIRST_READ: tuple[int, int]
    """A tier's first read takes `a` × the rows wanted + `b` (app/search/repository.py): enough, mostly, to see
    past sources, rows of other types and the rows tied on the integer score with the last one wanted. A read
    that cannot settle the page is made again, larger; the engine scores every match either way, so one larger
    read costs about what a smaller one does."""

    def insert(self, connection: sa.Connection, documents: Sequence[SearchDocument]) -> None:
        """Add index rows (their records have none yet)."""

    def delete(self, connection: sa.Connection, record_type: str, record_ids: Sequence[str]) -> None:
        """Remove the index rows of these records, if any."""

    def clear(self, connection: sa.Connection) -> None:
        """Remove every index row."""

    def settle(self, connection: sa.Connection) -> None:
        """Leave the index ready for reads after a load's many inserts, in its transaction."""

    def match_text(self, tier: Tier, terms: QueryTerms) -> str:
        """The engine's query text for `tier`: every term in the tier's columns."""

    def tier_hits(
        self, tier: Tier, terms: QueryTerms, only: Only, floor: float | None, span: Span | None = None
    ) -> tuple[str, dict[str, Any]]:
        """SQL selecting (doc_id, score) of the best `:n` documents (a parameter left to the caller) of the types
        `only` whose narrowest tier is `tier`, best first — a lower score is more relevant — and its parameters;
        with `floor`, only documents scoring above it; with `span`, only doc_ids in it."""

    def tier_skip(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[str, dict[str, Any]]:
        """SQL selecting the doc_id of the `:skip`-th document (from 0, in doc_id order) at or after doc_id
        `:start` of those `tier_hits` reads — nothing when there are fewer — without scoring any."""

    def tier_some(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[str, dict[str, Any]]:
        """SQL selecting the doc_ids of up to `:n` documents of those `tier_hits` reads, in no set order, without
        scoring any: all of them when there are fewer."""

    def word_ranked(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[list[str], dict[str, Any]] | None:
        """The conditions (and their parameters) on `search_name_terms` of the documents `tier_hits` reads, when
        that table holds them in an order of their own (a one-word query's names tier); else None."""


Span = tuple[int, int | None]
"""doc_ids from the first up to (not including) the second; None: to the end."""


@dataclass(frozen=True)
class Only:
    """The record types a read of the index keeps, and where their documents are."""

    types: tuple[str, ...]
    ranges: tuple[tuple[int, int], ...] | None = None
    """doc_id ranges that hold every document of these types and none of the others, when known: a plain
    rowid test, which FTS5 applies inside the index when there is one range."""
    others: tuple[str, ...] | None = None
    """The types not kept, when they have fewer documents: excluding those is cheaper."""


def narrower(tier: Tier) -> tuple[Tier, ...]:
    """The tiers ranked before `tier` whose matches it would otherwise repeat (EXACT, and for the broadest
    tier the widest narrower one, which holds the others), or those the tier was given (`Tier.without`)."""
    if tier.excluded is not None:
        return tier.excluded
    if tier is EXACT:
        return ()
    if tier is BROADEST:
        return (EXACT, NARROWER[-1])
    return (EXACT, *NARROWER[: NARROWER.index(tier)])


def _chunks(items: Sequence[Any], size: int = BATCH) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class SqliteFts5:
    """SQLite: an external-content FTS5 table over search_documents."""

    KEYED = False
    FIRST_READ = (2, 32)
    """bm25 seldom ties beyond a few dozen rows (names of the same length)."""

    WEIGHTS = "10.0, 5.0, 3.0, 1.0"
    """bm25 weight of each column of COLUMNS."""
    TABLE = ("search_fts", "rowid")
    """Where a read finds the documents, and their doc_id there."""

    def insert(self, connection: sa.Connection, documents: Sequence[SearchDocument]) -> None:
        first = connection.exec_driver_sql("SELECT COALESCE(MAX(doc_id), 0) FROM search_documents").scalar_one()
        for offset, chunk in enumerate(_chunks(documents)):
            start = first + offset * BATCH + 1
            rows = [
                (start + i, d.record_type, d.record_id, d.name, d.fields, *(d.columns[c] for c in COLUMNS))
                for i, d in enumerate(chunk)
            ]
            connection.exec_driver_sql(
                "INSERT INTO search_documents (doc_id, record_type, record_id, name, fields, exact, names, aliases, "
                "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            connection.exec_driver_sql(
                "INSERT INTO search_fts (rowid, exact, names, aliases, body) VALUES (?, ?, ?, ?, ?)",
                [(row[0], *row[5:]) for row in rows],
            )

    def delete(self, connection: sa.Connection, record_type: str, record_ids: Sequence[str]) -> None:
        for chunk in _chunks(record_ids):
            marks = ", ".join("?" * len(chunk))
            where = f"record_type = ? AND record_id IN ({marks})"
            params = (record_type, *chunk)
            connection.exec_driver_sql(
                "INSERT INTO search_fts (search_fts, rowid, exact, names, aliases, body) "
                f"SELECT 'delete', doc_id, exact, names, aliases, body FROM search_documents WHERE {where}",
                params,
            )
            connection.exec_driver_sql(f"DELETE FROM search_documents WHERE {where}", params)

    def clear(self, connection: sa.Connection) -> None:
        connection.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
        connection.exec_driver_sql("DELETE FROM search_documents")

    def settle(self, connection: sa.Connection) -> None:
        """Nothing: FTS5 merges its segments as it writes them."""

    def match_text(self, tier: Tier, terms: QueryTerms) -> str:
        if tier.compact:
            expression = f'"{terms.compact}"'
        else:
            prefixes = terms.prefixes if tier.prefix else frozenset()
            expression = " AND ".join(f'"{t}"' + ("*" if t in prefixes else "") for t in terms.terms)
        return f"{{{' '.join(tier.columns)}}} : ({expression})"

    def tier_hits(
        self, tier: Tier, terms: QueryTerms, only: Only, floor: float | None, span: Span | None = None
    ) -> tuple[str, dict[str, Any]]:
        # One MATCH: the tier's expression minus the narrower tiers' (FTS5 NOT), ranked by bm25 of that
        # expression; the types by rowid, never by reading each match's row of search_documents (a few KB).
        conditions, params = self._matches(tier, terms, only)
        return _best(self.TABLE, f"bm25(search_fts, {self.WEIGHTS})", conditions, params, floor, span)

    def tier_skip(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[str, dict[str, Any]]:
        # In rowid order FTS5 hands matches over as it finds them: no bm25, no sort, stopping at the one wanted.
        return _skip(self.TABLE, *self._matches(tier, terms, only), order="rowid")

    def tier_some(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[str, dict[str, Any]]:
        if tier.compact:
            # The exact keys' own table (migration 0008): one look-up of the key, where FTS5 would read every
            # entry of the same word in the other columns (`ai`: a word of a fifth of the texts, nobody's name).
            conditions, params = self._types(only, "doc_id")
            return _some(("search_exact", "doc_id"), ["key = :k", *conditions], {**params, "k": terms.compact})
        return _some(self.TABLE, *self._matches(tier, terms, only))

    def word_ranked(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[list[str], dict[str, Any]] | None:
        # The table (migration 0010) holds each word of the `names` column, as the tier's MATCH finds it; the
        # exact tier, when excluded, by its own table, as `tier_some` reads it. `+doc_id`: the types are a filter
        # on the rows read in order, never a walk of the doc_id index.
        if tier.compact or tier.prefix or tier.columns != ("names",) or len(terms.terms) != 1:
            return None
        conditions, params = self._types(only, "doc_id", plain=False)
        if any(other.compact for other in narrower(tier)):
            conditions.append("doc_id NOT IN (SELECT doc_id FROM search_exact WHERE key = :k)")
            params["k"] = terms.compact
        return ["term = :w", *conditions], {**params, "w": terms.terms[0]}

    def _matches(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[list[str], dict[str, Any]]:
        """The conditions (and their parameters) of the documents of `only` whose narrowest tier is `tier`."""
        expression = f"({self.match_text(tier, terms)})"
        for other in narrower(tier):
            expression += f" NOT ({self.match_text(other, terms)})"
        conditions, params = self._types(only, "rowid")
        return ["search_fts MATCH :m", *conditions], {**params, "m": expression}

    @staticmethod
    def _types(only: Only, key: str, plain: bool = True) -> tuple[list[str], dict[str, Any]]:
        """The conditions (and their parameters) keeping the documents of `only`, by their doc_id column `key`;
        a test of the ranges on each row read, not an index's look-up, unless `plain`."""
        params: dict[str, Any] = {}
        conditions: list[str] = []
        if only.ranges is not None:
            between = [f"{'' if plain else '+'}{key} BETWEEN :lo{i} AND :hi{i}" for i in range(len(only.ranges))]
            conditions.append(f"({' OR '.join(between)})" if between else "0")
            for i, (low, high) in enumerate(only.ranges):
                params.update({f"lo{i}": low, f"hi{i}": high})
        else:
            excluded = only.others is not None
            types = only.others if only.others is not None else only.types
            marks = ", ".join(f":t{i}" for i in range(len(types)))
            params.update({f"t{i}": t for i, t in enumerate(types)})
            # `+rowid`: a filter on each match, never a list FTS5 would look up one rowid at a time.
            conditions.append(
                f"+{key} {'NOT IN' if excluded else 'IN'} "
                f"(SELECT doc_id FROM search_documents WHERE record_type IN ({marks}))"
            )
        return conditions, params


def _lexeme(term: str) -> str:
    if "'" in term or "\\" in term:
        term = term.replace("\\", "\\\\").replace("'", "''")
    return f"'{term}'"


class PostgresTsvector:
    """PostgreSQL: a weighted tsvector column with a GIN index; the name tiers' vectors in a narrow table."""

    KEYED = True

    FIRST_READ = (16, 32)
    """ts_rank takes few values (the 42,863 name matches of `photoresist` at 1M have three, 781 rows above the
    last): a page of 50 needed a second read of 1,056 rows after the first 132, each a full scan of the tier."""

    WEIGHT: ClassVar[dict[str, str]] = {"exact": "A", "names": "B", "aliases": "C", "body": "D"}
    NAMES_TABLE = ("search_names", "doc_id")
    """Where the name tiers find the documents (migration 0008), and their doc_id there."""
    DOCUMENTS_TABLE = ("search_documents", "doc_id")
    """Where the exact tier and the broadest find them: the exact keys' vector, or the whole document."""
    KEYS = "record_type, record_id"
    """Selected by every read beside the doc_id: both tables hold them."""
    CLEAN_GIN = (
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam "
        "WHERE i.indrelid IN ('search_documents'::regclass, 'search_names'::regclass) AND a.amname = 'gin'"
    )
    """Move each GIN index's pending entries into its tree; one row per index: how many pending pages it had."""

    def __init__(self, *, term_count: bool = True) -> None:
        self.term_count = term_count
        """Whether search_documents has its documents' lengths (`term_count`, migration 0011), which every insert
        then fills: true at head; false only for migration 0002, which indexes the records stored before it with
        today's code, long before 0011 adds the column. Said by the caller, not asked of the catalog at each insert
        (every load batch and every API write)."""

    def insert(self, connection: sa.Connection, documents: Sequence[SearchDocument]) -> None:
        document = " || ".join(
            f"setweight(to_tsvector('simple', {column}), '{self.WEIGHT[column]}')" for column in COLUMNS
        )
        arrays = ", ".join(["%b::text[]"] * (4 + len(COLUMNS)))
        # The length in terms, as `document_length` counts them: what search_name_terms's triggers rank by (0011);
        # not before that migration (0002 indexes stored records with this code), when the column is not there.
        length = " + ".join(
            f"(CASE WHEN {c} = '' THEN 0 ELSE length({c}) - length(replace({c}, ' ', '')) + 1 END)" for c in COLUMNS
        )
        sql = (
            f"INSERT INTO search_documents (record_type, record_id, name, fields, document"
            f"{', term_count' if self.term_count else ''}) "
            f"SELECT record_type, record_id, name, fields, {document}{f', {length}' if self.term_count else ''} "
            f"FROM unnest({arrays}) AS u(record_type, record_id, name, fields, {', '.join(COLUMNS)})"
        )
        for chunk in _chunks(documents):
            values = (
                [d.record_type for d in chunk],
                [d.record_id for d in chunk],
                [d.name for d in chunk],
                [d.fields for d in chunk],
                *([d.columns[c] for d in chunk] for c in COLUMNS),
            )
            connection.exec_driver_sql(sql, values)

    def delete(self, connection: sa.Connection, record_type: str, record_ids: Sequence[str]) -> None:
        for chunk in _chunks(record_ids):
            connection.exec_driver_sql(
                "DELETE FROM search_documents WHERE record_type = %s AND record_id = ANY(%s::text[])",
                (record_type, list(chunk)),
            )

    def clear(self, connection: sa.Connection) -> None:
        # DELETE, not TRUNCATE: readers keep seeing the old index until the load commits.
        connection.exec_driver_sql("DELETE FROM search_documents")

    def settle(self, connection: sa.Connection) -> None:
        """Move the GIN indexes' pending entries into their trees: a GIN index takes new rows into a pending
        list that every search reads whole until a vacuum (tens of thousands after a load of 100k statements:
        2.4 ms to find no exact key, 0.3 ms once they are moved, which took 0.2 s)."""
        connection.exec_driver_sql(self.CLEAN_GIN).all()

    def match_text(self, tier: Tier, terms: QueryTerms) -> str:
        weights = "".join(self.WEIGHT[c] for c in tier.columns)
        if tier.compact:
            return f"{_lexeme(terms.compact)}:{weights}"
        prefixes = terms.prefixes if tier.prefix else frozenset()
        return " & ".join(f"{_lexeme(t)}:{'*' if t in prefixes else ''}{weights}" for t in terms.terms)

    @staticmethod
    def vector(tier: Tier) -> str:
        """The tsvector column a tier reads: the exact keys' or the names' own (migration 0003), or the whole
        document when it looks at the body."""
        if tier.compact:
            return "exact_document"
        return "document" if "body" in tier.columns else "names_document"

    def table(self, tier: Tier) -> tuple[str, str]:
        """Where a tier's reads find the documents: the narrow names table for the name tiers."""
        return self.NAMES_TABLE if self.vector(tier) == "names_document" else self.DOCUMENTS_TABLE

    def tier_hits(
        self, tier: Tier, terms: QueryTerms, only: Only, floor: float | None, span: Span | None = None
    ) -> tuple[str, dict[str, Any]]:
        # The GIN index finds the tier's matches and ts_rank scores them by the tier's own query, as FTS5's bm25
        # scores the tier's expression; the top :n by a bounded heap sort. The exact and name tiers read their
        # small vectors: no weight rechecked on, and no body detoasted from, every match's whole document.
        # (Normalising by length was tried: fewer ties, but the pinyin that a Chinese name adds to its vector
        # then put Xi'an Jiaotong University above Xi Jinping for `Xi`.)
        score = f"-CAST(ts_rank({self.vector(tier)}, CAST(:m AS tsquery)) AS DOUBLE PRECISION)"
        conditions, params = self._matches(tier, terms, only)
        return _best(self.table(tier), score, conditions, params, floor, span, self.KEYS)

    def tier_skip(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[str, dict[str, Any]]:
        # `+ 0`: sort what the text index found, never walk the key's index testing every row (the planner did).
        return _skip(self.table(tier), *self._matches(tier, terms, only), order="doc_id + 0")

    def tier_some(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[str, dict[str, Any]]:
        return _some(self.table(tier), *self._matches(tier, terms, only), self.KEYS)

    def word_ranked(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[list[str], dict[str, Any]] | None:
        # The table (migration 0011) holds each lexeme of the names (weight B), as the tier's `'w':B` finds it, with
        # the record's type (covered by its key's index: a filter on the rows read in order); the exact tier, when
        # excluded, by its own vector, as `_matches` excludes it.
        if tier.compact or tier.prefix or tier.columns != ("names",) or len(terms.terms) != 1:
            return None
        params: dict[str, Any] = {"w": terms.terms[0], **{f"t{i}": t for i, t in enumerate(only.types)}}
        conditions = ["term = :w", f"record_type IN ({', '.join(f':t{i}' for i in range(len(only.types)))})"]
        if any(other.compact for other in narrower(tier)):
            conditions.append(
                f"doc_id NOT IN (SELECT doc_id FROM {self.DOCUMENTS_TABLE[0]} "
                "WHERE exact_document @@ CAST(:k AS tsquery))"
            )
            params["k"] = self.match_text(EXACT, terms)
        return conditions, params

    def _matches(self, tier: Tier, terms: QueryTerms, only: Only) -> tuple[list[str], dict[str, Any]]:
        """The conditions (and their parameters) of the documents of `only` whose narrowest tier is `tier`."""
        vector, table = self.vector(tier), self.table(tier)
        params: dict[str, Any] = {"m": self.match_text(tier, terms)}
        conditions = [f"{vector} @@ CAST(:m AS tsquery)"]
        for other in narrower(tier):
            excluded = f"{self.vector(other)} @@ CAST(:n{other.rank} AS tsquery)"
            if other.compact and table == self.NAMES_TABLE:  # no exact keys there: the few documents holding them
                excluded = f"doc_id IN (SELECT doc_id FROM {self.DOCUMENTS_TABLE[0]} WHERE {excluded})"
            conditions.append(f"NOT {excluded}")
            params[f"n{other.rank}"] = self.match_text(other, terms)
        conditions.append(f"record_type IN ({', '.join(f':t{i}' for i in range(len(only.types)))})")
        params.update({f"t{i}": t for i, t in enumerate(only.types)})
        return conditions, params


def _best(
    table: tuple[str, str],
    score: str,
    conditions: list[str],
    params: dict[str, Any],
    floor: float | None,
    span: Span | None,
    keys: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """SQL of the best `:n` documents of `table` (its name and its doc_id column) meeting `conditions`, by
    `score` (lower is better), above `floor` and in `span` when given; with `keys`, those columns too."""
    name, key = table
    if span is not None:
        conditions = [*conditions, f"{key} >= :start" + (f" AND {key} < :stop" if span[1] is not None else "")]
        params = {**params, "start": span[0], "stop": span[1]}
    if floor is not None:
        conditions = [*conditions, f"{score} > :floor"]
        params = {**params, "floor": floor}
    selected = f"{key} AS doc_id, {score} AS score" + (f", {keys}" if keys else "")
    return f"SELECT {selected} FROM {name} WHERE {' AND '.join(conditions)} ORDER BY score LIMIT :n", params


def _skip(
    table: tuple[str, str], conditions: list[str], params: dict[str, Any], order: str
) -> tuple[str, dict[str, Any]]:
    """SQL of the doc_id `:skip` documents on from `:start` (in doc_id order, by `order`) of those meeting
    `conditions`."""
    name, key = table
    where = " AND ".join([*conditions, f"{key} >= :start"])
    return f"SELECT {key} FROM {name} WHERE {where} ORDER BY {order} LIMIT 1 OFFSET :skip", params


def _some(
    table: tuple[str, str], conditions: list[str], params: dict[str, Any], keys: str | None = None
) -> tuple[str, dict[str, Any]]:
    """SQL of the doc_ids (and `keys`, when given) of up to `:n` documents of `table` meeting `conditions`, in the
    order they are found."""
    name, key = table
    selected = f"{key} AS doc_id" + (f", {keys}" if keys else "")
    return f"SELECT {selected} FROM {name} WHERE {' AND '.join(conditions)} LIMIT :n", params


def backend_for(connection: sa.Connection) -> SearchBackend:
    """The search backend of this connection's database."""
    return SqliteFts5() if connection.dialect.name == "sqlite" else PostgresTsvector()
