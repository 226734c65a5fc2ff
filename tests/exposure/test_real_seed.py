"""The flagship story on the real seed: DeepSeek around the October 2023 rules, Huawei on the day of its listing.

Most dependencies in the seed are undated (no valid_from / valid_to: the
sources date the model, not the dependency); undated dependencies hold on any
day, so DeepSeek's H800 dependency exists before and after the rules and what
changes is which policies are in force.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

RULES_2022 = "us-bis-advanced-computing-rule-2022-10"
RULES_2023 = "us-bis-rules-2023-10"
IMMEDIATE_2023 = "us-nvidia-immediate-licence-requirement-2023-10-23"
HUAWEI_LISTING = "us-bis-entity-list-huawei-2019"


def get(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_policy(body: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Policy -> part (or "-" for a direct target) -> the exposure."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for e in body["exposures"]:
        found.setdefault(e["policy"]["id"], {})[e["hardware"]["id"] if e["hardware"] else "-"] = e
    return found


def test_deepseek_before_and_after_the_october_2023_rules(seed_client: TestClient) -> None:
    before = get(seed_client, "/v1/actors/deepseek/exposure?as_of=2023-10-16")
    exposures = by_policy(before)
    # Before: only the October 2022 rule reaches DeepSeek (through China), on the A100 and H100 …
    assert set(exposures) == {RULES_2022}
    assert set(exposures[RULES_2022]) == {"nvidia-a100", "nvidia-h100"}
    h100 = exposures[RULES_2022]["nvidia-h100"]
    assert [s["id"] for s in h100["targeting_path"]] == ["deepseek", "china"]
    assert h100["direct"] is False
    # … and the H800, made for China in place of the H100, is still a way round it.
    assert "nvidia-h800" in [a["hardware"]["id"] for a in h100["alternatives"]]
    not_yet = {e["policy"]["id"]: e["reason"] for e in before["not_in_force"]}
    assert not_yet[RULES_2023] == "it takes effect on 2023-11-17, after 2023-10-16"
    assert not_yet[IMMEDIATE_2023] == "it takes effect on 2023-10-23, after 2023-10-16"
    assert {p["hardware"]["id"]: p["restricted"] for p in before["hardware_chain"]}["nvidia-h800"] is False

    after = get(seed_client, "/v1/actors/deepseek/exposure?as_of=2023-11-17")
    exposures = by_policy(after)
    assert {RULES_2022, RULES_2023, IMMEDIATE_2023} <= set(exposures)
    h800 = exposures[RULES_2023]["nvidia-h800"]
    assert h800["weakest_status"] == "confirmed"
    # The surest paths come first: DeepSeek's own reports confirm the H800 for DeepSeek-V2 and V3 …
    paths = {p["hops"][0]["dependency"]["id"]: p for p in h800["paths"]}
    confirmed = [p["hops"][0]["dependency"]["id"] for p in h800["paths"] if p["weakest_status"] == "confirmed"]
    assert confirmed == ["deepseek-v2-training-h800", "deepseek-v3-training-h800"]
    assert h800["paths"][0]["weakest_status"] == "confirmed"
    (hop,) = paths["deepseek-v3-training-h800"]["hops"]
    assert (hop["system"], hop["valid_from"], hop["valid_to"]) == ("DeepSeek-V3", None, None)  # undated: always
    assert "src-github-deepseek-v3-readme" in [s["id"] for s in hop["sources"]]
    # … and the other H800 claims stay beside them, less sure.
    assert len(h800["paths"]) > len(confirmed)
    # Once the H800 is restricted too, it is no longer an alternative to the H100.
    assert "nvidia-h800" not in [a["hardware"]["id"] for a in exposures[RULES_2023]["nvidia-h100"]["alternatives"]]
    assert {p["hardware"]["id"]: p["restricted"] for p in after["hardware_chain"]}["nvidia-h800"] is True


@pytest.mark.parametrize(("as_of", "in_force"), [("2023-10-22", False), ("2023-10-23", True)])
def test_the_immediate_licence_requirement_counts_from_its_day(
    seed_client: TestClient, as_of: str, in_force: bool
) -> None:
    body = get(seed_client, f"/v1/actors/deepseek/exposure?as_of={as_of}")
    assert ("nvidia-h800" in by_policy(body).get(IMMEDIATE_2023, {})) is in_force


def test_a_rumoured_chain_through_the_ascend_910c_to_restricted_memory_says_so(seed_client: TestClient) -> None:
    body = get(seed_client, "/v1/actors/deepseek/exposure?as_of=2025-01-01")
    hbm = by_policy(body)["us-bis-rules-2024-12"]["samsung-hbm2e"]
    assert hbm["weakest_status"] == "rumoured"
    (path,) = hbm["paths"]
    assert [h["to"]["id"] for h in path["hops"]] == ["huawei-ascend-910c", "samsung-hbm2e"]
    assert path["hops"][0]["status"] == "rumoured"


def test_huawei_on_the_day_of_its_2019_entity_listing(seed_client: TestClient) -> None:
    on = get(seed_client, "/v1/actors/huawei/exposure?as_of=2019-05-16")
    listing = by_policy(on)[HUAWEI_LISTING]["-"]
    assert (listing["match"], listing["direct"]) == ("targets_directly", True)
    assert [s["id"] for s in listing["targeting_path"]] == ["huawei"]
    assert listing["policy"]["effective_on"] == "2019-05-16"
    assert [s["id"] for s in on["subsidiaries"]] == ["hisilicon", "huawei-noahs-ark-lab"]

    before = get(seed_client, "/v1/actors/huawei/exposure?as_of=2019-05-15")
    assert HUAWEI_LISTING not in by_policy(before)
    reasons = {e["policy"]["id"]: e["reason"] for e in before["not_in_force"]}
    assert reasons[HUAWEI_LISTING] == "it takes effect on 2019-05-16, after 2019-05-15"

    # HiSilicon is reached through its parent.
    hisilicon = by_policy(get(seed_client, "/v1/actors/hisilicon/exposure?as_of=2019-05-16"))[HUAWEI_LISTING]["-"]
    assert [(s["id"], s["relation"]) for s in hisilicon["targeting_path"]] == [
        ("hisilicon", "self"),
        ("huawei", "parent"),
    ]


def test_the_policy_view_of_the_listing_and_of_the_october_2023_rules(seed_client: TestClient) -> None:
    listing = get(seed_client, f"/v1/policies/{HUAWEI_LISTING}/exposure?as_of=2019-05-16")
    assert listing["in_force"] is True
    assert [g["actor"]["id"] for g in listing["exposed"]] == ["hisilicon", "huawei", "huawei-noahs-ark-lab"]
    assert get(seed_client, f"/v1/policies/{HUAWEI_LISTING}/exposure?as_of=2019-05-15")["exposed"] == []

    rules = get(seed_client, f"/v1/policies/{RULES_2023}/exposure?as_of=2023-11-17")
    groups = {g["actor"]["id"]: g["exposures"] for g in rules["exposed"]}
    assert {"deepseek", "tencent", "alibaba", "baidu"} <= set(groups)
    assert {e["hardware"]["id"] for e in groups["deepseek"]} == {"nvidia-a100", "nvidia-h100", "nvidia-h800"}
    assert [e["match"] for e in groups["china"]] == ["targets_directly"]
    assert get(seed_client, f"/v1/policies/{RULES_2023}/exposure?as_of=2023-10-16")["in_force"] is False
