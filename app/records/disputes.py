"""Conflicting dependency claims: kept side by side, flagged `disputed`, each naming the others.

Two dependency records conflict when they speak of the same dependent, for the
same purpose and the same system (or, without a system, the same hardware),
with different statuses: a rumour that DeepSeek-R2 was trained on Ascend and
a report that it was trained on NVIDIA dispute each other. Two reports of the
same status naming different chips do not: a model may use both. Each record
lists the ids of the records whose status differs from its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from app.records.registry import DEPENDENCY

_table = DEPENDENCY.table


def _dependent(row: Any) -> str:
    if row.dependent_actor_id is not None:
        return f"actor:{row.dependent_actor_id}"
    return f"hardware:{row.dependent_hardware_id}"


def _group(row: Any) -> tuple[str, str, str]:
    about = f"system:{row.system}" if row.system else f"hardware:{row.depends_on_id}"
    return (_dependent(row), row.purpose, about)


_columns = (
    _table.c.id,
    _table.c.dependent_actor_id,
    _table.c.dependent_hardware_id,
    _table.c.purpose,
    _table.c.system,
    _table.c.depends_on_id,
    _table.c.status,
)


def _same_dependent(connection: sa.Connection, own: Sequence[Any]) -> Sequence[Any]:
    """Every dependency of the dependents of these rows: all that could be in a group with one of them."""
    actors = {r.dependent_actor_id for r in own if r.dependent_actor_id}
    hardware = {r.dependent_hardware_id for r in own if r.dependent_hardware_id}
    return connection.execute(
        sa.select(*_columns).where(
            sa.or_(_table.c.dependent_actor_id.in_(actors), _table.c.dependent_hardware_id.in_(hardware))
        )
    ).all()


def dispute_partners(connection: sa.Connection, dependency_ids: Iterable[str]) -> set[str]:
    """The ids of every dependency that could dispute one of these now (same dependent), these included."""
    own = connection.execute(sa.select(*_columns).where(_table.c.id.in_(list(dependency_ids)))).all()
    return {row.id for row in _same_dependent(connection, own)}


def disputes(connection: sa.Connection, dependency_ids: Iterable[str]) -> dict[str, list[str]]:
    """For each given dependency, the ids of the records that dispute it (empty when none)."""
    ids = list(dependency_ids)
    if not ids:
        return {}
    own = connection.execute(sa.select(*_columns).where(_table.c.id.in_(ids))).all()
    return disputes_among(own, _same_dependent(connection, own))


DISPUTE_COLUMNS = tuple(column.name for column in _columns)
"""What `disputes_among` reads of a dependency's row (as attributes)."""


def disputes_among(own: Iterable[Any], related: Iterable[Any]) -> dict[str, list[str]]:
    """For each of the dependency rows `own`, the ids of the rows of `related` (every dependency of the same
    dependents, or more) that dispute it."""
    groups: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in related:
        groups[_group(row)].append(row)
    result: dict[str, list[str]] = {}
    for row in own:
        result[row.id] = sorted(m.id for m in groups[_group(row)] if m.status != row.status)
    return result
