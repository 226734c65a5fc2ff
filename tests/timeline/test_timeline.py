"""GET /v1/timeline on a tiny dated world: order, ties, partial dates, filters, pages, CSV/NDJSON and errors."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.helpers import bad_parameter, revalidates, walk
from tests.timeline.conftest import ALL_EVENTS

Event = tuple[str, str, str]


def events(body: dict[str, Any]) -> list[Event]:
    """(date, kind, id) of each event on a page."""
    return [(e["date"], e["kind"], e["record"]["id"]) for e in body["items"]]


def walk_events(client: TestClient, url: str) -> list[Event]:
    """Every event across all pages."""
    return [event for page in walk(client, url) for event in events(page)]


def test_every_event_in_date_order_with_ties_by_kind_type_and_id(timeline_client: TestClient) -> None:
    body = timeline_client.get("/v1/timeline?limit=500").json()
    assert events(body) == ALL_EVENTS
    assert body["next_cursor"] is None
    assert body["total"] is None


def test_newest_first_is_the_exact_reverse(timeline_client: TestClient) -> None:
    assert events(timeline_client.get("/v1/timeline?sort=-date&limit=500").json()) == ALL_EVENTS[::-1]


@pytest.mark.parametrize("sort", ["date", "-date"])
@pytest.mark.parametrize("limit", [1, 2, 5])
def test_walking_every_page_returns_every_event_once(timeline_client: TestClient, sort: str, limit: int) -> None:
    expected = ALL_EVENTS if sort == "date" else ALL_EVENTS[::-1]
    assert walk_events(timeline_client, f"/v1/timeline?sort={sort}&limit={limit}") == expected


def test_each_event_carries_its_record_and_context(timeline_client: TestClient) -> None:
    items = {(e["kind"], e["record"]["id"]): e for e in timeline_client.get("/v1/timeline?limit=500").json()["items"]}
    assert items[("policy.effective", "p1")] == {
        "date": "2018-07",
        "kind": "policy.effective",
        "record": {"id": "p1", "type": "policy", "name": "=Rule one"},
        "context": {
            "kind": "export_control",
            "status": "expired",
            "jurisdiction": {"id": "land", "type": "actor", "name": "Land"},
        },
    }
    assert items[("statement.said", "s2")]["context"] == {
        "kind": "remark",
        "speaker": {"id": "speaker", "type": "actor", "name": "Speaker"},
    }
    assert items[("hardware.released", "chip")]["context"] == {
        "kind": "accelerator",
        "maker": {"id": "co", "type": "actor", "name": "Co"},
    }
    assert items[("dependency.began", "d1")]["context"] == {
        "status": "reported",
        "purpose": "training",
        "system": None,
        "dependent": {"id": "co", "type": "actor", "name": "Co"},
        "depends_on": {"id": "chip", "type": "hardware", "name": "Chip"},
    }
    assert items[("actor.dissolved", "co")]["context"] == {
        "kind": "company",
        "country": {"id": "land", "type": "actor", "name": "Land"},
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from=2018&to=2018", [e for e in ALL_EVENTS if e[0].startswith("2018")]),
        ("from=2018-07-01&to=2018-07", [e for e in ALL_EVENTS if e[0].startswith("2018-07")]),
        ("from=2019-02", [e for e in ALL_EVENTS if e[0] >= "2019-02"]),
        ("to=2000", ALL_EVENTS[:2]),
        ("type=policy", [e for e in ALL_EVENTS if e[1].startswith("policy.")]),
        ("type=actor,hardware", [e for e in ALL_EVENTS if e[1].startswith(("actor.", "hardware."))]),
        ("kind=policy.effective&kind=dependency.ended",
         [e for e in ALL_EVENTS if e[1] in ("policy.effective", "dependency.ended")]),
        ("type=policy&kind=policy.ended", [("2019", "policy.ended", "p1")]),
        ("tag=chips", [e for e in ALL_EVENTS if e[2] in ("co", "p1", "chip")]),
        ("tag=export-controls&tag=none-such", [e for e in ALL_EVENTS if e[2] == "p1"]),
        ("actor=speaker", [e for e in ALL_EVENTS if e[2] in ("s1", "s2")]),
        ("actor=gov", [e for e in ALL_EVENTS if e[2] == "p1"]),
        ("actor=land", [e for e in ALL_EVENTS if e[2] in ("land", "p1", "p2")]),
        ("actor=co", [e for e in ALL_EVENTS if e[2] in ("co", "p1", "chip", "d1")]),
        ("actor=co&type=dependency", [e for e in ALL_EVENTS if e[2] == "d1"]),
        ("actor=speaker,gov&to=2018-03", [e for e in ALL_EVENTS if e[2] in ("s1", "p1") and e[0] <= "2018-03-01"]),
    ],
)  # fmt: skip
def test_filters(timeline_client: TestClient, query: str, expected: list[Event]) -> None:
    """actor=co: its founding and dissolution, the policy targeting it, the chip it makes, its dependency."""
    response = timeline_client.get(f"/v1/timeline?{query}&limit=500")
    assert response.status_code == 200, response.text
    assert events(response.json()) == expected


def test_actor_includes_fab_and_statements_only_by_their_speaker(timeline_client: TestClient) -> None:
    """Co fabs other-chip (no release date: no event) and is mentioned by s2 (a mention is not a role)."""
    assert ("2018-07-01", "statement.said", "s2") not in events(timeline_client.get("/v1/timeline?actor=co").json())


def test_count_gives_the_total_across_pages(timeline_client: TestClient) -> None:
    body = timeline_client.get("/v1/timeline?limit=2&count=true&type=policy").json()
    assert body["total"] == 4
    assert len(body["items"]) == 2


def test_csv_streams_every_event_spreadsheet_safe(timeline_client: TestClient) -> None:
    response = timeline_client.get("/v1/timeline?format=csv&limit=1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="techsov-timeline.csv"'
    assert "\r\n" in response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["date"], r["kind"], r["id"]) for r in rows] == ALL_EVENTS
    p1 = next(r for r in rows if r["kind"] == "policy.effective" and r["id"] == "p1")
    assert (p1["name"], p1["record_kind"], p1["status"], p1["jurisdiction"]) == ("'=Rule one", "export_control",
                                                                                  "expired", "land")  # fmt: skip
    d1 = next(r for r in rows if r["id"] == "d1")
    assert (d1["dependent"], d1["depends_on"]) == ("actor:co", "chip")


def test_ndjson_streams_every_event(timeline_client: TestClient) -> None:
    response = timeline_client.get("/v1/timeline?sort=-date", headers={"Accept": "application/x-ndjson"})
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [orjson.loads(line) for line in response.text.splitlines()]
    assert [(e["date"], e["kind"], e["record"]["id"]) for e in lines] == ALL_EVENTS[::-1]


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/v1/timeline?actr=co", "actr", "unknown parameter 'actr' — did you mean 'actor'?"),
        ("/v1/timeline?actor=coo", "actor", "no actor with id 'coo' — did you mean 'co'?"),
        ("/v1/timeline?format=csv&actor=coo", "actor", "no actor with id 'coo'"),
        ("/v1/timeline?kind=policy.efective", "kind", "did you mean 'policy.effective'?"),
        ("/v1/timeline?type=policies", "type", "did you mean 'policy'?"),
        ("/v1/timeline?type=source", "type", "'source' is not one of actor, policy"),
        (
            "/v1/timeline?type=actor&kind=policy.ended",
            "kind",
            "'policy.ended' is an event of policies, not of type=actor",
        ),
        ("/v1/timeline?sort=date,id", "sort", "'date,id' is not one of date, -date"),
        ("/v1/timeline?from=2019&to=2018", "to", "is before `from`"),
        ("/v1/timeline?from=2018-13", "from", "'2018-13' is not a calendar date"),
        ("/v1/timeline?limit=0", "limit", "must be between 1 and 500"),
        ("/v1/timeline?limit=ten", "limit", "'ten' is not a whole number"),
        ("/v1/timeline?cursor=nope", "cursor", "not a cursor this API issued"),
        ("/v1/timeline?actor=c%00o", "actor", "value contains a NUL character"),
    ],
)
def test_bad_parameters_are_400_problems_that_explain(
    timeline_client: TestClient, url: str, field: str, words: str
) -> None:
    bad_parameter(timeline_client.get(url), field, words)


def test_a_cursor_belongs_to_its_sort(timeline_client: TestClient) -> None:
    cursor = timeline_client.get("/v1/timeline?limit=1").json()["next_cursor"]
    response = timeline_client.get(f"/v1/timeline?limit=1&sort=-date&cursor={cursor}")
    bad_parameter(response, "cursor", "belongs to sort=date, not sort=-date")


def test_etag_and_304(timeline_client: TestClient) -> None:
    first = revalidates(timeline_client, "/v1/timeline?type=policy")
    csv_etag = timeline_client.get("/v1/timeline?type=policy", headers={"Accept": "text/csv"}).headers["etag"]
    assert csv_etag != first.headers["etag"]


def test_the_parameters_are_documented(timeline_client: TestClient) -> None:
    operation = timeline_client.get("/openapi.json").json()["paths"]["/v1/timeline"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"from", "to", "actor", "type", "kind", "tag", "sort", "limit", "cursor", "count", "format"}
    assert "400" in operation["responses"]
