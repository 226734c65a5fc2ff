"""`GET <list>.csv` answers what `<list>?format=csv` does, takes the list's filters, refuses what only shapes a
JSON page, and is an operation of its own whose one answer is `text/csv`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.records.registry import RECORD_TYPE_LIST

LISTS = [f"/v1/{t.plural}" for t in RECORD_TYPE_LIST] + ["/v1/timeline", "/v1/changes", "/v1/stats"]
FILTERED = [
    ("/v1/statements", "from=2020"),
    ("/v1/actors", "kind=company&kind=state&sort=-name"),
    ("/v1/policies", "as_of=2023-11-17"),
    ("/v1/timeline", "from=2023&to=2024&type=policy"),
    ("/v1/changes", "since=0&type=actor"),
    ("/v1/stats", "type=policy&by=year"),
]


@pytest.mark.parametrize("path", LISTS)
def test_a_twin_answers_what_the_list_answers_as_csv(client: TestClient, path: str) -> None:
    twin, listed = client.get(f"{path}.csv"), client.get(f"{path}?format=csv")
    assert twin.status_code == listed.status_code == 200
    assert twin.content == listed.content
    assert twin.content.count(b"\r\n") > 1  # a header and rows
    for header in ("content-type", "content-disposition", "cache-control"):
        assert twin.headers[header] == listed.headers[header], header
    assert twin.headers["content-type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize(("path", "query"), FILTERED)
def test_a_twin_takes_the_lists_filters(client: TestClient, path: str, query: str) -> None:
    twin, listed = client.get(f"{path}.csv?{query}"), client.get(f"{path}?{query}&format=csv")
    assert twin.status_code == 200, twin.text
    assert twin.content == listed.content
    assert twin.content != client.get(f"{path}.csv").content  # the filter did something


def test_a_twin_answers_if_none_match_and_head(client: TestClient) -> None:
    etag = client.get("/v1/actors.csv").headers["etag"]
    assert client.get("/v1/actors.csv", headers={"If-None-Match": etag}).status_code == 304
    head = client.head("/v1/actors.csv")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "text/csv; charset=utf-8"


def test_a_twin_is_csv_whatever_the_accept_header(client: TestClient) -> None:
    response = client.get("/v1/hardware.csv", headers={"Accept": "application/json"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    ("url", "field", "says"),
    [
        ("/v1/statements.csv?format=json", "format", "/v1/statements.csv is always CSV"),
        ("/v1/statements.csv?limit=10", "limit", "/v1/statements.csv gives every match: leave `limit` out"),
        ("/v1/actors.csv?cursor=abc", "cursor", "leave `cursor` out"),
        ("/v1/actors.csv?count=true", "count", "leave `count` out"),
        ("/v1/actors.csv?facets=kind", "facets", "leave `facets` out"),
        ("/v1/timeline.csv?limit=5", "limit", "/v1/timeline.csv gives every match"),
        ("/v1/stats.csv?shape=rows", "shape", "leave `shape` out"),
        ("/v1/actors.csv?knd=company", "knd", "did you mean 'kind'"),
        ("/v1/actors.csv?kind=bank", "kind", "bank"),
        ("/v1/statements.csv?speaker=nobody-at-all", "speaker", "no actor with id 'nobody-at-all'"),
    ],
)
def test_a_twin_refuses_what_it_does_not_take_naming_it(client: TestClient, url: str, field: str, says: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert says in problem["detail"]


def test_a_twin_of_an_unknown_type_is_a_404_naming_the_types(client: TestClient) -> None:
    response = client.get("/v1/statement.csv")
    assert response.status_code == 404
    assert "statements" in response.json()["detail"]


def test_each_twin_is_an_operation_whose_one_answer_is_csv(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in LISTS:
        operation = paths[f"{path}.csv"]["get"]
        assert list(operation["responses"]["200"]["content"]) == ["text/csv"], path
        assert operation["responses"]["200"]["content"]["text/csv"]["schema"] == {"type": "string"}
        taken = {p["name"] for p in operation["parameters"]}
        listed = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert taken < listed, path
        assert not {"format", "limit", "cursor"} & taken, path
        assert operation["operationId"] not in {paths[path]["get"]["operationId"]}


def test_a_twin_takes_what_every_endpoint_takes(client: TestClient) -> None:
    twin = client.get("/v1/actors.csv?bom=true&_=1700000000")
    assert twin.status_code == 200
    assert twin.content.startswith(b"\xef\xbb\xbf")
    assert twin.content == client.get("/v1/actors?format=csv&bom=true").content
