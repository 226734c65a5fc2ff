"""A level with more matches than a rank block is ranked a block at a time, in doc_id order (a one-word query's
names level in search_name_terms' order instead: bm25 over a constant average length); smaller ones as
before."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import sqlalchemy as sa

from app.records.registry import RECORD_TYPE_LIST
from app.search.backends import NARROWER
from app.search.index import body_fields, document_for, document_length
from app.search.repository import RANK_WHOLE, Hit, search_page
from app.search.text import query_terms
from app.seeding.run import load_dir
from tests.conftest import SEED_DIR
from tests.search.conftest import write_search_seed
from tests.search.test_index import indexed_columns, word_rank

# 40 statements that mention Huawei, some in their name (a names tier) and all in their text, of several
# lengths, so bm25 does not tie them all: enough to fill several blocks of 5.
EXTRA = "".join(
    f"- {{id: st-{i:02d}, name: '{'Huawei ' if i % 3 == 0 else ''}remark{' again' * (i % 4)} {i}', "
    f"speaker: xi-jinping, said_on: 2020-01-01, kind: remark, text: 'Huawei{' and more' * (i % 5)}.', "
    f"sources: [src-wire]}}\n"
    for i in range(40)
)


def _doc_ids(connection: sa.Connection) -> dict[tuple[str, str], int]:
    rows = connection.exec_driver_sql("SELECT record_type, record_id, doc_id FROM search_documents")
    return {(t, i): d for t, i, d in rows}


def _in_word_order(connection: sa.Connection, keys: list[tuple[str, str]], term: str) -> list[tuple[str, str]]:
    """`keys` (of a one-word query's names level) as a large such level is read from search_name_terms
    (migrations 0010, 0011): by bm25 over a constant average length (`word_rank`), then doc_id."""
    order = {
        (record_type, record_id): (word_rank(names.split().count(term), sum(len(c.split()) for c in columns)), doc_id)
        for doc_id, (record_type, record_id, columns) in indexed_columns(connection).items()
        for names in [columns[1]]
    }
    return sorted(keys, key=order.__getitem__)


def _by_words(level: int, size: int, whole: int) -> bool:
    """Whether a level of a one-word query is read from search_name_terms: its names tier's, larger than
    `whole`."""
    return level // 2 == NARROWER[0].rank and size > whole


def _walk(connection: sa.Connection, query: str, limit: int, block: int) -> list[Hit]:
    terms, hits = query_terms(query), []
    after = None
    while True:
        page = search_page(connection, terms, [], limit + 1, after, block=block)
        hits += page[:limit]
        if len(page) <= limit:
            return hits
        after = page[limit - 1].position


def test_blocks_rank_within_themselves_in_doc_id_order_and_pages_walk_them_once(
    engine: sa.Engine, tmp_path: Path
) -> None:
    load_dir(engine, write_search_seed(tmp_path / "seed", EXTRA))
    with engine.connect() as connection:
        doc_ids = _doc_ids(connection)
        terms = query_terms("huawei")
        whole = search_page(connection, terms, [], 1000, None)
        blocked = search_page(connection, terms, [], 1000, None, block=5)
        assert len(whole) > 40
        assert sorted((h.record_type, h.record_id) for h in blocked) == sorted(
            (h.record_type, h.record_id) for h in whole
        )
        # The order wanted: level by level; in each, blocks of 5 in doc_id order, each as the engine ranks it.
        score = {(h.record_type, h.record_id): h.score for h in whole}
        expected: list[tuple[str, str]] = []
        by_words = False
        for level, hits in groupby(whole, key=lambda h: h.tier):
            keys = sorted(((h.record_type, h.record_id) for h in hits), key=doc_ids.__getitem__)
            if _by_words(level, len(keys), 5):
                expected += _in_word_order(connection, keys, "huawei")
                by_words = True
                continue
            for start in range(0, len(keys), 5):
                chunk = keys[start : start + 5]
                expected += sorted(chunk, key=lambda k: (score[k], k[0], k[1]))
        assert [(h.record_type, h.record_id) for h in blocked] == expected
        assert expected != [(h.record_type, h.record_id) for h in whole]  # the blocks did change the order
        assert by_words

        for limit in (1, 3, 7):  # page boundaries inside blocks, on them, across levels
            walked = _walk(connection, "huawei", limit, block=5)
            assert [(h.record_type, h.record_id) for h in walked] == expected, limit


def test_only_levels_larger_than_whole_are_ranked_in_blocks(engine: sa.Engine, tmp_path: Path) -> None:
    load_dir(engine, write_search_seed(tmp_path / "seed", EXTRA))
    with engine.connect() as connection:
        doc_ids = _doc_ids(connection)
        terms = query_terms("huawei")
        whole = search_page(connection, terms, [], 1000, None)
        sizes = {level: len(list(hits)) for level, hits in groupby(whole, key=lambda h: h.tier)}
        cut = 20
        assert min(sizes.values()) <= cut < max(sizes.values()), sizes  # some levels each side of the cut
        score = {(h.record_type, h.record_id): h.score for h in whole}
        expected: list[tuple[str, str]] = []
        for level, hits in groupby(whole, key=lambda h: h.tier):
            keys = [(h.record_type, h.record_id) for h in hits]
            if sizes[level] <= cut:
                expected += keys
                continue
            if _by_words(level, sizes[level], cut):
                expected += _in_word_order(connection, keys, "huawei")
                continue
            keys.sort(key=doc_ids.__getitem__)
            for start in range(0, len(keys), 5):
                expected += sorted(keys[start : start + 5], key=lambda k: (score[k], k[0], k[1]))
        blocked = search_page(connection, terms, [], 1000, None, block=5, whole=cut)
        assert [(h.record_type, h.record_id) for h in blocked] == expected
        for limit in (3, 7):
            walked: list[Hit] = []
            after: list[object] | None = None
            while True:
                page = search_page(connection, terms, [], limit + 1, after, block=5, whole=cut)
                walked += page[:limit]
                if len(page) <= limit:
                    break
                after = page[limit - 1].position
            assert [(h.record_type, h.record_id) for h in walked] == expected, limit


def test_a_load_numbers_each_types_documents_shortest_first(engine: sa.Engine, tmp_path: Path) -> None:
    """So that a large level's first block (in doc_id order) holds the matches bm25 favours."""
    load_dir(engine, write_search_seed(tmp_path / "seed", EXTRA))
    with engine.connect() as connection:
        doc_ids = _doc_ids(connection)
        for record_type in RECORD_TYPE_LIST:
            columns = [record_type.table.c[c] for c in ("id", "name", "names", "aliases", *body_fields(record_type))]
            rows = connection.execute(sa.select(*columns)).mappings().all()
            lengths = sorted(
                (doc_ids[record_type.name, row["id"]], document_length(document_for(record_type, row))) for row in rows
            )
            in_doc_id_order = [length for _doc_id, length in lengths]
            assert in_doc_id_order == sorted(in_doc_id_order), record_type.name
            if record_type.name == "statement":
                assert len(set(in_doc_id_order)) > 5  # of many lengths: the order is not a given


def test_a_block_as_large_as_every_level_changes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    load_dir(engine, write_search_seed(tmp_path / "seed", EXTRA))
    with engine.connect() as connection:
        for query in ("huawei", "remark", "xi", "again", "华为", "ascen"):
            terms = query_terms(query)
            whole = search_page(connection, terms, [], 1000, None, block=10**9)
            # Each record once: in the first tier it matches (tiers found empty are not excluded from later ones,
            # those holding matches are).
            assert len({(h.record_type, h.record_id) for h in whole}) == len(whole), query
            assert search_page(connection, terms, [], 1000, None, block=len(whole) or 1) == whole, query
            assert search_page(connection, terms, [], 1000, None) == whole, query  # the default


def test_no_level_of_the_real_seed_is_larger_than_a_rank_block(engine: sa.Engine) -> None:
    """So every search of the real seed keeps the engine's order over all its matches (a level holds sources or
    the other records, never both). Should the seed outgrow RANK_WHOLE, raise it or accept blocks here."""
    load_dir(engine, SEED_DIR)
    with engine.connect() as connection:
        counts: dict[object, int] = dict(
            connection.exec_driver_sql(
                "SELECT record_type = 'source', count(*) FROM search_documents GROUP BY record_type = 'source'"
            ).all()
        )
    assert 0 < max(counts.values()) <= RANK_WHOLE, counts
