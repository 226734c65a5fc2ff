"""GET /v1/changes after two loads: the whole log, since a version or a time, tombstones, pages, errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.changes.conftest import ENTRIES
from tests.helpers import bad_parameter, revalidates, walk

Entry = tuple[int, str, str, str]


def entries(body: dict[str, Any]) -> list[Entry]:
    return [(e["version"], e["type"], e["id"], e["action"]) for e in body["items"]]


def walk_entries(client: TestClient, url: str) -> list[Entry]:
    """Every entry across all pages."""
    return [entry for page in walk(client, url) for entry in entries(page)]


def test_the_whole_log_in_order(changes_client: TestClient) -> None:
    body = changes_client.get("/v1/changes").json()
    assert entries(body) == ENTRIES
    assert body["version"] == 2
    assert body["next_cursor"] is None
    first = body["items"][0]
    assert set(first) == {"version", "type", "id", "action", "changed_at", "href"}
    assert first["href"] == "/v1/actors/a1"
    assert first["changed_at"].endswith("Z")
    dt.datetime.fromisoformat(first["changed_at"])


def test_since_a_version_gives_what_changed_after_it_with_tombstones(changes_client: TestClient) -> None:
    body = changes_client.get("/v1/changes?since=1").json()
    assert entries(body) == ENTRIES[4:]
    tombstone = body["items"][-1]
    assert (tombstone["id"], tombstone["action"], tombstone["href"]) == ("a3", "deleted", None)
    assert changes_client.get("/v1/changes?since=2").json()["items"] == []
    assert entries(changes_client.get("/v1/changes?since=0").json()) == ENTRIES


def test_since_a_timestamp_gives_what_changed_after_it(changes_client: TestClient) -> None:
    items = changes_client.get("/v1/changes").json()["items"]
    first_load = items[0]["changed_at"]
    assert entries(changes_client.get(f"/v1/changes?since={quote(first_load)}").json()) == ENTRIES[4:]
    moment = dt.datetime.fromisoformat(first_load)
    before = (moment - dt.timedelta(microseconds=1)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert entries(changes_client.get(f"/v1/changes?since={quote(before.isoformat())}").json()) == ENTRIES
    naive_utc = (moment - dt.timedelta(seconds=1)).replace(tzinfo=None).isoformat()
    assert entries(changes_client.get(f"/v1/changes?since={naive_utc}").json()) == ENTRIES
    assert changes_client.get("/v1/changes?since=2999-01-01").json()["items"] == []
    assert entries(changes_client.get("/v1/changes?since=2000-01-01").json()) == ENTRIES


def test_type_and_action_filters(changes_client: TestClient) -> None:
    assert entries(changes_client.get("/v1/changes?action=deleted").json()) == [(2, "actor", "a3", "deleted")]
    assert entries(changes_client.get("/v1/changes?type=source").json()) == [(1, "source", "src", "created")]
    assert entries(changes_client.get("/v1/changes?action=updated,deleted&since=1").json()) == ENTRIES[5:]


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_walking_every_page_returns_every_entry_once(changes_client: TestClient, limit: int) -> None:
    assert walk_entries(changes_client, f"/v1/changes?limit={limit}") == ENTRIES
    assert walk_entries(changes_client, f"/v1/changes?limit={limit}&since=1") == ENTRIES[4:]


def test_csv_and_ndjson(changes_client: TestClient) -> None:
    response = changes_client.get("/v1/changes?format=csv&limit=1")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(int(r["version"]), r["type"], r["id"], r["action"]) for r in table] == ENTRIES
    assert table[-1]["href"] == ""
    lines = changes_client.get("/v1/changes?since=1", headers={"Accept": "application/x-ndjson"}).text.splitlines()
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/v1/changes?sinse=1", "sinse", "unknown parameter 'sinse' — did you mean 'since'?"),
        ("/v1/changes?since=yesterday", "since", "'yesterday' is neither a dataset version"),
        ("/v1/changes?since=-1", "since", "'-1' is neither a dataset version"),
        ("/v1/changes?since=99999999999999999999999", "since", "version 99999999999999999999999 is beyond"),
        ("/v1/changes?since=2025-02-30T00:00:00Z", "since", "'2025-02-30T00:00:00Z' is neither"),
        ("/v1/changes?type=actors", "type", "did you mean 'actor'?"),
        ("/v1/changes?action=removed", "action", "'removed' is not one of created, updated, deleted"),
        ("/v1/changes?limit=501", "limit", "must be between 1 and 500"),
        ("/v1/changes?cursor=abc", "cursor", "not a cursor this API issued"),
        ("/v1/changes?since=1%00", "since", "value contains a NUL character"),
    ],
)
def test_bad_parameters_are_400_problems_that_explain(
    changes_client: TestClient, url: str, field: str, words: str
) -> None:
    bad_parameter(changes_client.get(url), field, words)


def test_a_cursor_from_another_list_is_refused(changes_client: TestClient) -> None:
    cursor = changes_client.get("/v1/actors?limit=1").json()["next_cursor"]
    bad_parameter(changes_client.get(f"/v1/changes?cursor={cursor}"), "cursor")


def test_etag_changes_with_the_dataset_version(changes_client: TestClient) -> None:
    first = revalidates(changes_client, "/v1/changes")
    assert first.headers["etag"].startswith('W/"2-')
    operation = changes_client.get("/openapi.json").json()["paths"]["/v1/changes"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"since", "type", "action", "limit", "cursor", "format"}
