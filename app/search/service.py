"""A search request: parse its query string strictly, run it, shape the page, suggest on a miss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from starlette.datastructures import QueryParams

from app.core.caching import Memo
from app.core.pagination import decode_cursor, encode_cursor
from app.core.params import bad, check_text, parse_int, reject_unknown, split_list
from app.core.state import current_version
from app.core.suggest import did_you_mean
from app.records.registry import BY_NAME, BY_PLURAL
from app.search.repository import labels, search_page
from app.search.snippets import explain
from app.search.text import QueryTerms, fold, query_terms, words

PARAMETERS = ("q", "type", "limit", "cursor")
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


def _record_type(value: str) -> str:
    if value in BY_NAME:
        return value
    if value in BY_PLURAL:
        return BY_PLURAL[value].name
    choices = [*BY_NAME, *BY_PLURAL]
    raise bad("type", f"'{value[:60]}' is not a record type{did_you_mean(value, choices)}; types: {', '.join(BY_NAME)}")


def _after(values: list[Any]) -> list[Any]:
    shape = [int, int, str, str]
    if len(values) != len(shape) or any(
        not isinstance(v, kind) or isinstance(v, bool) for v, kind in zip(values, shape, strict=True)
    ):
        raise bad("cursor", "this cursor does not fit this search; start again without it")
    return values


def parse_search(params: QueryParams, cursor_secret: str) -> SearchSpec:
    """A search request from its query string; anything unknown, empty or malformed is a 400 that says why."""
    reject_unknown(params, PARAMETERS)
    given = [check_text("q", v) for v in params.getlist("q")]
    if len(given) > 1:
        raise bad("q", "give q once")
    q = given[0].strip() if given else ""
    if not q:
        raise bad("q", "is required: the text to search for, e.g. q=huawei or q=习近平")
    terms = query_terms(q)
    if not terms.terms:
        raise bad("q", f"'{q[:100]}' has no letters or digits to search for")
    if len(terms.terms) > MAX_TERMS:
        raise bad("q", f"too many words to search for (at most {MAX_TERMS})")
    types = list(dict.fromkeys(_record_type(v) for v in split_list(params.getlist("type"))))
    limit = parse_int("limit", params["limit"], minimum=1, maximum=MAX_LIMIT) if "limit" in params else DEFAULT_LIMIT
    after = _after(decode_cursor(cursor_secret, params["cursor"], CURSOR_SORT)) if "cursor" in params else None
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
