"""Every query parameter is declared once (app.core.params): what a route documents is what it takes, and a bad
value of any of them gets the same house 400 — never FastAPI's own validation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.helpers import bad_parameter

NUL = "a\x00b"
WRONG_TEXT = {
    # Free text a route parses itself: a value it cannot read.
    "cursor": ("nope", "not a cursor this API issued"),
    "since": ("nope", "is neither a dataset version"),
    "sort": ("zzz", "cannot sort"),
    "facets": ("zzz", "cannot count"),
    "queries": ("nope", "is not valid JSON"),
}


def _wrong(name: str, schema: dict[str, Any]) -> tuple[str, str]:
    """A value the parameter's declaration refuses, and words its 400 says."""
    items = schema.get("items", {}) if schema.get("type") == "array" else schema
    if "enum" in items:
        return "zzz", str(items["enum"][0])  # the 400 lists what it may be
    if items.get("type") in ("integer", "number"):
        return "abc", "is not a"  # whole number, or number
    if items.get("type") == "boolean":
        return "maybe", "is not true or false"
    if "anyOf" in items:  # a date or a partial date
        return "someday", "is not a date"
    if name in WRONG_TEXT:
        return WRONG_TEXT[name]
    if name == "root":
        return "nope", "needs a type"
    if name == "callback":
        return "1x", "must be a JavaScript function name"
    if name == "by":
        return "zzz", "is not one of"
    return NUL, "value contains a NUL character"  # any text: what no database should see


def _cases(client: TestClient) -> list[tuple[str, dict[str, str], str, str, str]]:
    """(path, the required parameters, parameter, wrong value, words) for every query parameter of every GET."""
    document = client.get("/openapi.json").json()
    cases = []
    for template, operations in document["paths"].items():
        parameters = operations.get("get", {}).get("parameters", [])
        path = template
        for parameter in parameters:
            if parameter["in"] == "path":
                path = path.replace(f"{{{parameter['name']}}}", parameter["schema"]["examples"][0])
        required = {
            p["name"]: str(p["schema"]["examples"][0]) for p in parameters if p["in"] == "query" and p.get("required")
        }
        for parameter in parameters:
            if parameter["in"] != "query" or parameter["name"] == "_":  # `_` is ignored everywhere, by design
                continue
            value, words = _wrong(parameter["name"], parameter["schema"])
            cases.append((path, required, parameter["name"], value, words))
    return cases


def _query_fields(dependant: Dependant) -> list[str]:
    """The query parameters FastAPI itself would read and validate for a route (its dependencies' too)."""
    names = [field.alias for field in dependant.query_params]
    return names + [name for sub in dependant.dependencies for name in _query_fields(sub)]


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every FastAPI route, inside included routers too."""
    found: list[APIRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)  # how FastAPI's include_router keeps a router
        if included is not None:
            found.extend(_api_routes(included.routes))
        elif isinstance(route, APIRoute):
            found.append(route)
    return found


def test_no_route_lets_fastapi_validate_a_query_parameter(client: TestClient) -> None:
    routes = _api_routes(client.app.routes)  # type: ignore[attr-defined]
    assert len(routes) > 20
    for route in routes:
        assert _query_fields(route.dependant) == [], route.path


def test_a_bad_value_of_any_parameter_is_the_house_400_naming_it(client: TestClient) -> None:
    cases = _cases(client)
    assert len(cases) > 140  # every list's filters, the features' parameters, the record formats
    for path, required, name, value, words in cases:
        query = urlencode({**required, name: value})
        bad_parameter(client.get(f"{path}?{query}"), name, words)


@pytest.mark.parametrize(
    "path",
    ["/v1", "/v1/actors", "/v1/actors/huawei", "/v1/timeline", "/v1/graph?root=actor:huawei", "/v1/stats",
     "/v1/changes", "/v1/search?q=huawei", "/v1/export", "/v1/reconcile", "/v1/actors/huawei/exposure"],
)  # fmt: skip
def test_an_unknown_parameter_is_refused_everywhere(client: TestClient, path: str) -> None:
    joiner = "&" if "?" in path else "?"
    bad_parameter(client.get(f"{path}{joiner}zz=1"), "zz", "unknown parameter 'zz'")


def test_every_documented_parameter_says_what_it_is(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                where = (method, path, parameter["name"])
                assert parameter["description"], where
                assert "anyOf" in parameter["schema"] or parameter["schema"].get("type"), where
                if parameter["in"] == "query" and parameter["name"] not in ("cursor", "_"):
                    examples = parameter["schema"].get("examples")  # a cursor: only the API makes a valid one
                    assert examples, where
                    assert None not in examples, where
                    assert [None] not in examples, where
