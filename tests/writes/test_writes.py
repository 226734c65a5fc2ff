"""POST, PUT, PATCH and DELETE: checked as seed files are, written whole or not at all, with the search index, the
dataset version and the change feed in the same transaction."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.search.test_index import name_terms_in_step
from tests.seeding.test_load import snapshot
from tests.writes.conftest import STATEMENT, etag_of, problem_fields


def _version(client: TestClient) -> int:
    version: int = client.get("/v1/changes").json()["version"]
    return version


def _search(client: TestClient, words: str) -> list[str]:
    return [hit["id"] for hit in client.get("/v1/search", params={"q": words}).json()["items"]]


def test_create_answers_201_with_the_record_its_address_and_etag(writer: TestClient) -> None:
    version = _version(writer)
    answer = writer.post("/v1/statements", json=STATEMENT)
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == "/v1/statements/stmt-new"
    assert answer.headers["etag"].startswith('"')  # strong
    shown = writer.get("/v1/statements/stmt-new")
    assert shown.headers["etag"] == answer.headers["etag"]
    assert answer.json() == shown.json()
    assert shown.json()["speaker"] == {"id": "test-person", "type": "actor", "name": "Test Person"}
    assert _version(writer) == version + 1
    feed = writer.get("/v1/changes", params={"since": version}).json()["items"]
    assert [(e["type"], e["id"], e["action"]) for e in feed] == [("statement", "stmt-new", "created")]
    assert "stmt-new" in _search(writer, "self-reliance computing")
    assert writer.get("/v1/actors/test-person").json()["referenced_by"]["statements.speaker"]["total"] == 2


def test_a_taken_id_is_409(writer: TestClient, loaded_engine: sa.Engine) -> None:
    before = snapshot(loaded_engine)
    answer = writer.post("/v1/statements", json={**STATEMENT, "id": "stmt-one"})
    assert answer.status_code == 409
    assert "'stmt-one' exists" in answer.json()["detail"]
    assert snapshot(loaded_engine) == before


def test_a_record_is_checked_as_a_seed_file_is(writer: TestClient, loaded_engine: sa.Engine) -> None:
    before = snapshot(loaded_engine)
    answer = writer.post("/v1/statements", json={**STATEMENT, "speaker": "test-persn", "said_on": "2024-13"})
    assert answer.status_code == 400
    assert problem_fields(answer) == {"said_on": "'2024-13' is not a calendar date"}
    unknown = writer.post("/v1/statements", json={**STATEMENT, "speaker": "test-persn"})
    assert problem_fields(unknown) == {"speaker": "unknown actor 'test-persn' — did you mean 'test-person'?"}
    wrong_kind = writer.post(
        "/v1/policies",
        json={"id": "p-new", "name": "P", "kind": "law", "jurisdiction": "huawei", "sources": ["src-press"]},
    )
    assert wrong_kind.status_code == 400
    assert "'huawei' is a company; this field takes a state or bloc" in problem_fields(wrong_kind)["jurisdiction"]
    typo = writer.post("/v1/statements", json={**STATEMENT, "kind": "remarkk", "sourcse": ["src-press"]})
    assert problem_fields(typo)["kind"].startswith("'remarkk' is not allowed — did you mean 'remark'?")
    assert problem_fields(typo)["sourcse"] == "unknown field 'sourcse' — did you mean 'sources'?"
    assert snapshot(loaded_engine) == before


@pytest.mark.parametrize("field", ["created_at", "updated_at", "referenced_by", "version"])
def test_server_owned_fields_are_refused_not_dropped(writer: TestClient, loaded_engine: sa.Engine, field: str) -> None:
    before = snapshot(loaded_engine)
    etag = etag_of(writer, "/v1/statements/stmt-one")
    stored = writer.get("/v1/statements/stmt-one").json()
    own = {"id": "stmt-one", "name": stored["name"], "speaker": "test-person", "said_on": stored["said_on"],
           "kind": stored["kind"], "text": stored["text"], "sources": ["src-press"]}  # fmt: skip
    answers = [
        writer.post("/v1/statements", json={**STATEMENT, field: "2020-01-01T00:00:00Z"}),
        writer.put("/v1/statements/stmt-one", json={**own, field: "x"}, headers={"If-Match": etag}),
        writer.patch("/v1/statements/stmt-one", json={field: "x"}, headers={"If-Match": etag}),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert problem_fields(answer)[field] == f"'{field}' is set by the server; leave it out"
    assert snapshot(loaded_engine) == before


def test_put_replaces_the_whole_record(writer: TestClient) -> None:
    created = writer.post("/v1/statements", json=STATEMENT)
    replacement = {k: v for k, v in STATEMENT.items() if k not in ("tags", "id")} | {"text": "Replaced."}
    answer = writer.put("/v1/statements/stmt-new", json=replacement, headers={"If-Match": created.headers["etag"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["text"] == "Replaced."
    assert answer.json()["tags"] == []  # left out, so emptied
    assert answer.headers["etag"] != created.headers["etag"]
    assert answer.headers["etag"] == etag_of(writer, "/v1/statements/stmt-new")
    renamed = {**replacement, "id": "stmt-other"}
    other = writer.put("/v1/statements/stmt-new", json=renamed, headers={"If-Match": answer.headers["etag"]})
    assert other.status_code == 400
    assert "ids never change" in problem_fields(other)["id"]


def test_patch_merges_as_rfc_7396_says(writer: TestClient) -> None:
    etag = etag_of(writer, "/v1/actors/huawei")
    answer = writer.patch(
        "/v1/actors/huawei",
        json={"summary": "A Shenzhen company.", "names": {"zh-Hant": "華為"}, "tags": ["telecoms"], "founded_on": None},
        headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["summary"] == "A Shenzhen company."
    assert body["names"] == {"zh-Hans": "华为", "zh-Hant": "華為"}  # objects merge member by member
    assert body["tags"] == ["telecoms"]  # lists are replaced
    assert body["founded_on"] is None  # null removes
    assert body["country"]["id"] == "china"  # the rest stays
    assert "huawei" in _search(writer, "shenzhen")


def test_patch_takes_plain_json_too(writer: TestClient) -> None:
    answer = writer.patch("/v1/actors/huawei", json={"summary": "Plain."}, headers={"If-Match": "*"})
    assert answer.status_code == 200
    assert answer.json()["summary"] == "Plain."


def test_a_patch_that_changes_nothing_moves_nothing(writer: TestClient, loaded_engine: sa.Engine) -> None:
    etag = etag_of(writer, "/v1/actors/huawei")
    before = snapshot(loaded_engine)
    answer = writer.patch("/v1/actors/huawei", json={"name": "Huawei"}, headers={"If-Match": etag})
    assert answer.status_code == 200
    assert answer.headers["etag"] == etag
    assert snapshot(loaded_engine) == before


def test_if_match_is_required_and_compared(writer: TestClient, loaded_engine: sa.Engine) -> None:
    before = snapshot(loaded_engine)
    etag = etag_of(writer, "/v1/actors/huawei")
    missing = writer.patch("/v1/actors/huawei", json={"summary": "x"})
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["detail"]
    assert writer.delete("/v1/actors/xinhua").status_code == 428
    assert writer.put("/v1/actors/xinhua", json={}).status_code == 428
    for stale in ('"0000000000.1"', f"W/{etag}", etag.strip('"')):
        answer = writer.patch("/v1/actors/huawei", json={"summary": "x"}, headers={"If-Match": stale})
        assert answer.status_code == 412, stale
        assert answer.headers["etag"] == etag
        assert "changed since you read it" in answer.json()["detail"]
    assert snapshot(loaded_engine) == before
    listed = writer.patch("/v1/actors/huawei", json={"summary": "x"}, headers={"If-Match": f'"nope", {etag}'})
    assert listed.status_code == 200


def test_a_change_elsewhere_does_not_make_an_etag_stale(writer: TestClient) -> None:
    etag = etag_of(writer, "/v1/actors/huawei")
    elsewhere = writer.patch("/v1/actors/xinhua", json={"summary": "Elsewhere."}, headers={"If-Match": "*"})
    assert elsewhere.status_code == 200
    assert etag_of(writer, "/v1/actors/huawei") != etag  # the dataset moved on: GET's answer may differ
    answer = writer.patch("/v1/actors/huawei", json={"summary": "Still mine."}, headers={"If-Match": etag})
    assert answer.status_code == 200  # but the record itself did not change


def test_a_chain_through_stored_records_may_not_loop(writer: TestClient) -> None:
    answer = writer.patch("/v1/actors/huawei", json={"parent": "hisilicon"}, headers={"If-Match": "*"})
    assert answer.status_code == 400
    assert problem_fields(answer) == {"parent": "parent chain loops: huawei -> hisilicon -> huawei"}


def test_delete_a_record_nobody_refers_to(writer: TestClient) -> None:
    version = _version(writer)
    etag = etag_of(writer, "/v1/statements/stmt-one")
    answer = writer.delete("/v1/statements/stmt-one", headers={"If-Match": etag})
    assert answer.status_code == 204
    assert answer.content == b""
    assert writer.get("/v1/statements/stmt-one").status_code == 404
    feed = writer.get("/v1/changes", params={"since": version}).json()["items"]
    assert [(e["id"], e["action"], e["href"]) for e in feed] == [("stmt-one", "deleted", None)]
    assert "stmt-one" not in _search(writer, "Xinhua")
    assert writer.delete("/v1/statements/stmt-one", headers={"If-Match": "*"}).status_code == 404


def test_writes_keep_the_name_words_of_the_index_exact(writer: TestClient, loaded_engine: sa.Engine) -> None:
    """`search_name_terms` (a one-word search's large names levels, in order) follows every write."""
    assert writer.post("/v1/statements", json={**STATEMENT, "name": "Remark, remark on chips"}).status_code == 201
    renamed = writer.patch("/v1/actors/huawei", json={"name": "Huawei Huawei Cloud"}, headers={"If-Match": "*"})
    assert renamed.status_code == 200
    assert writer.delete("/v1/statements/stmt-one", headers={"If-Match": "*"}).status_code == 204
    name_terms_in_step(loaded_engine)
    with loaded_engine.connect() as connection:
        words = {w for (w,) in connection.exec_driver_sql("SELECT DISTINCT term FROM search_name_terms")}
    assert {"remark", "cloud"} <= words


def test_deleting_a_record_others_refer_to_is_409_naming_them(writer: TestClient, loaded_engine: sa.Engine) -> None:
    before = snapshot(loaded_engine)
    answer = writer.delete("/v1/actors/huawei", headers={"If-Match": "*"})
    assert answer.status_code == 409
    referrers = {e["field"] for e in answer.json()["errors"]}
    assert referrers == {
        "actor:hisilicon.parent",
        "policy:us-listing-2019.targets",
        "statement:stmt-one.mentions",
        "dependency:huawei-on-gpu.dependent",
    }
    assert "actor 'hisilicon' (parent)" in answer.json()["detail"]
    source = writer.delete("/v1/sources/src-press", headers={"If-Match": "*"})
    assert source.status_code == 409
    assert len(source.json()["errors"]) > 10
    assert snapshot(loaded_engine) == before


@pytest.mark.parametrize(
    ("headers", "content", "status", "message"),
    [
        ({}, b"{}", 415, "Content-Type: application/json"),
        ({"Content-Type": "application/xml"}, b"<x/>", 415, "must be application/json"),
        ({"Content-Type": "text/plain"}, b"{}", 415, "must be application/json"),
        ({"Content-Type": "application/json; charset=latin-1"}, b"{}", 415, "UTF-8"),
        ({"Content-Type": "application/json"}, b'{"id": ', 400, "not valid JSON"),
        ({"Content-Type": "application/json"}, b"[1, 2]", 400, "must be a JSON object"),
        ({"Content-Type": "application/json"}, b'{"id": "\\ud800"}', 400, "not valid JSON"),
        ({"Content-Type": "application/json"}, b"{" + b" " * 300_000 + b"}", 413, "larger than 262144 bytes"),
    ],
)
def test_the_body_must_be_a_json_object_of_a_sane_size(
    writer: TestClient, loaded_engine: sa.Engine, headers: dict[str, str], content: bytes, status: int, message: str
) -> None:
    before = snapshot(loaded_engine)
    answer = writer.post("/v1/statements", content=content, headers=headers)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"]
    assert snapshot(loaded_engine) == before


def test_a_body_sent_in_chunks_is_measured_as_it_comes(writer: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b" " * 4096

    answer = writer.post("/v1/statements", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


def test_unknown_query_parameters_and_ids_are_refused(writer: TestClient) -> None:
    assert writer.post("/v1/statements?dry_run=1", json=STATEMENT).status_code == 400
    assert writer.patch("/v1/actors/nobody", json={}, headers={"If-Match": "*"}).status_code == 404
    assert writer.patch("/v1/actors/Not%20An%20Id", json={}, headers={"If-Match": "*"}).status_code == 404
    assert writer.put("/v1/actros/huawei", json={}, headers={"If-Match": "*"}).status_code in (404, 405)


def test_a_failure_after_the_first_statement_writes_nothing(writer: TestClient, loaded_engine: sa.Engine) -> None:
    """The change feed's insert comes after the record's rows, list rows, index rows and version: it fails,
    and every one of them is undone."""
    engine = writer.app.state.database.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def fail(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)
        if statement.startswith("INSERT INTO changes "):
            raise sa.exc.OperationalError(statement, {}, Exception("disk I/O error"))

    before = snapshot(loaded_engine)
    found_before = _search(writer, "shenzhen")
    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        created = writer.post("/v1/statements", json=STATEMENT)
        patched = writer.patch("/v1/actors/huawei", json={"summary": "Shenzhen."}, headers={"If-Match": "*"})
        deleted = writer.delete("/v1/statements/stmt-one", headers={"If-Match": "*"})
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)
    for answer in (created, patched, deleted):
        assert answer.status_code == 503, answer.text
        assert "Traceback" not in answer.text
    assert any(s.startswith("INSERT INTO statements ") for s in statements)  # it had begun writing
    assert snapshot(loaded_engine) == before
    assert _search(writer, "shenzhen") == found_before
    assert writer.get("/v1/statements/stmt-new").status_code == 404


@pytest.mark.parametrize(
    ("path", "method", "body", "field"),
    [
        ("/v1/statements", "POST", {**STATEMENT, "id": "stmt\u0000new"}, "id"),
        ("/v1/actors/huawei", "PATCH", {"website": "https://example.org/\u0000"}, "website"),
        ("/v1/actors/huawei", "PATCH", {"name": "Hua\u0000wei"}, "name"),
        ("/v1/actors/huawei", "PATCH", {"names": {"zh-Hans": "华为\u0000"}}, "names.zh-Hans"),
        ("/v1/actors/huawei", "PATCH", {"summary": "x" * 20_001}, "summary"),
        ("/v1/actors/huawei", "PATCH", {"founded_on": "1987-02-30"}, "founded_on"),
        ("/v1/dependencies/huawei-on-gpu", "PATCH", {"quantity": 1e30}, "quantity"),
    ],
)
def test_hostile_values_are_a_400_on_both_databases(
    writer: TestClient, loaded_engine: sa.Engine, path: str, method: str, body: dict[str, Any], field: str
) -> None:
    before = snapshot(loaded_engine)
    answer = writer.request(method, path, json=body, headers={"If-Match": "*"})
    assert answer.status_code == 400, answer.text
    assert field in problem_fields(answer)
    assert snapshot(loaded_engine) == before
