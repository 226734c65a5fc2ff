"""`pretty=true` (indented JSON with a trailing newline), `bom=true` (CSV for Excel) and the ignored `_`."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    "url", ["/v1/actors/huawei", "/v1/actors?limit=2", "/v1", "/v1/search?q=huawei", "/v1/stats", "/openapi.json"]
)
def test_pretty_indents_json_with_a_trailing_newline(client: TestClient, url: str) -> None:
    compact = client.get(url)
    pretty = client.get(url + ("&" if "?" in url else "?") + "pretty=true")
    assert pretty.status_code == 200
    assert pretty.content.endswith(b"}\n")
    assert pretty.content.startswith(b'{\n  "')
    assert pretty.json() == compact.json()
    assert pretty.headers["content-type"] == compact.headers["content-type"]
    assert not compact.content.endswith(b"\n")


def test_pretty_errors_and_304(client: TestClient) -> None:
    missing = client.get("/v1/actors/nobody?pretty=1")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.content.startswith(b'{\n  "type": "urn:techsov:problem:not-found"')
    etag = client.get("/v1/actors/huawei?pretty=true").headers["etag"]
    assert client.get("/v1/actors/huawei?pretty=true", headers={"If-None-Match": etag}).status_code == 304


def test_pretty_survives_gzip_and_keeps_the_length_right(client: TestClient) -> None:
    response = client.get("/v1/actors?pretty=true", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert orjson.loads(response.content)["items"]  # httpx decompressed it: the length was right
    raw = client.get("/v1/actors?pretty=true", headers={"Accept-Encoding": "identity"})
    assert int(raw.headers["content-length"]) == len(raw.content)


@pytest.mark.parametrize("url", ["/v1/actors?pretty=ture", "/v1?pretty=maybe", "/v1/actors?format=csv&bom=si"])
def test_a_bad_flag_is_a_400_that_names_it(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    field = "bom" if "bom" in url else "pretty"
    assert response.json()["errors"][0]["field"] == field


def test_pretty_false_and_other_formats_are_left_alone(client: TestClient) -> None:
    assert client.get("/v1/actors?pretty=false").content == client.get("/v1/actors").content
    assert client.get("/v1/actors?format=ndjson&pretty=true").content == client.get("/v1/actors?format=ndjson").content
