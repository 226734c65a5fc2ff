"""Why a record matched and the highlighted snippet, worked out in Python from its original text.

The same normalisation as the index (app/search/text.py) is applied to each
field of a hit, so `matched` and the highlights agree with what the database
found, on either engine. Snippets are HTML-safe: the original text escaped,
each match wrapped in `<mark>…</mark>`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from app.search.text import (
    MAX_WORD,
    QueryTerms,
    compact_key,
    fold,
    is_chinese_tag,
    is_cjk,
    name_keys,
    name_terms,
    pinyin_terms,
    terms,
    word_spans,
)

SNIPPET_LENGTH = 200
"""Longest snippet, in characters of the original text."""
CONTEXT_BEFORE = 60
"""Characters kept before the first match when a long text is cut."""
OPEN, CLOSE = "<mark>", "</mark>"
NAME_FIELDS = ("name", "names", "alias")


class FieldValue(NamedTuple):
    """One searchable value of a record: the field it belongs to, its text and its language tag (a tuple: a
    search makes a hundred of them, and a frozen dataclass costs three times as much to make)."""

    field: str
    text: str
    tag: str | None = None

    @property
    def is_name(self) -> bool:
        """Names, other-language names and aliases (indexed with pinyin and compact keys)."""
        return self.field in NAME_FIELDS


def field_values(fields: dict[str, Any]) -> list[FieldValue]:
    """The values of a document's stored fields, names first, then its text fields in declared order."""
    values = [FieldValue("name", fields["name"])]
    values += [FieldValue("names", text, tag) for tag, text in fields.get("names", {}).items()]
    values += [FieldValue("alias", text) for text in fields.get("aliases", [])]
    values += [FieldValue(f, text) for f, text in fields.items() if f not in ("name", "names", "aliases")]
    return values


def _found(query: QueryTerms, value: FieldValue) -> tuple[set[str], bool]:
    """The query terms found in a value, and whether it is the query's exact full name."""
    if value.text.isascii():  # no pinyin (its key is empty: `name_keys` is the compact key alone), no word list
        exact = value.field in NAME_FIELDS and bool(query.compact) and compact_key(value.text) == query.compact
        return (set(query.terms) if exact else query.found_in_ascii(value.text.lower())), exact
    if value.is_name:
        candidates = set(name_terms(value.text, value.tag))
        exact = query.compact in name_keys(value.text, value.tag)
    else:
        candidates, exact = set(terms(value.text)), False
    found = {t for t in query.terms if query.matches(t, candidates)}
    return (set(query.terms) if exact else found), exact


@dataclass(frozen=True)
class Explanation:
    """Which fields matched, and the snippet shown."""

    matched: list[str]
    snippet: str


def explain(query: QueryTerms, fields: dict[str, Any]) -> Explanation:
    """The fields holding every query term (else those holding some), and the best value highlighted: the first
    of the exact full names among them, else of those holding the most terms."""
    wanted = set(query.terms)
    scored: list[tuple[FieldValue, set[str], bool]] = []
    by_field: dict[str, set[str]] = {}
    """What each field's values hold together, for the fields holding anything (a field's values are listed
    together, so its first value with a term places it as its first value would)."""
    for value in field_values(fields):
        found, exact = _found(query, value)
        if found:
            scored.append((value, found, exact))
            held = by_field.get(value.field)
            if held is None:
                by_field[value.field] = set(found)
            else:
                held |= found
    if not scored:
        return Explanation([], _escape(fields["name"]))
    matched = [f for f, found in by_field.items() if found == wanted] or list(by_field)
    best = scored[0]
    rank = (False, 0)
    for candidate in scored:
        if candidate[0].field in matched and (candidate[2], len(candidate[1])) > rank:
            best, rank = candidate, (candidate[2], len(candidate[1]))
    value, _terms, exact = best
    return Explanation(matched, highlight(query, value, whole=exact))


def _folded_with_origin(text: str) -> tuple[str, Sequence[int]]:
    """The folded text, and for each of its characters the index of the original character it came from."""
    if text.isascii():  # folding ASCII is lower-casing: one character for one
        return text.lower(), range(len(text))
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold(char)
        parts.append(folded)
        origin.extend([index] * len(folded))
    return "".join(parts), origin


def match_spans(query: QueryTerms, value: FieldValue) -> list[tuple[int, int]]:
    """(start, end) character ranges of the original text that match the query, merged and in order."""
    if value.text.isascii():  # folded one character for one, no CJK: the matching words themselves
        return query.ascii_spans(value.text.lower())
    folded, origin = _folded_with_origin(value.text)
    pinyin_ok = value.is_name and (value.tag is None or is_chinese_tag(value.tag))
    spans: list[tuple[int, int]] = []
    for start, stop, text in word_spans(folded):
        if is_cjk(text):
            if pinyin_ok and any(query.matches(t, pinyin_terms(text)) for t in query.terms):
                spans.append((start, stop))
                continue
            for i, char in enumerate(text):
                if char in query.terms:
                    spans.append((start + i, start + i + 1))
                if text[i : i + 2] in query.terms and i + 1 < len(text):
                    spans.append((start + i, start + i + 2))
        elif any(query.matches(t, (text[:MAX_WORD],)) for t in query.terms):
            spans.append((start, stop))
    original = sorted((origin[s], origin[e - 1] + 1) for s, e in spans)
    merged: list[tuple[int, int]] = []
    for start, end in original:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _same(text: str) -> str:
    """A piece of a text without `&`, `<` or `>`, which `_escape` would return unchanged (most texts)."""
    return text


def highlight(query: QueryTerms, value: FieldValue, *, whole: bool = False) -> str:
    """The value as HTML-safe text with its matches marked, cut around the first one when long."""
    text = value.text
    escape = _escape if "&" in text or "<" in text or ">" in text else _same
    if not whole and escape is _same and len(text) <= SNIPPET_LENGTH and text.isascii():
        # The common case (a short name in ASCII, nothing to escape or cut): its matching words marked, as below.
        pieces, cursor = [], 0
        for span_start, span_end in query.ascii_spans(text.lower()):
            pieces += [text[cursor:span_start], OPEN, text[span_start:span_end], CLOSE]
            cursor = span_end
        pieces.append(text[cursor:])
        return "".join(pieces)
    spans = [(0, len(text))] if whole else match_spans(query, value)
    start, end = 0, len(text)
    if len(text) > SNIPPET_LENGTH:
        first = spans[0][0] if spans else 0
        start = max(0, first - CONTEXT_BEFORE)
        space = text.find(" ", start, first)
        if start > 0 and space != -1:
            start = space + 1
        end = min(len(text), start + SNIPPET_LENGTH)
    pieces = ["…"] if start > 0 else []
    cursor = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        pieces += [escape(text[cursor:span_start]), OPEN, escape(text[span_start:span_end]), CLOSE]
        cursor = span_end
    pieces.append(escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return "".join(pieces)
