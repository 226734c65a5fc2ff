"""The minimal HTTP spine: health, readiness, the dataset card and one record."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.core.db import head_revision
from tests.helpers import problem


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "migration": head_revision()}


def test_the_dataset_card(client: TestClient) -> None:
    card = client.get("/v1").json()
    assert card["license"] == "CC-BY-4.0"
    assert card["version"] == 1
    assert card["last_change"].endswith("Z")
    assert card["counts"] == {
        "actors": 7,
        "policies": 3,
        "statements": 1,
        "hardware": 4,
        "dependencies": 2,
        "sources": 2,
    }
    assert card["links"]["actors"] == "/v1/actors"


def test_a_record_has_every_field_references_expanded_and_sources_embedded(client: TestClient) -> None:
    body = client.get("/v1/statements/stmt-one").json()
    assert list(body) == [
        "type", "id", "name", "names", "aliases", "summary", "tags", "notes", "sources", "speaker", "said_on",
        "occasion", "kind", "text", "original_text", "original_language", "translated_by", "reported_by",
        "mentions", "about_policies", "created_at", "updated_at", "referenced_by",
    ]  # fmt: skip
    assert body["speaker"] == {"id": "test-person", "type": "actor", "name": "Test Person"}
    assert body["mentions"] == [
        {"id": "huawei", "type": "actor", "name": "Huawei"},
        {"id": "us-listing-2019", "type": "policy", "name": "Test listing"},
        {"id": "test-accel", "type": "hardware", "name": "Test Accelerator"},
    ]
    assert body["sources"] == [
        {
            "id": "src-press",
            "type": "source",
            "name": "Wire report",
            "title": "Wire report",
            "publisher": "Example Wire",
            "url": "https://example.org/wire",
            "retrieved_from": "https://copy.example.net/wire",
            "published_on": "2019-05",
            "language": "en",
            "kind": "press",
        }
    ]
    assert body["occasion"] is None
    assert body["tags"] == []


def test_partial_dates_come_back_as_given(client: TestClient) -> None:
    policy = client.get("/v1/policies/us-listing-2019-amended").json()
    assert (policy["effective_on"], policy["ended_on"]) == ("2019-08", "2020")
    actor = client.get("/v1/actors/test-person").json()
    assert actor["roles"] == [
        {"title": "Chair", "of": {"id": "state-council", "type": "actor", "name": "State Council"},
         "from": "2013-03", "to": "2023-03-11"}
    ]  # fmt: skip


def test_typed_and_text_references(client: TestClient) -> None:
    dependency = client.get("/v1/dependencies/accel-on-node").json()
    assert dependency["dependent"] == {"id": "test-accel", "type": "hardware", "name": "Test Accelerator"}
    assert dependency["alternative_to"] == [{"id": "test-gpu", "type": "hardware", "name": "Test GPU"}]
    source = client.get("/v1/sources/src-press").json()
    assert source["publisher"] == {"id": None, "type": None, "name": "Example Wire"}
    assert source["retrieved_from"] == "https://copy.example.net/wire"
    hardware = client.get("/v1/hardware/test-accel").json()
    assert hardware["specs"] == {"fp16_tflops": 256, "memory_gb": 32.5}


def test_unknown_record_type_and_path_are_problems(client: TestClient) -> None:
    assert problem(client.get("/v1/actors/nobody"), 404)["detail"] == "no actor with id 'nobody'"
    detail = problem(client.get("/v1/actros/huawei"), 404)["detail"]
    assert "did you mean 'actors'?" in str(detail)
    problem(client.get("/v1/actors/NOT%20A%20SLUG"), 404)
    problem(client.get("/v1/actors/%00"), 404)
    problem(client.get("/no/such/path"), 404)


def test_wrong_method_is_a_problem_that_keeps_allow(client: TestClient) -> None:
    response = client.delete("/v1/actors")
    problem(response, 405)
    assert response.headers["allow"] == "GET, POST"
    assert client.post("/v1/actors/huawei").headers["allow"] == "DELETE, GET, PATCH, PUT"


def test_no_redirect_is_built_from_the_host_header(client: TestClient) -> None:
    response = client.get("/v1/actors/", headers={"host": "evil.example"}, follow_redirects=False)
    assert "location" not in response.headers
    problem(response, 404)
