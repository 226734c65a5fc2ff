"""Stats on the real seed agree with the dataset card and with the lists' own counts."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from app.records.registry import BY_PLURAL


def total(client: TestClient, url: str) -> int:
    value: int = client.get(url).json()["total"]
    return value


def test_stats_agree_with_the_card_and_the_lists(seed_client: TestClient) -> None:
    card = seed_client.get("/v1").json()["counts"]
    body = seed_client.get("/v1/stats").json()
    assert body["total"] == sum(card.values())
    assert {r["value"]: r["count"] for r in body["counts"]["type"]} == {
        BY_PLURAL[plural].name: n for plural, n in card.items()
    }
    us = next(r for r in body["counts"]["policy.jurisdiction"] if r["value"] == "united-states")
    assert us["label"] == "United States"
    assert us["count"] == total(seed_client, "/v1/policies?jurisdiction=united-states&count=true&limit=1")
    export_controls = next(r for r in body["counts"]["policy.kind"] if r["value"] == "export_control")
    assert export_controls["count"] == total(seed_client, "/v1/policies?kind=export_control&count=true&limit=1")
    china = next(r for r in body["counts"]["actor.country"] if r["value"] == "china")
    assert china["count"] == total(seed_client, "/v1/actors?country=china&count=true&limit=1")
    years = {r["value"]: r["count"] for r in body["counts"]["policy.year"]}
    assert years["2018"] == total(seed_client, "/v1/policies?from=2018&to=2018&count=true&limit=1")
    assert sum(years.values()) == card["policies"]


def test_policies_per_year_for_a_chart(seed_client: TestClient) -> None:
    response = seed_client.get("/v1/stats?type=policy&format=csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    per_year = [(r["value"], int(r["count"])) for r in table if r["dimension"] == "policy.year"]
    dated = [year for year, _n in per_year if year]
    assert dated == sorted(dated)
    assert sum(n for _year, n in per_year) == seed_client.get("/v1").json()["counts"]["policies"]
