"""GET /v1/export: the whole dataset as NDJSON or as a zip of CSVs with a Frictionless data package, checked with
the `frictionless` library itself."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from frictionless import Package, validate
from frictionless.resources import TableResource

from app.records.registry import RECORD_TYPE_LIST
from tests.helpers import bad_parameter, revalidates

PLURALS = [t.plural for t in RECORD_TYPE_LIST]


def counts(client: TestClient) -> dict[str, int]:
    card: dict[str, int] = client.get("/v1").json()["counts"]
    return card


def test_ndjson_is_every_record_one_a_line_with_its_type(client: TestClient) -> None:
    response = client.get("/v1/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert 'filename="techsov.ndjson"' in response.headers["content-disposition"]
    lines = [json.loads(line) for line in response.text.splitlines()]
    per_type = dict.fromkeys(PLURALS, 0)
    by_name = {t.name: t.plural for t in RECORD_TYPE_LIST}
    for line in lines:
        per_type[by_name[line["type"]]] += 1
    assert per_type == counts(client)
    # Each line is the record as the type's own NDJSON list gives it.
    policies = [line for line in lines if line["type"] == "policy"]
    listed = client.get("/v1/policies?format=ndjson").text.splitlines()
    assert policies == [json.loads(line) for line in listed]
    assert client.get("/v1/export", headers={"Accept": "application/x-ndjson"}).text == response.text


def test_zip_holds_the_lists_csvs_and_a_valid_frictionless_package(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/v1/export?format=zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert archive.namelist() == ["datapackage.json", *(f"{p}.csv" for p in PLURALS)]
    for plural in PLURALS:  # the same CSV the list gives
        assert archive.read(f"{plural}.csv") == client.get(f"/v1/{plural}?format=csv").content, plural
    archive.extractall(tmp_path)
    report = validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = Package(tmp_path / "datapackage.json")
    assert [r.name for r in package.resources] == PLURALS
    tables = [r for r in package.resources if isinstance(r, TableResource)]
    assert {r.name: len(r.read_rows()) for r in tables} == counts(client)
    descriptor = json.loads(archive.read("datapackage.json"))
    licences = {(lic["name"], lic["title"].split(":")[0]) for lic in descriptor["licenses"]}
    assert ("CC-BY-4.0", "The curated data") in licences
    assert ("CC-BY-4.0", "Epoch AI, Data on Machine Learning Hardware") in licences
    assert all(lic["path"] == "https://creativecommons.org/licenses/by/4.0/" for lic in descriptor["licenses"])
    dependencies = next(r for r in descriptor["resources"] if r["name"] == "dependencies")
    types = {f["name"]: f["type"] for f in dependencies["schema"]["fields"]}
    assert (types["id"], types["quantity"], types["disputed"], types["created_at"]) == (
        "string", "integer", "boolean", "datetime"
    )  # fmt: skip


def test_frictionless_command_line_validates_the_package(client: TestClient, tmp_path: Path) -> None:
    import subprocess
    import sys

    zipfile.ZipFile(io.BytesIO(client.get("/v1/export?format=zip").content)).extractall(tmp_path)
    command = Path(sys.executable).parent / "frictionless"
    finished = subprocess.run(
        [str(command), "validate", "datapackage.json"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-2000:]


def test_the_real_seed_exports_as_a_valid_package(live_server: str, tmp_path: Path) -> None:
    """The repository's seed (Epoch AI hardware, formula-like text, every kind of field) validates too."""
    with httpx.stream("GET", f"{live_server}/v1/export?format=zip", timeout=120) as response:
        assert response.status_code == 200
        (tmp_path / "techsov.zip").write_bytes(response.read())
    zipfile.ZipFile(tmp_path / "techsov.zip").extractall(tmp_path)
    report = validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:20]
    lines = httpx.get(f"{live_server}/v1/export", timeout=120).text.splitlines()
    card = httpx.get(f"{live_server}/v1").json()
    assert len(lines) == sum(card["counts"].values())


def test_export_has_an_etag_head_and_304_and_refuses_unknown_formats(client: TestClient) -> None:
    etag = revalidates(client, "/v1/export?format=zip").headers["etag"]
    assert client.get("/v1/export", headers={"If-None-Match": etag}).status_code == 200  # another representation
    head = client.head("/v1/export?format=zip")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == etag
    assert client.get("/v1/export", headers={"Accept": "application/zip"}).content[:2] == b"PK"
    bad_parameter(client.get("/v1/export?format=csv"), "format", "'csv' is not one of ndjson, zip")
    bad_parameter(client.get("/v1/export?type=actor"), "type", "unknown parameter 'type'")


@pytest.mark.parametrize("media_type", ["application/x-ndjson", "application/zip"])
def test_export_is_declared_in_openapi(client: TestClient, media_type: str) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/export"]["get"]
    assert operation["operationId"] == "export_dataset"
    assert media_type in operation["responses"]["200"]["content"]
    assert "304" in operation["responses"]


def test_octet_stream_is_served_when_asked(client: TestClient) -> None:
    """What generated clients read as bytes: the same download, labelled as asked."""
    response = client.get("/v1/export?format=zip", headers={"Accept": "application/octet-stream"})
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == client.get("/v1/export?format=zip").content
    default = client.get("/v1/export", headers={"Accept": "application/octet-stream"})
    assert default.content == client.get("/v1/export").content
    assert default.headers["etag"] != client.get("/v1/export").headers["etag"]
