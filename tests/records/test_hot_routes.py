"""Each type's list and record are answered by plain routes matched first; the documented ones stay for /docs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.records.registry import RECORD_TYPE_LIST


def test_lists_and_records_are_matched_first_and_still_documented(client: TestClient) -> None:
    routes = client.app.router.routes  # type: ignore[attr-defined]
    hot = [route.path for route in routes[: 2 * len(RECORD_TYPE_LIST)]]
    assert hot == [p for t in RECORD_TYPE_LIST for p in (f"/v1/{t.plural}", f"/v1/{t.plural}/{{record_id}}")]
    paths = client.get("/openapi.json").json()["paths"]
    for path in hot:
        assert "get" in paths[path], path
    record = paths["/v1/actors/{record_id}"]["get"]
    assert {p["name"] for p in record["parameters"]} == {"record_id", "format", "version"}
    assert any(p["name"] == "country" for p in paths["/v1/actors"]["get"]["parameters"])


def test_hot_routes_answer_as_the_documented_ones_did(client: TestClient) -> None:
    assert client.get("/v1/actors/huawei").json()["id"] == "huawei"
    assert client.get("/v1/actors?kind=company").json()["items"]
    assert client.get("/v1/actors/huawei?format=bibtex").headers["content-type"].startswith("application/x-bibtex")
    for url, status in (("/v1/actors/" + "a" * 400, 404), ("/v1/actors/huawei?format=pdf", 400), ("/v1/actros", 404)):
        response = client.get(url)
        assert response.status_code == status, url
        assert response.headers["content-type"] == "application/problem+json"
    wrong = client.post("/v1/actors/huawei")  # DELETE, PUT and PATCH are write routes (a 401 without a key)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "DELETE, GET, PATCH, PUT"
