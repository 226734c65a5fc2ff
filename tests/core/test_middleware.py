"""HEAD on every GET route (same status and headers, no body) and `nosniff` on every response."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

# One concrete URL per GET route: a path parameter gets an id the fixture seed holds.
PATH_EXAMPLES = {"record_id": None, "actor_id": "huawei", "policy_id": "us-listing-2019", "entity_id": "actor:huawei"}
RECORD_IDS = {
    "actors": "huawei",
    "policies": "us-listing-2019",
    "statements": "stmt-one",
    "hardware": "test-gpu",
    "dependencies": "huawei-on-gpu",
    "sources": "src-press",
}
QUERIES = {"/v1/search": "?q=huawei", "/v1/graph": "?root=actor:huawei"}


def get_urls(client: TestClient) -> list[str]:
    """A URL for every GET operation of the OpenAPI document."""
    urls = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if "get" not in operations:
            continue
        if "{record_id}" in path:
            path = path.replace("{record_id}", RECORD_IDS[path.split("/")[2]])
        for name, example in PATH_EXAMPLES.items():
            if example:
                path = path.replace("{" + name + "}", example)
        urls.append(path + QUERIES.get(path, ""))
    return urls


def test_every_get_route_answers_head_with_the_same_headers_and_no_body(client: TestClient) -> None:
    urls = get_urls(client)
    assert len(urls) >= 17
    for url in urls:
        got = client.get(url)
        head = client.head(url)
        assert got.status_code == 200, url
        assert head.status_code == 200, url
        assert head.content == b"", url
        for name in ("content-type", "etag", "cache-control", "content-length", "link"):
            assert head.headers.get(name) == got.headers.get(name), (url, name)


@pytest.mark.parametrize(
    "url",
    ["/v1/statements?format=csv", "/v1/actors?format=ndjson", "/v1/timeline?format=csv", "/v1/actors?limit=1"],
)
def test_head_of_an_export_or_a_page_keeps_its_headers(client: TestClient, url: str) -> None:
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-disposition", "etag", "link"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_gives_304_and_errors_like_get(client: TestClient) -> None:
    etag = client.get("/v1/actors/huawei").headers["etag"]
    assert client.head("/v1/actors/huawei", headers={"If-None-Match": etag}).status_code == 304
    missing = client.head("/v1/actors/nobody")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.content == b""
    assert client.head("/v1/actors?contry=china").status_code == 400


def test_every_response_says_nosniff(client: TestClient) -> None:
    for response in (
        client.get("/v1"),
        client.get("/v1/actors?format=csv"),
        client.get("/v1/actors/nobody"),
        client.get("/v1/actors?contry=x"),
        client.post("/v1/actors"),
        client.options("/v1", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}),
        client.head("/healthz"),
        client.get("/openapi.json"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url
