"""GET /v1/{plural}/{id}/history and ?version=N: every version, by loads and writes, who made it, what changed,
and the record rebuilt as any version left it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.state import changes
from app.seeding.run import load_dir
from tests.seeding.test_load import copy_fixture
from tests.writes.conftest import STATEMENT, etag_of


def _history(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    answer = client.get(f"{path}/history", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _version(client: TestClient, path: str, number: int) -> dict[str, Any]:
    answer = client.get(path, params={"version": number})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_loaded_record_has_one_version_by_the_loader(client: TestClient) -> None:
    history = _history(client, "/v1/actors/huawei")
    assert history["total"] == 1
    (entry,) = history["items"]
    assert (entry["version"], entry["action"], entry["by"], entry["dataset_version"]) == (1, "created", "loader", 1)
    assert entry["href"] == "/v1/actors/huawei?version=1"
    assert {"field": "names", "from": None, "to": {"zh-Hans": "华为"}} in entry["changes"]
    first = _version(client, "/v1/actors/huawei", 1)
    assert first["record"] == {
        "id": "huawei",
        "kind": "company",
        "name": "Huawei",
        "names": {"zh-Hans": "华为"},
        "country": "china",
        "founded_on": "1987",
        "tags": ["semiconductors"],
        "sources": ["src-press"],
    }
    assert (first["version"], first["by"], first["action"]) == (1, "loader", "created")


def test_every_write_is_a_version_with_who_and_what(writer: TestClient) -> None:
    path = "/v1/statements/stmt-new"
    created = writer.post("/v1/statements", json=STATEMENT)
    corrected = writer.patch(path, json={"text": "Corrected."}, headers={"If-Match": created.headers["etag"]})
    replaced = {k: v for k, v in STATEMENT.items() if k != "tags"} | {"summary": "Now with a summary."}
    writer.put(path, json=replaced, headers={"If-Match": corrected.headers["etag"]})
    history = _history(writer, path)
    assert history["total"] == 3
    assert [(e["version"], e["action"], e["by"]) for e in history["items"]] == [
        (3, "updated", "deleter"),
        (2, "updated", "deleter"),
        (1, "created", "deleter"),
    ]
    newest, middle, _first = history["items"]
    assert middle["changes"] == [{"field": "text", "from": STATEMENT["text"], "to": "Corrected."}]
    assert newest["changes"] == [
        {"field": "summary", "from": None, "to": "Now with a summary."},
        {"field": "tags", "from": STATEMENT["tags"], "to": None},
        {"field": "text", "from": "Corrected.", "to": STATEMENT["text"]},
    ]
    assert newest["dataset_version"] == middle["dataset_version"] + 1
    assert _version(writer, path, 1)["record"] == STATEMENT
    assert _version(writer, path, 2)["record"] == {**STATEMENT, "text": "Corrected."}
    assert _version(writer, path, 3)["record"] == replaced


def test_a_deleted_record_keeps_its_history(writer: TestClient) -> None:
    path = "/v1/statements/stmt-new"
    created = writer.post("/v1/statements", json=STATEMENT)
    writer.patch(path, json={"kind": "speech"}, headers={"If-Match": created.headers["etag"]})
    assert writer.delete(path, headers={"If-Match": etag_of(writer, path)}).status_code == 204
    history = _history(writer, path, sort="version")
    assert [e["action"] for e in history["items"]] == ["created", "updated", "deleted"]
    deletion = history["items"][-1]
    assert deletion["href"] is None
    assert {"field": "kind", "from": "speech", "to": None} in deletion["changes"]
    gone = writer.get(path, params={"version": 3})
    assert gone.status_code == 404
    assert "version 3 of the statement 'stmt-new' deleted it; version=2 shows it" in gone.json()["detail"]
    assert _version(writer, path, 2)["record"] == {**STATEMENT, "kind": "speech"}
    assert _version(writer, path, 1)["record"] == STATEMENT
    again = writer.post("/v1/statements", json={**STATEMENT, "text": "Said again."})
    assert again.status_code == 201
    assert _history(writer, path)["total"] == 4
    assert _version(writer, path, 4)["record"]["text"] == "Said again."
    assert _version(writer, path, 1)["record"] == STATEMENT  # rebuilt through the deletion's copy


def test_loads_write_history_too(loaded_engine: sa.Engine, client: TestClient, tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    actors = (folder / "actors.yaml").read_text("utf-8")
    (folder / "actors.yaml").write_text(actors.replace('  founded_on: "1987"\n', '  founded_on: "1988"\n'), "utf-8")
    statements = (folder / "statements.yaml").read_text("utf-8")
    (folder / "statements.yaml").write_text(statements.split("\n- id:")[0].split("- id: stmt-one")[0], "utf-8")
    load_dir(loaded_engine, folder, prune=True)
    history = _history(client, "/v1/actors/huawei")
    assert [(e["version"], e["by"]) for e in history["items"]] == [(2, "loader"), (1, "loader")]
    assert history["items"][0]["changes"] == [{"field": "founded_on", "from": "1987", "to": "1988"}]
    assert _version(client, "/v1/actors/huawei", 1)["record"]["founded_on"] == "1987"
    pruned = _history(client, "/v1/statements/stmt-one")["items"][0]
    assert (pruned["action"], pruned["by"]) == ("deleted", "loader")
    assert _version(client, "/v1/statements/stmt-one", 1)["record"]["speaker"] == "test-person"


def test_history_pages_both_ways(writer: TestClient) -> None:
    path = "/v1/actors/huawei"
    for number in range(4):
        assert writer.patch(path, json={"summary": f"Edit {number}."}, headers={"If-Match": "*"}).status_code == 200
    cursors: dict[str, str] = {}
    for sort, expected in (("-version", [5, 4, 3, 2, 1]), ("version", [1, 2, 3, 4, 5])):
        seen: list[int] = []
        params: dict[str, Any] = {"sort": sort, "limit": 2}
        while True:
            answer = writer.get(f"{path}/history", params=params)
            page = answer.json()
            assert page["total"] == 5
            seen += [e["version"] for e in page["items"]]
            if not page["next_cursor"]:
                assert "link" not in answer.headers
                break
            assert answer.headers["link"].endswith('>; rel="next"')
            params["cursor"] = cursors[sort] = page["next_cursor"]
        assert seen == expected
    other_sort = writer.get(f"{path}/history", params={"sort": "version", "cursor": cursors["-version"]})
    assert other_sort.status_code == 400
    assert "belongs to sort=-version, not sort=version" in other_sort.json()["detail"]


def test_history_and_version_errors_say_what_is_wrong(writer: TestClient) -> None:
    cases = {
        "/v1/actors/huawei?version=0": (400, "version: must be between 1"),
        "/v1/actors/huawei?version=two": (400, "'two' is not a whole number"),
        "/v1/actors/huawei?version=2": (404, "has versions 1 to 1, not 2"),
        "/v1/actors/huawei?version=1&format=csl": (400, "JSON only"),
        "/v1/actors/nobody?version=1": (404, "no actor with id 'nobody' has ever been stored"),
        "/v1/actors/nobody/history": (404, "no actor with id 'nobody' has ever been stored"),
        "/v1/actors/huawei/history?sort=newest": (400, "'newest' is not one of -version, version"),
        "/v1/actors/huawei/history?limt=2": (400, "did you mean 'limit'?"),
        "/v1/actors/Not%20Slug/history": (404, "ids match"),
    }
    for url, (status, message) in cases.items():
        answer = writer.get(url)
        assert answer.status_code == status, url
        assert message in answer.json()["detail"], (url, answer.json()["detail"])


def test_versions_before_an_unrecorded_change_cannot_be_rebuilt(writer: TestClient, loaded_engine: sa.Engine) -> None:
    """Change-log lines from before the log kept diffs (migration 0007) say what happened, not what changed."""
    for number in range(3):
        assert writer.patch("/v1/actors/huawei", json={"summary": f"Edit {number}."}, headers={"If-Match": "*"})
    with loaded_engine.begin() as connection:
        entries = list(
            connection.execute(sa.select(changes.c.seq).where(changes.c.record_id == "huawei").order_by(changes.c.seq))
        )
        connection.execute(changes.update().where(changes.c.seq == entries[2].seq).values(diff=None))  # version 3
    history = {e["version"]: e["changes"] for e in _history(writer, "/v1/actors/huawei")["items"]}
    assert history[4] == [{"field": "summary", "from": "Edit 1.", "to": "Edit 2."}]
    assert history[3] is None
    assert history[2] is None
    assert history[1] is None
    assert _version(writer, "/v1/actors/huawei", 4)["record"]["summary"] == "Edit 2."
    assert _version(writer, "/v1/actors/huawei", 3)["record"]["summary"] == "Edit 1."
    lost = writer.get("/v1/actors/huawei", params={"version": 2})
    assert lost.status_code == 404
    assert "cannot be rebuilt: version 3 changed it before the change log kept what changed" in lost.json()["detail"]
