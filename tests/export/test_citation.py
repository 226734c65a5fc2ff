"""How to cite the dataset: the `citation` block of GET /v1 and the repository's CITATION.cff say the same.

CITATION.cff was validated against the CFF 1.2.0 JSON schema (the one cffconvert ships) when written; cffconvert
itself does not install on Python 3.11 (it pins a ruamel.yaml that no longer builds), so this test checks the
fields CFF 1.2.0 requires and that they agree with the API."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from ruamel.yaml import YAML

from app.core.config import Settings
from app.dataset.routes import CREDITS

CITATION_CFF = Path(__file__).parents[2] / "CITATION.cff"


def test_the_card_says_how_to_cite_the_dataset(client: TestClient) -> None:
    card = client.get("/v1").json()
    citation = card["citation"]
    assert citation["title"] == card["title"]
    assert citation["publisher"] == "techsov contributors"
    assert citation["version"] == str(card["version"])
    assert citation["date"] == card["last_change"][:10]
    assert citation["url"] == "/v1"
    assert citation["license"] == "CC-BY-4.0"
    year = card["last_change"][:4]
    assert citation["text"] == (
        f"techsov contributors ({year}). {card['title']} (dataset version {card['version']}) [Data set]. /v1. "
        "Licence: CC-BY-4.0."
    )
    assert card["links"]["export"] == "/v1/export"


def test_citation_cff_has_what_cff_requires_and_agrees_with_the_api() -> None:
    data = YAML(typ="safe").load(CITATION_CFF.read_text("utf-8"))
    assert data["cff-version"] == "1.2.0"
    assert data["message"]
    assert data["type"] == "dataset"
    assert data["authors"] == [{"name": Settings().techsov_dataset_publisher}]
    assert data["title"] == Settings().techsov_dataset_title
    assert data["license"] == Settings().techsov_dataset_license
    urls = {reference["url"] for reference in data["references"]}
    assert urls == {credit["url"] for credit in CREDITS}
    for reference in data["references"]:
        assert reference["type"] == "data"
        assert reference["license"] == "CC-BY-4.0"
        assert re.fullmatch(r"https://[^\s]+", reference["url"])
