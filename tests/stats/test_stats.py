"""GET /v1/stats on a tiny dataset: every dimension's counts, the filters, CSV in long format, errors."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import bad_parameter, revalidates


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
    ("url", "field", "words"),
    [
        ("/v1/stats?typ=policy", "typ", "unknown parameter 'typ' — did you mean 'type'?"),
        ("/v1/stats?type=polciy", "type", "did you mean 'policy'?"),
        ("/v1/stats?from=2020&to=2019", "to", "is before `from`"),
        ("/v1/stats?from=2019-02-30", "from", "'2019-02-30' is not a calendar date"),
        ("/v1/stats?format=xlsx", "format", "'xlsx' is not one of json, csv, ndjson"),
        ("/v1/stats?tag=a%00b", "tag", "value contains a NUL character"),
    ],
)
def test_bad_parameters_are_400_problems_that_explain(
    stats_client: TestClient, url: str, field: str, words: str
) -> None:
    bad_parameter(stats_client.get(url), field, words)


def test_etag_and_304_and_documented_parameters(stats_client: TestClient) -> None:
    revalidates(stats_client, "/v1/stats")
    operation = stats_client.get("/openapi.json").json()["paths"]["/v1/stats"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"type", "from", "to", "tag", "format", "by", "shape"}


def test_by_two_dimensions_is_a_long_format_crosstab(stats_client: TestClient) -> None:
    """ "Policies per year by jurisdiction" in one call: only policies have a jurisdiction."""
    body = stats_client.get("/v1/stats?by=year,jurisdiction").json()
    assert body["by"] == ["year", "jurisdiction"]
    assert body["total"] == 3
    assert body["rows"] == [
        {"year": "2018", "jurisdiction": "land", "jurisdiction_label": "Land", "count": 1},
        {"year": "2019", "jurisdiction": "other-land", "jurisdiction_label": "Other Land", "count": 1},
        {"year": None, "jurisdiction": None, "jurisdiction_label": None, "count": 1},
    ]
    assert "counts" not in body
    by_type = stats_client.get("/v1/stats?by=type,year&type=actor,policy").json()["rows"]
    assert by_type[:2] == [{"type": "actor", "year": "2000", "count": 1}, {"type": "actor", "year": "2018", "count": 1}]
    assert sum(r["count"] for r in by_type) == 8
    # Summed over types: all 14 records by year match the per-dimension `year` counts.
    years = stats_client.get("/v1/stats?by=year").json()["rows"]
    assert [(r["year"], r["count"]) for r in years] == [("2000", 1), ("2018", 4), ("2019", 3), (None, 6)]
    tags = stats_client.get("/v1/stats?by=tag,type").json()["rows"]
    assert {(r["tag"], r["type"], r["count"]) for r in tags} == {
        ("chips", "actor", 1), ("chips", "hardware", 1), ("chips", "policy", 1), ("wire", "source", 1)
    }  # fmt: skip
    filtered = stats_client.get("/v1/stats?by=kind,status&from=2019").json()
    assert filtered["filters"]["from"] == "2019-01-01"
    assert filtered["rows"] == [{"kind": "export_control", "status": "in_force", "count": 1}]


def test_crosstab_as_csv_and_as_bare_rows_for_grafana(stats_client: TestClient) -> None:
    response = stats_client.get("/v1/stats?by=year,jurisdiction&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "techsov-stats-by-year-jurisdiction.csv" in response.headers["content-disposition"]
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["year", "jurisdiction", "jurisdiction_label", "count"],
        ["2018", "land", "Land", "1"],
        ["2019", "other-land", "Other Land", "1"],
        ["", "", "", "1"],
    ]
    rows = stats_client.get("/v1/stats?by=year,jurisdiction&shape=rows").json()
    assert rows == stats_client.get("/v1/stats?by=year,jurisdiction").json()["rows"]
    flat = stats_client.get("/v1/stats?type=policy&shape=rows").json()
    assert isinstance(flat, list)
    assert flat[0] == {"dimension": "type", "value": "policy", "count": 3, "label": None}
    ndjson = stats_client.get("/v1/stats?by=kind&type=policy&format=ndjson").text.splitlines()
    assert ndjson == ['{"kind":"export_control","count":2}', '{"kind":"strategy","count":1}']
    # Without `by` or `shape`, the answer is what it always was.
    assert "counts" in stats_client.get("/v1/stats").json()


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/v1/stats?by=year,jurisdction", "by", "'jurisdction' is not one of type, kind"),
        ("/v1/stats?by=year,kind,status", "by", "takes at most 2 dimensions, not 3"),
        ("/v1/stats?by=year,year", "by", "names a dimension twice"),
        ("/v1/stats?by=jurisdiction&type=actor", "by", "no type among actor has jurisdiction"),
        ("/v1/stats?shape=table", "shape", "'table' is not one of object, rows"),
    ],
)
def test_bad_crosstab_parameters(stats_client: TestClient, url: str, field: str, words: str) -> None:
    bad_parameter(stats_client.get(url), field, words)
