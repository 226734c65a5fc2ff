"""API writes keep the stored documents current: a write goes through the loader's write_seed, which refreshes
the documents of what it touched (and of what shows it) in the write's transaction."""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.records.test_documents import assert_documents_current, stored_documents, stored_item
from tests.writes.conftest import STATEMENT


def test_writes_by_api_leave_every_document_equal_to_the_live_rendering(
    writer: TestClient, loaded_engine: sa.Engine
) -> None:
    assert assert_documents_current(loaded_engine) == 19

    renamed = writer.patch("/v1/actors/test-person", json={"name": "Renamed Person"}, headers={"If-Match": "*"})
    assert renamed.status_code == 200, renamed.text
    retitled = writer.patch("/v1/sources/src-press", json={"title": "Press, corrected"}, headers={"If-Match": "*"})
    assert retitled.status_code == 200, retitled.text
    assert assert_documents_current(loaded_engine) == 19
    assert stored_item(loaded_engine, "statement", "stmt-one")["speaker"]["name"] == "Renamed Person"
    said = writer.get("/v1/statements/stmt-one").json()
    assert said["speaker"]["name"] == "Renamed Person"
    assert said["sources"][0]["title"] == "Press, corrected"

    created = writer.post("/v1/statements", json=STATEMENT)
    assert created.status_code == 201, created.text
    assert assert_documents_current(loaded_engine) == 20
    shown = writer.get("/v1/actors/test-person").json()["referenced_by"]["statements.speaker"]
    assert "stmt-new" in [item["id"] for item in shown["items"]]

    deleted = writer.delete("/v1/statements/stmt-one", headers={"If-Match": "*"})
    assert deleted.status_code == 204, deleted.text
    assert assert_documents_current(loaded_engine) == 19
    with loaded_engine.connect() as connection:
        stored = stored_documents(connection)
    assert ("statement", "stmt-one") not in stored
    referenced_by = orjson.loads(stored[("actor", "test-person")].referenced_by)
    assert [item["id"] for item in referenced_by["statements.speaker"]["items"]] == ["stmt-new"]
    assert writer.get("/v1/statements/stmt-one").status_code == 404
    assert "stmt-one" not in writer.get("/v1/statements?format=csv").text
