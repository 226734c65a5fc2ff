"""A level with more matches than a rank block is ranked a block at a time, in doc_id order; smaller ones as before."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import sqlalchemy as sa

from app.search.repository import RANK_BLOCK, Hit, search_page
from app.search.text import query_terms
from app.seeding.run import load_dir
from tests.conftest import SEED_DIR
from tests.search.conftest import write_search_seed

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
        for _level, hits in groupby(whole, key=lambda h: h.tier):
            keys = sorted(((h.record_type, h.record_id) for h in hits), key=doc_ids.__getitem__)
            for start in range(0, len(keys), 5):
                chunk = keys[start : start + 5]
                expected += sorted(chunk, key=lambda k: (score[k], k[0], k[1]))
        assert [(h.record_type, h.record_id) for h in blocked] == expected
        assert expected != [(h.record_type, h.record_id) for h in whole]  # the blocks did change the order

        for limit in (1, 3, 7):  # page boundaries inside blocks, on them, across levels
            walked = _walk(connection, "huawei", limit, block=5)
            assert [(h.record_type, h.record_id) for h in walked] == expected, limit


def test_a_block_as_large_as_every_level_changes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    load_dir(engine, write_search_seed(tmp_path / "seed", EXTRA))
    with engine.connect() as connection:
        for query in ("huawei", "remark", "xi", "again", "华为", "ascen"):
            terms = query_terms(query)
            whole = search_page(connection, terms, [], 1000, None, block=10**9)
            assert search_page(connection, terms, [], 1000, None, block=len(whole) or 1) == whole, query
            assert search_page(connection, terms, [], 1000, None) == whole, query  # the default


def test_no_level_of_the_real_seed_is_larger_than_a_rank_block(engine: sa.Engine) -> None:
    """So every search of the real seed keeps the engine's order over all its matches (a level holds sources or
    the other records, never both). Should the seed outgrow RANK_BLOCK, raise it or accept blocks here."""
    load_dir(engine, SEED_DIR)
    with engine.connect() as connection:
        counts: dict[object, int] = dict(
            connection.exec_driver_sql(
                "SELECT record_type = 'source', count(*) FROM search_documents GROUP BY record_type = 'source'"
            ).all()
        )
    assert 0 < max(counts.values()) <= RANK_BLOCK, counts
