"""GET /v1/stats on a tiny dataset: every dimension's counts, the filters, CSV in long format, errors."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient


def rows(body: dict[str, Any], dimension: str) -> list[tuple[str | None, int]]:
    return [(r["value"], r["count"]) for r in body["counts"][dimension]]


def test_counts_by_every_dimension(stats_client: TestClient) -> None:
    response = stats_client.get("/v1/stats")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 14
    assert body["filters"] == {
        "type": ["actor", "policy", "statement", "hardware", "dependency", "source"],
        "from": None,
        "to": None,
        "tag": [],
    }
    expected = {
        "type": [("actor", 5), ("policy", 3), ("dependency", 2), ("source", 2), ("hardware", 1), ("statement", 1)],
        "actor.kind": [("company", 2), ("state", 2), ("person", 1)],
        "actor.country": [("land", 2), (None, 3)],
        "actor.year": [("2000", 1), ("2018", 1), (None, 3)],
        "policy.kind": [("export_control", 2), ("strategy", 1)],
        "policy.jurisdiction": [("land", 1), ("other-land", 1), (None, 1)],
        "policy.status": [("in_force", 2), (None, 1)],
        "policy.year": [("2018", 1), ("2019", 1), (None, 1)],
        "statement.kind": [("speech", 1)],
        "statement.year": [("2018", 1)],
        "hardware.kind": [("accelerator", 1)],
        "hardware.year": [("2019", 1)],
        "dependency.purpose": [("training", 2)],
        "dependency.status": [("reported", 1), ("rumoured", 1)],
        "dependency.year": [("2018", 1), (None, 1)],
        "source.kind": [("press", 1), ("primary", 1)],
        "source.year": [("2019", 1), (None, 1)],
        "year": [("2000", 1), ("2018", 4), ("2019", 3), (None, 6)],
        "tag": [("chips", 3), ("wire", 1)],
    }
    assert {d: rows(body, d) for d in body["counts"]} == expected
    assert body["counts"]["policy.jurisdiction"] == [
        {"value": "land", "count": 1, "label": "Land"},
        {"value": "other-land", "count": 1, "label": "Other Land"},
        {"value": None, "count": 1, "label": None},
    ]
    assert body["counts"]["actor.country"][0] == {"value": "land", "count": 2, "label": "Land"}
    assert "label" not in body["counts"]["policy.kind"][0]
    assert sum(count for _value, count in rows(body, "year")) == body["total"]


@pytest.mark.parametrize(
    ("query", "total", "types"),
    [
        ("type=policy", 3, [("policy", 3)]),
        ("type=policy,actor", 8, [("actor", 5), ("policy", 3)]),
        ("type=policy&type=statement", 4, [("policy", 3), ("statement", 1)]),
        ("from=2019", 3, [("hardware", 1), ("policy", 1), ("source", 1)]),
        ("to=2018", 5, [("actor", 2), ("dependency", 1), ("policy", 1), ("statement", 1)]),
        ("from=2018-07&to=2018-12", 1, [("policy", 1)]),  # `2018` counts as 2018-01-01
        ("tag=chips", 3, [("actor", 1), ("hardware", 1), ("policy", 1)]),
        ("tag=chips&tag=wire", 4, [("actor", 1), ("hardware", 1), ("policy", 1), ("source", 1)]),
        ("type=actor&tag=chips", 1, [("actor", 1)]),
    ],
)
def test_filters(stats_client: TestClient, query: str, total: int, types: list[tuple[str, int]]) -> None:
    body = stats_client.get(f"/v1/stats?{query}").json()
    assert body["total"] == total
    assert sorted(t for t in rows(body, "type") if t[1]) == sorted(types)


def test_narrowing_to_one_type_keeps_only_its_dimensions(stats_client: TestClient) -> None:
    body = stats_client.get("/v1/stats?type=policy").json()
    assert set(body["counts"]) == {"type", "policy.kind", "policy.jurisdiction", "policy.status", "policy.year",
                                   "year", "tag"}  # fmt: skip
    assert rows(body, "tag") == [("chips", 1)]


def test_csv_is_long_format_for_spreadsheets(stats_client: TestClient) -> None:
    response = stats_client.get("/v1/stats?format=csv&type=policy")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.startswith("dimension,value,count,label\r\n")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[1:4] == [["type", "policy", "3", ""], ["policy.kind", "export_control", "2", ""],
                          ["policy.kind", "strategy", "1", ""]]  # fmt: skip
    assert ["policy.jurisdiction", "land", "1", "Land"] in table
    assert ["policy.status", "", "1", ""] in table
    json_rows = sum(len(v) for v in stats_client.get("/v1/stats?type=policy").json()["counts"].values())
    assert len(table) == 1 + json_rows
    ndjson = stats_client.get("/v1/stats?type=policy", headers={"Accept": "application/x-ndjson"})
    assert ndjson.text.splitlines()[0] == '{"dimension":"type","value":"policy","count":3,"label":null}'


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/v1/stats?typ=policy", "typ: unknown parameter 'typ' — did you mean 'type'?"),
        ("/v1/stats?type=polciy", "did you mean 'policy'?"),
        ("/v1/stats?from=2020&to=2019", "to: is before `from`"),
        ("/v1/stats?from=2019-02-30", "from: '2019-02-30' is not a calendar date"),
        ("/v1/stats?format=xlsx", "format: 'xlsx' is not one of json, csv, ndjson"),
        ("/v1/stats?tag=a%00b", "tag: value contains a NUL character"),
    ],
)
def test_bad_parameters_are_400_problems_that_explain(stats_client: TestClient, url: str, message: str) -> None:
    response = stats_client.get(url)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]


def test_etag_and_304_and_documented_parameters(stats_client: TestClient) -> None:
    first = stats_client.get("/v1/stats")
    assert stats_client.get("/v1/stats", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    operation = stats_client.get("/openapi.json").json()["paths"]["/v1/stats"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"type", "from", "to", "tag", "format"}
    for parameter in operation["parameters"]:
        assert parameter["description"], parameter["name"]
        assert parameter["schema"]["examples"], parameter["name"]
