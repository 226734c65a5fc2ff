"""The graph loads in NetworkX as served: `format=cytoscape` with `networkx.cytoscape_graph`, GraphML with
`networkx.read_graphml`."""

from __future__ import annotations

import io

import networkx as nx
from fastapi.testclient import TestClient


def test_networkx_reads_the_cytoscape_document_as_served(graph_client: TestClient) -> None:
    elements = graph_client.get("/v1/graph?root=actor:co&depth=3").json()
    served = graph_client.get("/v1/graph?root=actor:co&depth=3&format=cytoscape")
    assert served.status_code == 200
    graph = nx.cytoscape_graph(served.json())
    assert graph.is_directed()
    assert graph.is_multigraph()
    assert set(graph.nodes) == {n["data"]["id"] for n in elements["nodes"]}
    assert graph.number_of_edges() == len(elements["edges"])
    assert graph.nodes["actor:co"]["label"] == "Co"
    assert graph.graph["root"] == "actor:co"
    kinds = {data["kind"] for _, _, data in graph.edges(data=True)}
    assert {"depends_on", "made_by", "based_in"} <= kinds
    assert graph.has_edge("actor:co", "hardware:chip")


def test_networkx_reads_the_graphml_as_served(graph_client: TestClient) -> None:
    elements = graph_client.get("/v1/graph?root=actor:co&depth=3").json()
    graphml = graph_client.get("/v1/graph?root=actor:co&depth=3&format=graphml").content
    graph = nx.read_graphml(io.BytesIO(graphml))
    assert set(graph.nodes) == {n["data"]["id"] for n in elements["nodes"]}
    assert graph.number_of_edges() == len(elements["edges"])
