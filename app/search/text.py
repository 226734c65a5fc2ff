"""The one normalisation of searchable text, applied alike to documents and queries.

Both databases index the tokens made here, never their own stemming, so a
query finds the same records on SQLite and PostgreSQL:

- text is case-folded, decomposed (NFKD), stripped of accents and marks, and
  a few letters without a decomposition are spelled out (`ø` -> `o`);
- a word is a run of letters and digits; Chinese, Japanese and Korean runs
  become their character bigrams plus their single characters, so two-
  character names (华为) and one-character queries both match;
- Chinese names also get their toneless pinyin (pypinyin, imported only when
  some Chinese first needs it): each syllable, each pair of neighbouring
  syllables and the whole name joined, so `xi jinping`, `xijinping` and
  `Xí Jìnpíng` all meet 习近平;
- a name's compact key (its words joined) lets an exact full-name query rank
  first whatever its spacing.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache

MAX_WORD = 64
"""Longer words are cut (alike in documents and queries): nobody searches for them whole."""
MAX_KEY = 128
"""Longest compact key."""
MAX_NAME_SYLLABLES = 3
"""Single pinyin syllables are indexed only for names this short (a person: `xi`); in longer names a lone
syllable (`xi` of 信息) is noise, and their neighbouring pairs and whole spelling are enough."""
MIN_PREFIX = 2
"""A query word this long or longer also matches the words it begins (`ascen` -> Ascend)."""

# Scripts written without spaces between words: indexed as character bigrams.
_CJK = (
    "\u1100-\u11ff\u3040-\u30ff\u3131-\u318e\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_HAN_RUNS = re.compile(f"(?:{_HAN.pattern})+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORDS = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")
_SPLIT = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
"""Like _WORDS, with the CJK run in group 1 and any other word in group 2."""
_ASCII_WORDS = re.compile("[a-z0-9]+")
"""The words of lower-case ASCII text (the same as _WORDS finds there, faster)."""
_NOT_ASCII_WORDS = re.compile("[^a-z0-9]+")
"""What lies between the words of lower-case ASCII text."""
_ASCII_SPACES = str.maketrans({c: " " for c in map(chr, range(128)) if not ("a" <= c <= "z" or "0" <= c <= "9")})
"""Lower-case ASCII text with every character but [a-z0-9] a space: its `split()` is `_ASCII_WORDS.findall`, three
times faster (`str.translate` of ASCII to ASCII is a table look-up in C)."""


def _fold_table() -> dict[int, str | None]:
    """Drop every combining mark (Unicode category M*, all below U+20000 or among U+E0100-E01EF) and spell
    out the few letters that do not decompose (`ø` -> `o`)."""
    table: dict[int, str | None] = {
        c: None
        for block in (range(0x20000), range(0xE0000, 0xE1000))
        for c in block
        if unicodedata.category(chr(c))[0] == "M"
    }
    spelled_out = {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "ħ": "h",
        "ı": "i",
        "ŀ": "l",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
    }
    table.update({ord(letter): spelling for letter, spelling in spelled_out.items()})
    return table


_FOLD_TABLE = _fold_table()


def _ranges(codes: Iterable[int]) -> str:
    """A regular expression's character class (without its brackets) matching exactly these code points."""
    parts: list[str] = []
    ordered = sorted(codes)
    for _key, run in itertools.groupby(enumerate(ordered), lambda pair: pair[1] - pair[0]):
        found = [code for _index, code in run]
        first, last = re.escape(chr(found[0])), re.escape(chr(found[-1]))
        parts.append(first if len(found) == 1 else f"{first}-{last}")
    return "".join(parts)


_BMP_MARKS = re.compile(f"[{_ranges(c for c, v in _FOLD_TABLE.items() if v is None and c < 0x10000)}]")
"""The marks `_FOLD_TABLE` drops, those of the Basic Multilingual Plane: removing them with this is several
times faster than `str.translate` with the table, which looks every character up in a dict (a long body with
a Chinese sentence cost ~25 µs). Only the BMP: a class of code points below U+10000 is a bitmap to SRE,
one that reaches beyond is a list of ranges tried in turn (slower than the table)."""
_TRANSLATE_FIRST = re.compile(f"[\U00010000-\U0010ffff{_ranges(c for c, v in _FOLD_TABLE.items() if v is not None)}]")
"""What `_BMP_MARKS` does not cover (a character beyond the BMP, a letter to spell out): text holding any is
translated with the whole table, as always."""


def fold(text: str) -> str:
    """Lower case, no accents, compatibility forms unified (`Ｘí` -> `xi`)."""
    if text.isascii():
        return text.lower()
    bare = unicodedata.normalize("NFKD", text.casefold())
    # The same as `bare.translate(_FOLD_TABLE)`, faster where nothing but BMP marks is to go.
    bare = bare.translate(_FOLD_TABLE) if _TRANSLATE_FIRST.search(bare) else _BMP_MARKS.sub("", bare)
    return bare if bare.isascii() else unicodedata.normalize("NFC", bare)


def is_cjk(word: str) -> bool:
    """True for a word of a script written without spaces (its first character decides)."""
    return _CJK_CHAR.match(word) is not None


def _split(folded: str) -> list[tuple[str, str]]:
    """(CJK run, other word) pairs of folded text, one of each pair empty."""
    if folded.isascii():
        return [("", w) for w in _ASCII_WORDS.findall(folded)]
    return _SPLIT.findall(folded)


def words(text: str) -> list[str]:
    """The words of folded text: letter-and-digit runs, with CJK runs apart from the rest (those kept whole)."""
    return [cjk or other[:MAX_WORD] for cjk, other in _split(text)]


def word_spans(folded: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) of each word of already folded text, uncut."""
    for match in _WORDS.finditer(folded):
        yield match.start(), match.end(), match.group()


def cjk_terms(run: str) -> list[str]:
    """A CJK run as its single characters and its bigrams."""
    return list(run) + [run[i : i + 2] for i in range(len(run) - 1)]


def terms(text: str) -> list[str]:
    """The index terms of a text, in order (repeats kept: they count for relevance)."""
    folded = fold(text)
    if folded.isascii():
        split = folded.translate(_ASCII_SPACES).split()
        return [w[:MAX_WORD] for w in split] if max(map(len, split), default=0) > MAX_WORD else split
    found: list[str] = []
    for cjk, other in _SPLIT.findall(folded):
        if cjk:
            found.extend(cjk_terms(cjk))
        else:
            found.append(other[:MAX_WORD])
    return found


def compact_key(text: str) -> str:
    """A name's words joined: `Xí Jìnpíng` -> `xijinping`, `华为` -> `华为`."""
    if text.isascii():  # as `words` splits folded ASCII text, without listing (CJK run, word) pairs
        if len(text) <= MAX_WORD:  # no word to cut: the words joined are the text without what is between them
            lower = text.lower()
            squeezed = lower.replace(" ", "")
            return squeezed if squeezed.isalnum() else _NOT_ASCII_WORDS.sub("", lower)  # mostly words and spaces
        return "".join([w[:MAX_WORD] for w in _ASCII_WORDS.findall(text.lower())])[:MAX_KEY]
    return "".join(words(fold(text)))[:MAX_KEY]


@lru_cache(maxsize=65536)
def _syllables(run: str) -> tuple[str, ...]:
    # pypinyin's dictionaries take seconds and tens of MB to load: only once some Chinese needs them.
    from pypinyin import Style, lazy_pinyin

    return tuple(fold(s) for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore", v_to_u=True) if s)


def pinyin_terms(text: str) -> list[str]:
    """Toneless pinyin of the Chinese characters in a name: syllables (short names), neighbouring pairs, all joined."""
    found: list[str] = []
    if text.isascii():
        return found
    for run in _HAN_RUNS.findall(text):
        syllables = _syllables(run)
        if len(syllables) <= MAX_NAME_SYLLABLES:
            found.extend(syllables)
        found.extend(a + b for a, b in itertools.pairwise(syllables))
        if len(syllables) > 2:
            found.append("".join(syllables)[:MAX_WORD])
    return found


def pinyin_key(text: str) -> str:
    """The pinyin of a Chinese name joined (`习近平` -> `xijinping`); empty without Chinese characters."""
    if text.isascii():
        return ""
    return "".join(s for run in _HAN_RUNS.findall(text) for s in _syllables(run))[:MAX_KEY]


def is_chinese_tag(tag: str) -> bool:
    """A BCP 47 tag of Chinese in Chinese characters (`zh`, `zh-Hans`, `zh-Hant-TW`, not `zh-Latn-pinyin`)."""
    parts = tag.lower().split("-")
    return parts[0] == "zh" and "latn" not in parts


def name_terms(value: str, tag: str | None = None) -> list[str]:
    """Terms of one name: its words, and its pinyin when it is written in Chinese."""
    found = terms(value)
    if tag is None or is_chinese_tag(tag):
        found.extend(pinyin_terms(value))
    return found


def name_keys(value: str, tag: str | None = None) -> list[str]:
    """Compact keys of one name (its own, and its pinyin's when it is Chinese)."""
    keys = [compact_key(value)]
    if tag is None or is_chinese_tag(tag):
        keys.append(pinyin_key(value))
    return [k for k in keys if k]


@dataclass(frozen=True)
class QueryTerms:
    """A query, normalised: every term must match; `prefixes` may also match longer words."""

    terms: tuple[str, ...]
    prefixes: frozenset[str]
    compact: str

    def matches(self, term: str, candidates: Iterable[str]) -> bool:
        """True when `term` of this query is among (or, as a prefix, begins one of) `candidates`."""
        if term in self.prefixes:
            return any(c.startswith(term) for c in candidates)
        return term in candidates

    def found_in_ascii(self, folded: str) -> set[str]:
        """The terms `matches` finds among the words of folded ASCII text, without listing its words (a
        query's words are no longer than MAX_WORD, so they begin a long word as they begin its cut)."""
        # The substring test first: most texts of a hit do not hold a term at all, and `in` costs a tenth of a
        # search with look-arounds.
        patterns = self._ascii_patterns
        return {t for t in self.terms if t in folded and patterns[t].search(folded) is not None}

    def ascii_spans(self, folded: str) -> list[tuple[int, int]]:
        """(start, end) of each word of folded ASCII text that `matches` one of the terms, in order."""
        return [match.span() for match in self._ascii_pattern.finditer(folded)]

    @cached_property
    def _ascii_patterns(self) -> dict[str, re.Pattern[str]]:
        """Each term's word pattern (`found_in_ascii`), looked up once per query rather than once per text."""
        return {t: _ascii_word(t, t in self.prefixes) for t in self.terms}

    @cached_property
    def _ascii_pattern(self) -> re.Pattern[str]:
        """Every term's word pattern in one (`ascii_spans`)."""
        return _ascii_words(self.terms, self.prefixes)


def _ascii_pattern(term: str, prefix: bool) -> str:
    # A whole word of folded ASCII text ([a-z0-9]+, as terms() splits it): the term, or begun by it as a prefix.
    return f"(?<![a-z0-9]){re.escape(term)}" + ("[a-z0-9]*" if prefix else "(?![a-z0-9])")


@lru_cache(maxsize=4096)
def _ascii_word(term: str, prefix: bool) -> re.Pattern[str]:
    return re.compile(_ascii_pattern(term, prefix))


@lru_cache(maxsize=1024)
def _ascii_words(terms: tuple[str, ...], prefixes: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(_ascii_pattern(t, t in prefixes) for t in terms))


def query_terms(text: str) -> QueryTerms:
    """A query string as terms: its words (CJK as bigrams, or the character when alone)."""
    found: list[str] = []
    prefixes: set[str] = set()
    for word in words(fold(text)):
        if is_cjk(word):
            found.extend(word if len(word) == 1 else [word[i : i + 2] for i in range(len(word) - 1)])
        else:
            found.append(word)
            if len(word) >= MIN_PREFIX:
                prefixes.add(word)
    unique = tuple(dict.fromkeys(found))
    return QueryTerms(unique, frozenset(prefixes), compact_key(text))


def unique(items: Iterable[str]) -> Iterator[str]:
    """Items without repeats, in first-seen order."""
    yield from dict.fromkeys(items)
