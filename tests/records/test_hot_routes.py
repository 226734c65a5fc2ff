"""Each type's list and record are answered by plain routes matched first; the documented ones stay for /docs."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import Match

from app.records.registry import RECORD_TYPE_LIST
from app.records.routes import HotRoutes


def test_lists_and_records_are_matched_first_and_still_documented(client: TestClient) -> None:
    first = client.app.router.routes[0]  # type: ignore[attr-defined]
    assert isinstance(first, HotRoutes)
    hot = [route.path for route in first.routes]
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
    for url, status in (
        ("/v1/actors/" + "a" * 320, 404),
        ("/v1/actors/" + "a" * 321, 400),  # longer than the documented parameter takes: refused by it, as before
        ("/v1/actors/huawei?format=pdf", 400),
        ("/v1/actros", 404),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert response.headers["content-type"] == "application/problem+json"
    wrong = client.post("/v1/actors/huawei")  # the write routes still answer their methods
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "DELETE, GET, PATCH, PUT"
    assert client.delete("/v1/actors/huawei").status_code == 401


def test_the_one_look_up_matches_what_each_route_in_turn_would(client: TestClient) -> None:
    hot = client.app.router.routes[0]  # type: ignore[attr-defined]
    paths = [
        *("/v1/actors", "/v1/actors/huawei", "/v1/statements/st-1", "/v1/actors/", "/v1/actors/a/b", "/v1/actros"),
        *("/v1/actros/x", "/v1", "/v1/", "/actors", "/v2/actors", "//v1/actors", "/v1/actors/huawei/history", "/"),
    ]
    for root_path in ("", "/api"):
        for path in paths:
            for method in ("GET", "POST"):
                scope = {"type": "http", "method": method, "path": root_path + path, "root_path": root_path}
                expected: tuple[Any, Any] = (Match.NONE, {})
                for route in hot.routes:
                    match, child_scope = route.matches(scope)
                    if match is not Match.NONE:
                        expected = (match, child_scope)
                        break
                assert hot.matches(scope) == expected, (root_path, path, method)
    assert hot.matches({"type": "http", "method": "GET", "path": "/v1/actors/huawei", "root_path": ""})[0] is Match.FULL
