"""Response model of the graph: Cytoscape.js elements (`{nodes: [{data}], edges: [{data}]}`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NodeData(BaseModel):
    """A record in the graph."""

    id: str = Field(description="Typed id: `type:id`.", examples=["actor:deepseek"])
    type: str = Field(examples=["actor"])
    record_id: str = Field(examples=["deepseek"])
    label: str = Field(description="The record's name.", examples=["DeepSeek"])
    kind: str | None = Field(examples=["research_lab"])
    status: str | None = Field(default=None, description="Policies: their status.", examples=["in_force"])
    date: str | None = Field(default=None, description="Statements: when said.", examples=["2025-04-25"])
    depth: int = Field(description="Hops from the root (0 for the root).", examples=[1])
    href: str = Field(examples=["/v1/actors/deepseek"])


class Node(BaseModel):
    """A node, wrapped in `data` as Cytoscape expects."""

    data: NodeData


class EdgeData(BaseModel):
    """A typed, directed edge."""

    id: str = Field(
        description="Stable id: `<kind>:<source>-><target>`, or `dependency:<id>` for a dependency.",
        examples=["dependency:deepseek-v3-training-h800"],
    )
    source: str = Field(examples=["actor:deepseek"])
    target: str = Field(examples=["hardware:nvidia-h800"])
    kind: str = Field(examples=["depends_on"])
    status: str | None = Field(
        default=None,
        description="depends_on / alternative_to: the dependency's status; policy edges: the policy's status.",
        examples=["confirmed"],
    )
    dependency: str | None = Field(
        default=None, description="The dependency record behind the edge.", examples=["deepseek-v3-training-h800"]
    )
    purpose: str | None = Field(default=None, examples=["training"])
    system: str | None = Field(default=None, examples=["DeepSeek-V3"])
    valid_from: str | None = Field(default=None, examples=["2019"])
    valid_to: str | None = Field(default=None, examples=["2020-09"])
    role: str | None = Field(
        default=None, description="made_by: `maker`, `fab` or both (`maker;fab`).", examples=["fab"]
    )


class GraphEdge(BaseModel):
    """An edge, wrapped in `data` as Cytoscape expects."""

    data: EdgeData


class Graph(BaseModel):
    """Nodes and edges around the root; `truncated` when the node limit cut the traversal short."""

    root: str = Field(examples=["actor:deepseek"])
    depth: int = Field(examples=[2])
    as_of: str | None = Field(examples=["2023-11-17"])
    edge_kinds: list[str] = Field(description="The edge kinds followed.", examples=[["depends_on", "made_by"]])
    limit: int = Field(examples=[200])
    truncated: bool = Field(description="True when more nodes were within reach than `limit` allowed.")
    nodes: list[Node]
    edges: list[GraphEdge]
