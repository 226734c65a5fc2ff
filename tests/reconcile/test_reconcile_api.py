"""/v1/reconcile as OpenRefine 3.x uses it, over the tiny reconciliation seed (SQLite, or PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.reconcile.service import MAX_BATCH, MAX_BODY, MAX_LIMIT
from tests.helpers import problem, revalidates
from tests.reconcile.conftest import ids, post_batch

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ACTOR = {"id": "actor", "name": "Actor"}
HARDWARE = {"id": "hardware", "name": "Hardware"}


def one(client: TestClient, query: dict[str, Any]) -> dict[str, Any]:
    """The result of a batch of one query."""
    result: dict[str, Any] = post_batch(client, json.dumps({"q0": query}))["q0"]
    return result


def post_raw(client: TestClient, body: bytes, headers: dict[str, str] | None = None) -> Any:
    """POST a raw body to the endpoint."""
    return client.post("/v1/reconcile", content=body, headers=headers or FORM)


# The manifest


def test_the_manifest(reconcile_client: TestClient) -> None:
    response = reconcile_client.get("/v1/reconcile", headers={"host": "evil.example"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "versions": ["0.1", "0.2"],
        "name": "techsov: actors and hardware",
        "identifierSpace": "urn:techsov:record:",
        "schemaSpace": "urn:techsov:type:",
        "defaultTypes": [ACTOR, HARDWARE],
        "view": {"url": "https://api.example.org/v1/reconcile/view/{{id}}"},
        "documentation": "https://api.example.org/docs#/reconcile",
        "serviceVersion": "0.1.0",
        "batchSize": MAX_BATCH,
    }


def test_without_a_base_url_the_manifest_links_are_relative(loaded_engine: Any, database_url: str) -> None:
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        body = client.get("/v1/reconcile", headers={"host": "evil.example"}).json()
    assert body["view"] == {"url": "/v1/reconcile/view/{{id}}"}
    assert "evil" not in json.dumps(body)


def test_the_manifest_by_jsonp_as_jquery_asks_for_it(reconcile_client: TestClient) -> None:
    response = reconcile_client.get("/v1/reconcile", params={"callback": "jQuery3600_17.cb", "_": "1712345678"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    text = response.text
    assert text.startswith("/**/jQuery3600_17.cb(")
    assert text.endswith(");")
    wrapped = json.loads(text[len("/**/jQuery3600_17.cb(") : -2])
    assert wrapped == reconcile_client.get("/v1/reconcile").json()


@pytest.mark.parametrize("callback", ["alert(1)", "a;b", "1abc", "", "x" * 101, "a b", "<script>", "ﬁ", "cb\n"])
def test_a_callback_that_is_not_a_name_is_refused(reconcile_client: TestClient, callback: str) -> None:
    body = problem(reconcile_client.get("/v1/reconcile", params={"callback": callback}), 400)
    assert body["errors"][0]["field"] == "callback"


# A batch, exactly as OpenRefine posts it


def test_a_batch_posted_form_encoded_as_openrefine_sends_it(reconcile_client: TestClient) -> None:
    queries = (
        '{"q0":{"query":"Huawei","type":"actor","limit":3},"q1":{"query":"华为"},'
        '"q2":{"query":"huawei technologies","type":"actor","type_strict":"should"},'
        '"q3":{"query":"Tsinghua University","type":"actor","properties":[{"pid":"country","v":"China"}]},'
        '"q4":{"query":"No Such Thing Whatsoever"}}'
    )
    response = post_raw(reconcile_client, b"queries=" + quote_plus(queries).encode("ascii"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["q0", "q1", "q2", "q3", "q4"]
    assert body["q0"] == {
        "result": [
            {
                "id": "actor:huawei",
                "name": "Huawei",
                "description": "Shenzhen company; designer of the Ascend AI chips.",
                "score": 100.0,
                "match": True,
                "type": [ACTOR],
            }
        ]
    }
    assert ids(body["q1"]) == ["actor:huawei"]
    assert body["q1"]["result"][0]["match"] is True
    assert ids(body["q2"]) == ["actor:huawei"]
    assert body["q3"]["result"][0]["id"] == "actor:tsinghua-university"
    assert body["q4"] == {"result": []}


def test_get_answers_the_same_as_post_with_an_etag(reconcile_client: TestClient) -> None:
    queries = json.dumps({"a": {"query": "nvidia"}, "b": {"query": "昇腾"}})
    response = revalidates(reconcile_client, f"/v1/reconcile?{urlencode({'queries': queries})}")
    assert response.json() == post_batch(reconcile_client, queries)


def test_results_by_jsonp(reconcile_client: TestClient) -> None:
    queries = json.dumps({"q0": {"query": "huawei"}})
    response = reconcile_client.get("/v1/reconcile", params={"queries": queries, "callback": "cb"})
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert json.loads(response.text[len("/**/cb(") : -2]) == post_batch(reconcile_client, queries)


# Names in any script


@pytest.mark.parametrize(
    "query",
    ["Huawei", "HUAWEI", "华为", "huawei technologies", "Huawei Technologies", "  huawei  "],
)
def test_every_spelling_of_huawei_matches_it(reconcile_client: TestClient, query: str) -> None:
    first = one(reconcile_client, {"query": query})["result"][0]
    assert (first["id"], first["score"], first["match"]) == ("actor:huawei", 100.0, True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("习近平", "actor:xi-jinping"),
        ("Xi Jinping", "actor:xi-jinping"),
        ("XÍ JÌNPÍNG", "actor:xi-jinping"),
        ("清华大学", "actor:tsinghua-university"),
        ("中国", "actor:china"),
        ("PRC", "actor:china"),
        ("NVIDIA A100", "hardware:nvidia-a100"),
        ("昇腾910B", "hardware:huawei-ascend-910b"),
        ("中国科学院", "actor:cas"),
    ],
)
def test_exact_names_in_chinese_english_and_aliases_match(
    reconcile_client: TestClient, query: str, expected: str
) -> None:
    result = one(reconcile_client, {"query": query})["result"]
    assert (result[0]["id"], result[0]["score"], result[0]["match"]) == (expected, 100.0, True)
    assert all(not candidate["match"] for candidate in result[1:])


def test_a_legal_form_is_set_aside_two_points_lower(reconcile_client: TestClient) -> None:
    for query in ("NVIDIA Corporation", "Nvidia Corp.", "Huawei Technologies Co., Ltd.", "华为有限公司"):
        first = one(reconcile_client, {"query": query})["result"][0]
        assert (first["score"], first["match"]) == (98.0, True), query
    assert one(reconcile_client, {"query": "Huawei Technologies Co., Ltd."})["result"][0]["id"] == "actor:huawei"


def test_pinyin_alone_proposes_but_never_matches(reconcile_client: TestClient) -> None:
    result = one(reconcile_client, {"query": "qinghua daxue"})["result"]
    assert ids({"result": result}) == ["actor:tsinghua-university"]
    assert (result[0]["score"], result[0]["match"]) == (95.0, False)


def test_two_records_sharing_a_name_are_both_proposed_and_neither_matches(reconcile_client: TestClient) -> None:
    result = one(reconcile_client, {"query": "CAS"})["result"]
    assert [(c["id"], c["score"], c["match"]) for c in result] == [
        ("actor:cas", 100.0, False),
        ("actor:cas-software", 100.0, False),
    ]


def test_partial_names_score_by_tier_and_closeness_the_same_on_every_database(reconcile_client: TestClient) -> None:
    result = one(reconcile_client, {"query": "nvidia", "limit": 10})["result"]
    assert [(c["id"], c["score"], c["match"]) for c in result] == [
        ("actor:nvidia", 100.0, True),
        ("hardware:nvidia-t4", 85.7, False),  # every word in its names: 60 + 30 x ratio(nvidia, nvidiat4)
        ("hardware:nvidia-a100", 82.5, False),  # equal scores by type and id
        ("hardware:nvidia-b200", 82.5, False),
        ("hardware:nvidia-h100", 82.5, False),
        ("hardware:nvidia-v100", 82.5, False),
    ]
    assert [(c["id"], c["score"]) for c in one(reconcile_client, {"query": "xi"})["result"]] == [
        ("actor:xi-jinping", 70.9)
    ]
    assert [(c["id"], c["score"]) for c in one(reconcile_client, {"query": "asc"})["result"]] == [
        ("hardware:huawei-ascend-910b", 19.2)  # a prefix: 10 + 29 x ratio(asc, huaweiascend910b)
    ]


def test_mentions_in_texts_are_not_candidates(reconcile_client: TestClient) -> None:
    assert one(reconcile_client, {"query": "Shenzhen"}) == {"result": []}  # only in Huawei's summary
    assert "actor:smic" not in ids(one(reconcile_client, {"query": "huawei"}))  # its summary names Huawei


def test_an_entity_id_as_query_finds_it(reconcile_client: TestClient) -> None:
    first = one(reconcile_client, {"query": "hardware:nvidia-h100"})["result"][0]
    assert (first["id"], first["score"], first["match"]) == ("hardware:nvidia-h100", 100.0, True)
    assert one(reconcile_client, {"query": "hardware:nvidia-h100", "type": "actor"}) == {"result": []}


@pytest.mark.parametrize("query", ["", "   ", "—", "!!!", " ".join(f"w{i}" for i in range(40))])
def test_nothing_to_match_gives_no_candidates(reconcile_client: TestClient, query: str) -> None:
    assert one(reconcile_client, {"query": query}) == {"result": []}


# Type and limit


def test_type_restricts_the_candidates(reconcile_client: TestClient) -> None:
    assert ids(one(reconcile_client, {"query": "huawei", "type": "hardware"})) == ["hardware:huawei-ascend-910b"]
    assert ids(one(reconcile_client, {"query": "nvidia", "type": "actor"})) == ["actor:nvidia"]
    both = one(reconcile_client, {"query": "nvidia", "type": ["actor", "hardware"], "limit": 3})
    assert ids(both) == ["actor:nvidia", "hardware:nvidia-t4", "hardware:nvidia-a100"]
    hardware = one(reconcile_client, {"query": "nvidia", "type": "hardware"})["result"]
    assert len(hardware) == 5
    assert all(c["type"] == [HARDWARE] and not c["match"] for c in hardware)


def test_limit(reconcile_client: TestClient) -> None:
    assert ids(one(reconcile_client, {"query": "nvidia", "limit": 1})) == ["actor:nvidia"]
    assert len(one(reconcile_client, {"query": "nvidia", "limit": 2.0})["result"]) == 2
    assert len(one(reconcile_client, {"query": "nvidia", "limit": 10_000})["result"]) == 6  # capped, not refused


def test_the_default_limit_is_five(reconcile_client: TestClient) -> None:
    assert len(one(reconcile_client, {"query": "nvidia"})["result"]) == 5


def test_a_match_stays_ambiguous_with_limit_one(reconcile_client: TestClient) -> None:
    result = one(reconcile_client, {"query": "CAS", "limit": 1})["result"]
    assert [(c["id"], c["match"]) for c in result] == [("actor:cas", False)]


# Errors


@pytest.mark.parametrize(
    ("queries", "field", "words"),
    [
        ("{not json", "queries", "not valid JSON"),
        ('["q0"]', "queries", "JSON object"),
        ('{"q0": "Huawei"}', "queries.q0", "must be an object"),
        ('{"q0": {"type": "actor"}}', "queries.q0.query", "is required"),
        ('{"q0": {"query": 42}}', "queries.q0.query", "is required"),
        ('{"q0": {"query": "x", "type": "actors"}}', "queries.q0.type", "did you mean 'actor'?"),
        ('{"q0": {"query": "x", "type": "policy"}}', "queries.q0.type", "not a type of this service"),
        ('{"q0": {"query": "x", "type": [1]}}', "queries.q0.type", "type id"),
        ('{"q0": {"query": "x", "limit": 0}}', "queries.q0.limit", "at least 1"),
        ('{"q0": {"query": "x", "limit": -3}}', "queries.q0.limit", "whole number"),
        ('{"q0": {"query": "x", "limit": 2.5}}', "queries.q0.limit", "whole number"),
        ('{"q0": {"query": "x", "limit": "3"}}', "queries.q0.limit", "whole number"),
        ('{"q0": {"query": "x", "limit": true}}', "queries.q0.limit", "whole number"),
        ('{"q0": {"query": "x", "limt": 3}}', "queries.q0.limt", "did you mean 'limit'?"),
        ('{"q0": {"query": "x", "type_strict": "never"}}', "queries.q0.type_strict", "any, should, all"),
        ('{"q0": {"query": "x", "properties": {"pid": "p"}}}', "queries.q0.properties", "pid"),
        ('{"q0": {"query": "a\\u0000b"}}', "queries.q0.query", "NUL"),
        ('{"q0": {"query": "\\ud800"}}', "queries", "not valid JSON"),
        ('{"\\udc00": {"query": "x"}}', "queries", "not valid JSON"),
        ('{"q0": {"query": "' + "x" * 1001 + '"}}', "queries.q0.query", "too long"),
        ("[" * 5000, "queries", "not valid JSON"),
    ],
)
def test_a_malformed_batch_is_a_400_naming_the_field(
    reconcile_client: TestClient, queries: str, field: str, words: str
) -> None:
    for response in (
        post_raw(reconcile_client, b"queries=" + quote(queries).encode("ascii")),
        reconcile_client.get("/v1/reconcile", params={"queries": queries}),
    ):
        body = problem(response, 400)
        assert body["errors"][0]["field"] == field
        assert words in body["detail"]


def test_unknown_parameters_and_fields_are_refused(reconcile_client: TestClient) -> None:
    body = problem(reconcile_client.get("/v1/reconcile", params={"querie": "{}"}), 400)
    assert "did you mean 'queries'?" in body["detail"]
    body = problem(reconcile_client.get("/v1/reconcile", params={"query": "huawei"}), 400)
    assert body["errors"][0]["field"] == "query"
    body = problem(post_raw(reconcile_client, b"queries=%7B%7D&callback=cb"), 400)
    assert body["errors"][0]["field"] == "callback"
    problem(post_raw(reconcile_client, b"queries=%7B%7D&queries=%7B%7D"), 400)
    body = problem(post_raw(reconcile_client, b""), 400)
    assert body["errors"][0]["field"] == "queries"


def test_an_empty_batch_gives_an_empty_answer(reconcile_client: TestClient) -> None:
    assert post_batch(reconcile_client, "{}") == {}


def test_bodies_that_are_not_form_data_are_refused(reconcile_client: TestClient) -> None:
    problem(post_raw(reconcile_client, b'{"q0": {"query": "x"}}', {"Content-Type": "application/json"}), 415)
    problem(post_raw(reconcile_client, b"queries=%FF%FE", FORM), 400)
    problem(post_raw(reconcile_client, b"queries=\xff\xfe", FORM), 400)


def test_too_large_is_a_413(reconcile_client: TestClient) -> None:
    batch = json.dumps({f"q{i}": {"query": "x"} for i in range(MAX_BATCH + 1)})
    problem(post_raw(reconcile_client, b"queries=" + quote(batch).encode("ascii")), 413)
    problem(post_raw(reconcile_client, b"queries=" + b"a" * (MAX_BODY + 1)), 413)


def test_hostile_bytes_never_make_a_500(reconcile_client: TestClient) -> None:
    for raw in (b"queries=%00", b"queries=%ED%A0%80", b"%00=%00", b"queries=" + quote("{" * 100_000).encode(), b"&&&="):
        assert post_raw(reconcile_client, raw).status_code in (400, 413)
    for value in ("\x00", '{"q0":{"query":"\x00"}}', "💥" * 2000):
        assert reconcile_client.get("/v1/reconcile", params={"queries": value}).status_code == 400


def test_the_batch_size_limit_is_in_the_manifest(reconcile_client: TestClient) -> None:
    assert reconcile_client.get("/v1/reconcile").json()["batchSize"] == MAX_BATCH
    assert MAX_LIMIT >= 10


# The view URL


def test_the_view_url_leads_to_the_record_on_the_configured_base_url(reconcile_client: TestClient) -> None:
    template = reconcile_client.get("/v1/reconcile").json()["view"]["url"]
    url = template.replace("{{id}}", quote("actor:huawei", safe=""))
    response = reconcile_client.get(
        url.removeprefix("https://api.example.org"), headers={"host": "evil.example"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "https://api.example.org/v1/actors/huawei"
    hardware = reconcile_client.get("/v1/reconcile/view/hardware:nvidia-a100", follow_redirects=False)
    assert hardware.headers["location"] == "https://api.example.org/v1/hardware/nvidia-a100"


def test_the_view_url_leads_to_a_record_that_answers(loaded_engine: Any, database_url: str) -> None:
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/v1/reconcile/view/actor:huawei")
    assert response.status_code == 200
    assert response.json()["id"] == "huawei"


@pytest.mark.parametrize("entity", ["actor:no-such-actor", "policy:anything", "huawei", "actor:NOT A SLUG", "actor:"])
def test_a_view_of_no_entity_is_a_404(reconcile_client: TestClient, entity: str) -> None:
    problem(reconcile_client.get(f"/v1/reconcile/view/{quote(entity, safe='')}", follow_redirects=False), 404)


def test_openapi_documents_the_service(reconcile_client: TestClient) -> None:
    paths = reconcile_client.get("/openapi.json").json()["paths"]
    assert set(paths["/v1/reconcile"]) == {"get", "post"}
    assert "application/x-www-form-urlencoded" in paths["/v1/reconcile"]["post"]["requestBody"]["content"]
    assert [p["name"] for p in paths["/v1/reconcile"]["get"]["parameters"]] == ["queries", "callback", "_"]
    assert "get" in paths["/v1/reconcile/view/{entity_id}"]


def test_a_method_the_service_does_not_take_names_both_it_does(reconcile_client: TestClient) -> None:
    response = reconcile_client.request("PUT", "/v1/reconcile")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"] == "application/problem+json"
