"""SQL of the graph: for each edge kind, one query that finds the edges touching a set of nodes.

Nodes are actors, policies, statements and hardware, named by typed id
(`actor:deepseek`). Edges come from references between them; a dependency is
an edge (`depends_on`, from its dependent to the hardware), and so is each
part it stands in for (`alternative_to`, from the hardware it depends on to
the part it replaces). Each query takes the whole frontier of a breadth-first
level, never one node at a time. While the traversal grows, each query is
capped (a hub such as a prolific speaker would otherwise return every
statement); the closing round asks only for edges whose both ends are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.records.registry import ACTOR, BY_NAME, DEPENDENCY, HARDWARE, POLICY, STATEMENT, RecordType
from app.records.storage import partial_date

NODE_TYPES = ("actor", "policy", "statement", "hardware")
Frontier = dict[str, set[str]]
"""Node ids by type."""
Match = Callable[[Frontier], ColumnElement[bool]]
"""One end of an edge kind: the condition that this end is one of the given nodes."""


@dataclass(frozen=True)
class Edge:
    """One edge: typed ids at both ends and what the API shows about it."""

    id: str
    source: str
    target: str
    kind: str
    attributes: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Touching:
    """Which edges a query asks for: those touching `frontier`; with `within`, only those whose other end is
    in it; with `cap`, at most that many rows (in a stable order)."""

    frontier: Frontier
    within: Frontier | None = None
    cap: int | None = None
    day: dt.date | None = None


Finder = Callable[[sa.Connection, Touching], list[Edge]]


def _ids(nodes: Frontier, type_name: str) -> list[str]:
    return sorted(nodes.get(type_name, ()))


def _column_in(column: sa.ColumnElement[Any], type_name: str) -> Match:
    return lambda nodes: column.in_(_ids(nodes, type_name))


def _any(*matches: Match) -> Match:
    return lambda nodes: sa.or_(*(m(nodes) for m in matches))


def _touching(owner: Match, target: Match, touching: Touching) -> ColumnElement[bool]:
    """Edges with an end in the frontier (and, with `within`, the other end in it)."""
    frontier, within = touching.frontier, touching.within
    if within is None:
        return sa.or_(owner(frontier), target(frontier))
    return sa.or_(sa.and_(owner(frontier), target(within)), sa.and_(target(frontier), owner(within)))


def _run(connection: sa.Connection, query: sa.Select[Any], order: list[Any], touching: Touching) -> list[Any]:
    if touching.cap is not None:
        query = query.order_by(*order).limit(touching.cap)
    return list(connection.execute(query))


def _edge(kind: str, owner: str, target: str, reverse: bool, status: str | None) -> Edge:
    source, target = (target, owner) if reverse else (owner, target)
    attributes = (("status", status),) if status is not None else ()
    return Edge(f"{kind}:{source}->{target}", source, target, kind, attributes)


def _reference_edges(
    kind: str, owner: RecordType, column: str, target_type: str, *, reverse: bool = False, carries_status: bool = False
) -> Finder:
    """Edges from a single reference column (`actors.parent_id`); `reverse` points them at the owner."""
    table = owner.table
    owner_end, target_end = _column_in(table.c.id, owner.name), _column_in(table.c[column], target_type)

    def find(connection: sa.Connection, touching: Touching) -> list[Edge]:
        extra = [table.c.status] if carries_status else []
        query = sa.select(table.c.id, table.c[column], *extra).where(
            table.c[column].is_not(None), _touching(owner_end, target_end, touching)
        )
        rows = _run(connection, query, [table.c.id], touching)
        return [
            _edge(kind, f"{owner.name}:{row[0]}", f"{target_type}:{row[1]}", reverse, row[2] if extra else None)
            for row in rows
        ]

    return find


def _list_edges(
    kind: str, owner: RecordType, field: str, target_type: str, *, reverse: bool = False, carries_status: bool = False
) -> Finder:
    """Edges from a list of references kept in a child table (`policies_targets`)."""
    child = owner.child_tables[field]
    owner_end, target_end = _column_in(child.c.record_id, owner.name), _column_in(child.c.target_id, target_type)

    def find(connection: sa.Connection, touching: Touching) -> list[Edge]:
        query = sa.select(child.c.record_id, child.c.target_id)
        if carries_status:
            query = sa.select(child.c.record_id, child.c.target_id, owner.table.c.status).join(
                owner.table, owner.table.c.id == child.c.record_id
            )
        query = query.where(_touching(owner_end, target_end, touching))
        rows = _run(connection, query, [child.c.record_id, child.c.target_id], touching)
        return [
            _edge(
                kind, f"{owner.name}:{row[0]}", f"{target_type}:{row[1]}", reverse, row[2] if carries_status else None
            )
            for row in rows
        ]

    return find


def _made_by(connection: sa.Connection, touching: Touching) -> list[Edge]:
    """Hardware -> its maker and its fab, one edge per actor with the roles it plays."""
    table = HARDWARE.table
    part = _column_in(table.c.id, "hardware")
    actor = _any(_column_in(table.c.maker_id, "actor"), _column_in(table.c.fab_id, "actor"))
    query = sa.select(table.c.id, table.c.maker_id, table.c.fab_id).where(_touching(part, actor, touching))
    edges = []
    for part_id, maker, fab in _run(connection, query, [table.c.id], touching):
        roles: dict[str, list[str]] = {}
        for role, actor_id in (("maker", maker), ("fab", fab)):
            if actor_id is not None:
                roles.setdefault(actor_id, []).append(role)
        for actor_id, played in roles.items():
            source, target = f"hardware:{part_id}", f"actor:{actor_id}"
            edges.append(Edge(f"made_by:{source}->{target}", source, target, "made_by", (("role", ";".join(played)),)))
    return edges


def _mentions(connection: sa.Connection, touching: Touching) -> list[Edge]:
    """Statement -> anything it mentions, including the policies it is about."""
    mentions = STATEMENT.child_tables["mentions"]
    about = STATEMENT.child_tables["about_policies"]
    typed = [mentions.c[f"target_{t}_id"] for t in NODE_TYPES]
    mentioned = _any(*(_column_in(c, t) for c, t in zip(typed, NODE_TYPES, strict=True)))
    first = sa.select(mentions.c.record_id.label("said_in"), *(c.label(t) for c, t in zip(typed, NODE_TYPES,
                      strict=True))).where(_touching(_column_in(mentions.c.record_id, "statement"), mentioned,
                                                     touching))  # fmt: skip
    second = sa.select(
        about.c.record_id.label("said_in"),
        *((about.c.target_id if t == "policy" else sa.null()).label(t) for t in NODE_TYPES),
    ).where(_touching(_column_in(about.c.record_id, "statement"), _column_in(about.c.target_id, "policy"), touching))
    union = sa.union_all(first, second).subquery()
    query = sa.select(union)
    order = [union.c.said_in, *(union.c[t] for t in NODE_TYPES)]
    edges = {}
    for row in _run(connection, query, order, touching):
        statement, targets = row[0], row[1:]
        for type_name, target_id in zip(NODE_TYPES, targets, strict=True):
            if target_id is not None:
                edge = _edge("mentions", f"statement:{statement}", f"{type_name}:{target_id}", False, None)
                edges[edge.id] = edge
    return list(edges.values())


_DEPENDENCY_ATTRIBUTES = ("status", "purpose", "system")


def _dependency_attributes(row: sa.RowMapping) -> tuple[tuple[str, Any], ...]:
    dated = [(name, partial_date(row, name)) for name in ("valid_from", "valid_to")]
    return (("dependency", row["id"]), *((k, row[k]) for k in _DEPENDENCY_ATTRIBUTES), *dated)


def _depends_on(connection: sa.Connection, touching: Touching) -> list[Edge]:
    """Dependent (actor or hardware) -> hardware: one edge per dependency record valid on the day."""
    table = DEPENDENCY.table
    dependent = _any(
        _column_in(table.c.dependent_actor_id, "actor"), _column_in(table.c.dependent_hardware_id, "hardware")
    )
    query = sa.select(table).where(
        _touching(dependent, _column_in(table.c.depends_on_id, "hardware"), touching),
        *DEPENDENCY.valid_on(touching.day),
    )
    edges = []
    for row in _run(connection, query, [table.c.id], touching):
        mapping = row._mapping
        if mapping["dependent_actor_id"] is not None:
            source = f"actor:{mapping['dependent_actor_id']}"
        else:
            source = f"hardware:{mapping['dependent_hardware_id']}"
        target = f"hardware:{mapping['depends_on_id']}"
        edges.append(Edge(f"dependency:{mapping['id']}", source, target, "depends_on", _dependency_attributes(mapping)))
    return edges


def _alternative_to(connection: sa.Connection, touching: Touching) -> list[Edge]:
    """Hardware a dependency relies on -> the part it stands in for, one edge per dependency record."""
    table, child = DEPENDENCY.table, DEPENDENCY.child_tables["alternative_to"]
    query = (
        sa.select(table.c.id, table.c.depends_on_id, child.c.target_id, table.c.status)
        .join(child, child.c.record_id == table.c.id)
        .where(
            _touching(_column_in(table.c.depends_on_id, "hardware"), _column_in(child.c.target_id, "hardware"),
                      touching),
            *DEPENDENCY.valid_on(touching.day),
        )
    )  # fmt: skip
    edges = []
    for dependency, part, replaced, status in _run(connection, query, [table.c.id, child.c.target_id], touching):
        source, target = f"hardware:{part}", f"hardware:{replaced}"
        attributes = (("dependency", dependency), ("status", status))
        edges.append(
            Edge(f"alternative_to:dependency:{dependency}:{target}", source, target, "alternative_to", attributes)
        )
    return edges


def _restricts_variants(connection: sa.Connection, touching: Touching) -> list[Edge]:
    """Policy -> each variant of a part it restricts (`via_family`): a policy restricting a family restricts
    its variants."""
    child, hardware, policy = POLICY.child_tables["restricts"], HARDWARE.table, POLICY.table
    query = (
        sa.select(child.c.record_id, hardware.c.id, child.c.target_id, policy.c.status)
        .join(hardware, hardware.c.family_id == child.c.target_id)
        .join(policy, policy.c.id == child.c.record_id)
        .where(_touching(_column_in(child.c.record_id, "policy"), _column_in(hardware.c.id, "hardware"), touching))
    )
    edges = []
    for policy_id, variant, family, status in _run(connection, query, [child.c.record_id, hardware.c.id], touching):
        source, target = f"policy:{policy_id}", f"hardware:{variant}"
        attributes = (("status", status), ("via_family", family))
        edges.append(Edge(f"restricts:{source}->{target}", source, target, "restricts", attributes))
    return edges


def _restricts(connection: sa.Connection, touching: Touching) -> list[Edge]:
    """Policy -> hardware it names, and -> the variants of what it names."""
    return _restricts_named(connection, touching) + _restricts_variants(connection, touching)


_restricts_named = _list_edges("restricts", POLICY, "restricts", "hardware", carries_status=True)


EDGE_KINDS: dict[str, tuple[str, Finder]] = {
    "based_in": (
        "actor -> the state it belongs to (country)",
        _reference_edges("based_in", ACTOR, "country_id", "actor"),
    ),
    "part_of": ("actor -> its parent", _reference_edges("part_of", ACTOR, "parent_id", "actor")),
    "issued": (
        "actor -> a policy it issued",
        _list_edges("issued", POLICY, "issuers", "actor", reverse=True, carries_status=True),
    ),
    "targets": (
        "policy -> an actor it targets",
        _list_edges("targets", POLICY, "targets", "actor", carries_status=True),
    ),
    "restricts": (
        "policy -> hardware it restricts, and each variant of it (`via_family`: the family the policy names)",
        _restricts,
    ),
    "said": ("actor -> a statement it made", _reference_edges("said", STATEMENT, "speaker_id", "actor", reverse=True)),
    "reported_by": (
        "statement -> the media actor that reported it",
        _reference_edges("reported_by", STATEMENT, "reported_by_id", "actor"),
    ),
    "mentions": ("statement -> a record it mentions or a policy it is about", _mentions),
    "depends_on": ("actor or hardware -> hardware it depends on; one edge per dependency record", _depends_on),
    "alternative_to": ("hardware a dependency relies on -> the part it stands in for", _alternative_to),
    "made_by": ("hardware -> its maker or fab (`role`)", _made_by),
    "variant_of": (
        "hardware -> the family it is a variant of",
        _reference_edges("variant_of", HARDWARE, "family_id", "hardware"),
    ),
    "supersedes": (
        "policy -> the policy it supersedes",
        _list_edges("supersedes", POLICY, "supersedes", "policy", carries_status=True),
    ),
    "amends": (
        "policy -> the policy it amends",
        _list_edges("amends", POLICY, "amends", "policy", carries_status=True),
    ),
}


NODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "actor": ("kind",),
    "policy": ("kind", "status"),
    "statement": ("kind", "said_on", "said_on_precision"),
    "hardware": ("kind",),
}


def node_rows(connection: sa.Connection, wanted: Frontier, day: dt.date | None) -> dict[str, dict[str, Any]]:
    """Label and attributes of each wanted node, one query per type; nodes not valid on `day` are left out."""
    found: dict[str, dict[str, Any]] = {}
    for type_name, ids in wanted.items():
        if not ids:
            continue
        record_type = BY_NAME[type_name]
        table = record_type.table
        columns = [table.c.id, table.c.name, *(table.c[c] for c in NODE_COLUMNS[type_name])]
        query = sa.select(*columns).where(table.c.id.in_(sorted(ids)), *record_type.valid_on(day))
        for row in connection.execute(query).mappings():
            data: dict[str, Any] = {"kind": row["kind"]}
            if type_name == "policy":
                data["status"] = row["status"]
            if type_name == "statement":
                data["date"] = partial_date(row, "said_on")
            found[f"{type_name}:{row['id']}"] = {"label": row["name"], **data}
    return found


def root_exists(connection: sa.Connection, type_name: str, record_id: str) -> bool:
    """True when the root record exists (whatever its validity)."""
    table = BY_NAME[type_name].table
    return connection.execute(sa.select(table.c.id).where(table.c.id == record_id)).first() is not None
