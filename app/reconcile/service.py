"""Reconciliation (W3C Reconciliation Service API 0.2, as OpenRefine 3.x speaks it) for actors and hardware.

A cell of a spreadsheet (`Huawei`, `华为`, `huawei technologies`, `NVIDIA Corporation`) becomes a few ranked
candidates, each a typed id (`actor:huawei`, `hardware:nvidia-a100`: ids are unique per type only, so the
type is part of the id) with a score and a matching decision.

Candidates come from the search index (app/search/), read through its name tiers only: an exact full name,
other-language name, alias or pinyin spelling; every word in the names; in the aliases; names and aliases by
prefix. Mentions in summaries are not names and never make a candidate. The score is the tier's band (see
BANDS) placed by how close the query is to the candidate's nearest name (rapidfuzz ratio of compact keys),
so it is the same on SQLite and PostgreSQL; equal scores are ordered by type and id. When the query as
written has no exact match and ends in a legal form (`Co., Ltd.`, `Inc.`, `有限公司`), it is tried again
without it, two points lower.

`match` is true for the first candidate only when it is the single record, among the types asked for, whose
written name, other-language name or alias is exactly the query (or the query without its legal form), and
no other candidate is an exact match of any kind: a pinyin spelling alone never matches automatically
(homophones), and two records sharing a name never do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from rapidfuzz import fuzz

from app import __version__
from app.core.errors import NotFound, PayloadTooLarge
from app.core.params import MAX_PARAM_LENGTH, bad
from app.core.suggest import did_you_mean
from app.reconcile.queries import indexed_record
from app.records.fields import is_slug
from app.records.registry import BY_NAME
from app.search.backends import EXACT, NARROWER
from app.search.repository import Hit, search_page
from app.search.text import QueryTerms, compact_key, fold, is_cjk, name_keys, query_terms, words

VERSIONS = ["0.1", "0.2"]
TYPES: dict[str, str] = {"actor": "Actor", "hardware": "Hardware"}
"""The types reconciled against, with their names."""
IDENTIFIER_SPACE = "urn:techsov:record:"
"""Independent of where the API runs, so every deployment of the same data names an entity alike."""
SCHEMA_SPACE = "urn:techsov:type:"
VIEW_PATH = "/v1/reconcile/view/"
DEFAULT_LIMIT = 5
MAX_LIMIT = 25
"""A larger `limit` is capped: a query may always ask for fewer candidates than it gets."""
MAX_BATCH = 100
"""Queries in one batch; OpenRefine sends 10 at a time."""
MAX_BODY = 1 << 20
"""Bytes of a POST body or a GET `queries`."""
MAX_TERMS = 32
"""A cell with more words than this is not a name: it gets no candidates."""
QUERY_FIELDS = ("query", "type", "limit", "properties", "type_strict")
TYPE_STRICT = ("any", "should", "all")
CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.]{0,99}$")
"""A JSONP callback: a JavaScript name or dotted path, nothing that could be code."""
TYPED_ID = re.compile(r"^([a-z]+):(.+)$")

NAME_TIERS = (EXACT, *NARROWER)
"""The search tiers read: names and aliases, never mentions in texts."""
BANDS: dict[int, tuple[float, float]] = {1: (60.0, 90.0), 2: (40.0, 59.0), 3: (10.0, 39.0)}
"""Score range of each search tier but the exact one (tier rank -> low, high)."""
EXACT_WRITTEN = 100.0
EXACT_PINYIN = 95.0
LEGAL_FORM_PENALTY = 2.0
DESCRIPTION_LENGTH = 160
LEGAL_FORMS = frozenset(
    {
        "co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "plc", "gmbh",
        "ag", "sa", "nv", "bv", "kk", "pte", "pty",
    }
)  # fmt: skip
"""Words of a company's legal form, set aside at the end of a query (folded)."""
CJK_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "株式会社", "公司")
"""The same at the end of a Chinese or Japanese name, longest first."""


@dataclass(frozen=True)
class ReconcileQuery:
    """One query of a batch, checked."""

    key: str
    text: str
    terms: QueryTerms | None
    """None when the text holds nothing to match (no letters or digits, or too many words)."""
    core: QueryTerms | None
    """The terms without a trailing legal form, when there was one to set aside."""
    types: tuple[str, ...]
    limit: int


@dataclass(frozen=True)
class _Scored:
    record_type: str
    record_id: str
    name: str
    description: str | None
    score: float
    exact: bool
    """Found by the exact tier (a written name or a pinyin spelling)."""
    written: bool
    """The query is exactly one of its written names or aliases."""


def manifest(base_url: str) -> dict[str, Any]:
    """The service manifest; its URLs on the configured base URL (relative without one), never the Host header."""
    base = base_url.rstrip("/")
    return {
        "versions": VERSIONS,
        "name": "techsov: actors and hardware",
        "identifierSpace": IDENTIFIER_SPACE,
        "schemaSpace": SCHEMA_SPACE,
        "defaultTypes": [{"id": type_id, "name": name} for type_id, name in TYPES.items()],
        "view": {"url": f"{base}{VIEW_PATH}{{{{id}}}}"},
        "documentation": f"{base}/docs#/reconcile",
        "serviceVersion": __version__,
        "batchSize": MAX_BATCH,
    }


def check_callback(field: str, value: str) -> str:
    """A JSONP callback name, or a 400."""
    if not CALLBACK.fullmatch(value):  # `$` alone would let a trailing newline through
        raise bad(field, "must be a JavaScript function name (letters, digits, _, $ and dots, at most 100)")
    return value


def jsonp(callback: str, body: bytes) -> bytes:
    """`body` wrapped in a call of `callback`; the leading comment keeps the first bytes from being read as
    anything but script."""
    return b"/**/" + callback.encode("ascii") + b"(" + body + b");"


def _field(key: str, name: str | None = None) -> str:
    label = f"queries.{key[:60]}"
    return f"{label}.{name}" if name else label


def _check_string(field: str, value: str) -> str:
    if "\x00" in value:
        raise bad(field, "contains a NUL character")
    if len(value) > MAX_PARAM_LENGTH:
        raise bad(field, f"is too long (at most {MAX_PARAM_LENGTH} characters)")
    return value


def _types(key: str, value: Any) -> tuple[str, ...]:
    field = _field(key, "type")
    given = [value] if isinstance(value, str) else value
    if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
        raise bad(field, "must be a type id or a list of them: actor, hardware")
    for type_id in given:
        if type_id not in TYPES:
            _check_string(field, type_id)
            suggestion = did_you_mean(type_id, list(TYPES))
            raise bad(field, f"'{type_id[:60]}' is not a type of this service{suggestion}; types: actor, hardware")
    return tuple(dict.fromkeys(given)) or tuple(TYPES)


def _limit(key: str, value: Any) -> int:
    field = _field(key, "limit")
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or value < 1:
        raise bad(field, f"must be a whole number of candidates, at least 1 (more than {MAX_LIMIT} gives {MAX_LIMIT})")
    return min(int(value), MAX_LIMIT)


def _properties(key: str, value: Any) -> None:
    field = _field(key, "properties")
    if not isinstance(value, list) or not all(isinstance(p, dict) and isinstance(p.get("pid"), str) for p in value):
        raise bad(field, 'must be a list of {"pid": property, "v": value}')


def strip_legal_form(text: str) -> str | None:
    """The text without the legal form that ends it (`NVIDIA Corporation` -> `nvidia`), folded; None when it
    ends in none or is nothing else."""
    found = words(fold(text))
    stripped = list(found)
    while len(stripped) > 1 and stripped[-1] in LEGAL_FORMS:
        stripped.pop()
    if stripped and is_cjk(stripped[-1]):
        for form in CJK_LEGAL_FORMS:
            if stripped[-1].endswith(form) and len(stripped[-1]) > len(form):
                stripped[-1] = stripped[-1][: -len(form)]
                break
    return " ".join(stripped) if stripped != found else None


def _terms(text: str) -> QueryTerms | None:
    terms = query_terms(text)
    return terms if terms.terms and len(terms.terms) <= MAX_TERMS else None


def parse_query(key: str, value: Any) -> ReconcileQuery:
    """One query of a batch; anything malformed is a 400 naming `queries.<key>.<field>`."""
    _check_string("queries", key)
    if not isinstance(value, dict):
        raise bad(_field(key), 'must be an object such as {"query": "Huawei", "type": "actor", "limit": 3}')
    for name in value:
        if name not in QUERY_FIELDS:
            _check_string(_field(key), name)
            raise bad(_field(key, name[:60]), f"is not a query field{did_you_mean(name, QUERY_FIELDS)}")
    text = value.get("query")
    if not isinstance(text, str):
        raise bad(_field(key, "query"), "is required: the name to reconcile, a string")
    _check_string(_field(key, "query"), text)
    types = _types(key, value["type"]) if value.get("type") is not None else tuple(TYPES)
    limit = _limit(key, value["limit"]) if value.get("limit") is not None else DEFAULT_LIMIT
    if value.get("properties") is not None:
        _properties(key, value["properties"])
    strict = value.get("type_strict")
    if strict is not None and strict not in TYPE_STRICT:
        raise bad(_field(key, "type_strict"), "must be one of any, should, all")
    core = strip_legal_form(text)
    return ReconcileQuery(key, text.strip(), _terms(text), _terms(core) if core else None, types, limit)


def parse_batch(text: str) -> list[ReconcileQuery]:
    """The `queries` parameter: a JSON object of {key: query}."""
    if len(text) > MAX_BODY:
        raise PayloadTooLarge(
            f"queries: too long (at most {MAX_BODY} characters); send fewer queries at a time",
            errors=[{"field": "queries", "message": "too long"}],
        )
    try:
        batch = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise bad("queries", f"is not valid JSON: {exc}") from None
    if not isinstance(batch, dict):
        raise bad("queries", 'must be a JSON object of {key: query}, e.g. {"q0": {"query": "Huawei"}}')
    if len(batch) > MAX_BATCH:
        raise PayloadTooLarge(
            f"queries: {len(batch)} queries in one batch (at most {MAX_BATCH})",
            errors=[{"field": "queries", "message": f"at most {MAX_BATCH} queries"}],
        )
    return [parse_query(key, value) for key, value in batch.items()]


def _description(fields: dict[str, Any]) -> str | None:
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        return None
    summary = " ".join(summary.split())
    return summary if len(summary) <= DESCRIPTION_LENGTH else summary[: DESCRIPTION_LENGTH - 1].rstrip() + "…"


def _name_values(fields: dict[str, Any]) -> list[tuple[str, str | None]]:
    values: list[tuple[str, str | None]] = [(fields["name"], None)]
    values += [(text, tag) for tag, text in (fields.get("names") or {}).items()]
    values += [(text, None) for text in fields.get("aliases") or []]
    return values


def _score(terms: QueryTerms, hit: Hit, penalty: float) -> _Scored:
    """A hit placed in its tier's band by how close the query is to its nearest name."""
    rank = hit.tier // 2  # the hit's level: its tier times two (sources, one more, are never read here)
    values = _name_values(hit.fields)
    written = rank == EXACT.rank and terms.compact in {compact_key(text) for text, _tag in values}
    if rank == EXACT.rank:
        score = EXACT_WRITTEN if written else EXACT_PINYIN
    else:
        keys = {k for text, tag in values for k in name_keys(text, tag)}
        closeness = max((fuzz.ratio(terms.compact, k) for k in keys), default=0.0) / 100
        low, high = BANDS[rank]
        score = low + (high - low) * closeness
    return _Scored(
        hit.record_type,
        hit.record_id,
        hit.name,
        _description(hit.fields),
        round(max(score - penalty, 0.0), 1),
        rank == EXACT.rank,
        written,
    )


def _search(connection: sa.Connection, terms: QueryTerms, query: ReconcileQuery, penalty: float) -> list[_Scored]:
    # More than the limit: the engine's order within a tier is not ours, and a second exact match, which
    # makes the first ambiguous, must be seen even with limit=1.
    hits = search_page(connection, terms, list(query.types), query.limit + 10, None, tiers=NAME_TIERS)
    return [_score(terms, hit, penalty) for hit in hits]


def _by_typed_id(connection: sa.Connection, query: ReconcileQuery) -> list[_Scored]:
    """The record a query names by its own typed id (`actor:huawei`), as the spec expects of an id."""
    found = TYPED_ID.match(query.text)
    if found is None or found.group(1) not in query.types or not is_slug(found.group(2)):
        return []
    record = indexed_record(connection, found.group(1), found.group(2))
    if record is None:
        return []
    name, fields = record
    return [_Scored(found.group(1), found.group(2), name, _description(fields), EXACT_WRITTEN, True, True)]


def candidates(connection: sa.Connection, query: ReconcileQuery) -> list[dict[str, Any]]:
    """The ranked candidates of one query, with the matching decision."""
    scored = _by_typed_id(connection, query)
    if not scored and query.terms is not None:
        scored = _search(connection, query.terms, query, 0.0)
        if query.core is not None and not any(s.written for s in scored):
            scored += _search(connection, query.core, query, LEGAL_FORM_PENALTY)
    best: dict[tuple[str, str], _Scored] = {}
    for item in scored:
        key = (item.record_type, item.record_id)
        if key not in best or item.score > best[key].score:
            best[key] = item
    ranked = sorted(best.values(), key=lambda s: (-s.score, s.record_type, s.record_id))
    exact = [s for s in ranked if s.exact]
    match = bool(ranked) and ranked[0].written and len(exact) == 1
    return [
        {
            "id": f"{item.record_type}:{item.record_id}",
            "name": item.name,
            **({"description": item.description} if item.description else {}),
            "score": item.score,
            "match": match and i == 0,
            "type": [{"id": item.record_type, "name": TYPES[item.record_type]}],
        }
        for i, item in enumerate(ranked[: query.limit])
    ]


def reconcile(connection: sa.Connection, queries: Sequence[ReconcileQuery]) -> dict[str, Any]:
    """The result batch: each query's candidates under its key."""
    return {query.key: {"result": candidates(connection, query)} for query in queries}


def view_target(entity_id: str) -> tuple[str, str]:
    """(record type, id) of a typed entity id from a view URL; a 404 when it cannot be one."""
    found = TYPED_ID.match(entity_id)
    if found is None or found.group(1) not in TYPES or not is_slug(found.group(2)):
        raise NotFound(f"no entity '{entity_id[:100]}': ids of this service are actor:<id> or hardware:<id>")
    return found.group(1), found.group(2)


def record_path(record_type: str, record_id: str) -> str:
    """The path of a record's own page."""
    return f"/v1/{BY_NAME[record_type].plural}/{record_id}"


def view_exists(connection: sa.Connection, record_type: str, record_id: str) -> bool:
    """Whether the record a view URL names exists."""
    return indexed_record(connection, record_type, record_id) is not None
