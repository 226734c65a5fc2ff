"""The 2018 timeline on the real seed: the ZTE order, the Section 301 tariffs, ECRA, the Jinhua listing and
the statements answering it, in date order."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from app.core.dates import first_day

# Checked against seed/policies.yaml and seed/statements.yaml.
STORY_2018 = [
    ("2018-04-15", "policy.announced", "us-commerce-zte-denial-order-2018"),
    ("2018-07-06", "policy.effective", "us-section-301-tariffs-list-1-2018"),
    ("2018-08-13", "policy.announced", "us-ecra-2018"),
    ("2018-08-23", "policy.effective", "us-section-301-tariffs-list-2-2018"),
    ("2018-09-24", "policy.effective", "us-section-301-tariffs-list-3-2018"),
    ("2018-10-29", "policy.announced", "us-bis-entity-list-fujian-jinhua-2018"),
    ("2018-10-29", "statement.said", "ross-2018-10-29-jinhua-listing"),
    ("2018-10-31", "statement.said", "mofcom-2018-10-31-jinhua-listing"),
    ("2018-10-31", "statement.said", "xi-2018-10-31-ai-strategic-question"),
    ("2018-11-19", "policy.announced", "us-bis-emerging-tech-anprm-2018"),
]


def test_the_2018_timeline(seed_client: TestClient) -> None:
    body = seed_client.get("/v1/timeline?from=2018&to=2018&limit=500").json()
    found = [(e["date"], e["kind"], e["record"]["id"]) for e in body["items"]]
    assert [e for e in found if e in STORY_2018] == STORY_2018  # all there, in this order
    days = [first_day(date) for date, _kind, _id in found]
    assert days == sorted(days)
    assert all(day.year == 2018 for day in days)
    xi = next(e for e in body["items"] if e["record"]["id"] == "xi-2018-10-31-ai-strategic-question")
    assert xi["context"]["speaker"]["id"] == "xi-jinping"
    zte = next(e for e in body["items"] if e["record"]["id"] == "us-commerce-zte-denial-order-2018")
    assert (zte["context"]["kind"], zte["context"]["status"]) == ("export_control", "rescinded")


def test_huawei_through_the_years_newest_first(seed_client: TestClient) -> None:
    body = seed_client.get("/v1/timeline?actor=huawei&sort=-date&limit=500").json()
    found = [(e["date"], e["kind"], e["record"]["id"]) for e in body["items"]]
    assert ("2019-05-16", "policy.effective", "us-bis-entity-list-huawei-2019") in found
    assert found[-1] == ("1987", "actor.founded", "huawei")
    days = [first_day(date) for date, _kind, _id in found]
    assert days == sorted(days, reverse=True)


def test_the_2018_timeline_as_csv_for_a_newsroom(seed_client: TestClient) -> None:
    response = seed_client.get("/v1/timeline?from=2018&to=2018&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    story = [(r["date"], r["kind"], r["id"]) for r in rows if (r["date"], r["kind"], r["id"]) in STORY_2018]
    assert story == STORY_2018
