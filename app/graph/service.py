"""Breadth-first traversal from a root, bounded by depth and a node limit; JSON for Cytoscape, GraphML for Gephi.

Cycles are safe: a node is visited once, and each level costs one query per
edge kind, whatever the number of nodes in it.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from starlette.datastructures import QueryParams

from app.core.params import One, Parameters, bad, choice, choices, date, integer, parse_choice
from app.graph.queries import EDGE_KINDS, NODE_TYPES, Edge, Frontier, Touching, node_rows, root_exists
from app.records.fields import SLUG_PATTERN, is_slug
from app.records.listing import suggest_id
from app.records.registry import BY_NAME

FORMATS = ("json", "graphml", "cytoscape")
DEFAULT_DEPTH, MAX_DEPTH = 2, 4
DEFAULT_LIMIT, MAX_LIMIT = 200, 1000


@dataclass
class GraphSpec:
    """A parsed graph request."""

    root_type: str
    root_id: str
    depth: int = DEFAULT_DEPTH
    edge_kinds: list[str] = field(default_factory=lambda: list(EDGE_KINDS))
    as_of: dt.date | None = None
    limit: int = DEFAULT_LIMIT
    format: str = "json"

    @property
    def root(self) -> str:
        """The root's typed id."""
        return f"{self.root_type}:{self.root_id}"


def _root(field: str, value: str) -> tuple[str, str]:
    """`actor:deepseek` -> ("actor", "deepseek"), or a 400 that says how to write it."""
    root_type, _, root_id = value.partition(":")
    if not root_id:
        raise bad(field, f"'{value[:100]}' needs a type: write it as type:id, e.g. actor:{root_type[:80]}")
    if root_type in ("dependency", "source"):
        raise bad(
            field,
            f"{BY_NAME[root_type].plural} are not nodes (a dependency is an edge); start from an actor, policy, "
            "statement or hardware",
        )
    parse_choice(field, root_type, NODE_TYPES)
    if not is_slug(root_id):
        raise bad(field, f"'{root_id[:100]}' is not a record id")
    return root_type, root_id


_EDGE_DOCS = "; ".join(f"`{name}`: {description}" for name, (description, _find) in EDGE_KINDS.items())
ROOT = One(
    name="root",
    description="Where to start: a typed id `type:id` of an actor, policy, statement or hardware.",
    schema={"type": "string", "pattern": f"^({'|'.join(NODE_TYPES)}):{SLUG_PATTERN.removeprefix('^')}"},
    example="actor:deepseek",
    required=True,
    missing="give the record to start from as type:id, e.g. root=actor:deepseek",
    parse=_root,
)
DEPTH = integer(
    "depth",
    f"How many hops to follow from the root, 1 to {MAX_DEPTH} (default {DEFAULT_DEPTH}).",
    minimum=1,
    maximum=MAX_DEPTH,
    example=DEFAULT_DEPTH,
)
EDGES = choices(
    "edges",
    EDGE_KINDS,
    f"Edge kinds to follow (repeat or comma list; default all). {_EDGE_DOCS}.",
    example=["depends_on", "made_by", "restricts"],
)
AS_OF = date(
    "as_of",
    "Leave out policies, dependencies and actors not valid that day (started on or before it or start unknown, "
    "not yet ended); the root always stays.",
    example="2023-11-17",
)
LIMIT = integer(
    "limit",
    f"Most nodes to return, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); past it the answer says `truncated: true`.",
    minimum=1,
    maximum=MAX_LIMIT,
    example=DEFAULT_LIMIT,
)
FORMAT = choice(
    "format",
    FORMATS,
    "json (default: Cytoscape.js elements), cytoscape (the whole Cytoscape.js document, as "
    "`networkx.cytoscape_graph` reads it) or graphml (for Gephi, yEd, NetworkX).",
    example="graphml",
)
PARAMETERS = Parameters(ROOT, DEPTH, EDGES, AS_OF, LIMIT, FORMAT)


def parse_graph(params: QueryParams) -> GraphSpec:
    """A graph request from its query string; anything unknown or malformed is a 400."""
    PARAMETERS.check(params)
    spec = GraphSpec(*ROOT.require(params))
    spec.depth = DEPTH.get(params, spec.depth)
    if "edges" in params:
        chosen = EDGES.get(params)
        if not chosen:
            raise bad("edges", f"give at least one of {', '.join(EDGE_KINDS)}")
        spec.edge_kinds = [k for k in EDGE_KINDS if k in chosen]
    spec.as_of = AS_OF.get(params)
    spec.limit = LIMIT.get(params, spec.limit)
    spec.format = FORMAT.get(params, spec.format)
    return spec


def _by_type(typed_ids: set[str]) -> Frontier:
    frontier: Frontier = {}
    for typed_id in typed_ids:
        type_name, _, record_id = typed_id.partition(":")
        frontier.setdefault(type_name, set()).add(record_id)
    return frontier


def _node(typed_id: str, row: dict[str, Any], depth: int) -> dict[str, Any]:
    type_name, _, record_id = typed_id.partition(":")
    data = {"id": typed_id, "type": type_name, "record_id": record_id, "label": row["label"], "depth": depth}
    data.update({k: v for k, v in row.items() if k != "label"})
    data["href"] = f"/v1/{BY_NAME[type_name].plural}/{record_id}"
    return {"data": data}


def _edge(edge: Edge) -> dict[str, Any]:
    data: dict[str, Any] = {"id": edge.id, "source": edge.source, "target": edge.target, "kind": edge.kind}
    data.update(edge.attributes)
    return {"data": data}


EDGE_ROWS_PER_KIND = 4
"""While the graph grows, each edge kind returns at most this many rows per node of room left (plus a margin)."""


def _edges(connection: sa.Connection, spec: GraphSpec, touching: Touching) -> tuple[list[Edge], bool]:
    """Edges of the chosen kinds touching the frontier, and whether any kind was cut at its cap."""
    found: list[Edge] = []
    capped = False
    for kind in spec.edge_kinds:
        rows = EDGE_KINDS[kind][1](connection, touching)
        capped = capped or (touching.cap is not None and len(rows) >= touching.cap)
        found.extend(rows)
    return found, capped


def _admit(
    connection: sa.Connection, spec: GraphSpec, candidates: list[str], room: int, rejected: set[str]
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Node rows for the first candidates (in order) valid on `as_of`, up to `room`; True when some were left."""
    admitted: dict[str, dict[str, Any]] = {}
    position = 0
    while position < len(candidates) and len(admitted) < room:
        chunk = candidates[position : position + room - len(admitted)]
        rows = node_rows(connection, _by_type(set(chunk)), spec.as_of)
        rejected.update(c for c in chunk if c not in rows)
        admitted.update((c, rows[c]) for c in chunk if c in rows)
        position += len(chunk)
    return admitted, position < len(candidates)


def build_graph(connection: sa.Connection, spec: GraphSpec) -> dict[str, Any]:
    """Nodes and edges within `depth` of the root, at most `limit` nodes; every edge between kept nodes."""
    if not root_exists(connection, spec.root_type, spec.root_id):
        suggestion = suggest_id(connection, [(spec.root_type, spec.root_id)])
        raise bad("root", f"no {spec.root_type} with id '{spec.root_id}'{suggestion}")
    root_row = node_rows(connection, {spec.root_type: {spec.root_id}}, None)[spec.root]
    nodes: dict[str, dict[str, Any]] = {spec.root: _node(spec.root, root_row, 0)}
    rejected: set[str] = set()  # not valid on as_of
    edges: dict[str, Edge] = {}
    frontier = {spec.root}
    truncated = False
    for level in range(1, spec.depth + 2):
        growing = level <= spec.depth and not truncated
        if growing:
            cap = EDGE_ROWS_PER_KIND * (spec.limit - len(nodes)) + len(nodes) + 100
            found, capped = _edges(connection, spec, Touching(_by_type(frontier), cap=cap, day=spec.as_of))
            candidates = sorted({end for e in found for end in (e.source, e.target)} - set(nodes) - rejected)
            admitted, left_over = _admit(connection, spec, candidates, spec.limit - len(nodes), rejected)
            truncated = capped or left_over
            for typed_id, row in admitted.items():
                nodes[typed_id] = _node(typed_id, row, level)
        else:
            # The last round only closes edges between nodes already kept.
            found, _capped = _edges(connection, spec, Touching(_by_type(frontier), within=_by_type(set(nodes)),
                                                                day=spec.as_of))  # fmt: skip
            admitted = {}
        for edge in found:
            if edge.source in nodes and edge.target in nodes:
                edges[edge.id] = edge
        frontier = set(admitted)
        if not frontier:
            break
    return {
        "root": spec.root,
        "depth": spec.depth,
        "as_of": spec.as_of.isoformat() if spec.as_of else None,
        "edge_kinds": spec.edge_kinds,
        "limit": spec.limit,
        "truncated": truncated,
        "nodes": list(nodes.values()),
        "edges": [_edge(e) for e in sorted(edges.values(), key=lambda e: e.id)],
    }


GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
_NODE_KEYS = (("type", "string"), ("record_id", "string"), ("label", "string"), ("kind", "string"),
              ("status", "string"), ("date", "string"), ("depth", "int"), ("href", "string"))  # fmt: skip
_EDGE_KEYS = ("kind", "status", "dependency", "purpose", "system", "valid_from", "valid_to", "role", "via_family")


def cytoscape_document(graph: dict[str, Any]) -> dict[str, Any]:
    """The graph as Cytoscape.js writes it (`cy.json()`), which `networkx.cytoscape_graph` reads as served: the
    elements under `elements`, the query under `data`, each node's id also as `value` and its label as `name`."""
    nodes = [{"data": {**n["data"], "value": n["data"]["id"], "name": n["data"].get("label")}} for n in graph["nodes"]]
    edges = [{"data": {**e["data"], "key": e["data"]["id"]}} for e in graph["edges"]]
    facts = {k: v for k, v in graph.items() if k not in ("nodes", "edges")}
    return {"data": facts, "directed": True, "multigraph": True, "elements": {"nodes": nodes, "edges": edges}}


def graphml(graph: dict[str, Any]) -> bytes:
    """The graph as GraphML (directed), every attribute declared as a key, for Gephi, yEd or NetworkX."""
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    for name, kind in (("root", "string"), ("truncated", "boolean"), ("as_of", "string")):
        ET.SubElement(root, f"{{{GRAPHML_NS}}}key", {"id": f"g_{name}", "for": "graph", "attr.name": name,
                                                    "attr.type": kind})  # fmt: skip
    for name, kind in _NODE_KEYS:
        ET.SubElement(root, f"{{{GRAPHML_NS}}}key", {"id": f"n_{name}", "for": "node", "attr.name": name,
                                                    "attr.type": kind})  # fmt: skip
    for name in _EDGE_KEYS:
        ET.SubElement(root, f"{{{GRAPHML_NS}}}key", {"id": f"e_{name}", "for": "edge", "attr.name": name,
                                                    "attr.type": "string"})  # fmt: skip
    body = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph", {"id": "techsov", "edgedefault": "directed"})
    for name, value in (("root", graph["root"]), ("truncated", "true" if graph["truncated"] else "false"),
                        ("as_of", graph["as_of"])):  # fmt: skip
        if value is not None:
            ET.SubElement(body, f"{{{GRAPHML_NS}}}data", {"key": f"g_{name}"}).text = str(value)
    for node in graph["nodes"]:
        data = node["data"]
        element = ET.SubElement(body, f"{{{GRAPHML_NS}}}node", {"id": data["id"]})
        for name, _kind in _NODE_KEYS:
            if data.get(name) is not None:
                ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": f"n_{name}"}).text = str(data[name])
    for edge in graph["edges"]:
        data = edge["data"]
        element = ET.SubElement(
            body, f"{{{GRAPHML_NS}}}edge", {"id": data["id"], "source": data["source"], "target": data["target"]}
        )
        for name in _EDGE_KEYS:
            if data.get(name) is not None:
                ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": f"e_{name}"}).text = str(data[name])
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
