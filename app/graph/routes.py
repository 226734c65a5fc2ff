"""GET /v1/graph: thin — parse, call, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.core.caching import cache_headers, read_fresh
from app.core.deps import DatabaseDep
from app.core.openapi import PROBLEM_RESPONSES
from app.core.render import MEDIA_TYPES, json_bytes
from app.graph.schemas import Graph
from app.graph.service import PARAMETERS, build_graph, cytoscape_document, graphml, parse_graph

router = APIRouter(prefix="/v1", tags=["graph"])


class CytoscapeDocument(BaseModel):
    """`format=cytoscape`: the graph as Cytoscape.js writes it (`cy.json()`), read by `networkx.cytoscape_graph`."""

    data: dict[str, Any] = Field(description="root, depth, as_of, edge_kinds, limit, truncated")
    directed: bool
    multigraph: bool
    elements: dict[str, list[dict[str, Any]]] = Field(description="`nodes` and `edges`, each `{data: {…}}`")


GRAPHML = "application/graphml+xml"


@router.get(
    "/graph",
    response_model=Graph | CytoscapeDocument,
    responses={
        400: PROBLEM_RESPONSES[400],
        200: {"content": {GRAPHML: {"schema": {"type": "string"}}}},
    },
    summary="The records around one record, as nodes and typed edges",
    operation_id="get_graph",
    openapi_extra={"parameters": PARAMETERS.openapi()},
)
async def get_graph(request: Request, database: DatabaseDep) -> Response:
    """Breadth-first from `root`, following references both ways, up to `depth` hops and `limit` nodes.

    Nodes are actors, policies, statements and hardware; edges are typed and directed (`source` → `target`),
    whichever way they were walked. A dependency is an edge (`depends_on`, one per dependency record, so
    conflicting claims stay side by side with their `status`); sources are not in the graph. Every edge between
    two returned nodes is included. Cycles are safe (each node is visited once).

    JSON is what Cytoscape.js takes as `elements` as is: `{"nodes": [{"data": {"id", "label", "type", …}}],
    "edges": [{"data": {"id", "source", "target", "kind", …}}]}`. For D3, map `nodes[].data` to nodes and
    `edges[].data` to links (`source` / `target` are node ids). `format=graphml` gives the same graph as
    GraphML with every attribute declared."""
    spec = parse_graph(request.query_params)
    etag, unchanged, graph = await read_fresh(request, database, lambda c: build_graph(c, spec), spec.format)
    if unchanged is not None:
        return unchanged
    assert graph is not None
    headers = cache_headers(etag)
    if spec.format == "graphml":
        headers["Content-Disposition"] = 'attachment; filename="techsov-graph.graphml"'
        return Response(graphml(graph), media_type=GRAPHML, headers=headers)
    if spec.format == "cytoscape":
        return Response(json_bytes(cytoscape_document(graph)), media_type=MEDIA_TYPES["json"], headers=headers)
    return Response(json_bytes(graph), media_type=MEDIA_TYPES["json"], headers=headers)
