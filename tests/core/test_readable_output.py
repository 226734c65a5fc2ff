"""`pretty=true` (indented JSON with a trailing newline), `bom=true` (CSV for Excel) and the ignored `_`."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.core.test_middleware import get_urls
from tests.helpers import bad_parameter, revalidates


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
    revalidates(client, "/v1/actors/huawei?pretty=true")


def test_pretty_survives_gzip_and_keeps_the_length_right(client: TestClient) -> None:
    response = client.get("/v1/actors?pretty=true", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert orjson.loads(response.content)["items"]  # httpx decompressed it: the length was right
    raw = client.get("/v1/actors?pretty=true", headers={"Accept-Encoding": "identity"})
    assert int(raw.headers["content-length"]) == len(raw.content)


@pytest.mark.parametrize("url", ["/v1/actors?pretty=ture", "/v1?pretty=maybe", "/v1/actors?format=csv&bom=si"])
def test_a_bad_flag_is_a_400_that_names_it(client: TestClient, url: str) -> None:
    bad_parameter(client.get(url), "bom" if "bom" in url else "pretty")


def test_pretty_false_and_other_formats_are_left_alone(client: TestClient) -> None:
    assert client.get("/v1/actors?pretty=false").content == client.get("/v1/actors").content
    assert client.get("/v1/actors?format=ndjson&pretty=true").content == client.get("/v1/actors?format=ndjson").content


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    "url",
    [
        "/v1/statements?format=csv",
        "/v1/actors?format=csv&country=china",
        "/v1/timeline?format=csv",
        "/v1/changes?format=csv",
        "/v1/stats?format=csv",
    ],
)
def test_bom_starts_csv_with_the_utf8_byte_order_mark(client: TestClient, url: str) -> None:
    identity = {"Accept-Encoding": "identity"}
    plain = client.get(url, headers=identity)
    marked = client.get(url + "&bom=true", headers=identity)
    assert marked.status_code == 200
    assert marked.content == BOM + plain.content
    assert marked.headers["content-type"] == plain.headers["content-type"]
    if "content-length" in marked.headers:
        assert int(marked.headers["content-length"]) == len(marked.content)
    assert not plain.content.startswith(BOM)


def test_bom_leaves_json_alone_and_marks_csv_asked_by_accept(client: TestClient) -> None:
    assert client.get("/v1/actors?bom=true").content == client.get("/v1/actors").content
    by_accept = client.get("/v1/actors?bom=1", headers={"Accept": "text/csv"})
    assert by_accept.content.startswith(BOM + b"type,id,name")
    assert "华为".encode() in by_accept.content


def test_jquerys_cache_buster_is_ignored_everywhere(client: TestClient) -> None:
    for url in get_urls(client):
        busted = url + ("&" if "?" in url else "?") + "_=1733400000000"
        plain, with_buster = client.get(url), client.get(busted)
        assert with_buster.status_code == 200, busted
        if plain.headers["content-type"].startswith("application/json") and url != "/healthz":
            assert with_buster.json() == plain.json(), busted
    assert client.get("/v1/statements?format=csv&_=1").status_code == 200


@pytest.mark.parametrize("url", ["/v1/actors?kind=", "/v1/changes?action=", "/v1/statements?count=", "/v1/stats?type="])
def test_a_parameter_without_a_value_is_a_400(client: TestClient, url: str) -> None:
    bad_parameter(client.get(url), url.split("?")[1].split("=")[0], "has no value")
