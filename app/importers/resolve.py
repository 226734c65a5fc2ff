"""Entity resolution: an outside name -> a curated record, by deterministic rules only.

A name matches a record when one of its normalised keys equals one of the
record's (its name, aliases and other-language names, with the pinyin of
Chinese names: the search index's own normalisation, app/search/text.py), or
when both are the same words in another order. A record whose name (or alias)
is a whole-word prefix of the outside name, or the other way round, is a
*candidate*: never applied, only reported, until the override table decides.
Nothing fuzzy is ever applied.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.records.fields import SLUG_MAX_LENGTH
from app.search.text import fold, name_keys, words

_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")
HASH_LENGTH = 6


def slugify(text: str, limit: int = SLUG_MAX_LENGTH) -> str:
    """A record id from text: folded words joined by hyphens, cut at `limit` with a stable hash of the whole."""
    # An apostrophe joins its word (`Noah's` -> `noahs`, `Xi’an` -> `xian`, as the curated ids spell them).
    slug = "-".join(w for w in words(fold(re.sub("['’]", "", text))) if w.isascii()) or "x"
    if len(slug) <= limit:
        return slug
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    return f"{slug[: limit - HASH_LENGTH - 1].rstrip('-')}-{digest}"


def with_hash(slug: str, text: str, limit: int = SLUG_MAX_LENGTH) -> str:
    """`slug` made unique by a stable hash of `text` (for two names that slugify alike)."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    return f"{slug[: limit - HASH_LENGTH - 1].rstrip('-')}-{digest}"


def name_forms(record: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(text, language tag) of every name a record goes by: name, aliases, other-language names."""
    forms: list[tuple[str, str | None]] = [(str(record["name"]), None)]
    forms.extend((str(alias), None) for alias in record.get("aliases") or [])
    forms.extend((str(value), str(tag)) for tag, value in (record.get("names") or {}).items())
    return forms


def keys_of(text: str, tag: str | None = None) -> set[str]:
    """The normalised keys of one name: its words joined, its pinyin joined, and its sorted words."""
    found = set(name_keys(text, tag))
    sorted_words = " ".join(sorted(words(fold(text))))
    if sorted_words:
        found.add(f"words:{sorted_words}")
    return found


def word_tuple(text: str) -> tuple[str, ...]:
    """The folded words of a name, in order."""
    return tuple(words(fold(text)))


def without_parenthetical(text: str) -> str:
    """`NVIDIA B200 (Blackwell)` -> `NVIDIA B200`."""
    return _PARENTHETICAL.sub("", text).strip()


@dataclass
class NameIndex:
    """The names of a set of records of one type, for exact matches and prefix candidates."""

    by_key: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    prefixes: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: defaultdict(list))
    """Per record: the word sequences that make it a candidate (name and aliases)."""
    names: dict[str, str] = field(default_factory=dict)

    def add(self, record_id: str, record: Mapping[str, Any], *, prefix_candidate: bool = True) -> None:
        """Index a record under its names (and, for prefixes, its name and aliases)."""
        self.names[record_id] = str(record["name"])
        for text, tag in name_forms(record):
            for key in keys_of(text, tag):
                self.by_key[key].add(record_id)
        stripped = without_parenthetical(str(record["name"]))
        if stripped and stripped != record["name"]:
            for key in keys_of(stripped):
                self.by_key[key].add(record_id)
        if prefix_candidate:
            for text, tag in name_forms(record):
                if tag is None:
                    sequence = word_tuple(text)
                    if sequence:
                        self.prefixes[record_id].append(sequence)

    def exact(self, name: str) -> set[str]:
        """Records with a key equal to one of `name`'s."""
        found: set[str] = set()
        for key in keys_of(name):
            found |= self.by_key.get(key, set())
        return found

    def prefix_candidates(self, name: str, also: Iterable[tuple[str, ...]] = ()) -> dict[str, int]:
        """Records one of whose names is a whole-word prefix of `name` (or of the word sequences in `also`), or
        begins with all of `name`'s words: record id -> the length of the longest shared prefix."""
        found: dict[str, int] = {}
        targets = [word_tuple(name), *also]
        for record_id, sequences in self.prefixes.items():
            for sequence in sequences:
                for target in targets:
                    if not target:
                        continue
                    shorter, longer = sorted((sequence, target), key=len)
                    if shorter != longer and longer[: len(shorter)] == shorter:
                        found[record_id] = max(found.get(record_id, 0), len(shorter))
        return found


def duplicate_names(records: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, list[str]]:
    """Normalised name keys that two or more records share: key -> record ids (a list of candidate duplicates)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for record_id, record in records:
        for text, tag in name_forms(record):
            for key in name_keys(text, tag):
                owners[key].add(record_id)
    return {key: sorted(ids) for key, ids in sorted(owners.items()) if len(ids) > 1}
