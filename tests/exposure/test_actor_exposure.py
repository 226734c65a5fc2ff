"""GET /v1/actors/{id}/exposure on a tiny supply chain: each rule of the semantics, and its edges."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.exposure.conftest import SOURCES, MakeClient

D = "2020-07-01"


def exposure(client: TestClient, actor: str, as_of: str = D) -> dict[str, Any]:
    """The body of an actor's exposure on a day."""
    response = client.get(f"/v1/actors/{actor}/exposure?as_of={as_of}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def pairs(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(policy, restricted part) of each exposure."""
    return [(e["policy"]["id"], e["hardware"]["id"] if e["hardware"] else None) for e in body["exposures"]]


def reasons(body: dict[str, Any]) -> dict[str, str]:
    """Policy -> why it is not in force."""
    return {e["policy"]["id"]: e["reason"] for e in body["not_in_force"]}


def finding(body: dict[str, Any], policy: str) -> dict[str, Any]:
    """The one exposure to `policy`."""
    found: list[dict[str, Any]] = [e for e in body["exposures"] if e["policy"]["id"] == policy]
    assert len(found) == 1
    return found[0]


def test_every_policy_in_force_that_reaches_the_actor_and_through_what(exposure_client: TestClient) -> None:
    body = exposure(exposure_client, "acme")
    assert body["actor"] == {"id": "acme", "type": "actor", "name": "Acme"}
    assert body["as_of"] == D
    assert sorted(pairs(body)) == [
        ("p-chip", "chip-a"),
        ("p-loop", "loop-2"),
        ("p-parent", None),
        ("p-rumour", "chip-b"),
        ("p-tool", "tool-y"),
    ]
    assert body["subsidiaries"] == [{"id": "acme-lab", "type": "actor", "name": "Acme Lab"}]
    chain = {(p["hardware"]["id"], p["depth"], p["weakest_status"], p["restricted"]) for p in body["hardware_chain"]}
    assert chain == {
        ("chip-a", 1, "confirmed", True),
        ("chip-b", 1, "rumoured", True),
        ("loop-1", 1, "reported", False),
        ("node-x", 2, "reported", False),
        ("loop-2", 2, "reported", True),
        ("tool-y", 3, "reported", True),
    }
    assert body["truncated"] is False


def test_a_chain_three_hops_deep_hop_by_hop_with_statuses_and_sources(exposure_client: TestClient) -> None:
    tool = finding(exposure(exposure_client, "acme"), "p-tool")
    assert tool["match"] == "restricts_chain"
    assert tool["depth"] == 3
    assert tool["weakest_status"] == "reported"
    (path,) = tool["paths"]
    assert path["weakest_status"] == "reported"
    assert [(h["from"]["id"], h["to"]["id"], h["status"]) for h in path["hops"]] == [
        ("acme", "chip-a", "confirmed"),
        ("chip-a", "node-x", "reported"),
        ("node-x", "tool-y", "confirmed"),
    ]
    first, second, third = path["hops"]
    assert first["dependency"] == {"id": "acme-chip-a", "type": "dependency", "name": "Acme on Chip A"}
    assert first["from"]["type"] == "actor"
    assert second["from"] == {"id": "chip-a", "type": "hardware", "name": "Chip A"}
    assert [s["id"] for s in second["sources"]] == ["src-a", "src-b"]
    assert first["sources"][0] == {
        "id": "src-a",
        "type": "source",
        "name": "Source A",
        "title": "Source A",
        "publisher": None,
        "url": "https://example.org/a",
        "retrieved_from": None,
        "published_on": "2020-01-02",
        "language": None,
        "kind": "press",
    }
    assert (first["valid_from"], first["valid_to"], first["purpose"]) == (None, None, "training")
    assert [s["id"] for s in third["sources"]] == ["src-b"]
    assert tool["policy"] == {
        "id": "p-tool",
        "type": "policy",
        "name": "Tool rule",
        "kind": "export_control",
        "status": "in_force",
        "effective_on": "2020-01-01",
        "ended_on": None,
        "jurisdiction": {"id": "elsewhere", "type": "actor", "name": "Elsewhere"},
    }


def test_a_target_reached_through_the_parents_country(exposure_client: TestClient) -> None:
    """Acme has no country of its own: the policy on `land` reaches it through its parent's."""
    body = exposure(exposure_client, "acme")
    path = finding(body, "p-tool")["targeting_path"]
    assert [(s["id"], s["relation"]) for s in path] == [("acme", "self"), ("holding", "parent"), ("land", "country")]
    assert finding(body, "p-tool")["direct"] is False
    assert [(s["id"], s["relation"]) for s in body["targeting_chain"]] == [
        ("acme", "self"),
        ("holding", "parent"),
        ("land", "country"),
    ]


def test_a_policy_targeting_a_parent_exposes_directly_whatever_it_restricts(exposure_client: TestClient) -> None:
    listed = finding(exposure(exposure_client, "acme"), "p-parent")
    assert listed["match"] == "targets_directly"
    assert listed["direct"] is True
    assert listed["hardware"] is None
    assert (listed["paths"], listed["weakest_status"], listed["depth"]) == ([], None, None)
    assert [(s["id"], s["relation"]) for s in listed["targeting_path"]] == [("acme", "self"), ("holding", "parent")]
    # a listing of the parent does not reach the parent's country's other companies
    assert ("p-parent", None) not in pairs(exposure(exposure_client, "elsewhere-co"))


def test_a_subsidiarys_rumoured_dependency_counts_and_says_it_is_a_rumour(exposure_client: TestClient) -> None:
    rumour = finding(exposure(exposure_client, "acme"), "p-rumour")
    assert rumour["weakest_status"] == "rumoured"
    (path,) = rumour["paths"]
    assert [a["id"] for a in path["subsidiary_path"]] == ["acme", "acme-lab"]
    assert path["hops"][0]["from"]["id"] == "acme-lab"
    # the lab itself is exposed through its own dependency, not its parent's
    lab = exposure(exposure_client, "acme-lab")
    assert ("p-rumour", "chip-b") in pairs(lab)
    assert ("p-tool", "tool-y") not in pairs(lab)


@pytest.mark.parametrize(
    ("as_of", "in_force"),
    [("2020-12-31", False), ("2021-01-01", True), ("2021-01-02", True)],
)
def test_the_day_before_a_policy_takes_effect_it_does_not_count(
    exposure_client: TestClient, as_of: str, in_force: bool
) -> None:
    body = exposure(exposure_client, "acme", as_of)
    assert (("p-future", "chip-a") in pairs(body)) is in_force
    if not in_force:
        assert reasons(body)["p-future"] == f"it takes effect on 2021-01-01, after {as_of}"
        (excluded,) = [e for e in body["not_in_force"] if e["policy"]["id"] == "p-future"]
        assert [h["id"] for h in excluded["hardware"]] == ["chip-a"]
        assert [s["id"] for s in excluded["targeting_path"]] == ["acme"]


def test_a_month_precision_effective_date_counts_from_the_first_of_the_month(exposure_client: TestClient) -> None:
    assert ("p-parent", None) not in pairs(exposure(exposure_client, "acme", "2020-05-31"))
    assert ("p-parent", None) in pairs(exposure(exposure_client, "acme", "2020-06-01"))


def test_rescinded_ended_and_undated_policies_are_not_in_force_and_say_why(exposure_client: TestClient) -> None:
    body = exposure(exposure_client, "acme")
    assert reasons(body) == {
        "p-rescinded": "its status is rescinded",
        "p-ended": "it ended on 2020-03-01",
        "p-future": "it takes effect on 2021-01-01, after 2020-07-01",
        "p-undated": "it has no effective_on: it is not known to have taken effect",
    }
    policies = {p for p, _part in pairs(body)}
    assert not policies & set(reasons(body))


@pytest.mark.parametrize(("as_of", "in_force"), [("2020-02-29", True), ("2020-03-01", False)])
def test_a_policy_ends_on_its_ended_on(exposure_client: TestClient, as_of: str, in_force: bool) -> None:
    assert (("p-ended", "chip-a") in pairs(exposure(exposure_client, "acme", as_of))) is in_force


@pytest.mark.parametrize(("as_of", "exposed"), [("2018-12-31", True), ("2019-01-01", False), (D, False)])
def test_a_dependency_that_ended_before_the_day_is_not_in_the_chain(
    exposure_client: TestClient, as_of: str, exposed: bool
) -> None:
    body = exposure(exposure_client, "acme", as_of)
    assert (("p-old", "old-chip") in pairs(body)) is exposed
    assert ("old-chip" in {p["hardware"]["id"] for p in body["hardware_chain"]}) is exposed
    if exposed:
        hop = finding(body, "p-old")["paths"][0]["hops"][0]
        assert (hop["valid_from"], hop["valid_to"]) == ("2015", "2019-01-01")


def test_a_denied_dependency_is_never_in_the_chain(exposure_client: TestClient) -> None:
    body = exposure(exposure_client, "acme")
    assert "denied-chip" not in {p["hardware"]["id"] for p in body["hardware_chain"]}
    assert "p-denied" not in {p for p, _part in pairs(body)} | set(reasons(body))


def test_a_cycle_of_dependencies_ends_and_keeps_the_shortest_chain(exposure_client: TestClient) -> None:
    loop = finding(exposure(exposure_client, "acme"), "p-loop")
    (path,) = loop["paths"]
    assert [h["dependency"]["id"] for h in path["hops"]] == ["acme-loop-1", "loop-1-loop-2"]
    assert loop["depth"] == 2


def test_alternatives_are_the_parts_standing_in_that_are_not_restricted_for_the_actor(
    exposure_client: TestClient,
) -> None:
    """chip-alt and chip-alt2 both stand in for chip-a; p-alt2 restricts chip-alt2 for `land`."""
    chip = finding(exposure(exposure_client, "acme"), "p-chip")
    assert chip["alternatives"] == [
        {"hardware": {"id": "chip-alt", "type": "hardware", "name": "Chip Alt"}, "via": ["elsewhere-chip-alt"]}
    ]
    assert [e["alternatives"] for e in exposure(exposure_client, "acme")["exposures"] if e["hardware"] is None] == [[]]


def test_a_policy_on_another_country_does_not_reach_the_actor(exposure_client: TestClient) -> None:
    body = exposure(exposure_client, "acme")
    assert "p-other" not in {p for p, _part in pairs(body)} | set(reasons(body))


def test_a_targeted_country_alone_does_not_expose_an_actor_whose_chain_it_does_not_restrict(
    exposure_client: TestClient,
) -> None:
    """p-other targets `elsewhere` and restricts chip-a; Elsewhere Co only uses chip-alt and chip-alt2."""
    body = exposure(exposure_client, "elsewhere-co")
    assert pairs(body) == []
    assert body["not_in_force"] == []
    assert [p["hardware"]["id"] for p in body["hardware_chain"]] == ["chip-alt", "chip-alt2"]


def test_a_lineage_deeper_than_the_cap_is_read_to_the_cap_and_says_truncated(make_client: MakeClient) -> None:
    """Twelve levels are read (the actor, ten parents and a country's worth): `c0` has thirteen, `c1` twelve."""
    chain = "\n".join(
        f"- {{id: c{i}, kind: company, name: C{i}, sources: [src-a]{f', parent: c{i + 1}' if i < 12 else ''}}}"
        for i in range(13)
    )
    client = make_client({"sources.yaml": SOURCES, "actors.yaml": chain})
    deepest = exposure(client, "c0")
    assert deepest["truncated"] is True
    assert [a["id"] for a in deepest["targeting_chain"]] == [f"c{i}" for i in range(11)]
    assert exposure(client, "c1")["truncated"] is False
