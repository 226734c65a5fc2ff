"""GET /v1/graph: thin — parse, call, render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.core.caching import cache_headers, read_fresh
from app.core.deps import DatabaseDep
from app.core.openapi import DATE_SCHEMA, REQUIRED
from app.core.render import MEDIA_TYPES, json_bytes
from app.graph.queries import EDGE_KINDS, NODE_TYPES
from app.graph.schemas import Graph
from app.graph.service import (
    DEFAULT_DEPTH,
    DEFAULT_LIMIT,
    MAX_DEPTH,
    MAX_LIMIT,
    build_graph,
    cytoscape_document,
    graphml,
    parse_graph,
)
from app.records.fields import SLUG_PATTERN
from app.records.routes import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1", tags=["graph"])


class CytoscapeDocument(BaseModel):
    """`format=cytoscape`: the graph as Cytoscape.js writes it (`cy.json()`), read by `networkx.cytoscape_graph`."""

    data: dict[str, Any] = Field(description="root, depth, as_of, edge_kinds, limit, truncated")
    directed: bool
    multigraph: bool
    elements: dict[str, list[dict[str, Any]]] = Field(description="`nodes` and `edges`, each `{data: {…}}`")


GRAPHML = "application/graphml+xml"
_EDGE_DOCS = "; ".join(f"`{name}`: {description}" for name, (description, _find) in EDGE_KINDS.items())


@router.get(
    "/graph",
    response_model=Graph | CytoscapeDocument,
    responses={
        400: PROBLEM_RESPONSES[400],
        200: {"content": {GRAPHML: {"schema": {"type": "string"}}}},
    },
    summary="The records around one record, as nodes and typed edges",
    operation_id="get_graph",
)
async def get_graph(
    request: Request,
    database: DatabaseDep,
    root: Annotated[
        str | None,
        Query(
            description="Where to start: a typed id `type:id` of an actor, policy, statement or hardware.",
            examples=["actor:deepseek"],
            json_schema_extra={"pattern": f"^({'|'.join(NODE_TYPES)}):{SLUG_PATTERN.removeprefix('^')}", **REQUIRED},
        ),
    ] = None,
    depth: Annotated[
        int | None,
        Query(
            description=f"How many hops to follow from the root, 1 to {MAX_DEPTH} (default {DEFAULT_DEPTH}).",
            examples=[2],
            json_schema_extra={"minimum": 1, "maximum": MAX_DEPTH},
        ),
    ] = None,
    edges: Annotated[
        list[str] | None,
        Query(
            description=f"Edge kinds to follow (repeat or comma list; default all). {_EDGE_DOCS}.",
            examples=[["depends_on", "made_by", "restricts"]],
            json_schema_extra={"items": {"type": "string", "enum": list(EDGE_KINDS)}},
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        Query(
            description="Leave out policies, dependencies and actors not valid that day (started on or before "
            "it or start unknown, not yet ended); the root always stays.",
            examples=["2023-11-17"],
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        Query(
            description=f"Most nodes to return, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); past it the "
            "answer says `truncated: true`.",
            examples=[200],
            json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
        ),
    ] = None,
    format: Annotated[
        str | None,
        Query(
            description="json (default: Cytoscape.js elements), cytoscape (the whole Cytoscape.js document, as "
            "`networkx.cytoscape_graph` reads it) or graphml (for Gephi, yEd, NetworkX).",
            examples=["graphml"],
            json_schema_extra={"enum": ["json", "graphml", "cytoscape"]},
        ),
    ] = None,
) -> Response:
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
