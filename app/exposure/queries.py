"""SQL of the exposure analysis: set-based reads the traversal in service.py assembles.

Every function takes whole sets of ids (a breadth-first level at a time), so
an analysis costs a number of queries bounded by its depth caps, never one per
record.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.core.dates import format_partial, stored_date
from app.records.items import DriverQuery, cited_sources
from app.records.registry import ACTOR, DEPENDENCY, HARDWARE, POLICY, RecordType
from app.records.storage import partial_date, precision_column

IN_CHUNK = 900
"""Ids per IN list: well under every engine's limit on bound parameters."""


IDS: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
"""The ids a statement here asks about. The statements are built once (per day, for those that depend on it),
each run with its ids bound: building them cost as much as running them."""


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


def _rows(connection: sa.Connection, query: DriverQuery, ids: Iterable[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of `query` (plain tuples) for these ids, IN_CHUNK ids at a time."""
    for chunk in _chunks(ids):
        yield from query.rows(connection, chunk)


@dataclass(frozen=True)
class ActorRow:
    """What the analysis needs of an actor."""

    id: str
    name: str
    parent: str | None
    country: str | None


_ACTORS = ACTOR.table
_ACTOR_COLUMNS = (_ACTORS.c.id, _ACTORS.c.name, _ACTORS.c.parent_id, _ACTORS.c.country_id)
_ACTOR_ROWS = DriverQuery(sa.select(*_ACTOR_COLUMNS).where(_ACTORS.c.id.in_(IDS)))
_CHILDREN = DriverQuery(
    sa.select(_ACTORS.c.id, _ACTORS.c.parent_id).where(_ACTORS.c.parent_id.in_(IDS)).order_by(_ACTORS.c.id)
)


def actor_rows(connection: sa.Connection, ids: Iterable[str]) -> dict[str, ActorRow]:
    """Name, parent and country of each actor."""
    return {row[0]: ActorRow(*row) for row in _rows(connection, _ACTOR_ROWS, ids)}


@functools.lru_cache(maxsize=4)
def _lineage_statement(levels: int) -> DriverQuery:
    start = sa.select(*_ACTOR_COLUMNS, sa.literal_column("0").label("level")).where(_ACTORS.c.id.in_(IDS))
    lineage = start.cte("lineage", recursive=True)
    above = _ACTORS.alias("above")
    step = (
        sa.select(above.c.id, above.c.name, above.c.parent_id, above.c.country_id, (lineage.c.level + 1).label("level"))
        .select_from(lineage)
        .join(above, above.c.id.in_([lineage.c.parent_id, lineage.c.country_id]))
        .where(lineage.c.level < levels - 1)
    )
    lineage = lineage.union(step)
    return DriverQuery(sa.select(lineage).order_by(lineage.c.level))


def lineage_rows(connection: sa.Connection, ids: Iterable[str], levels: int) -> tuple[dict[str, ActorRow], bool]:
    """These actors, their parents and countries, theirs, and so on, `levels` levels in all (the given actors
    are the first), in one recursive query; and whether the last level refers to actors beyond it.

    The same actors as reading one level at a time, each in the first level that names it: one round trip
    where an actor under a parent under a country took three.
    """
    found: dict[str, ActorRow] = {}
    first_level: dict[str, int] = {}
    for *values, level in _rows(connection, _lineage_statement(levels), ids):
        if level < first_level.get(values[0], levels):
            found[values[0]], first_level[values[0]] = ActorRow(*values), level
    last = [found[actor] for actor, level in first_level.items() if level == levels - 1]
    return found, any(ref not in found for row in last for ref in (row.parent, row.country) if ref)


def children_of(connection: sa.Connection, ids: Iterable[str]) -> dict[str, list[str]]:
    """The actors whose parent is each given actor."""
    found: dict[str, list[str]] = defaultdict(list)
    for child, parent in _rows(connection, _CHILDREN, ids):
        found[parent].append(child)
    return found


@dataclass(frozen=True)
class Hop:
    """One step of a chain: a dependency record, or a variant's link to its family (`kind="family"`)."""

    id: str
    name: str
    dependent_type: str
    dependent_id: str
    depends_on: str
    status: str | None
    purpose: str | None
    system: str | None
    valid_from: str | None
    valid_to: str | None
    kind: str = "dependency"

    @property
    def dependent(self) -> str:
        """The dependent's typed id."""
        return f"{self.dependent_type}:{self.dependent_id}"


def dependency_valid_on(day: dt.date) -> list[ColumnElement[bool]]:
    """Dependencies that hold on `day`: begun on or before it or undated, not yet ended, and not denied."""
    return [*DEPENDENCY.valid_on(day), DEPENDENCY.table.c.status != "denied"]


def _hop(row: tuple[Any, ...]) -> Hop:
    """A hop from a row of `_HOP_COLUMNS`."""
    (id_, name, actor, hardware, depends_on, status, purpose, system, *validity) = row
    valid_from, from_precision, valid_to, to_precision = validity
    return Hop(
        id=id_,
        name=name,
        dependent_type="actor" if actor is not None else "hardware",
        dependent_id=actor if actor is not None else hardware,
        depends_on=depends_on,
        status=status,
        purpose=purpose,
        system=system,
        valid_from=None if valid_from is None else format_partial(stored_date(valid_from), from_precision),
        valid_to=None if valid_to is None else format_partial(stored_date(valid_to), to_precision),
    )


@functools.lru_cache(maxsize=256)
def _hops_statement(column: str, day: dt.date) -> DriverQuery:
    table = DEPENDENCY.table
    columns = [table.c[name] for name in _HOP_COLUMNS]
    return DriverQuery(
        sa.select(*columns).where(table.c[column].in_(IDS), *dependency_valid_on(day)).order_by(table.c.id)
    )


_HOP_COLUMNS = (
    "id",
    "name",
    "dependent_actor_id",
    "dependent_hardware_id",
    "depends_on_id",
    "status",
    "purpose",
    "system",
    *("valid_from", precision_column("valid_from"), "valid_to", precision_column("valid_to")),
)
"""What a hop needs of a dependency: not its names, aliases, summary and notes (JSON to decode)."""


def hops(connection: sa.Connection, day: dt.date, column: str, ids: Iterable[str]) -> list[Hop]:
    """Dependencies valid on `day` whose `column` (dependent_actor_id, dependent_hardware_id, depends_on_id)
    is one of `ids`, in id order."""
    return [_hop(row) for row in _rows(connection, _hops_statement(column, day), ids)]


_HARDWARE = HARDWARE.table
_VARIANTS = DriverQuery(
    sa.select(_HARDWARE.c.id, _HARDWARE.c.name, _HARDWARE.c.family_id)
    .where(_HARDWARE.c.id.in_(IDS), _HARDWARE.c.family_id.is_not(None))
    .order_by(_HARDWARE.c.id)
)
_VARIANTS_OF = DriverQuery(sa.select(_HARDWARE.c.id).where(_HARDWARE.c.family_id.in_(IDS)))


def family_hops(connection: sa.Connection, ids: Iterable[str]) -> list[Hop]:
    """A hop from each of these parts that is a variant to its family: what restricts the family restricts it."""
    return [
        Hop(
            f"family:{part}",
            f"{name} is a variant of its family",
            "hardware",
            part,
            family,
            None,
            None,
            None,
            None,
            None,
            kind="family",
        )
        for part, name, family in _rows(connection, _VARIANTS, ids)
    ]


def variants_of(connection: sa.Connection, ids: Iterable[str]) -> set[str]:
    """The parts whose family is one of these."""
    return {row[0] for row in _rows(connection, _VARIANTS_OF, ids)}


@dataclass(frozen=True)
class PolicyRow:
    """What the analysis needs of a policy."""

    id: str
    name: str
    kind: str
    status: str | None
    effective_on: dt.date | None
    effective_text: str | None
    ended_on: dt.date | None
    ended_text: str | None
    jurisdiction: str | None
    targets: tuple[str, ...]
    restricts: tuple[str, ...]


_POLICIES = POLICY.table
_POLICY_COLUMNS = ("id", "name", "kind", "status", "jurisdiction_id", "effective_on", "ended_on")
_TARGETS, _RESTRICTS = POLICY.child_tables["targets"], POLICY.child_tables["restricts"]
_LISTS = (("targets", _TARGETS), ("restricts", _RESTRICTS))
_TARGETED = sa.select(_TARGETS.c.record_id).where(_TARGETS.c.target_id.in_(IDS))


@dataclass(frozen=True)
class _PolicyReads:
    """The two reads of a set of policies, each chosen by the ids bound: the policies' own columns, and their
    targets and restricted parts (both lists in one statement, each in its order)."""

    rows: DriverQuery
    lists: DriverQuery

    @classmethod
    def of(cls, chosen: Callable[[sa.ColumnElement[str]], sa.ColumnElement[bool]]) -> _PolicyReads:
        """The reads of the policies whose id `chosen` accepts."""
        rows = sa.select(
            *(_POLICIES.c[name] for name in _POLICY_COLUMNS),
            *(_POLICIES.c[precision_column(name)] for name in ("effective_on", "ended_on")),
        ).where(chosen(_POLICIES.c.id))
        lists = sa.union_all(
            *(
                sa.select(sa.literal(name).label("list"), child.c.record_id, child.c.target_id, child.c.position).where(
                    chosen(child.c.record_id)
                )
                for name, child in _LISTS
            )
        ).order_by("list", "record_id", "position")
        return cls(DriverQuery(rows), DriverQuery(lists))


_BY_ID = _PolicyReads.of(lambda policy_id: policy_id.in_(IDS))
_TARGETING = _PolicyReads.of(lambda policy_id: policy_id.in_(_TARGETED))
"""The policies targeting any of the ids: the look-up of which they are folded into the reads of them."""


def _policy_rows(connection: sa.Connection, reads: _PolicyReads, ids: Iterable[str]) -> list[PolicyRow]:
    rows: dict[str, dict[str, Any]] = {}
    lists: dict[str, dict[str, list[str]]] = {name: {} for name, _child in _LISTS}
    columns = reads.rows.columns
    for chunk in _chunks(ids):
        found = [dict(zip(columns, row, strict=True)) for row in reads.rows.rows(connection, chunk)]
        if not found:
            continue  # no policy: its lists need no read
        rows.update((row["id"], row) for row in found)
        read: dict[str, dict[str, list[str]]] = {name: defaultdict(list) for name, _child in _LISTS}
        for name, record_id, target_id, _position in reads.lists.rows(connection, chunk):
            read[name][record_id].append(target_id)
        for name, by_policy in read.items():  # a policy chosen by two chunks: its lists once
            for record_id, targets in by_policy.items():
                lists[name].setdefault(record_id, targets)
    return [
        PolicyRow(
            id=row["id"],
            name=row["name"],
            kind=row["kind"],
            status=row["status"],
            effective_on=stored_date(row["effective_on"]),
            effective_text=partial_date(row, "effective_on"),
            ended_on=stored_date(row["ended_on"]),
            ended_text=partial_date(row, "ended_on"),
            jurisdiction=row["jurisdiction_id"],
            targets=tuple(lists["targets"].get(row["id"], ())),
            restricts=tuple(lists["restricts"].get(row["id"], ())),
        )
        for row in rows.values()
    ]


def policies_targeting(connection: sa.Connection, actor_ids: Iterable[str]) -> list[PolicyRow]:
    """Every policy that targets any of these actors, in force or not (the caller says which are)."""
    return _policy_rows(connection, _TARGETING, actor_ids)


def policy_row(connection: sa.Connection, policy_id: str) -> PolicyRow | None:
    """One policy with its targets and restricted hardware, or None."""
    found = _policy_rows(connection, _BY_ID, [policy_id])
    return found[0] if found else None


@functools.lru_cache(maxsize=64)
def _alternatives_statement(day: dt.date) -> DriverQuery:
    table, child = DEPENDENCY.table, DEPENDENCY.child_tables["alternative_to"]
    return DriverQuery(
        sa.select(child.c.target_id, table.c.depends_on_id, table.c.id)
        .join(table, table.c.id == child.c.record_id)
        .where(child.c.target_id.in_(IDS), *dependency_valid_on(day))
        .order_by(table.c.depends_on_id, table.c.id)
    )


def alternatives(connection: sa.Connection, day: dt.date, replaced: Iterable[str]) -> list[tuple[str, str, str]]:
    """(replaced part, part standing in for it, dependency saying so) from dependencies valid on `day`."""
    return [(r[0], r[1], r[2]) for r in _rows(connection, _alternatives_statement(day), replaced)]


def sources_of(
    connection: sa.Connection, ids: Iterable[str], record_type: RecordType = DEPENDENCY
) -> dict[str, list[dict[str, Any]]]:
    """The sources each record cites (dependencies by default; a family hop: the variant's hardware record),
    embedded as the record views embed them."""
    cited: dict[str, list[dict[str, Any]]] = {}
    for chunk in _chunks(ids):
        cited.update(cited_sources(connection, record_type, chunk))
    return cited
