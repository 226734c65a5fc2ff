"""Search over the real seed (seed/*.yaml): the names a journalist types find the records they mean."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.search.conftest import ids, search


def test_the_real_seed_answers_by_name_in_any_script(seed_client: TestClient) -> None:
    for query in ("习近平", "xi jinping", "xijinping", "Xí Jìnpíng", "Xi"):
        assert ids(search(seed_client, q=query))[0] == "actor:xi-jinping", query
    for query in ("华为", "huawei"):
        assert ids(search(seed_client, q=query))[0] == "actor:huawei", query
    assert ids(search(seed_client, q="国务院"))[0] == "actor:state-council"

    ascend = search(seed_client, q="ascen", limit=100)
    assert {"hardware:huawei-ascend", "hardware:huawei-ascend-910b"} <= set(ids(ascend))
    assert all("Ascend" in hit["name"] for hit in ascend["items"][:20])  # the names first, then mentions

    typo = search(seed_client, q="huwei")
    assert typo["items"] == []
    assert typo["did_you_mean"][0] == "Huawei"


def test_the_real_seed_ranks_names_above_mentions(seed_client: TestClient) -> None:
    hits = search(seed_client, q="xi jinping", limit=100)["items"]
    assert hits[0]["matched"] == ["name", "names"]
    name_ranks = [i for i, hit in enumerate(hits) if {"name", "names", "alias"} & set(hit["matched"])]
    text_ranks = [i for i, hit in enumerate(hits) if not {"name", "names", "alias"} & set(hit["matched"])]
    assert text_ranks, "the seed's statements and policies mention Xi Jinping in their text"
    assert max(name_ranks) < min(text_ranks)
