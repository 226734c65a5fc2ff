"""Contract tests for every list and detail endpoint: the conventions curl users and dashboards rely on."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.records.registry import BY_PLURAL, RECORD_TYPE_LIST
from app.records.service import list_parameters
from tests.helpers import bad_parameter, problem, revalidates, walk
from tests.records.conftest import TIED_STATEMENTS

PLURALS = [t.plural for t in RECORD_TYPE_LIST]
SOME_ID = {
    "actors": "huawei",
    "policies": "us-listing-2019",
    "statements": "stmt-one",
    "hardware": "test-accel",
    "dependencies": "accel-on-node",
    "sources": "src-press",
}


def walk_ids(client: TestClient, url: str) -> list[str]:
    """Every id across all pages."""
    return [item["id"] for page in walk(client, url) for item in page["items"]]


@pytest.mark.parametrize("plural", PLURALS)
def test_every_list_answers_with_a_page(client: TestClient, plural: str) -> None:
    response = client.get(f"/v1/{plural}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "next_cursor", "total"}
    assert body["items"]
    assert body["total"] is None
    assert {item["type"] for item in body["items"]} == {BY_PLURAL[plural].name}


@pytest.mark.parametrize("plural", PLURALS)
def test_an_unknown_parameter_is_a_400_naming_it(client: TestClient, plural: str) -> None:
    body = bad_parameter(client.get(f"/v1/{plural}?sortt=name"), "sortt")
    assert body["detail"] == "sortt: unknown parameter 'sortt' — did you mean 'sort'?"


def test_a_misspelt_filter_suggests_the_right_one(client: TestClient) -> None:
    bad_parameter(client.get("/v1/actors?contry=china"), "contry", "did you mean 'country'?")


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/v1/actors?country=chna", "country", "no actor with id 'chna' — did you mean 'china'?"),
        ("/v1/actors?kind=compnay", "kind", "did you mean 'company'?"),
        ("/v1/statements?mentions=actor:huawie", "mentions", "no actor with id 'huawie' — did you mean 'huawei'?"),
        ("/v1/statements?mentions=robot:x", "mentions", "'robot:x': the type must be one of"),
        ("/v1/actors?sort=nmae", "sort", "cannot sort actors by 'nmae' — did you mean 'name'?"),
        ("/v1/actors?sort=name,name", "sort", "'name' appears twice"),
        ("/v1/actors?limit=0", "limit", "must be between 1 and 500"),
        ("/v1/actors?limit=501", "limit", "must be between 1 and 500"),
        ("/v1/actors?limit=99999999999999999999999", "limit", "must be between 1 and 500"),
        ("/v1/actors?limit=ten", "limit", "'ten' is not a whole number"),
        ("/v1/policies?from=2019-02-30", "from", "'2019-02-30' is not a calendar date"),
        ("/v1/policies?from=yesterday", "from", "'yesterday' is not a date"),
        ("/v1/policies?from=2020&to=2019", "to", "is before `from`"),
        ("/v1/statements?as_of=2020-01-01", "as_of", "unknown parameter 'as_of'"),
        ("/v1/actors?facets=colour", "facets", "cannot count actors by 'colour'"),
        ("/v1/actors?count=maybe", "count", "'maybe' is not true or false"),
        ("/v1/actors?format=xml", "format", "'xml' is not one of json, csv, ndjson"),
        ("/v1/actors?q=a%00b", "q", "value contains a NUL character"),
        ("/v1/actors?q=" + "x" * 10_000, "q", "value is too long"),
        ("/v1/actors?cursor=not-a-cursor", "cursor", "not a cursor this API issued"),
        ("/v1/actors?cursor=" + "A" * 5000, "cursor", "value is too long"),
        ("/v1/actors?cursor=" + "A" * 900, "cursor", "not a cursor this API issued"),
    ],
)
def test_bad_values_are_400s_that_explain(client: TestClient, url: str, field: str, words: str) -> None:
    bad_parameter(client.get(url), field, words)


def test_a_tampered_cursor_or_one_from_another_sort_is_refused(client: TestClient) -> None:
    cursor = client.get("/v1/actors?limit=2").json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    bad_parameter(client.get(f"/v1/actors?limit=2&cursor={tampered}"), "cursor", "not a cursor this API issued")
    other = client.get(f"/v1/actors?limit=2&sort=-name&cursor={cursor}")
    bad_parameter(other, "cursor", "belongs to sort=name,id, not sort=-name,-id")


@pytest.mark.parametrize(
    "sort",
    ["-said_on", "said_on", "name", "-name", "kind,-said_on", "-kind,said_on,name", "id", "-id"],
)
def test_walking_all_pages_returns_every_record_once_in_a_stable_order(tied_client: TestClient, sort: str) -> None:
    everything = tied_client.get(f"/v1/statements?speaker=test-person&sort={sort}&limit=500").json()["items"]
    assert len(everything) == TIED_STATEMENTS + 1
    for limit in (1, 7, 50):
        ids = walk_ids(tied_client, f"/v1/statements?speaker=test-person&sort={sort}&limit={limit}")
        assert ids == [item["id"] for item in everything]


@pytest.mark.parametrize("sort", ["-effective_on", "effective_on", "ended_on", "-ended_on,name", "status"])
def test_walking_sorts_on_columns_with_missing_values(client: TestClient, sort: str) -> None:
    everything = [i["id"] for i in client.get(f"/v1/policies?sort={sort}&limit=500").json()["items"]]
    assert len(everything) == 3
    assert walk_ids(client, f"/v1/policies?sort={sort}&limit=1") == everything


def test_missing_values_sort_last_both_ways(client: TestClient) -> None:
    ascending = [i["ended_on"] for i in client.get("/v1/policies?sort=ended_on").json()["items"]]
    descending = [i["ended_on"] for i in client.get("/v1/policies?sort=-ended_on").json()["items"]]
    assert ascending == ["2020", None, None]
    assert descending == ["2020", None, None]


def test_partial_dates_sort_as_their_first_day(tied_client: TestClient) -> None:
    items = tied_client.get("/v1/statements?speaker=test-person&sort=said_on,id&limit=500&from=2020").json()["items"]
    firsts = [i["said_on"] for i in items]
    assert firsts.index("2021-06-30") > firsts.index("2020-01")
    assert {firsts[0], firsts[1]} <= {"2020-01", "2020-01-01"}


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2019-05-15", ["cn-plan-2017"]),
        ("2019-05-16", ["cn-plan-2017", "us-listing-2019"]),
        ("2019-05-17", ["cn-plan-2017", "us-listing-2019"]),
        ("2019-08-01", ["cn-plan-2017", "us-listing-2019", "us-listing-2019-amended"]),
        ("2020-01-01", ["cn-plan-2017", "us-listing-2019"]),
    ],
)
def test_as_of_keeps_what_was_in_force_that_day(client: TestClient, as_of: str, expected: list[str]) -> None:
    items = client.get(f"/v1/policies?as_of={as_of}&sort=id").json()["items"]
    assert [i["id"] for i in items] == expected


def test_as_of_on_dependencies_and_actors(client: TestClient) -> None:
    on = [i["id"] for i in client.get("/v1/dependencies?as_of=2019-05-15").json()["items"]]
    after = [i["id"] for i in client.get("/v1/dependencies?as_of=2019-05-16").json()["items"]]
    assert "huawei-on-gpu" in on
    assert "huawei-on-gpu" not in after
    assert "huawei" not in [i["id"] for i in client.get("/v1/actors?as_of=1986-12-31&limit=500").json()["items"]]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/v1/actors?country=china&sort=id", ["hisilicon", "huawei", "state-council", "test-person", "xinhua"]),
        ("/v1/actors?kind=state&kind=media&sort=id", ["china", "united-states", "xinhua"]),
        ("/v1/actors?kind=state,media&sort=id", ["china", "united-states", "xinhua"]),
        ("/v1/actors?parent=huawei", ["hisilicon"]),
        ("/v1/actors?tag=semiconductors", ["huawei"]),
        ("/v1/actors?source=src-plan&sort=id", ["china", "state-council"]),
        ("/v1/actors?q=prc", ["china"]),
        ("/v1/actors?q=华为", ["huawei"]),
        ("/v1/policies?issuer=state-council", ["cn-plan-2017"]),
        ("/v1/policies?jurisdiction=united-states&sort=id", ["us-listing-2019", "us-listing-2019-amended"]),
        ("/v1/policies?target=huawei", ["us-listing-2019"]),
        ("/v1/policies?restricts=test-gpu", ["us-listing-2019"]),
        ("/v1/policies?amends=us-listing-2019", ["us-listing-2019-amended"]),
        ("/v1/policies?document_id=国发〔2017〕35号", ["cn-plan-2017"]),
        ("/v1/policies?status=expired", ["us-listing-2019-amended"]),
        ("/v1/policies?from=2019&to=2019-06", ["us-listing-2019"]),
        ("/v1/policies?to=2019-07&sort=id", ["cn-plan-2017", "us-listing-2019"]),
        ("/v1/statements?speaker=test-person", ["stmt-one"]),
        ("/v1/statements?reported_by=xinhua", ["stmt-one"]),
        ("/v1/statements?mentions=actor:huawei", ["stmt-one"]),
        ("/v1/statements?mentions=test-accel", ["stmt-one"]),
        ("/v1/statements?about_policy=us-listing-2019", ["stmt-one"]),
        ("/v1/statements?original_language=zh-Hans", ["stmt-one"]),
        ("/v1/statements?q=develop", ["stmt-one"]),
        ("/v1/hardware?maker=hisilicon&sort=id", ["test-accel", "test-accel-2"]),
        ("/v1/hardware?successor_of=test-accel", ["test-accel-2"]),
        ("/v1/hardware?q=ACCEL&sort=id", ["test-accel", "test-accel-2"]),
        ("/v1/hardware?q=100%25", []),
        ("/v1/dependencies?dependent=actor:huawei", ["huawei-on-gpu"]),
        ("/v1/dependencies?dependent=test-accel", ["accel-on-node"]),
        ("/v1/dependencies?depends_on=test-gpu", ["huawei-on-gpu"]),
        ("/v1/dependencies?purpose=manufacturing", ["accel-on-node"]),
        ("/v1/dependencies?status=reported", ["huawei-on-gpu"]),
        ("/v1/dependencies?alternative_to=test-gpu", ["accel-on-node"]),
        ("/v1/sources?publisher=xinhua", []),
        ("/v1/sources?publisher=Example Wire", ["src-press"]),
        ("/v1/sources?language=en", ["src-press"]),
    ],
)
def test_filters(client: TestClient, url: str, expected: list[str]) -> None:
    """Each filter, on the fixture seed."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert [i["id"] for i in response.json()["items"]] == expected


def test_count_and_facets_cover_the_filtered_set(client: TestClient) -> None:
    body = client.get("/v1/actors?country=china&limit=1&count=true&facets=kind,tag,parent,year").json()
    assert body["total"] == 5
    assert len(body["items"]) == 1
    assert body["facets"] == {
        "kind": {"company": 2, "government_body": 1, "media": 1, "person": 1},
        "tag": {"semiconductors": 1},
        "parent": {"(none)": 4, "huawei": 1},
        "year": {"(none)": 4, "1987": 1},
    }


@pytest.mark.parametrize("plural", PLURALS)
def test_csv_streams_every_record_with_stable_columns(client: TestClient, plural: str) -> None:
    response = client.get(f"/v1/{plural}?format=csv&limit=1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="techsov-{plural}.csv"'
    assert response.text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(response.text)))
    everything = client.get(f"/v1/{plural}?limit=500").json()["items"]
    assert rows[0][:3] == ["type", "id", "name"]
    assert rows[0][-2:] == ["created_at", "updated_at"]
    assert [r[1] for r in rows[1:]] == [i["id"] for i in everything]


@pytest.mark.parametrize("plural", PLURALS)
def test_ndjson_streams_every_record(client: TestClient, plural: str) -> None:
    response = client.get(f"/v1/{plural}", params={"limit": 1}, headers={"accept": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [orjson.loads(line) for line in response.text.splitlines()]
    everything = client.get(f"/v1/{plural}?limit=500").json()["items"]
    assert lines == everything


def test_csv_cells_flatten_references_and_lists(client: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/statements?format=csv").text)))
    assert rows[0]["speaker"] == "test-person"
    assert rows[0]["mentions"] == "actor:huawei;policy:us-listing-2019;hardware:test-accel"
    assert rows[0]["sources"] == "src-press"
    hardware = {r["id"]: r for r in csv.DictReader(io.StringIO(client.get("/v1/hardware?format=csv").text))}
    assert orjson.loads(hardware["test-accel"]["specs"]) == {"fp16_tflops": 256, "memory_gb": 32.5}


def test_csv_neutralises_spreadsheet_formulas(engine: sa.Engine, client: TestClient) -> None:
    from app.records.documents import refresh_documents
    from app.records.registry import ACTOR

    with engine.begin() as connection:
        connection.execute(ACTOR.table.update().where(ACTOR.table.c.id == "huawei").values(name="=HYPERLINK(1)"))
        refresh_documents(connection, {"actor": ["huawei"]})  # as every writer does
        connection.exec_driver_sql("UPDATE dataset_state SET version = version + 1")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(client.get("/v1/actors?format=csv").text))}
    assert rows["huawei"]["name"] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("plural", PLURALS)
def test_etag_and_304_on_lists_and_records(client: TestClient, plural: str) -> None:
    shapes = {f"/v1/{plural}": r'^W/"1-[0-9a-f]{16}"$', f"/v1/{plural}/{SOME_ID[plural]}": r'^"[0-9a-f]{20}\.1"$'}
    for url, shape in shapes.items():
        first = revalidates(client, url)
        etag = first.headers["etag"]
        assert re.match(shape, etag), etag  # a list's is weak; a record's is strong (its content, the dataset version)
        assert first.headers["cache-control"] == "public, max-age=60"
        assert client.get(url, headers={"if-none-match": 'W/"0-nope"'}).status_code == 200


def test_etags_differ_by_format_and_change_with_the_data(client: TestClient, engine: sa.Engine) -> None:
    as_json = client.get("/v1/actors").headers["etag"]
    assert client.get("/v1/actors?format=csv").headers["etag"] != as_json
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE dataset_state SET version = version + 1")
    assert client.get("/v1/actors", headers={"if-none-match": as_json}).status_code == 200


def test_gzip_cors_and_request_ids(client: TestClient) -> None:
    response = client.get("/v1/actors?limit=500", headers={"accept-encoding": "gzip", "origin": "https://news.example"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["access-control-allow-origin"] == "*"
    assert len(response.headers["x-request-id"]) == 32
    echoed = client.get("/v1", headers={"x-request-id": "newsroom-42"})
    assert echoed.headers["x-request-id"] == "newsroom-42"
    hostile = client.get("/v1", headers={"x-request-id": "<script>"})
    assert hostile.headers["x-request-id"] != "<script>"


def test_links_use_the_configured_base_url_not_the_host_header(
    engine: sa.Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import Settings
    from app.main import create_app

    url = str(engine.url.render_as_string(hide_password=False))
    settings = Settings(database_url=url, techsov_base_url="https://api.techsov.example")
    with TestClient(create_app(settings)) as other:
        link = other.get("/v1/actors?limit=1", headers={"host": "evil.example"}).headers["link"]
    assert link.startswith("<https://api.techsov.example/v1/actors?limit=1&cursor=")


def test_a_page_costs_a_fixed_number_of_queries(tied_client: TestClient) -> None:
    engine = tied_client.app.state.database.engine  # type: ignore[attr-defined]
    counts = {}
    for limit in (1, 20, 500):
        statements: list[str] = []

        def count(_c: Any, _cur: Any, statement: str, *_a: Any, into: list[str] = statements) -> None:
            into.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            # sort=said_on puts the one statement with every kind of reference first, on every page size
            response = tied_client.get(f"/v1/statements?sort=said_on&limit={limit}&count=true&facets=kind")
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        counts[limit] = len([s for s in statements if not s.startswith(("BEGIN", "PRAGMA"))])
    assert counts[1] == counts[20] == counts[500], counts


def test_a_crash_is_a_clean_500(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.records.routes as routes

    def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(routes, "list_page", explode)
    body = problem(client.get("/v1/actors"), 500)
    assert body["detail"] == "something went wrong on our side; it has been logged"


def test_allowed_parameters_are_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for record_type in RECORD_TYPE_LIST:
        operation = spec["paths"][f"/v1/{record_type.plural}"]["get"]
        documented = {p["name"] for p in operation["parameters"]}
        assert documented == set(list_parameters(record_type).all.names)
        # every parameter has an example but the cursor: only the API makes valid ones
        assert all(p.get("description") for p in operation["parameters"])
        assert all(p["schema"].get("examples") or p["name"] == "cursor" for p in operation["parameters"])
        assert "400" in operation["responses"]
    assert client.get("/docs").status_code == 200


def test_invalid_utf8_in_the_query_is_harmless(client: TestClient) -> None:
    response = client.get("/v1/actors?q=%ED%A0%80")
    assert response.status_code == 200
    assert response.json()["items"] == []
