"""The SQL of search: one ranked page of hits, and the labels fuzzy suggestions are drawn from.

The order: a document's tier (app/search/backends.py: the narrowest whose
columns hold every query term), a source just after the other records of its
tier (citations come after what they back), then the engine's relevance (bm25
/ ts_rank, as an integer so cursors compare exactly), then type and id. Pages
follow that order by keyset.

A page costs what its tiers cost, not what the whole answer would: tiers are
read narrowest first, and only until the page is full; each read asks the
engine for the best `n` documents of one tier (`ORDER BY score LIMIT n`), so
only those few are looked up, sorted in Python and, at the end, read with
their stored text. When `n` rows cannot settle the page (ties on the integer
score, rows of other types), the same read is made again with a larger `n`.
On SQLite a level with more than RANK_WHOLE matches is ranked RANK_BLOCK at a
time, so a common word costs what one block costs, not what ranking all its
matches would; a load gives each type's shortest documents the lowest doc_ids
(app/search/index.py), so the first block holds the matches bm25 most likely
ranks best.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa

from app.core.caching import Memo
from app.records.items import driver_rows
from app.records.registry import BY_NAME, RECORD_TYPE_LIST
from app.search.backends import TIERS, Only, SearchBackend, Span, Tier, backend_for, narrower
from app.search.text import QueryTerms

SCORE_SCALE = 1_000_000
"""Relevance is kept to six decimals, as an integer."""
SOURCE = "source"
GROWTH = 8
"""How much larger each further read of the same tier is."""
RANK_WHOLE = 2048
"""On SQLite, the most matches of one level ranked together. FTS5 scores every match it is asked to rank (bm25
reads each one's column sizes and positions: 0.7 µs a match, 32 ms for the 42,863 names that hold `photoresist`
at 1M statements), so a level with more matches is ranked RANK_BLOCK at a time, in doc_id order: the best of
its first RANK_BLOCK matches, then the best of the next RANK_BLOCK, and so on. No level of the real seed is
that large (tests/search/test_rank_blocks.py), so its order is the engine's over every match, as before.
PostgreSQL ranks every match of other levels: finding a block's bounds means fetching every match in doc_id
order, which cost as much as `ts_rank` over all of them (about 6 ms each for the 4,383 names holding
`lithography` at 100k). On both, a one-word query's names level of more matches is read in the order of
`search_name_terms` (migrations 0010, 0011), the same on both."""
RANK_BLOCK = 1024
"""On SQLite, the matches of a level larger than RANK_WHOLE ranked together. A load numbers each type's
documents shortest first (app/search/index.py), and bm25 ranks a shorter document above a longer one holding
the query as often, so a level's first matches in doc_id order hold many of its best. At 100k statements, for
bench/run's search words (names levels of about 4,200 matches), a first page held on average 30 of the 50 best
of the whole level with blocks of 1,024 (20 with 512, 15 with 256, 48 with 2,048); blocks of 2,048 in load
order, as before, held 25. 1,024 is chosen so that pages come closer to the whole level's ranking than before,
not further from it, for a search that still costs about 0.7× what it did (3.9 ms in-process at 100k, against
3.2 ms with 512 and 5.4 with 2,048 in the same order: bench/RESULTS.md)."""
CENSUS = 64
"""A tier with fewer matches than this is first listed whole (doc_ids and types, no score), so that its levels
without a match cost no read and the others no look for a block's end: most tiers of a one-word query (the exact
keys, the aliases) hold nothing or a few records."""
BLOCK_OFFSET = 10**12
"""A ranked block's scores (never below -BLOCK_OFFSET) are kept as `start × 2 × BLOCK_OFFSET + score +
BLOCK_OFFSET`, where `start` is the block's first doc_id: blocks in doc_id order, each ranked within, in one
integer a cursor keeps."""


class Ranking(NamedTuple):
    """How a level's matches are ordered: ranked together up to `whole` of them. A larger level is read from
    `search_name_terms` when it is a one-word query's names, else ranked `block` at a time in doc_id order, or,
    with no `block` (PostgreSQL), together after all."""

    whole: int
    block: int | None


@dataclass(frozen=True)
class Hit:
    """One matching record, with its place in the order."""

    tier: int
    score: int
    record_type: str
    record_id: str
    name: str
    fields: dict[str, Any]

    @property
    def position(self) -> list[Any]:
        """The sort values a cursor keeps."""
        return [self.tier, self.score, self.record_type, self.record_id]


class _Key(NamedTuple):
    """A hit's place in the order (`level` is the tier times two, plus one for a source), and its document."""

    level: int
    score: int
    record_type: str
    record_id: str
    doc_id: int


_BIND = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=1024)
def _pyformat(sql: str) -> str:
    """SQL with `:name` parameters as `%(name)s` (psycopg's style)."""
    return _BIND.sub(r"%(\1)s", sql)


def _rows(connection: sa.Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of SQL written with `:name` parameters, bound by the driver (sqlite3 takes `:name` as it is):
    no statement for SQLAlchemy to build, compile and cache per request, no Row objects."""
    return driver_rows(connection, sql if connection.dialect.name == "sqlite" else _pyformat(sql), params)


def _level(tier: Tier, record_type: str) -> int:
    return tier.rank * 2 + (1 if record_type == SOURCE else 0)


def _scale(score: float | None) -> int:
    # As CAST(score * 1000000 AS BIGINT) did: truncation toward zero, monotonic in the score.
    return int((score or 0.0) * SCORE_SCALE)


_SPANS: Memo[tuple[Any, ...], dict[str, tuple[int, int, int]]] = Memo(4)


def _spans(connection: sa.Connection) -> dict[str, tuple[int, int, int]]:
    """Per record type, the lowest and highest doc_id of its documents and their number, kept per dataset
    version and doc_id bounds (the index changes only with a load, which changes the version): the key is one
    question asked of the driver (a few µs; through SQLAlchemy's statement machinery, two cost ~50 µs)."""
    key = (connection.engine.url.render_as_string(), *driver_rows(connection, _SPANS_KEY_SQL, {})[0])

    def read() -> dict[str, tuple[int, int, int]]:
        rows = connection.exec_driver_sql(
            "SELECT record_type, MIN(doc_id), MAX(doc_id), COUNT(*) FROM search_documents GROUP BY record_type"
        )
        return {t: (low, high, count) for t, low, high, count in rows}

    return _SPANS.get(key, read)


_SPANS_KEY_SQL = (
    "SELECT (SELECT version FROM dataset_state), (SELECT changed_at FROM dataset_state), "
    "(SELECT MIN(doc_id) FROM search_documents), (SELECT MAX(doc_id) FROM search_documents)"
)
"""What `_spans` keeps its answer under, besides the database: the dataset version (NULLs before the first
load) and the index's doc_id bounds."""


def _only(types: Sequence[str], spans: dict[str, tuple[int, int, int]] | None) -> Only:
    """The type filter of one read; on SQLite, by doc_id ranges when each type fills one (as a load leaves
    them), else by the smaller side of the split."""
    if spans is None:
        return Only(tuple(types))
    present = [t for t in types if t in spans]
    if all(high - low + 1 == count for low, high, count in (spans[t] for t in present)):
        ranges: list[tuple[int, int]] = []
        for low, high, _count in sorted(spans[t] for t in present):
            if ranges and ranges[-1][1] + 1 == low:
                ranges[-1] = (ranges[-1][0], high)
            else:
                ranges.append((low, high))
        return Only(tuple(types), ranges=tuple(ranges))
    others = [t for t in spans if t not in types]
    fewer = sum(spans[t][2] for t in others) < sum(spans[t][2] for t in present)
    return Only(tuple(types), others=tuple(others) if fewer else None)


def _census(
    connection: sa.Connection,
    backend: SearchBackend,
    terms: QueryTerms,
    tier: Tier,
    wanted: frozenset[str] | None,
    spans: dict[str, tuple[int, int, int]] | None,
) -> dict[bool, int] | None:
    """How many documents of `tier` each of its levels holds (by whether they are sources), when the tier has
    fewer than CENSUS; None when it has more."""
    types = sorted(wanted or BY_NAME)
    sql, params = backend.tier_some(tier, terms, _only(types, spans))
    if backend.KEYED:
        sql = f"SELECT h.record_type FROM ({sql}) AS h"
    else:
        sql = f"SELECT d.record_type FROM ({sql}) AS h JOIN search_documents d ON d.doc_id = h.doc_id"
    found = [record_type for (record_type,) in _rows(connection, sql, {**params, "n": CENSUS})]
    if len(found) >= CENSUS:
        return None
    sources = sum(1 for record_type in found if record_type == SOURCE)
    return {True: sources, False: len(found) - sources}


def _read_level(
    connection: sa.Connection,
    backend: SearchBackend,
    terms: QueryTerms,
    tier: Tier,
    wanted: frozenset[str] | None,
    sources: bool,
    need: int,
    after: _Key | None,
    spans: dict[str, tuple[int, int, int]] | None,
    ranking: Ranking,
    matches: int | None,
    stored: dict[int, tuple[str, str]],
) -> list[_Key]:
    """Up to `need` hits of one level of `tier` (its sources, or its other records) in order, after `after`, as
    `ranking` says; `matches`, how many it has, when known. The stored name and text of hits read along the way
    go into `stored` (by doc_id)."""
    types = sorted(t for t in wanted or BY_NAME if (t == SOURCE) == sources)
    if not types or matches == 0:
        return []
    whole, size = ranking
    only = _only(types, spans)
    level = Level(connection, backend, terms, tier, only, frozenset(types))
    documents = sum(spans[t][2] for t in types if t in spans) if spans is not None else None
    larger = (matches is None or matches > whole) and (documents is None or documents > whole)
    if larger:
        words = backend.word_ranked(tier, terms, only)
        if words is not None and _more_than(connection, *words, whole):
            return _word_ranked(connection, *words, level, need, after, stored)
    if larger and size is not None and (start := _first_block_end(level, whole, size)) is not None:
        return _ranked_in_blocks(level, need, after, start, size)
    # No more than `whole` matches, or no blocks (PostgreSQL): ranked together.
    return level.ranked(need, after.score if after is not None else None, after)


def _ranked_in_blocks(level: Level, need: int, after: _Key | None, start: int, size: int) -> list[_Key]:
    """Up to `need` hits of a level ranked `size` matches at a time in doc_id order (its first block ending at
    `start`), after `after`: its score says in which block it is."""
    keys: list[_Key] = []
    next_start: int | None = start
    begin, score_after = 0, None
    if after is not None:
        begin, score_after = divmod(after.score, 2 * BLOCK_OFFSET)
        score_after -= BLOCK_OFFSET
        next_start = level.skip(begin, size) if begin else start
    while True:
        found = level.ranked(need - len(keys), score_after, after, (begin, next_start))
        keys += [k._replace(score=begin * 2 * BLOCK_OFFSET + k.score + BLOCK_OFFSET) for k in found]
        if len(keys) >= need or next_start is None:
            return keys
        begin, score_after, after = next_start, None, None
        next_start = level.skip(begin, size)


def _first_block_end(level: Level, whole: int, size: int) -> int | None:
    """Where a level's first block of `size` matches ends, when it has more than `whole` matches (else None)."""
    if whole < size:
        return level.skip(0, size) if level.skip(0, whole) is not None else None
    # The first block's end, then whether the level has more than `whole` matches, counted on from there (the
    # `whole`-th match is the (whole - size)-th from the `size`-th), not from the first match again.
    start = level.skip(0, size)
    if start is not None and whole > size and level.skip(start, whole - size) is None:
        return None
    return start


WORD_SCORE_SHIFT = 32
"""A level read from `search_name_terms` keeps `rank << WORD_SCORE_SHIFT | doc_id` as its hits' score: the table's
order, one integer a cursor keeps (doc_ids stay below 2^32, ranks below 2^22)."""


def _more_than(connection: sa.Connection, conditions: list[str], params: dict[str, Any], count: int) -> bool:
    """Whether `search_name_terms` holds more than `count` rows meeting `conditions` (read as far as the next)."""
    sql = f"SELECT 1 FROM search_name_terms WHERE {' AND '.join(conditions)} LIMIT 1 OFFSET :skip"
    return bool(_rows(connection, sql, {**params, "skip": count}))


def _word_ranked(
    connection: sa.Connection,
    conditions: list[str],
    params: dict[str, Any],
    level: Level,
    need: int,
    after: _Key | None,
    stored: dict[int, tuple[str, str]],
) -> list[_Key]:
    """Up to `need` hits of a one-word query's names level in the order of `search_name_terms` (migration 0010:
    bm25 of the word in the names over a constant average document length, then doc_id), after `after`: the first
    rows of one index range, where FTS5 would score every match of a level of thousands. Their stored name and
    text come with them (into `stored`): the documents are read for their type and id anyway."""
    if after is not None:
        rank, doc_id = divmod(after.score, 1 << WORD_SCORE_SHIFT)
        conditions = [*conditions, "(rank, doc_id) > (:r, :d)"]
        params = {**params, "r": rank, "d": doc_id}
    sql = (
        "SELECT t.doc_id, t.rank, d.record_type, d.record_id, d.name, d.fields FROM (SELECT doc_id, rank "
        "FROM search_name_terms "
        f"WHERE {' AND '.join(conditions)} ORDER BY rank, doc_id LIMIT :n) AS t "
        "JOIN search_documents AS d ON d.doc_id = t.doc_id"
    )
    levels = {record_type: _level(level.tier, record_type) for record_type in level.types}
    keys = []
    for doc_id, rank, record_type, record_id, name, fields in _rows(connection, sql, {**params, "n": need}):
        keys.append(_Key(levels[record_type], rank << WORD_SCORE_SHIFT | doc_id, record_type, record_id, doc_id))
        stored[doc_id] = (name, fields)
    return sorted(keys)


@dataclass(frozen=True)
class Level:
    """Reads of one level of one tier: its documents of the types `only` keeps."""

    connection: sa.Connection
    backend: SearchBackend
    terms: QueryTerms
    tier: Tier
    only: Only
    types: frozenset[str]

    def skip(self, start: int, count: int) -> int | None:
        """The doc_id `count` matches on from `start` (at or after it), None when there are no more."""
        sql, params = self.backend.tier_skip(self.tier, self.terms, self.only)
        found = _rows(self.connection, sql, {**params, "start": start, "skip": count})
        return int(found[0][0]) if found else None

    def ranked(self, need: int, score_after: int | None, after: _Key | None, span: Span | None = None) -> list[_Key]:
        """Up to `need` hits best first (in `span` of doc_ids when given), after `after` (whose score within
        the span is `score_after`).

        Rows come from the engine best first, `n` at a time; unread rows score at least the integer score `s`
        of the last row read, so a hit scoring below `s` is settled.
        """
        # Rows scoring at or below the floor are before the cursor (the floor is a little lower than exact).
        floor = (score_after - 2) / SCORE_SCALE if score_after is not None else None
        n = need * self.backend.FIRST_READ[0] + self.backend.FIRST_READ[1]
        levels = {record_type: _level(self.tier, record_type) for record_type in self.types}
        while True:
            sql, params = self.backend.tier_hits(self.tier, self.terms, self.only, floor, span)
            if not self.backend.KEYED:
                sql = (
                    f"SELECT h.doc_id, h.score, d.record_type, d.record_id FROM ({sql}) AS h "
                    "LEFT JOIN search_documents d ON d.doc_id = h.doc_id"
                )
            rows = _rows(self.connection, sql, {**params, "n": n})
            keys = sorted(
                _Key(levels[record_type], _scale(score), record_type, record_id, doc_id)
                for doc_id, score, record_type, record_id in rows
                if record_type in levels
            )
            if after is not None and score_after is not None:
                cursor = (after.level, score_after, after.record_type, after.record_id)
                keys = [k for k in keys if k[:4] > cursor]
            if len(rows) < n:  # every row of the tier (above the floor) was read
                return keys[:need]
            last = _scale(max(score or 0.0 for _doc_id, score, _type, _id in rows))  # `_scale` keeps the order
            settled = [k for k in keys if k.score < last]
            if len(settled) >= need:
                return settled[:need]
            n *= GROWTH


def search_page(
    connection: sa.Connection,
    terms: QueryTerms,
    types: list[str],
    limit: int,
    after: list[Any] | None,
    tiers: Sequence[Tier] = TIERS,
    block: int | None = None,
    whole: int | None = None,
) -> list[Hit]:
    """Up to `limit` hits in rank order, after the cursor's position when given; only matches of `tiers`
    when given (reconciliation reads the name tiers, never mentions in texts); a level of more than `whole`
    matches (by default `block`) ranked `block` at a time (by default RANK_WHOLE and RANK_BLOCK on SQLite,
    every match together on PostgreSQL), or, a one-word query's names level, read from search_name_terms."""
    backend = backend_for(connection)
    if block is not None:
        ranking = Ranking(whole if whole is not None else block, block)
    elif connection.dialect.name == "sqlite":
        ranking = Ranking(RANK_WHOLE, RANK_BLOCK)
    else:
        ranking = Ranking(RANK_WHOLE, None)
    wanted = frozenset(types) if types else None
    spans = _spans(connection) if connection.dialect.name == "sqlite" else None
    cursor = _Key(after[0], after[1], after[2], after[3], -1) if after is not None else None
    keys: list[_Key] = []
    stored: dict[int, tuple[str, str]] = {}
    empty: set[int] = set()
    """Ranks of the tiers whose match (not only their level) holds no document of the types wanted: later reads
    need not exclude them."""
    for tier in tiers:
        if cursor is not None and tier.rank * 2 + 1 < cursor.level:
            continue
        tier = tier.without(empty)
        census = _census(connection, backend, terms, tier, wanted, spans)
        if census is not None and not any(census.values()):
            if not narrower(tier):  # nothing left out of the read: the tier's whole match holds none
                empty.add(tier.rank)
            continue
        for sources in (False, True):
            level = tier.rank * 2 + sources
            if cursor is not None and level < cursor.level:
                continue
            since = cursor if cursor is not None and cursor.level == level else None
            matches = census[sources] if census is not None else None
            keys += _read_level(
                connection,
                backend,
                terms,
                tier,
                wanted,
                sources,
                limit - len(keys),
                since,
                spans,
                ranking,
                matches,
                stored,
            )
            if len(keys) >= limit:
                return _hits(connection, keys, stored)
    return _hits(connection, keys, stored)


def _hits(connection: sa.Connection, keys: Sequence[_Key], stored: dict[int, tuple[str, str]]) -> list[Hit]:
    """The hits of these keys, in their order, with their stored name and text (read here unless in `stored`)."""
    missing = [key.doc_id for key in keys if key.doc_id not in stored]
    if missing:
        marks = ", ".join(f":d{i}" for i in range(len(missing)))
        sql = f"SELECT doc_id, name, fields FROM search_documents WHERE doc_id IN ({marks})"
        rows = _rows(connection, sql, {f"d{i}": doc_id for i, doc_id in enumerate(missing)})
        stored.update((doc_id, (name, fields)) for doc_id, name, fields in rows)
    hits = []
    for key in keys:
        name, fields = stored[key.doc_id]
        hits.append(Hit(key.level, key.score, key.record_type, key.record_id, name, orjson.loads(fields)))
    return hits


def labels(connection: sa.Connection, types: list[str]) -> list[str]:
    """Every name, other-language name and alias of the records of these types (all types when empty)."""
    found: list[str] = []
    for record_type in [BY_NAME[t] for t in types] or RECORD_TYPE_LIST:
        table = record_type.table
        for name, names, aliases in connection.execute(sa.select(table.c.name, table.c.names, table.c.aliases)):
            found.append(name)
            found.extend((names or {}).values())
            found.extend(aliases or [])
    return found
