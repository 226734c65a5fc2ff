"""GET /v1/search over the tiny search seed, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.records.routes import NamedRoute
from app.seeding.run import load_dir
from tests.helpers import bad_parameter, revalidates, walk
from tests.search.conftest import ids, search, write_search_seed


@pytest.mark.parametrize("query", ["习近平", "xi jinping", "xijinping", "Xí Jìnpíng", "Xi", "XI JINPING", "jinping"])
def test_every_spelling_finds_xi_jinping_first(search_client: TestClient, query: str) -> None:
    assert ids(search(search_client, q=query))[0] == "actor:xi-jinping"


@pytest.mark.parametrize("query", ["华为", "huawei", "HUAWEI", "Huawei Technologies", "huawei tech"])
def test_chinese_and_latin_names_find_huawei_first(search_client: TestClient, query: str) -> None:
    assert ids(search(search_client, q=query))[0] == "actor:huawei"


def test_one_character_finds_every_name_holding_it(search_client: TestClient) -> None:
    assert set(ids(search(search_client, q="华"))) == {"actor:huawei", "actor:xinhua"}


def test_two_character_chinese_names_match(search_client: TestClient) -> None:
    assert ids(search(search_client, q="中国")) == ["actor:china"]
    assert ids(search(search_client, q="国务院")) == ["actor:state-council"]
    assert ids(search(search_client, q="国务")) == ["actor:state-council"]


def test_the_hit_shape(search_client: TestClient) -> None:
    body = search(search_client, q="习近平")
    assert body == {
        "items": [
            {
                "type": "actor",
                "id": "xi-jinping",
                "name": "Xi Jinping",
                "snippet": "<mark>习近平</mark>",
                "matched": ["names"],
            }
        ],
        "next_cursor": None,
        "did_you_mean": [],
    }


def test_names_rank_above_mentions_in_text(search_client: TestClient) -> None:
    found = ids(search(search_client, q="huawei"))
    assert found[0] == "actor:huawei"  # the exact name
    assert found.index("hardware:huawei-ascend-910b") < found.index("actor:smic")  # a name above a summary
    assert found.index("actor:smic") < found.index("statement:xi-2025-self-reliance")
    assert found[-1] == "statement:xi-2025-self-reliance" or found[-1].startswith("source:")
    hits = {f"{h['type']}:{h['id']}": h for h in search(search_client, q="huawei")["items"]}
    assert hits["actor:smic"]["matched"] == ["summary"]
    assert hits["actor:smic"]["snippet"] == "Chinese foundry that makes chips for <mark>Huawei</mark>."
    assert hits["statement:xi-2025-self-reliance"]["matched"] == ["text"]


def test_sources_follow_the_records_of_their_tier(search_client: TestClient) -> None:
    found = ids(search(search_client, q="huawei"))
    assert found.index("hardware:huawei-ascend-910b") < found.index("source:src-huawei-wire")
    assert found.index("source:src-huawei-wire") < found.index("actor:smic")


def test_an_alias_matches_and_says_so(search_client: TestClient) -> None:
    body = search(search_client, q="PRC")
    assert ids(body) == ["actor:china"]
    assert body["items"][0]["matched"] == ["alias"]
    assert body["items"][0]["snippet"] == "<mark>PRC</mark>"


def test_prefixes_match(search_client: TestClient) -> None:
    body = search(search_client, q="ascen")
    assert ids(body)[0] == "hardware:huawei-ascend-910b"
    assert body["items"][0]["snippet"] == "Huawei <mark>Ascend</mark> 910B"
    assert "actor:huawei" in ids(body)  # "Ascend" in its summary
    assert ids(search(search_client, q="xinh"))[0] == "actor:xinhua"
    assert ids(search(search_client, q="huawei 910"))[0] == "hardware:huawei-ascend-910b"


def test_statement_texts_in_both_languages(search_client: TestClient) -> None:
    assert ids(search(search_client, q="initiative")) == ["statement:xi-2025-self-reliance"]
    body = search(search_client, q="人工智能")
    assert ids(body) == ["statement:xi-2025-self-reliance"]
    assert body["items"][0]["matched"] == ["original_text"]
    assert body["items"][0]["snippet"] == "我们要牢牢掌握<mark>人工智能</mark>发展主动权。"


def test_nothing_found_suggests_close_names(search_client: TestClient) -> None:
    body = search(search_client, q="huwei")
    assert body["items"] == []
    assert body["did_you_mean"][0] == "Huawei"
    assert search(search_client, q="xinhau")["did_you_mean"][0] == "Xinhua News Agency"
    assert search(search_client, q="zzzzqqq") == {"items": [], "next_cursor": None, "did_you_mean": []}


def test_type_narrows_and_repeats(search_client: TestClient) -> None:
    assert ids(search(search_client, q="huawei", type="hardware")) == ["hardware:huawei-ascend-910b"]
    both = ids(search(search_client, q="huawei", type=["hardware", "statements"]))
    assert both == ["hardware:huawei-ascend-910b", "statement:xi-2025-self-reliance"]
    assert ids(search(search_client, q="huawei", type="hardware,statement")) == both
    assert ids(search(search_client, q="xi jinping", type="source")) == []


def test_did_you_mean_follows_the_type_filter(search_client: TestClient) -> None:
    assert search(search_client, q="huwei", type="actor")["did_you_mean"] == ["Huawei"]
    assert "Huawei" not in search(search_client, q="huwei", type="statement")["did_you_mean"]


def test_pagination_walks_every_hit_once_in_rank_order(engine: sa.Engine, settings: Settings, tmp_path: Path) -> None:
    # 53 statements that tie on everything but their id, among the other hits.
    extra = "".join(
        f"- {{id: tie-{i:02d}, name: 'Remark {i}', speaker: xi-jinping, said_on: 2020-01-01, kind: remark, "
        f"text: 'Huawei again.', sources: [src-wire]}}\n"
        for i in range(53)
    )
    load_dir(engine, write_search_seed(tmp_path / "tied", extra), prune=True)
    with TestClient(create_app(settings)) as client:
        everything = ids(search(client, q="huawei", limit=100))
        pages = walk(client, "/v1/search?q=huawei&limit=7")
        walked = [hit for page in pages for hit in ids(page)]
    assert len(everything) == 58
    assert walked == everything
    assert len(pages) == 9
    assert [i for i in walked if i.startswith("statement:tie-")] == [f"statement:tie-{i:02d}" for i in range(53)]


def test_etag_and_304(search_client: TestClient) -> None:
    first = revalidates(search_client, "/v1/search?q=huawei")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    other = search_client.get("/v1/search", params={"q": "xinhua"}, headers={"If-None-Match": etag})
    assert other.status_code == 200


def refused(client: TestClient, params: dict[str, str] | str, field: str, words: str = "") -> None:
    """A search with these parameters (a dict, or a raw query string) is a 400 naming `field`."""
    url = "/v1/search" + (f"?{params}" if isinstance(params, str) else "")
    bad_parameter(client.get(url, params=None if isinstance(params, str) else params), field, words)


def test_q_is_required_and_must_hold_words(search_client: TestClient) -> None:
    refused(search_client, {"q": ""}, "q", "is required")
    refused(search_client, {"q": "   "}, "q", "is required")
    refused(search_client, {}, "q", "is required")
    refused(search_client, {"q": "*"}, "q", "no letters or digits")


def test_unknown_parameters_and_bad_values_are_400_with_suggestions(search_client: TestClient) -> None:
    refused(search_client, {"q": "x", "typ": "actor"}, "typ", "did you mean 'type'")
    refused(search_client, {"q": "x", "type": "actr"}, "type", "did you mean 'actor'")
    refused(search_client, {"q": "x", "limit": "101"}, "limit", "between 1 and 100")
    refused(search_client, {"q": "x", "limit": "0"}, "limit")
    refused(search_client, {"q": "x", "limit": "99999999999999999999999"}, "limit")
    refused(search_client, {"q": "x", "cursor": "not-a-cursor"}, "cursor")
    refused(search_client, {"q": "x", "q2": "y"}, "q2", "unknown parameter")
    refused(search_client, "q=a&q=b", "q", "give it once")


@pytest.mark.parametrize("query", ['"', "*", "-", ":", "q\x00", "x" * 10_000, "%ED%A0%80"])
def test_hostile_input_is_a_400(search_client: TestClient, query: str) -> None:
    if query.startswith("%"):
        response = search_client.get(f"/v1/search?q={query}")
        assert response.status_code < 500
    else:
        refused(search_client, {"q": query}, "q")


@pytest.mark.parametrize(
    "query",
    ["NEAR(", 'huawei"', "huawei*", "-huawei", "names:huawei", "huawei OR xi", ") AND (", "a:*B & !c", "^x"],
)
def test_query_syntax_is_just_words(search_client: TestClient, query: str) -> None:
    body = search(search_client, q=query)
    assert isinstance(body["items"], list)


def test_query_syntax_does_not_change_the_answer(search_client: TestClient) -> None:
    assert ids(search(search_client, q='"huawei"*'))[0] == "actor:huawei"
    assert ids(search(search_client, q="-huawei"))[0] == "actor:huawei"
    assert ids(search(search_client, q="{names}: huawei")) == []  # every word must match: "names" does not


def test_search_is_documented_in_openapi(search_client: TestClient) -> None:
    operation = search_client.get("/openapi.json").json()["paths"]["/v1/search"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"q", "type", "limit", "cursor"}
    assert all(p["description"] for p in parameters.values())
    assert all(p["schema"].get("examples") or name == "cursor" for name, p in parameters.items())  # no valid one
    assert parameters["q"]["required"] is True
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SearchPage")
    assert "application/problem+json" in operation["responses"]["400"]["content"]


def test_within_a_name_tier_the_body_does_not_lift_a_record(
    engine: sa.Engine, settings: Settings, tmp_path: Path
) -> None:
    # Both statements hold the word in a two-word name; only the second repeats it in its text. Ranked by the
    # tier's own fields (FTS5's bm25 of the tier's expression; ts_rank of `names_document` on PostgreSQL), they
    # tie and keep id order; ranked by the whole document, the second would come first.
    extra = (
        "- {id: a-remark, name: 'Photoresist supply', speaker: xi-jinping, said_on: 2020-01-01, kind: remark, "
        "text: 'Nothing to add.', sources: [src-wire]}\n"
        "- {id: b-remark, name: 'Photoresist makers', speaker: xi-jinping, said_on: 2020-01-01, kind: remark, "
        "text: 'Photoresist, photoresist and more photoresist.', sources: [src-wire]}\n"
    )
    load_dir(engine, write_search_seed(tmp_path / "names", extra), prune=True)
    with TestClient(create_app(settings)) as client:
        assert ids(search(client, q="photoresist")) == ["statement:a-remark", "statement:b-remark"]


def test_search_is_answered_by_a_plain_route_matched_early_and_still_documented(search_client: TestClient) -> None:
    routes = search_client.app.router.routes  # type: ignore[attr-defined]
    plain = [route.path for route in routes[:2] if isinstance(route, NamedRoute)]  # just after the records'
    assert plain == ["/v1/search"]
    assert search_client.get("/openapi.json").json()["paths"]["/v1/search"]["get"]["operationId"] == "search"
    assert ids(search(search_client, q="huawei"))[0] == "actor:huawei"
    wrong = search_client.post("/v1/search?q=huawei")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET"
