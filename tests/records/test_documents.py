"""Stored documents: after loads, renames, prunes and dispute changes, every record's stored forms are exactly
what the present code renders live, and nothing is stored for a record that is gone."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.render import csv_row_lines, csv_rows, json_bytes, ndjson_lines
from app.main import create_app
from app.records import documents
from app.records.detail import record_detail, referrer_keys
from app.records.documents import STORED, detail_bytes, record_csv_rows, record_documents, stored_csv
from app.records.flat import csv_batches, csv_cells, csv_columns
from app.records.in_memory import InMemory
from app.records.items import items_from_rows, plan_for
from app.records.listing import ListSpec, parse_sort
from app.records.registry import BY_NAME, RECORD_TYPE_LIST
from app.records.service import all_items
from app.seeding import load
from app.seeding.run import load_dir
from app.seeding.synth import build, write_records
from tests.conftest import VALID, write_seed

Records = dict[str, list[dict[str, Any]]]


def stored_documents(connection: sa.Connection) -> dict[tuple[str, str], sa.Row[Any]]:
    return {(row.record_type, row.record_id): row for row in connection.execute(sa.select(record_documents))}


def assert_documents_current(engine: sa.Engine) -> int:
    """Every record has its stored forms, each equal to what is rendered live; nothing else is stored. Returns
    how many records were compared."""
    with engine.connect() as connection:
        stored = stored_documents(connection)
        lines = {
            (row.record_type, row.record_id): row.csv_row for row in connection.execute(sa.select(record_csv_rows))
        }
        compared: set[tuple[str, str]] = set()
        for record_type in RECORD_TYPE_LIST:
            table = record_type.table
            rows = connection.execute(sa.select(table).order_by(table.c.id)).mappings().all()
            items = items_from_rows(connection, record_type, rows)
            cells = csv_row_lines(csv_cells(connection, record_type, rows))
            for row, item, line in zip(rows, items, cells, strict=True):
                key = (record_type.name, row["id"])
                assert key in stored, f"no document for {key}"
                document = stored[key]
                assert document.item == json_bytes(item), key
                live = record_detail(connection, record_type, row["id"])
                assert detail_bytes(document.item, document.referenced_by) == json_bytes(live), key
                assert lines[key] == line, key
                compared.add(key)
            spec = ListSpec(sort=parse_sort(record_type, record_type.default_sort))
            columns = csv_columns(record_type)
            live_csv = b"".join(csv_rows(columns, csv_batches(connection, record_type, spec)))
            assert b"".join(csv_rows(columns, stored_csv(connection, record_type, spec))) == live_csv
            live_ndjson = b"".join(ndjson_lines(all_items(connection, record_type, spec)))
            assert b"".join(ndjson_lines(all_items(connection, record_type, spec, STORED))) == live_ndjson
        assert set(stored) == compared, f"documents of records that are gone: {set(stored) - compared}"
        assert set(lines) == compared, f"CSV rows of records that are gone: {set(lines) - compared}"
    return len(compared)


def copy_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / "seed"
    shutil.copytree(VALID, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def stored_item(engine: sa.Engine, record_type: str, record_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        return dict(orjson.loads(stored_documents(connection)[(record_type, record_id)].item))


def test_no_type_shows_its_sources_in_referenced_by() -> None:
    # A referrer form is taken from the item with its sources embedded; `referenced_by` does not embed them.
    assert all("sources" not in referrer_keys(t) for t in RECORD_TYPE_LIST)


def test_a_load_stores_every_records_documents(engine: sa.Engine) -> None:
    load_dir(engine, VALID)
    assert assert_documents_current(engine) == 19


def test_a_rename_reaches_every_record_that_shows_the_name(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    load_dir(engine, folder)
    edit(folder, "actors.yaml", "name: Test Person", "name: Renamed Person")  # a speaker
    edit(folder, "actors.yaml", "name: State Council", "name: The State Council")  # an issuer, a role's body
    edit(folder, "sources.yaml", "title: Wire report", "title: Wire report, corrected")  # embedded everywhere
    edit(folder, "hardware.yaml", "released_on: 2019-08", "released_on: 2019-09")  # shown in nothing else
    load_dir(engine, folder)
    assert assert_documents_current(engine) == 19
    statement = stored_item(engine, "statement", "stmt-one")
    assert statement["speaker"]["name"] == "Renamed Person"
    assert statement["sources"][0]["title"] == "Wire report, corrected"
    roles = stored_item(engine, "actor", "test-person")["roles"]
    assert roles[0]["of"]["name"] == "The State Council"


def test_a_change_to_a_good_share_of_the_records_renders_them_all(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_fixture(tmp_path)
    load_dir(engine, folder)
    monkeypatch.setattr(documents, "BATCH", 2)
    monkeypatch.setattr(documents, "RENDER_ALL_SHARE", 0.1)
    calls: list[int] = []
    render_all = documents._render_all

    def counted(connection: sa.Connection, written: Any = None) -> None:
        calls.append(1)
        render_all(connection, written)

    monkeypatch.setattr(documents, "_render_all", counted)
    edit(folder, "actors.yaml", "name: Test Person", "name: Renamed Person")
    edit(folder, "sources.yaml", "title: Wire report", "title: Wire report, corrected")
    edit(folder, "hardware.yaml", "released_on: 2019-08", "released_on: 2019-09")
    load_dir(engine, folder)
    assert calls == [1]
    assert assert_documents_current(engine) == 19


def test_a_record_that_stops_referring_leaves_the_referenced_by_it_was_in(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    load_dir(engine, folder)
    edit(folder, "statements.yaml", "about_policies: [us-listing-2019]", "about_policies: [cn-plan-2017]")
    edit(folder, "statements.yaml", "  reported_by: xinhua\n", "")
    load_dir(engine, folder)
    assert assert_documents_current(engine) == 19
    with engine.connect() as connection:
        stored = stored_documents(connection)
    assert "statements.about_policy" not in orjson.loads(stored[("policy", "us-listing-2019")].referenced_by)
    assert "statements.reported_by" not in orjson.loads(stored[("actor", "xinhua")].referenced_by)


def test_a_prune_drops_documents_and_what_referred_to_them(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    load_dir(engine, folder)
    (folder / "statements.yaml").unlink()  # it mentioned an actor, a policy and hardware
    policies = (folder / "policies.yaml").read_text("utf-8")
    (folder / "policies.yaml").write_text(policies[: policies.index("- id: us-listing-2019-amended")], "utf-8")
    load_dir(engine, folder, prune=True)
    assert assert_documents_current(engine) == 17
    with engine.connect() as connection:
        stored = stored_documents(connection)
    assert ("statement", "stmt-one") not in stored
    assert orjson.loads(stored[("policy", "us-listing-2019")].referenced_by) == {}


def test_disputes_follow_a_change_of_status(engine: sa.Engine, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    rival = """- id: huawei-on-gpu-denied
  name: Huawei denies using the test GPU
  dependent: actor:huawei
  depends_on: test-gpu
  purpose: training
  status: denied
  sources: [src-press]
"""
    write_seed(folder / "dependencies", {"more.yaml": rival})
    load_dir(engine, folder)
    assert assert_documents_current(engine) == 20
    assert stored_item(engine, "dependency", "huawei-on-gpu")["disputed_by"] == ["huawei-on-gpu-denied"]
    edit(folder, "dependencies/more.yaml", "status: denied", "status: reported")
    load_dir(engine, folder)
    assert assert_documents_current(engine) == 20
    assert stored_item(engine, "dependency", "huawei-on-gpu")["disputed"] is False
    (folder / "dependencies" / "more.yaml").write_text(rival, "utf-8")
    load_dir(engine, folder)
    edit(folder, "dependencies/more.yaml", "purpose: training", "purpose: inference")  # leaves the group
    load_dir(engine, folder)
    assert assert_documents_current(engine) == 20
    assert stored_item(engine, "dependency", "huawei-on-gpu")["disputed_by"] == []
    (folder / "dependencies" / "more.yaml").write_text(rival, "utf-8")
    load_dir(engine, folder)
    edit(folder, "dependencies/more.yaml", "dependent: actor:huawei", "dependent: actor:hisilicon")  # another's
    load_dir(engine, folder)
    assert assert_documents_current(engine) == 20
    assert stored_item(engine, "dependency", "huawei-on-gpu")["disputed_by"] == []


def synthetic(count: int) -> Records:
    return {name: list(records) for name, records in build(count).items()}


def write_synthetic(folder: Path, records: Records) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, items in records.items():
        write_records(folder / f"{name}.ndjson", items, "ndjson")
    return folder


def without(value: Any, record_type: str, record_id: str) -> Any:
    """A field's value with every reference to one record taken out (bare or typed)."""
    if isinstance(value, list):
        return [without(v, record_type, record_id) for v in value if v not in (record_id, f"{record_type}:{record_id}")]
    return value


def most_referred(records: Records, field: str) -> str:
    """The id statements refer to most often through `field`."""
    counts: dict[str, int] = {}
    for record in records["statements"]:
        value = record.get(field)
        for target in value if isinstance(value, list) else [value]:
            if isinstance(target, str):
                counts[target] = counts.get(target, 0) + 1
    return max(counts, key=lambda k: (counts[k], k))


@pytest.mark.parametrize("batch", [2000, 7])
def test_many_records_stay_current_through_renames_moves_and_prunes(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """A synthetic seed, large enough that `referenced_by` lists are cut at 20 and hold every kind of link;
    also in batches of 7, so that every batch boundary is crossed (and a large change renders everything)."""
    monkeypatch.setattr(documents, "BATCH", batch)
    records = synthetic(300)
    folder = write_synthetic(tmp_path / "seed", records)
    load_dir(engine, folder)
    total = assert_documents_current(engine)
    assert total > 500

    speaker = most_referred(records, "speaker")
    source = most_referred(records, "sources")
    for record in records["actors"]:
        if record["id"] == speaker:
            record["name"] = "A speaker renamed"
    for record in records["sources"]:
        if record["id"] == source:
            record["title"] = "A source retitled"
    by_speaker = [r for r in records["statements"] if r.get("speaker") == speaker]
    by_speaker[-1]["said_on"] = "2099-01-01"  # now first in its speaker's referenced_by
    load_dir(engine, write_synthetic(folder, records))
    assert assert_documents_current(engine) == total
    # The speaker's 20 newest statements of more than 20, the moved one first.
    shown = orjson.loads(detail_bytes(*_parts(engine, "actor", speaker)))["referenced_by"]["statements.speaker"]
    assert shown["total"] > 20
    assert len(shown["items"]) == 20
    assert shown["items"][0]["id"] == by_speaker[-1]["id"]

    policy = most_referred(records, "about_policies")
    records["policies"] = [r for r in records["policies"] if r["id"] != policy]
    for items in records.values():
        for record in items:
            for field, value in list(record.items()):
                record[field] = without(value, "policy", policy)
    records["statements"] = [r for r in records["statements"] if r["id"] != by_speaker[0]["id"]]
    load_dir(engine, write_synthetic(folder, records), prune=True)
    assert assert_documents_current(engine) == total - 2


def _parts(engine: sa.Engine, record_type: str, record_id: str) -> tuple[bytes, bytes]:
    with engine.connect() as connection:
        row = stored_documents(connection)[(record_type, record_id)]
    return row.item, row.referenced_by


def test_a_database_without_documents_is_served_live_until_the_next_load(engine: sa.Engine, database_url: str) -> None:
    load_dir(engine, VALID)
    with TestClient(create_app(Settings(database_url=database_url, techsov_seed_dir=VALID))) as client:
        urls = ["/v1/actors/huawei", "/v1/statements", "/v1/hardware?format=csv", "/v1/policies?format=ndjson"]
        before = {url: client.get(url).content for url in urls}
        with engine.begin() as connection:
            for table in (record_documents, record_csv_rows):  # as after migration 0006, before any load
                connection.execute(table.delete())
            connection.exec_driver_sql("UPDATE dataset_state SET version = version + 1")
        assert {url: client.get(url).content for url in urls} == before
        assert client.get("/v1/actors/nobody").status_code == 404
    load_dir(engine, VALID)  # changes nothing, and stores every document
    assert assert_documents_current(engine) == 19


@pytest.mark.parametrize("record_type", [t.name for t in RECORD_TYPE_LIST])
def test_the_api_answers_from_the_documents(engine: sa.Engine, database_url: str, record_type: str) -> None:
    load_dir(engine, VALID)
    marker = b'{"type":"marked"}'
    plural = BY_NAME[record_type].plural
    with engine.begin() as connection:
        record_id = connection.execute(sa.select(BY_NAME[record_type].table.c.id).limit(1)).scalar_one()
        for table, values in ((record_documents, {"item": marker}), (record_csv_rows, {"csv_row": b"marked\r\n"})):
            connection.execute(
                table.update().where(table.c.record_type == record_type, table.c.record_id == record_id).values(values)
            )
    with TestClient(create_app(Settings(database_url=database_url, techsov_seed_dir=VALID))) as client:
        detail = client.get(f"/v1/{plural}/{record_id}").json()
        assert list(detail) == ["type", "referenced_by"]
        assert detail["type"] == "marked"
        assert {"type": "marked"} in client.get(f"/v1/{plural}?limit=500").json()["items"]
        assert b"\r\nmarked\r\n" in client.get(f"/v1/{plural}?format=csv").content


@pytest.mark.parametrize("aside", [False, True], ids=["in-process", "second-process"])
def test_a_first_load_renders_from_the_records_it_holds(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aside: bool
) -> None:
    # A first load renders from memory (app/records/in_memory.py), in a second process when it is large:
    # the stored forms must be what the database path renders, for the fixture and for a synthetic seed.
    monkeypatch.setattr(documents, "SIDE_FORMS_FROM", 0 if aside else 10**9)
    read_back: list[Any] = []

    def batches_by_id(*args: Any) -> Any:
        read_back.append(args)
        return iter(())

    monkeypatch.setattr(documents, "_batches_by_id", batches_by_id)
    load_dir(engine, write_synthetic(tmp_path / "seed", synthetic(300)))
    assert read_back == []  # nothing was read back
    monkeypatch.undo()
    assert assert_documents_current(engine) > 300


def test_a_second_process_that_fails_fails_the_load(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "SIDE_FORMS_FROM", 0)

    def broken(*_args: Any) -> list[Any]:
        raise ValueError("rendering broke")

    monkeypatch.setattr(documents, "_render_rows", broken)
    with pytest.raises(RuntimeError, match="rendering broke"):
        load_dir(engine, VALID)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(record_documents)).scalar_one() == 0


def test_a_second_process_s_forms_are_copied_raw_on_sqlite(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The parent takes the scratch tables with SQLite's transfer optimisation (records copied undecoded: the
    # opcode RowData, as EXPLAIN shows the statements the take runs), and only the referrer forms it needs.
    if engine.dialect.name != "sqlite":
        pytest.skip("the raw copy is SQLite's")
    monkeypatch.setattr(documents, "SIDE_FORMS_FROM", 0)
    explained: dict[str, set[str]] = {}
    referrers_read: list[int] = []

    def explain(_conn: Any, cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.startswith("INSERT INTO main.record_"):
            explained[statement] = {row[1] for row in cursor.execute(f"EXPLAIN {statement}").fetchall()}
        elif "referrers WHERE" in statement:
            referrers_read.append(len(parameters) - 1)

    sa.event.listen(engine, "before_cursor_execute", explain)
    try:
        load_dir(engine, write_synthetic(tmp_path / "seed", synthetic(300)))
    finally:
        sa.event.remove(engine, "before_cursor_execute", explain)
    assert sorted(explained) == sorted(
        f"INSERT INTO main.{t.name} SELECT * FROM techsov_side_forms.{t.name}" for t in documents.TABLES
    )
    assert all("RowData" in opcodes for opcodes in explained.values()), explained
    with engine.connect() as connection:
        records = sum(
            connection.execute(sa.select(sa.func.count()).select_from(t.table)).scalar_one() for t in RECORD_TYPE_LIST
        )
    assert 0 < sum(referrers_read) < records
    assert assert_documents_current(engine) == records


def test_child_rows_from_memory_are_the_database_s(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first load's records in memory answer each child query as the database does, the rows of an item (a
    # source, a tag, a mention cited by many records) made once and reused: the same rows, the same values.
    held: list[InMemory] = []

    class Holding(InMemory):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            held.append(self)

    monkeypatch.setattr(load, "InMemory", Holding)
    load_dir(engine, write_synthetic(tmp_path / "seed", synthetic(300)))
    [memory] = held
    reused = 0
    with engine.connect() as connection:
        for record_type in RECORD_TYPE_LIST:
            ids = sorted(connection.execute(sa.select(record_type.table.c.id)).scalars())
            for embed in (True, False):
                for child in plan_for(record_type.name, embed).children:
                    rows = child.query.rows(connection, ids)  # dates as the driver gives them: compared as items
                    assert len(memory.child_rows(child, ids)) == len(rows), (record_type.name, child.field.alias)
                    assert child.by_record_from(memory, ids) == child.by_record(connection, ids)
                    reused += len(rows) - len({row[1:] for row in rows})
    assert reused > 300
