"""The index follows every load: changes, deletions, no-op loads, drift, and migration 0002 both ways."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from app.core.config import PROJECT_ROOT, Settings
from app.core.db import alembic_config, head_revision, make_engine, migrating, upgrade
from app.main import create_app
from app.records.registry import RECORD_TYPE_LIST
from app.search.backends import COLUMNS, PostgresTsvector, Tier, backend_for
from app.search.index import (
    _documents_by_id,
    document_for,
    document_for_record,
    fill_kept_by_triggers,
    refresh_search_index,
    search_documents,
)
from app.search.repository import search_page
from app.search.text import query_terms, terms
from app.seeding.run import check_dir, load_dir
from tests.conftest import TEST_DATABASE_URL
from tests.search.conftest import ACTORS, ids, search, write_search_seed


def _hits(engine: sa.Engine, query: str) -> list[str]:
    with engine.connect() as connection:
        return [f"{h.record_type}:{h.record_id}" for h in search_page(connection, query_terms(query), [], 100, None)]


def _doc_ids(engine: sa.Engine) -> dict[tuple[str, str], int]:
    columns = (search_documents.c.record_type, search_documents.c.record_id, search_documents.c.doc_id)
    with engine.connect() as connection:
        return {(t, i): d for t, i, d in connection.execute(sa.select(*columns)).all()}


def _exact_keys_in_step(engine: sa.Engine) -> None:
    """On SQLite, `search_exact` (migration 0008) holds exactly the exact-name keys of every indexed document."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        stored = set(connection.exec_driver_sql("SELECT key, doc_id FROM search_exact").all())
        rows = connection.exec_driver_sql("SELECT doc_id, exact FROM search_documents").all()
    expected = {(key, doc_id) for doc_id, exact in rows for key in exact.split()}
    assert expected
    assert stored == expected


def word_rank(occurrences: int, length: int) -> int:
    """A document's rank in search_name_terms for a word it holds `occurrences` times in its names, being `length`
    terms long (migration 0010): FTS5's bm25 of the word in the names tier, over an average length of 75 terms."""
    frequency = 5.0 * occurrences
    return int((2.2 - frequency * 2.2 / (frequency + 1.2 * (0.25 + 0.75 * length / 75.0))) * 1000000)


def indexed_columns(connection: sa.Connection) -> dict[int, tuple[str, str, list[str]]]:
    """Each indexed document's type, id and term columns (exact, names, aliases, body) by doc_id: stored beside it
    on SQLite; on PostgreSQL (which keeps only their vector) made anew from its record, as the index made them."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT doc_id, record_type, record_id, exact, names, aliases, body FROM search_documents"
        )
        return {doc_id: (record_type, record_id, columns) for doc_id, record_type, record_id, *columns in rows}
    doc_ids = {(t, i): d for d, t, i in connection.exec_driver_sql(SELECT_KEYS)}
    found: dict[int, tuple[str, str, list[str]]] = {}
    for record_type in RECORD_TYPE_LIST:
        for row in connection.execute(sa.select(record_type.table)).mappings():
            document = document_for(record_type, row)
            key = (record_type.name, row["id"])
            found[doc_ids[key]] = (*key, [document.columns[c] for c in COLUMNS])
    assert len(found) == len(doc_ids)
    return found


SELECT_KEYS = "SELECT doc_id, record_type, record_id FROM search_documents"


def name_terms_in_step(engine: sa.Engine) -> None:
    """`search_name_terms` (migrations 0010, 0011) holds exactly one row per word of each indexed document's
    names, ranked by the word's occurrences there and the document's length in terms (on PostgreSQL, with the
    document's type)."""
    with engine.connect() as connection:
        stored = set(connection.exec_driver_sql("SELECT term, rank, doc_id FROM search_name_terms").all())
        documents = indexed_columns(connection)
        if engine.dialect.name == "postgresql":
            types = set(connection.exec_driver_sql("SELECT doc_id, record_type FROM search_name_terms").all())
            assert types == {(doc_id, documents[doc_id][0]) for _term, _rank, doc_id in stored}
    expected = {
        (word, word_rank(names.split().count(word), sum(len(c.split()) for c in columns)), doc_id)
        for doc_id, (_type, _id, columns) in documents.items()
        for names in [columns[1]]
        for word in names.split()
    }
    assert any(len(set(c[1].split())) < len(c[1].split()) for _t, _i, c in documents.values())  # a word twice
    assert stored == expected


def test_a_second_load_changes_and_prunes_the_index(
    engine: sa.Engine, settings: Settings, search_seed: Path, tmp_path: Path
) -> None:
    load_dir(engine, search_seed, prune=True)
    changed = write_search_seed(tmp_path / "changed")
    actors = ACTORS.replace("name: Huawei\n", "name: Huawei Technologies Co., Ltd.\n")
    actors = actors.replace("designer of the Ascend AI chips", "maker of Kunpeng servers")
    xinhua = actors.index("- id: xinhua")
    actors = actors[:xinhua] + actors[actors.index("- id: state-council") :]
    (changed / "actors.yaml").write_text(actors, "utf-8")
    before = _doc_ids(engine)

    report = load_dir(engine, changed, prune=True)

    assert report.updated["actor"] == 1
    assert report.deleted["actor"] == 1
    with TestClient(create_app(settings)) as client:
        assert ids(search(client, q="xinhua")) == []
        assert ids(search(client, q="新华社")) == []
        assert ids(search(client, q="kunpeng")) == ["actor:huawei"]
        assert "actor:huawei" not in ids(search(client, q="ascend"))
        hit = search(client, q="huawei technologies co ltd")["items"][0]
        assert (hit["id"], hit["name"], hit["matched"]) == ("huawei", "Huawei Technologies Co., Ltd.", ["name"])
    after = _doc_ids(engine)
    assert ("actor", "xinhua") not in after
    untouched = set(before) - {("actor", "xinhua"), ("actor", "huawei")}
    assert {key: after[key] for key in untouched} == {key: before[key] for key in untouched}
    _exact_keys_in_step(engine)
    name_terms_in_step(engine)


def test_loading_the_same_files_again_leaves_the_index_alone(engine: sa.Engine, search_seed: Path) -> None:
    load_dir(engine, search_seed, prune=True)
    before = _doc_ids(engine)
    report = load_dir(engine, search_seed, prune=True)
    assert not report.changed
    assert _doc_ids(engine) == before


def test_an_index_out_of_step_is_rebuilt_by_the_next_load(engine: sa.Engine, search_seed: Path) -> None:
    load_dir(engine, search_seed, prune=True)
    with engine.begin() as connection:
        backend_for(connection).clear(connection)
    assert _hits(engine, "huawei") == []
    load_dir(engine, search_seed, prune=True)  # nothing changed in the files
    assert _hits(engine, "huawei")[0] == "actor:huawei"
    _exact_keys_in_step(engine)
    name_terms_in_step(engine)


def test_refresh_is_set_based(engine: sa.Engine, tmp_path: Path) -> None:
    extra = "".join(
        f"- {{id: s-{i:04d}, name: 'Remark {i}', speaker: xi-jinping, said_on: 2020-01-01, kind: remark, "
        f"text: 'Chips number {i}.', original_text: '芯片{i}', sources: [src-wire]}}\n"
        for i in range(4500)
    )
    load_dir(engine, write_search_seed(tmp_path / "many", extra), prune=True)
    ids_ = [f"s-{i:04d}" for i in range(4500)]
    statements: list[Any] = []

    def count(*_args: Any) -> None:
        statements.append(_args)

    with engine.begin() as connection:
        sa.event.listen(connection, "before_cursor_execute", count)
        refresh_search_index(connection, {"statement": ids_}, {})
        sa.event.remove(connection, "before_cursor_execute", count)
    # 3 batches of 2000: deletes, a read and inserts each, plus the step check; never one per record.
    assert len(statements) < 40
    assert _hits(engine, "芯片 4321") == ["statement:s-4321"]
    _exact_keys_in_step(engine)
    name_terms_in_step(engine)


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own, empty and unmigrated (a new PostgreSQL database with TEST_DATABASE_URL)."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    server = sa.make_url(TEST_DATABASE_URL)
    name = f"techsov_search_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _migrate(url: str, engine: sa.Engine, action: str, revision: str) -> None:
    config = alembic_config(url)
    with migrating(engine) as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def test_the_migration_downgrades_and_indexes_stored_records_on_upgrade(scratch_url: str, search_seed: Path) -> None:
    engine = make_engine(scratch_url)
    try:
        upgrade(scratch_url, engine)
        load_dir(engine, search_seed, prune=True)
        _migrate(scratch_url, engine, "downgrade", "0001")
        tables = set(sa.inspect(engine).get_table_names())
        assert not {t for t in tables if t.startswith("search_")}
        assert "actors" in tables

        _migrate(scratch_url, engine, "upgrade", "head")  # records stored at 0001 are indexed

        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
        assert _hits(engine, "习近平") == ["actor:xi-jinping"]
        assert _hits(engine, "华为")[0] == "actor:huawei"
        _exact_keys_in_step(engine)  # the keys of the documents 0002 indexed, copied by 0008
        name_terms_in_step(engine)
    finally:
        engine.dispose()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
@pytest.mark.parametrize(
    "text",
    [
        "华为 习近平 国务院 昇腾910B",
        "한국 カタカナ ひらがな ｶﾀｶﾅ",
        "abc123 123 1e5 0x1f 910b 7-nm 3.5 v1 n7 h800 hbm2e",
        "Москва مصر ไทย Xí Jìnpíng Ørsted Straße ﬁ",
        "and or not the near http www.example.org user@example.org",
    ],
)
def test_postgresql_keeps_every_term_whole(engine: sa.Engine, text: str) -> None:
    words = " ".join(terms(text))
    with engine.connect() as connection:
        lexemes = connection.execute(
            sa.text("SELECT tsvector_to_array(to_tsvector('simple', :words))"), {"words": words}
        ).scalar_one()
    assert sorted(lexemes) == sorted(set(words.split()))


def test_the_columns_are_weighted_apart(engine: sa.Engine, search_seed: Path) -> None:
    load_dir(engine, search_seed, prune=True)
    # "huawei" is Huawei's exact name and a name word of the Ascend; SMIC only mentions it in its summary.
    assert _hits(engine, "huawei")[:2] == ["actor:huawei", "hardware:huawei-ascend-910b"]
    with engine.connect() as connection:
        backend = backend_for(connection)
        aliases_only = backend.match_text(Tier(2, ("aliases",), prefix=False), query_terms("technologies"))
        body_only = backend.match_text(Tier(9, ("body",), prefix=False), query_terms("foundry"))
        if connection.dialect.name == "sqlite":
            found = "SELECT d.record_id FROM search_fts f JOIN search_documents d ON d.doc_id = f.rowid "
            found += "WHERE search_fts MATCH :m"
        else:
            found = "SELECT record_id FROM search_documents WHERE document @@ CAST(:m AS tsquery)"
        assert connection.execute(sa.text(found), {"m": aliases_only}).scalars().all() == ["huawei"]
        assert connection.execute(sa.text(found), {"m": body_only}).scalars().all() == ["smic"]
        names_only = backend.match_text(Tier(1, ("names",), prefix=False), query_terms("foundry"))
        assert connection.execute(sa.text(found), {"m": names_only}).scalars().all() == []


@pytest.mark.parametrize("real", [False, True], ids=["search seed", "real seed"])
def test_documents_from_validated_records_equal_documents_from_their_rows(
    engine: sa.Engine, search_seed: Path, real: bool
) -> None:
    folder = PROJECT_ROOT / "seed" if real else search_seed
    load_dir(engine, folder, prune=True)
    validated = check_dir(folder).validated
    with engine.connect() as connection:
        for record_type in RECORD_TYPE_LIST:
            records = validated.records[record_type.name]
            ids_ = [r.data["id"] for r in records]
            from_rows = {d.record_id: d for d in _documents_by_id(connection, record_type, ids_)}
            assert {r.data["id"]: document_for_record(record_type, r.data) for r in records} == from_rows
    assert validated.count >= 10


EDGE_DOCUMENTS = (  # (exact, names, aliases, body)
    ("", "", "", ""),
    ("", "", "", "only body words"),
    ("xixi", "xi xi jinping xi", "", "xi"),
    ("华为 huawei", "华为 华为 hua wei huawei", "", ""),
    ("a1", "a1", "a1 a1", "a1 b2"),
    ("", "习近平 xi jinping 习近平", "xi", ""),
)
"""Documents the real seed may not have: empty columns, a word repeated in the names, CJK and pinyin terms."""


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite only")
def test_the_set_based_fill_gives_the_triggers_rows(engine: sa.Engine) -> None:
    """`fill_kept_by_triggers` (the side index's, app/search/side.py) and the migrations' triggers give the same
    rows of `search_exact` and `search_name_terms` for the same documents."""
    load_dir(engine, PROJECT_ROOT / "seed", prune=True)
    tables = ("search_exact", "search_name_terms")
    with engine.begin() as connection:
        first = connection.exec_driver_sql("SELECT max(doc_id) FROM search_documents").scalar_one()
        connection.exec_driver_sql(  # the triggers fire
            "INSERT INTO search_documents (doc_id, record_type, record_id, name, fields, exact, names, aliases, body) "
            "VALUES (?, 'actor', ?, 'edge', '{}', ?, ?, ?, ?)",
            [(first + i + 1, f"edge-{i}", *columns) for i, columns in enumerate(EDGE_DOCUMENTS)],
        )
        by_triggers = {t: sorted(connection.exec_driver_sql(f"SELECT * FROM {t}").all()) for t in tables}
        for table in tables:
            connection.exec_driver_sql(f"DELETE FROM {table}")
        fill_kept_by_triggers(connection)
        set_based = {t: sorted(connection.exec_driver_sql(f"SELECT * FROM {t}").all()) for t in tables}
        connection.rollback()
    assert set_based == by_triggers
    words = [(term, doc_id) for term, _rank, doc_id in by_triggers["search_name_terms"]]
    assert len(words) == len(set(words)) > 1000
    assert {"华为", "习近平", "huawei", "xi"} <= {term for term, _doc_id in words}
    assert len({(term, doc_id) for term, doc_id in by_triggers["search_exact"]}) > 100
    # Every edge document's rows are there: one per distinct word (or key), none for an empty column.
    for i, (exact, names, _aliases, _body) in enumerate(EDGE_DOCUMENTS):
        doc_id = first + i + 1
        assert sorted(t for t, d in words if d == doc_id) == sorted(set(names.split()))
        assert sorted(k for k, d in by_triggers["search_exact"] if d == doc_id) == sorted(exact.split())


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
def test_a_load_leaves_no_pending_gin_entries(engine: sa.Engine, search_seed: Path) -> None:
    """Every search would read a GIN index's pending list whole until a vacuum: the load moves it into the tree."""
    load_dir(engine, search_seed, prune=True)
    with engine.connect() as connection:
        assert connection.exec_driver_sql(PostgresTsvector.CLEAN_GIN).scalars().all() == [0, 0, 0]
