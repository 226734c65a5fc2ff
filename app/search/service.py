"""A search request: parse its query string strictly, run it, shape the page, suggest on a miss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from starlette.datastructures import QueryParams

from app.core.caching import Memo
from app.core.pagination import decode_cursor, encode_cursor
from app.core.params import CURSOR, MAX_PARAM_LENGTH, Many, One, Parameters, bad, page_limit
from app.core.state import current_version
from app.core.suggest import did_you_mean
from app.records.registry import BY_NAME, BY_PLURAL
from app.search.repository import labels, search_page
from app.search.snippets import explain
from app.search.text import QueryTerms, fold, query_terms, words

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_TERMS = 32
"""More terms than this is a pasted paragraph, not a search; it is refused rather than cut silently."""
CURSOR_SORT = "search-rank"
SUGGESTIONS = 5
SUGGESTION_CUTOFF = 80.0


@dataclass(frozen=True)
class SearchSpec:
    """A parsed search request."""

    q: str
    terms: QueryTerms
    types: list[str]
    limit: int = DEFAULT_LIMIT
    after: list[Any] | None = None


def _record_type(field: str, value: str) -> str:
    if value in BY_NAME:
        return value
    if value in BY_PLURAL:
        return BY_PLURAL[value].name
    choices = [*BY_NAME, *BY_PLURAL]
    raise bad(field, f"'{value[:60]}' is not a record type{did_you_mean(value, choices)}; types: {', '.join(BY_NAME)}")


def _after(values: list[Any]) -> list[Any]:
    shape = [int, int, str, str]
    if len(values) != len(shape) or any(
        not isinstance(v, kind) or isinstance(v, bool) for v, kind in zip(values, shape, strict=True)
    ):
        raise bad("cursor", "this cursor does not fit this search; start again without it")
    return values


Q = One(
    name="q",
    description="What to look for, in any script: an English name, an alias or acronym, 汉字, or pinyin with or "
    "without tones and spaces (`习近平`, `xi jinping`, `xijinping`, `Xí Jìnpíng`). Case and accents are ignored; "
    "every word must match; a word of two or more letters also matches the words it begins (`ascen` finds "
    'Ascend). Query syntax is not interpreted: `"`, `*`, `-`, `:` are spaces.',
    schema={"type": "string", "minLength": 1, "maxLength": MAX_PARAM_LENGTH},
    example="习近平",
    required=True,
    once=True,
    missing="is required: the text to search for, e.g. q=huawei or q=习近平",
    blank=True,
    parse=lambda _field, value: value.strip(),
)
TYPE = Many(
    name="type",
    description="Only these record types (repeat or comma-separate for several; singular or plural).",
    schema={"type": "array", "items": {"type": "string", "enum": list(dict.fromkeys([*BY_NAME, *BY_PLURAL]))}},
    example=["actor", "hardware"],
    parse=_record_type,
)
LIMIT = page_limit("hits", default=DEFAULT_LIMIT, maximum=MAX_LIMIT, streams=False)
PARAMETERS = Parameters(Q, TYPE, LIMIT, CURSOR)


def parse_search(params: QueryParams, cursor_secret: str) -> SearchSpec:
    """A search request from its query string; anything unknown, empty or malformed is a 400 that says why."""
    PARAMETERS.check(params)
    q = Q.get(params, "")
    if not q:
        raise bad(Q.name, Q.missing)
    terms = query_terms(q)
    if not terms.terms:
        raise bad("q", f"'{q[:100]}' has no letters or digits to search for")
    if len(terms.terms) > MAX_TERMS:
        raise bad("q", f"too many words to search for (at most {MAX_TERMS})")
    types = list(dict.fromkeys(TYPE.get(params)))
    limit = LIMIT.get(params, DEFAULT_LIMIT)
    cursor = CURSOR.get(params)
    after = _after(decode_cursor(cursor_secret, cursor, CURSOR_SORT)) if cursor is not None else None
    return SearchSpec(q, terms, types, limit, after)


def search(connection: sa.Connection, spec: SearchSpec, cursor_secret: str) -> dict[str, Any]:
    """One page: hits best first, the next cursor, and suggestions when the first page is empty."""
    hits = search_page(connection, spec.terms, spec.types, spec.limit + 1, spec.after)
    next_cursor = None
    if len(hits) > spec.limit:
        hits = hits[: spec.limit]
        next_cursor = encode_cursor(cursor_secret, CURSOR_SORT, hits[-1].position)
    items = []
    for hit in hits:
        explanation = explain(spec.terms, hit.fields)
        items.append(
            {
                "type": hit.record_type,
                "id": hit.record_id,
                "name": hit.name,
                "snippet": explanation.snippet,
                "matched": explanation.matched,
            }
        )
    suggestions = suggest(connection, spec) if not items and spec.after is None else []
    return {"items": items, "next_cursor": next_cursor, "did_you_mean": suggestions}


_LABELS: Memo[tuple[Any, ...], dict[str, str]] = Memo(8)
"""Folded names and aliases per dataset version, so a miss does not read every name again."""


def _labels(connection: sa.Connection, types: list[str]) -> dict[str, str]:
    version, changed_at = current_version(connection)
    key = (connection.engine.url.render_as_string(), version, changed_at, tuple(sorted(types)))
    return _LABELS.get(key, lambda: {label: " ".join(words(fold(label))) for label in labels(connection, types)})


def suggest(connection: sa.Connection, spec: SearchSpec) -> list[str]:
    """Names and aliases that look like the query (fuzzy), best first."""
    choices = _labels(connection, spec.types)
    query = " ".join(words(fold(spec.q)))
    found = process.extract(
        query, choices, scorer=fuzz.WRatio, processor=None, limit=SUGGESTIONS * 4, score_cutoff=SUGGESTION_CUTOFF
    )
    best: dict[str, None] = {}
    for _folded, _score, label in found:
        best.setdefault(label, None)
    return list(best)[:SUGGESTIONS]
