"""The graph around the Huawei Ascend 910B on the real seed: who makes it, where it is made, who depends on it
(DeepSeek's R2 rumour), what it was said to replace, and the policies one hop further out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fastapi.testclient import TestClient

ROOT = "hardware:huawei-ascend-910b"


def graph(client: TestClient, query: str) -> dict[str, Any]:
    response = client.get(f"/v1/graph?{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_ascend_910b_and_its_first_ring(seed_client: TestClient) -> None:
    body = graph(seed_client, f"root={ROOT}&depth=1")
    assert {n["data"]["id"] for n in body["nodes"]} >= {
        ROOT,
        "actor:huawei",  # maker
        "actor:smic",  # fab
        "hardware:smic-n-plus-1",  # its compute die's process
        "actor:deepseek",  # the April 2025 R2 rumour
        "hardware:nvidia-gpu-unspecified",  # what the rumour said it replaced
    }
    edges = {e["data"]["id"]: e["data"] for e in body["edges"]}
    rumour = edges["dependency:deepseek-r2-training-ascend-910b-rumour"]
    assert (rumour["source"], rumour["target"], rumour["status"], rumour["system"]) == (
        "actor:deepseek",
        ROOT,
        "rumoured",
        "DeepSeek-R2",
    )
    assert edges["dependency:ascend-910b-die-smic-n-plus-1"]["target"] == "hardware:smic-n-plus-1"
    assert edges[f"made_by:{ROOT}->actor:smic"]["role"] == "fab"
    assert edges[f"made_by:{ROOT}->actor:huawei"]["role"] == "maker"
    # the FT's contradicting report is an edge of its own between two first-ring nodes
    ft = edges["dependency:deepseek-r2-training-nvidia-ft-report"]
    assert (ft["target"], ft["status"]) == ("hardware:nvidia-gpu-unspecified", "reported")


def test_two_hops_out_reach_the_policies_on_huawei_and_smic(seed_client: TestClient) -> None:
    body = graph(seed_client, f"root={ROOT}&depth=2")
    nodes = {n["data"]["id"]: n["data"] for n in body["nodes"]}
    assert {"policy:us-bis-entity-list-huawei-2019", "policy:us-bis-entity-list-smic-2020", "actor:china"} <= set(nodes)
    assert nodes["policy:us-bis-entity-list-huawei-2019"]["depth"] == 2
    assert ("policy:us-bis-entity-list-huawei-2019", "actor:huawei") in {
        (e["data"]["source"], e["data"]["target"]) for e in body["edges"] if e["data"]["kind"] == "targets"
    }
    assert body["truncated"] is False
    ids = set(nodes)
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in body["edges"])
    capped = graph(seed_client, f"root={ROOT}&depth=4&limit=25")
    assert (len(capped["nodes"]), capped["truncated"]) == (25, True)


def test_only_the_supply_chain(seed_client: TestClient) -> None:
    body = graph(seed_client, f"root={ROOT}&depth=3&edges=depends_on,made_by")
    kinds = {e["data"]["kind"] for e in body["edges"]}
    assert kinds == {"depends_on", "made_by"}
    assert "hardware:smic-n-plus-1" in {n["data"]["id"] for n in body["nodes"]}


def test_graphml_of_the_same_graph_opens_in_gephi(seed_client: TestClient) -> None:
    response = seed_client.get(f"/v1/graph?root={ROOT}&depth=2&format=graphml")
    assert response.headers["content-type"] == "application/graphml+xml"
    document = ET.fromstring(response.content)
    namespace = "{http://graphml.graphdrawing.org/xmlns}"
    json_graph = graph(seed_client, f"root={ROOT}&depth=2")
    assert len(list(document.iter(f"{namespace}node"))) == len(json_graph["nodes"])
    assert len(list(document.iter(f"{namespace}edge"))) == len(json_graph["edges"])
