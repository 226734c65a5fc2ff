"""The one normalisation shared by documents and queries (no database)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from app.search import text as text_module
from app.search.backends import BROADEST, EXACT, NARROWER, Only, PostgresTsvector, SqliteFts5, Tier, narrower
from app.search.snippets import FieldValue, explain, highlight
from app.search.text import compact_key, fold, name_keys, name_terms, pinyin_terms, query_terms, terms


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Xí Jìnpíng", "xi jinping"),
        ("ＨＵＡＷＥＩ", "huawei"),
        ("Straße", "strasse"),
        ("Ørsted", "orsted"),
        ("华为", "华为"),
    ],
)
def test_fold_ignores_case_accents_and_width(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_chinese_is_indexed_as_single_characters_and_bigrams() -> None:
    assert terms("国务院") == ["国", "务", "院", "国务", "务院"]
    assert terms("华为Ascend 910B") == ["华", "为", "华为", "ascend", "910b"]


def test_queries_use_bigrams_or_the_lone_character() -> None:
    assert query_terms("习近平").terms == ("习近", "近平")
    assert query_terms("华为").terms == ("华为",)
    assert query_terms("华").terms == ("华",)


def test_pinyin_is_toneless_spaced_and_joined() -> None:
    assert name_terms("习近平", "zh-Hans") == [
        *["习", "近", "平", "习近", "近平"],
        *["xi", "jin", "ping", "xijin", "jinping", "xijinping"],
    ]
    assert name_keys("习近平", "zh-Hans") == ["习近平", "xijinping"]
    assert "huawei" in name_terms("华为", "zh-Hans")
    assert name_terms("Xí Jìnpíng", "zh-Latn-pinyin") == ["xi", "jinping"]


def test_pinyin_only_for_chinese_names() -> None:
    assert pinyin_terms("東京") != []  # Han characters are read as Chinese …
    assert name_terms("東京", "ja") == ["東", "京", "東京"]  # … but not in a Japanese name


def test_long_chinese_names_keep_syllable_pairs_but_not_lone_syllables() -> None:
    found = name_terms("国家互联网信息办公室", "zh-Hans")
    assert "xinxi" in found
    assert "xi" not in found


@pytest.mark.parametrize("query", ["习近平", "xi jinping", "xijinping", "Xí Jìnpíng", "XI JINPING", "Xi  Jinping!"])
def test_every_spelling_of_a_name_meets_its_terms(query: str) -> None:
    parsed = query_terms(query)
    candidates = set(name_terms("Xi Jinping")) | set(name_terms("习近平", "zh-Hans"))
    assert all(parsed.matches(t, candidates) for t in parsed.terms)


def test_compact_keys_make_spacing_irrelevant() -> None:
    assert compact_key("Xi Jinping") == compact_key("xijinping") == compact_key("Xí Jìnpíng") == "xijinping"


@pytest.mark.parametrize(
    ("syntax", "words"),
    [
        ('"', ()),
        ("*", ()),
        ("-", ()),
        (":", ()),
        ("NEAR(", ("near",)),
        (") OR (", ("or",)),
        ("'; DROP TABLE x; --", ("drop", "table", "x")),
        ("huawei:*B & !c", ("huawei", "b", "c")),
    ],
)
def test_query_syntax_is_reduced_to_words(syntax: str, words: tuple[str, ...]) -> None:
    assert query_terms(syntax).terms == words


def test_engine_queries_are_built_from_normalised_terms_only() -> None:
    parsed = query_terms('NEAR( "huawei*" -ascend')
    tier = Tier(3, ("names", "aliases"), prefix=True)
    assert SqliteFts5().match_text(tier, parsed) == ('{names aliases} : ("near"* AND "huawei"* AND "ascend"*)')
    assert PostgresTsvector().match_text(tier, parsed) == ("'near':*BC & 'huawei':*BC & 'ascend':*BC")
    whole = Tier(1, ("names",), prefix=False)
    assert SqliteFts5().match_text(whole, query_terms("华为 x")) == ('{names} : ("华为" AND "x")')
    assert PostgresTsvector().match_text(whole, query_terms("华为 x")) == ("'华为':B & 'x':B")


def test_a_tier_read_without_empty_narrower_tiers_excludes_only_the_others() -> None:
    names, broadest = NARROWER[0], BROADEST
    assert narrower(names) == (EXACT,)
    assert names.without({0}).excluded == ()
    assert narrower(names.without({0})) == ()
    assert narrower(broadest.without({0})) == (NARROWER[-1],)
    assert broadest.without({1, 2}) is broadest  # not excluded by the broadest tier: nothing to leave out
    assert broadest.without({1, 2}).rank == 4
    sqlite = SqliteFts5()
    query = query_terms("ascend")
    assert "NOT" in sqlite.tier_hits(names, query, Only(("actor",)), None)[1]["m"]
    assert "NOT" not in sqlite.tier_hits(names.without({0}), query, Only(("actor",)), None)[1]["m"]
    conditions = PostgresTsvector().tier_hits(names.without({0}), query, Only(("actor",)), None)[0]
    assert "NOT" not in conditions


def test_snippets_are_html_safe_and_marked() -> None:
    query = query_terms("cabinet")
    snippet = highlight(query, FieldValue("summary", "China's cabinet <b>&</b> body."))
    assert snippet == "China's <mark>cabinet</mark> &lt;b&gt;&amp;&lt;/b&gt; body."


def test_snippets_mark_prefixes_accented_words_and_chinese() -> None:
    assert (
        highlight(query_terms("ascen"), FieldValue("name", "Huawei Ascend 910B")) == "Huawei <mark>Ascend</mark> 910B"
    )
    assert highlight(query_terms("jinping"), FieldValue("names", "Xí Jìnpíng", "zh-Latn-pinyin")) == (
        "Xí <mark>Jìnpíng</mark>"
    )
    assert highlight(query_terms("国务"), FieldValue("names", "国务院", "zh-Hans")) == "<mark>国务</mark>院"
    assert highlight(query_terms("huawei"), FieldValue("names", "华为", "zh-Hans")) == "<mark>华为</mark>"


def test_long_texts_are_cut_around_the_first_match() -> None:
    text = "word " * 100 + "Huawei " + "tail " * 100
    snippet = highlight(query_terms("huawei"), FieldValue("text", text))
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>Huawei</mark>" in snippet
    assert len(snippet) < 260


def test_explain_names_the_fields_that_hold_every_term() -> None:
    fields = {
        "name": "Huawei",
        "names": {"zh-Hans": "华为"},
        "aliases": ["Huawei Technologies"],
        "summary": "Makes Ascend chips.",
    }
    assert explain(query_terms("huawei"), fields).matched == ["name", "names", "alias"]
    assert explain(query_terms("华为"), fields).matched == ["names"]
    assert explain(query_terms("ascend chips"), fields).matched == ["summary"]
    spread = explain(query_terms("huawei ascend"), fields)
    assert spread.matched == ["name", "names", "alias", "summary"]  # no field holds both: those holding one


@pytest.mark.parametrize("query", ["a", "asc", "ascend 9", "co 192", "x_y", "a" * 70, "华为 asc"])
def test_ascii_text_is_matched_as_its_listed_words_would_be(query: str) -> None:
    """ASCII text is matched by patterns rather than by listing its words: the same terms, the same words."""
    q = query_terms(query)
    for text in ("Ascend 910B, a co-192 chip", "x_y a_b ASC", "a" * 80 + " ascending", "", "9 9a a9"):
        folded = fold(text)
        assert q.found_in_ascii(folded) == {t for t in q.terms if q.matches(t, terms(text))}, text
        words = [(m.start(), m.end()) for m in re.finditer("[a-z0-9]+", folded)]
        expected = [(s, e) for s, e in words if any(q.matches(t, (folded[s:e][:64],)) for t in q.terms)]
        assert q.ascii_spans(folded) == expected, text


def test_folding_drops_every_mark_and_spells_out_the_same_letters_as_its_table() -> None:
    """`fold` strips marks of the Basic Multilingual Plane with a regular expression, not `str.translate` with the
    table: for every code point, alone and among accented letters and a letter to spell out, the same text."""
    by_table = text_module._FOLD_TABLE
    codes = [c for c in (*range(0x80, 0x30000), *range(0xE0000, 0xE1000)) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(codes), 64):
        block = "".join(map(chr, codes[start : start + 64]))
        for text in (block, f"é{block}x", f"{block}ø", " ".join(block)):
            bare = unicodedata.normalize("NFKD", text.casefold()).translate(by_table)
            expected = bare if bare.isascii() else unicodedata.normalize("NFC", bare)
            assert fold(text) == expected, hex(codes[start])


@pytest.mark.parametrize(
    "text", ["", "  ", "Ascend 910B, a co-192 chip", "x_y\ta-b\n", "a" * 64 + " " + "b" * 65 + "!" + "c" * 200, "!~"]
)
def test_ascii_terms_are_the_words_the_pattern_finds(text: str) -> None:
    """ASCII text is split by `str.translate` and `split`: the words [a-z0-9]+ finds, each cut at 64."""
    everything = text + "".join(map(chr, range(128)))
    for sample in (text, everything):
        assert terms(sample) == [w[:64] for w in re.findall("[a-z0-9]+", sample.lower())]
