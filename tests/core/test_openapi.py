"""The OpenAPI document promises what the API does: no 422, caching headers and 304, readable operationIds."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient


def test_the_document_declares_what_every_get_sends_and_nothing_it_never_sends(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (path, method)
            assert re.fullmatch(r"[a-z]+(_[a-z]+)*", operation["operationId"]), operation["operationId"]
            assert not operation["operationId"].endswith("_get")
            if path.startswith("/v1") and method == "get":
                if "200" not in operation["responses"]:  # the reconciliation service's entity view redirects
                    assert set(operation["responses"]) >= {"303"}, path
                    continue
                ok = operation["responses"]["200"]
                assert {"ETag", "Cache-Control"} <= set(ok["headers"]), path
                assert "304" in operation["responses"], path
                cursor = any(p["name"] == "cursor" for p in operation.get("parameters", []))
                assert ("Link" in ok["headers"]) == cursor, path
                for content in ok["content"].values():
                    assert content.get("schema"), path


def test_parameters_carry_their_bounds_enums_and_requirement(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    def parameter(path: str, name: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
        return found[0]

    assert parameter("/v1/graph", "root")["required"] is True
    assert parameter("/v1/statements", "limit")["schema"] == {
        "type": "integer", "minimum": 1, "maximum": 500, "examples": [50]
    }  # fmt: skip
    assert parameter("/v1/statements", "format")["schema"]["enum"] == ["json", "csv", "ndjson"]
    assert parameter("/v1/graph", "format")["schema"]["enum"] == ["json", "graphml", "cytoscape"]
    assert parameter("/v1/search", "limit")["schema"]["maximum"] == 100
    assert "anyOf" in parameter("/v1/timeline", "from")["schema"]
    kind = parameter("/v1/actors", "kind")["schema"]
    assert kind["type"] == "array"
    assert "company" in kind["items"]["enum"]
    assert "examples" not in parameter("/v1/actors", "cursor")["schema"]
    facets = parameter("/v1/dependencies", "facets")["schema"]
    assert facets["examples"] != ["kind"]  # dependencies have no kind
    names = set(document["components"]["schemas"])
    assert {"ActorRead", "ActorDetail", "ActorPage"} <= names
