"""GET /v1/{plural}/{id}?format=csl|bibtex: a record's citation; the JSON record is unchanged."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.records.citation import Citation, bibtex_escape
from app.records.registry import RECORD_TYPE_LIST
from tests.helpers import bad_parameter, revalidates


def test_csl_json_names_the_record_the_dataset_and_its_version(client: TestClient) -> None:
    response = client.get("/v1/actors/huawei?format=csl")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.citationstyles.csl+json"
    [item] = response.json()
    version = client.get("/v1").json()["version"]
    assert item["id"] == "techsov-actor-huawei"
    assert item["type"] == "dataset"
    assert item["title"] == "Huawei"
    assert item["genre"] == "actor record"
    assert item["author"] == [{"literal": "techsov contributors"}]
    assert item["version"] == str(version)
    assert item["URL"] == "/actors/huawei"
    assert len(item["issued"]["date-parts"][0]) == 3


def test_bibtex_is_one_misc_entry(client: TestClient) -> None:
    response = client.get("/v1/actors/huawei?format=bibtex")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-bibtex")
    text = response.text
    assert text.startswith("@misc{techsov-actor-huawei,\n")
    assert "  title = {{Huawei}},\n" in text
    assert "  url = {/actors/huawei}\n" in text
    assert text.count("{") == text.count("}")


def test_every_type_cites_and_a_bad_format_or_id_is_a_clear_error(client: TestClient) -> None:
    for record_type in RECORD_TYPE_LIST:
        first = client.get(f"/v1/{record_type.plural}?limit=1").json()["items"][0]["id"]
        assert client.get(f"/v1/{record_type.plural}/{first}?format=bibtex").status_code == 200
    bad_parameter(client.get("/v1/actors/huawei?format=bibtext"), "format", "did you mean 'bibtex'?")
    assert client.get("/v1/actors/no-such-actor?format=csl").status_code == 404


def test_the_json_record_is_unchanged_and_formats_have_their_own_etags(client: TestClient) -> None:
    plain = client.get("/v1/actors/huawei")
    assert client.get("/v1/actors/huawei?format=json").json() == plain.json()
    csl = revalidates(client, "/v1/actors/huawei?format=csl")
    assert csl.headers["etag"] != plain.headers["etag"]


def test_the_base_url_makes_the_address_absolute_and_bibtex_escapes() -> None:
    citation = Citation("k", "50% & more_{x}", "actor record", "A", "T", 3, "2025-01-02", "https://x.org/actors/k")
    assert "title = {{50\\% \\& more\\_\\{x\\}}}" in citation.bibtex()
    assert citation.csl_json()[0]["issued"] == {"date-parts": [[2025, 1, 2]]}
    assert bibtex_escape("a\\b~") == "a\\textbackslash{}b\\~{}"
    assert citation.plain_text().endswith("https://x.org/actors/k")
