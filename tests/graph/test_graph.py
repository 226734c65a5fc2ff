"""GET /v1/graph on a tiny graph: every edge kind, depth, edge filters, as_of, the node limit, cycles, GraphML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.seeding.run import load_dir
from tests.conftest import write_seed
from tests.graph.conftest import FILES
from tests.helpers import bad_parameter, revalidates

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def graph(client: TestClient, query: str) -> dict[str, Any]:
    response = client.get(f"/v1/graph?{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def node_ids(body: dict[str, Any]) -> set[str]:
    return {n["data"]["id"] for n in body["nodes"]}


def edge_triples(body: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["data"]["source"], e["data"]["kind"], e["data"]["target"]) for e in body["edges"]}


def test_one_hop_from_an_actor_follows_every_edge_kind_both_ways(graph_client: TestClient) -> None:
    body = graph(graph_client, "root=actor:co&depth=1")
    assert node_ids(body) == {"actor:co", "actor:land", "actor:gov", "policy:p1", "hardware:chip", "statement:s1"}
    assert edge_triples(body) == {
        ("actor:co", "based_in", "actor:land"),
        ("actor:co", "part_of", "actor:gov"),
        ("policy:p1", "targets", "actor:co"),
        ("hardware:chip", "made_by", "actor:co"),
        ("actor:co", "depends_on", "hardware:chip"),
        ("statement:s1", "mentions", "actor:co"),
        # edges between two nodes of the first ring are included too
        ("actor:gov", "based_in", "actor:land"),
        ("actor:gov", "issued", "policy:p1"),
        ("policy:p1", "restricts", "hardware:chip"),
        ("statement:s1", "mentions", "hardware:chip"),
        ("statement:s1", "mentions", "policy:p1"),
    }
    assert body["truncated"] is False
    root = body["nodes"][0]["data"]
    assert root == {
        "id": "actor:co",
        "type": "actor",
        "record_id": "co",
        "label": "Co",
        "depth": 0,
        "kind": "company",
        "href": "/v1/actors/co",
    }
    depths = {n["data"]["id"]: n["data"]["depth"] for n in body["nodes"]}
    assert set(depths.values()) == {0, 1}


def test_edges_carry_what_a_graph_view_styles_by(graph_client: TestClient) -> None:
    body = graph(graph_client, "root=actor:co&depth=2")
    data = {e["data"]["id"]: e["data"] for e in body["edges"]}
    assert data["dependency:d1"] == {
        "id": "dependency:d1",
        "source": "actor:co",
        "target": "hardware:chip",
        "kind": "depends_on",
        "dependency": "d1",
        "status": "rumoured",
        "purpose": "training",
        "system": "Model-1",
        "valid_from": "2018",
        "valid_to": "2020",
    }
    assert data["alternative_to:dependency:d1:hardware:old-chip"] == {
        "id": "alternative_to:dependency:d1:hardware:old-chip",
        "source": "hardware:chip",
        "target": "hardware:old-chip",
        "kind": "alternative_to",
        "dependency": "d1",
        "status": "rumoured",
    }
    assert data["made_by:hardware:chip->actor:co"]["role"] == "maker;fab"
    assert data["targets:policy:p1->actor:co"]["status"] == "in_force"
    policy = next(n["data"] for n in body["nodes"] if n["data"]["id"] == "policy:p1")
    assert (policy["kind"], policy["status"]) == ("export_control", "in_force")
    statement = next(n["data"] for n in body["nodes"] if n["data"]["id"] == "statement:s1")
    assert statement["date"] == "2019-05"


def test_every_edge_connects_two_returned_nodes(graph_client: TestClient) -> None:
    for query in ("root=actor:co&depth=1", "root=actor:speaker&depth=2", "root=hardware:node&depth=4&limit=3"):
        body = graph(graph_client, query)
        ids = node_ids(body)
        assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in body["edges"]), query
        assert len({e["data"]["id"] for e in body["edges"]}) == len(body["edges"])


def test_depth_widens_the_ring(graph_client: TestClient) -> None:
    one = node_ids(graph(graph_client, "root=actor:speaker&depth=1"))
    two = node_ids(graph(graph_client, "root=actor:speaker&depth=2"))
    assert one == {"actor:speaker", "statement:s1"}
    assert two == one | {"actor:media", "actor:co", "hardware:chip", "policy:p1"}
    assert node_ids(graph(graph_client, "root=actor:speaker")) == two  # depth 2 by default


def test_edges_chooses_the_kinds_to_follow(graph_client: TestClient) -> None:
    body = graph(graph_client, "root=actor:co&depth=4&edges=depends_on")
    assert node_ids(body) == {"actor:co", "hardware:chip", "hardware:node"}
    assert {e["data"]["kind"] for e in body["edges"]} == {"depends_on"}
    body = graph(graph_client, "root=actor:co&depth=4&edges=depends_on,alternative_to&edges=made_by")
    assert node_ids(body) == {"actor:co", "hardware:chip", "hardware:node", "hardware:old-chip"}
    assert body["edge_kinds"] == ["depends_on", "alternative_to", "made_by"]


def test_as_of_leaves_out_what_was_not_valid_that_day(graph_client: TestClient) -> None:
    """d1 holds from 2018 until 2020; p1 from 2019; p2 from 2021; co was founded in 2010; the root always stays."""
    in_2019 = graph(graph_client, "root=actor:co&depth=1&as_of=2019-06-01")
    assert {"policy:p1", "hardware:chip"} <= node_ids(in_2019)
    assert "dependency:d1" in {e["data"]["id"] for e in in_2019["edges"]}
    in_2018 = graph(graph_client, "root=actor:co&depth=1&as_of=2018-06-01")
    assert "policy:p1" not in node_ids(in_2018)
    assert "dependency:d1" in {e["data"]["id"] for e in in_2018["edges"]}
    in_2020 = graph(graph_client, "root=actor:co&depth=1&as_of=2020-01-01&edges=depends_on")
    assert node_ids(in_2020) == {"actor:co"}
    assert in_2020["edges"] == []
    assert node_ids(graph(graph_client, "root=policy:p1&depth=1&as_of=2020&edges=supersedes,amends")) == {"policy:p1"}
    before_founding = graph(graph_client, "root=hardware:chip&depth=1&as_of=2005&edges=made_by")
    assert node_ids(before_founding) == {"hardware:chip"}
    assert node_ids(graph(graph_client, "root=actor:co&depth=1&as_of=2005&edges=part_of")) == {"actor:co", "actor:gov"}


def test_a_cycle_is_visited_once(graph_client: TestClient) -> None:
    body = graph(graph_client, "root=policy:p1&depth=4&edges=supersedes,amends")
    assert node_ids(body) == {"policy:p1", "policy:p2"}
    assert edge_triples(body) == {
        ("policy:p2", "supersedes", "policy:p1"),
        ("policy:p1", "amends", "policy:p2"),
    }


def test_the_node_limit_truncates_and_says_so(graph_client: TestClient) -> None:
    body = graph(graph_client, "root=actor:co&depth=4&limit=3")
    assert len(body["nodes"]) == 3
    assert body["truncated"] is True
    assert body["nodes"][0]["data"]["id"] == "actor:co"
    full = graph(graph_client, "root=actor:co&depth=4&limit=1000")
    assert full["truncated"] is False
    assert len(full["nodes"]) == 11
    assert graph(graph_client, "root=actor:co&depth=4&limit=11")["truncated"] is False


def test_graphml_for_gephi(graph_client: TestClient) -> None:
    response = graph_client.get("/v1/graph?root=actor:co&depth=1&format=graphml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/graphml+xml"
    document = ET.fromstring(response.content)
    assert document.tag == f"{GRAPHML}graphml"
    keys = {k.get("id"): (k.get("for"), k.get("attr.name")) for k in document.iter(f"{GRAPHML}key")}
    (body,) = document.iter(f"{GRAPHML}graph")
    assert body.get("edgedefault") == "directed"
    nodes = {n.get("id"): n for n in body.iter(f"{GRAPHML}node")}
    assert set(nodes) == node_ids(graph(graph_client, "root=actor:co&depth=1"))
    label = next(d.text for d in nodes["actor:co"].iter(f"{GRAPHML}data") if d.get("key") == "n_label")
    assert label == "Co"
    edges = list(body.iter(f"{GRAPHML}edge"))
    assert len(edges) == 11
    for element in [*nodes.values(), *edges]:
        for data in element.iter(f"{GRAPHML}data"):
            assert data.get("key") in keys
    depends = next(e for e in edges if e.get("id") == "dependency:d1")
    assert (depends.get("source"), depends.get("target")) == ("actor:co", "hardware:chip")


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/v1/graph", "root", "give the record to start from as type:id"),
        ("/v1/graph?root=co", "root", "'co' needs a type: write it as type:id, e.g. actor:co"),
        ("/v1/graph?root=actor:coo", "root", "no actor with id 'coo' — did you mean 'co'?"),
        ("/v1/graph?root=actr:co", "root", "did you mean 'actor'?"),
        ("/v1/graph?root=dependency:d1", "root", "dependencies are not nodes (a dependency is an edge)"),
        ("/v1/graph?root=actor:Co!", "root", "'Co!' is not a record id"),
        ("/v1/graph?root=actor:co&depth=5", "depth", "must be between 1 and 4"),
        ("/v1/graph?root=actor:co&depth=0", "depth", "must be between 1 and 4"),
        ("/v1/graph?root=actor:co&limit=1001", "limit", "must be between 1 and 1000"),
        ("/v1/graph?root=actor:co&edges=depends", "edges", "did you mean 'depends_on'?"),
        ("/v1/graph?root=actor:co&edges=,", "edges", "give at least one of"),
        ("/v1/graph?root=actor:co&as_of=2019-02-30", "as_of", "'2019-02-30' is not a calendar date"),
        ("/v1/graph?root=actor:co&format=gexf", "format", "'gexf' is not one of json, graphml"),
        ("/v1/graph?root=actor:co&dept=2", "dept", "unknown parameter 'dept' — did you mean 'depth'?"),
    ],
)
def test_bad_parameters_are_400_problems_that_explain(
    graph_client: TestClient, url: str, field: str, words: str
) -> None:
    bad_parameter(graph_client.get(url), field, words)


def test_etag_and_304(graph_client: TestClient) -> None:
    first = revalidates(graph_client, "/v1/graph?root=actor:co")
    graphml = graph_client.get("/v1/graph?root=actor:co&format=graphml")
    assert graphml.headers["etag"] != first.headers["etag"]


def test_the_parameters_are_documented(graph_client: TestClient) -> None:
    operation = graph_client.get("/openapi.json").json()["paths"]["/v1/graph"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"root", "depth", "edges", "as_of", "limit", "format"}
    assert "application/graphml+xml" in operation["responses"]["200"]["content"]
    assert "Cytoscape" in operation["description"]


def test_a_hub_is_capped_and_the_answer_says_truncated(engine: sa.Engine, settings: Settings, tmp_path: Path) -> None:
    """A speaker with 150 statements: a small limit takes the first neighbours in id order and says so."""
    files = dict(FILES)
    files["statements.yaml"] += "".join(
        f"- {{id: bulk-{i:03d}, name: Bulk {i}, speaker: speaker, said_on: '2020', kind: post, text: x,"
        f" sources: [src]}}\n"
        for i in range(150)
    )
    load_dir(engine, write_seed(tmp_path / "hub", files))
    with TestClient(create_app(settings)) as client:
        small = graph(client, "root=actor:speaker&depth=2&limit=3")
        assert small["truncated"] is True
        assert [n["data"]["id"] for n in small["nodes"]] == [
            "actor:speaker",
            "statement:bulk-000",
            "statement:bulk-001",
        ]
        assert edge_triples(small) == {
            ("actor:speaker", "said", "statement:bulk-000"),
            ("actor:speaker", "said", "statement:bulk-001"),
        }
        full = graph(client, "root=actor:speaker&depth=1&limit=1000")
        assert (len(full["nodes"]), full["truncated"]) == (152, False)
        assert len(full["edges"]) == 151
