"""SQL of the timeline: a UNION ALL of one SELECT per event kind, ordered by date and paged by keyset.

Each branch reads one date column of one table (`policies.effective_on` for
`policy.effective`), so date bounds and the actor and tag filters are pushed
into the branches, where the date indexes answer them; ordering and the
cursor apply to the union.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from app.core.dates import format_partial, stored_date
from app.records.items import DriverQuery
from app.records.listing import filters_for
from app.records.registry import ACTOR, DEPENDENCY, HARDWARE, POLICY, STATEMENT, RecordType
from app.records.storage import precision_column


@dataclass(frozen=True)
class EventKind:
    """One kind of event: the record type and the date field that dates it."""

    name: str
    record_type: RecordType
    date_field: str
    description: str


EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("actor.founded", ACTOR, "founded_on", "an actor was founded (founded_on)"),
    EventKind("actor.dissolved", ACTOR, "dissolved_on", "an actor was dissolved (dissolved_on)"),
    EventKind("policy.announced", POLICY, "announced_on", "a policy was announced (announced_on)"),
    EventKind("policy.effective", POLICY, "effective_on", "a policy took effect (effective_on)"),
    EventKind("policy.ended", POLICY, "ended_on", "a policy ended (ended_on)"),
    EventKind("statement.said", STATEMENT, "said_on", "a statement was made (said_on)"),
    EventKind("hardware.released", HARDWARE, "released_on", "hardware was released (released_on)"),
    EventKind("dependency.began", DEPENDENCY, "valid_from", "a dependency began (valid_from)"),
    EventKind("dependency.ended", DEPENDENCY, "valid_to", "a dependency ended (valid_to)"),
)
BY_KIND = {k.name: k for k in EVENT_KINDS}
EVENT_TYPES = tuple(dict.fromkeys(k.record_type.name for k in EVENT_KINDS))

ACTOR_ROLES: dict[str, tuple[str, ...]] = {
    "actor": (),
    "policy": ("issuer", "target", "jurisdiction"),
    "statement": ("speaker",),
    "hardware": ("maker", "fab"),
    "dependency": ("dependent",),
}
"""The list filters through which an actor takes part in each type's events (an actor's own events: its id)."""


@dataclass
class TimelineSpec:
    """A parsed timeline request."""

    kinds: list[str] = field(default_factory=lambda: [k.name for k in EVENT_KINDS])
    actors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    descending: bool = False
    limit: int = 50
    after: tuple[dt.date, str, str, str] | None = None
    count: bool = False

    @property
    def sort(self) -> str:
        """The sort as written; cursors belong to one."""
        return "-date" if self.descending else "date"

    @property
    def shape(self) -> Shape:
        """What the request's statements depend on besides their parameters (`parameters`)."""
        return Shape(
            tuple(self.kinds),
            tuple(self.actors),
            tuple(self.tags),
            self.date_from is not None,
            self.date_to is not None,
            self.descending,
            None if self.after is None else (self.after[1], self.after[2]),
        )


@dataclass(frozen=True)
class Shape:
    """A timeline question without its dates and its cursor's place: a page's statement is built once per shape
    (building nine branches cost more than running them: half of a cold month's page), the rest is bound."""

    kinds: tuple[str, ...]
    actors: tuple[str, ...]
    tags: tuple[str, ...]
    has_from: bool
    has_to: bool
    descending: bool
    after: tuple[str, str] | None
    """The kind and type of the event the cursor is at: which branches may take the same day."""


class _Unseen(FunctionElement[Any]):
    """A value PostgreSQL's planner does not look at when it plans (an InitPlan, `(SELECT $1)`), so that its plan
    of a prepared statement with this value is the same for every value: its generic plan, made once. (Seen,
    a cold month's dates let it cost its custom plans a little below the generic one, and it planned a page's
    statement afresh at every request.) Elsewhere the value itself."""

    inherit_cache = True

    def __init__(self, value: sa.BindParameter[Any]) -> None:
        super().__init__(value)
        self.type = value.type


@compiles(_Unseen)
def _value(element: _Unseen, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_Unseen, "postgresql")
def _init_plan(element: _Unseen, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(SELECT {compiler.process(element.clauses, **kw)})"


# Given at each run (`parameters`), not when a page's statement is compiled: not required then.
DATE_FROM: sa.BindParameter[dt.date] = sa.bindparam("date_from", type_=sa.Date(), required=False)
DATE_TO: sa.BindParameter[dt.date] = sa.bindparam("date_to", type_=sa.Date(), required=False)
AFTER_DAY = _Unseen(sa.bindparam("after_day", type_=sa.Date(), required=False))
AFTER_ID = _Unseen(sa.bindparam("after_id", type_=sa.String(), required=False))


def parameters(spec: TimelineSpec) -> dict[str, Any]:
    """The values of the spec's statements' parameters."""
    values: dict[str, Any] = {}
    if spec.date_from is not None:
        values["date_from"] = spec.date_from
    if spec.date_to is not None:
        values["date_to"] = spec.date_to
    if spec.after is not None:
        values["after_day"], values["after_id"] = spec.after[0], spec.after[3]
    return values


def _actor_condition(record_type: RecordType, actors: list[str]) -> ColumnElement[bool]:
    if record_type is ACTOR:
        return ACTOR.table.c.id.in_(actors)
    filters = filters_for(record_type)
    terms = []
    for role in ACTOR_ROLES[record_type.name]:
        values = [f"actor:{a}" for a in actors] if role == "dependent" else actors
        terms.append(filters[role].condition(record_type, values))
    return sa.or_(*terms)


def _branch(kind: EventKind, shape: Shape, planned_once: bool = False) -> sa.Select[Any]:
    """The events of one kind; `planned_once`: its dates `_Unseen`, as a page's (a count's are seen: its plan may
    depend on how many days they span)."""
    table = kind.record_type.table
    day = table.c[kind.date_field]
    query = sa.select(
        day.label("day"),
        table.c[precision_column(kind.date_field)].label(precision_column("day")),
        # Literals in the SQL, not parameters: PostgreSQL then plans a page's statement once (see `page_query`).
        sa.literal(kind.name, sa.String(), literal_execute=True).label("kind"),
        sa.literal(kind.record_type.name, sa.String(), literal_execute=True).label("type"),
        table.c.id.label("id"),
        table.c.name.label("name"),
    ).where(day.is_not(None))
    if shape.has_from:
        query = query.where(day >= (_Unseen(DATE_FROM) if planned_once else DATE_FROM))
    if shape.has_to:
        query = query.where(day <= (_Unseen(DATE_TO) if planned_once else DATE_TO))
    if shape.actors:
        query = query.where(_actor_condition(kind.record_type, list(shape.actors)))
    if shape.tags:
        query = query.where(filters_for(kind.record_type)["tag"].condition(kind.record_type, list(shape.tags)))
    return query


def _after_cursor(kind: EventKind, shape: Shape, day: sa.ColumnElement[Any]) -> ColumnElement[bool]:
    """This branch's rows past the cursor. Within a branch kind and type are constant, so the order
    (date, kind, type, id) reduces to (date, id) — the branch's own date index."""
    assert shape.after is not None
    # Compared here, not in SQL: event kinds and types are lowercase words joined by one dot, which every
    # collation orders the same way; ids are compared in SQL, under the database's own collation.
    record_id = kind.record_type.table.c.id
    mine = (kind.name, kind.record_type.name)
    if shape.descending:
        if mine < shape.after:
            return day <= AFTER_DAY
        if mine > shape.after:
            return day < AFTER_DAY
        return sa.or_(day < AFTER_DAY, sa.and_(day == AFTER_DAY, record_id < AFTER_ID))
    if mine > shape.after:
        return day >= AFTER_DAY
    if mine < shape.after:
        return day > AFTER_DAY
    return sa.or_(day > AFTER_DAY, sa.and_(day == AFTER_DAY, record_id > AFTER_ID))


@functools.lru_cache(maxsize=256)
def page_query(shape: Shape, limit: int) -> DriverQuery:
    """One page of events (one extra row tells whether another follows), as rows (day, its precision, kind, type,
    id, name, then the record's context: its fields, and each reference slot's id and the name it names; see
    `_context_columns` and `_shown`); its values are `parameters(spec)`.

    Each branch takes its own first `limit + 1` rows past the cursor along its date index, with the fields and
    reference ids its context shows; the union of those few rows is then ordered, so a page never sorts the
    whole timeline; and only the page's rows look up the names their references show, one indexed read each
    (a join inside the branches let PostgreSQL hash all hardware for a month's few dependencies). One
    statement, compiled once per shape and run through the driver: a page's contexts were read by one more
    query per type on the page (each a round trip, and on PostgreSQL planned afresh for each number of ids),
    and SQLAlchemy's execution of thirty parameters and its result cost more than the server's work.

    Only the dates and the cursor's place are parameters; the kinds and the limits are written in: with them
    bound too, PostgreSQL's generic plan of the prepared statement (psycopg prepares it at its fifth run on a
    connection) was costed above the custom ones, so it planned every page afresh (~0.4 ms at 1M).
    """
    rows = sa.literal_column(str(limit + 1), sa.Integer())
    parts = []
    for name in shape.kinds:
        kind = BY_KIND[name]
        context = _context_columns(kind.record_type)
        branch = _branch(kind, shape, planned_once=True).add_columns(*context)
        day, record_id = kind.record_type.table.c[kind.date_field], kind.record_type.table.c.id
        if shape.after is not None:
            branch = branch.where(_after_cursor(kind, shape, day))
        order = [day.desc(), record_id.desc()] if shape.descending else [day.asc(), record_id.asc()]
        parts.append(sa.select(branch.order_by(*order).limit(rows).subquery()))
    events = sa.union_all(*parts).subquery("events")
    keys = (events.c.day, events.c.kind, events.c.type, events.c.id)
    order = [k.desc() if shape.descending else k.asc() for k in keys]
    page = sa.select(events).order_by(*order).limit(rows).subquery("page")
    columns: list[sa.ColumnElement[Any]] = [*list(page.c)[: 6 + FIELD_SLOTS]]
    for slot, target_type in enumerate(REFERENCE_SLOTS):
        target_id = page.c[f"reference_{slot}"]
        target = target_type.table.alias(f"reference_{slot}_target")
        columns += [target_id, sa.select(target.c.name).where(target.c.id == target_id).scalar_subquery()]
    keys = (page.c.day, page.c.kind, page.c.type, page.c.id)
    order = [k.desc() if shape.descending else k.asc() for k in keys]
    return DriverQuery(sa.select(*columns).order_by(*order), bound=BOUND)


BOUND = ("date_from", "date_to", "after_day", "after_id")
"""The parameters of a page's statement given at each run (`parameters`); the rest are fixed by its shape."""


def count_query(shape: Shape) -> sa.Select[Any]:
    """How many events match, across all pages; its values are `parameters(spec)`."""
    events = sa.union_all(*(_branch(BY_KIND[name], shape) for name in shape.kinds)).subquery("events")
    return sa.select(sa.func.count()).select_from(events)


def cursor_key(row: tuple[Any, ...]) -> list[str]:
    """The sort values of an event (a row of `page_query`), as a cursor keeps them."""
    day, _precision, kind, type_name, record_id = row[:5]
    return [stored_date(day).isoformat(), kind, type_name, record_id]


@dataclass(frozen=True)
class Context:
    """What an event's `context` shows of its record: some of its fields, then its references, each named."""

    fields: tuple[str, ...]
    references: tuple[tuple[str, tuple[tuple[str, RecordType], ...]], ...]
    """(key, the columns that may hold the reference, each with the type it refers to): the first one set."""


CONTEXTS: dict[str, Context] = {
    "actor": Context(("kind",), (("country", (("country_id", ACTOR),)),)),
    "policy": Context(("kind", "status"), (("jurisdiction", (("jurisdiction_id", ACTOR),)),)),
    "statement": Context(("kind",), (("speaker", (("speaker_id", ACTOR),)),)),
    "hardware": Context(("kind",), (("maker", (("maker_id", ACTOR),)),)),
    "dependency": Context(
        ("status", "purpose", "system"),
        (
            ("dependent", (("dependent_actor_id", ACTOR), ("dependent_hardware_id", HARDWARE))),
            ("depends_on", (("depends_on_id", HARDWARE),)),
        ),
    ),
}
FIELD_SLOTS = max(len(context.fields) for context in CONTEXTS.values())
"""Columns of a page's row for a context's fields, whatever its type."""


def _reference_slots() -> tuple[tuple[RecordType, ...], dict[tuple[str, str], int]]:
    """The columns of a page's row for a context's references, each the id of a record of one type, and the
    slot of each type's reference columns: a type's columns that refer to the same type take different slots."""
    slots: list[RecordType] = []
    where: dict[tuple[str, str], int] = {}
    for type_name, context in CONTEXTS.items():
        taken: set[int] = set()
        for _key, candidates in context.references:
            for column, target_type in candidates:
                free = [i for i, t in enumerate(slots) if t is target_type and i not in taken]
                slot = free[0] if free else len(slots)
                if not free:
                    slots.append(target_type)
                taken.add(slot)
                where[type_name, column] = slot
    return tuple(slots), where


REFERENCE_SLOTS, _SLOT_OF = _reference_slots()


def _context_columns(record_type: RecordType) -> list[sa.ColumnElement[Any]]:
    """A branch's columns for its records' context: its fields, then the id in each reference slot, NULL where
    this type has none, so that every branch has the same columns."""
    table = record_type.table
    context = CONTEXTS[record_type.name]
    fields: list[sa.ColumnElement[Any]] = [table.c[name] for name in context.fields]
    fields += [sa.null()] * (FIELD_SLOTS - len(fields))
    references: list[sa.ColumnElement[Any]] = [sa.null()] * len(REFERENCE_SLOTS)
    for _key, candidates in context.references:
        for column, _target_type in candidates:
            references[_SLOT_OF[record_type.name, column]] = table.c[column]
    return [
        *(field.label(f"field_{i}") for i, field in enumerate(fields)),
        *(reference.label(f"reference_{i}") for i, reference in enumerate(references)),
    ]


def _shown(type_name: str, values: Sequence[Any]) -> dict[str, Any]:
    """The context of one record of `type_name` from its row's values past its name: the fields, then each
    reference slot's id and name."""
    context = CONTEXTS[type_name]
    shown = dict(zip(context.fields, values, strict=False))
    for key, candidates in context.references:
        shown[key] = None
        for column, target_type in candidates:
            at = FIELD_SLOTS + 2 * _SLOT_OF[type_name, column]
            if shown[key] is None and values[at] is not None:
                shown[key] = {"id": values[at], "type": target_type.name, "name": values[at + 1]}
    return shown


def events(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The API shape of a page of event rows (rows of `page_query`)."""
    return [
        {
            "date": format_partial(stored_date(day), precision),
            "kind": kind,
            "record": {"id": record_id, "type": type_name, "name": name},
            "context": _shown(type_name, context),
        }
        for day, precision, kind, type_name, record_id, name, *context in rows
    ]


def timeline_page(
    connection: sa.Connection, spec: TimelineSpec
) -> tuple[list[dict[str, Any]], list[str] | None, int | None]:
    """One page of events, the cursor key of its last event when another page follows, and the total if asked."""
    values = parameters(spec)
    rows = page_query(spec.shape, spec.limit).run(connection, values)
    next_key = None
    if len(rows) > spec.limit:
        rows = rows[: spec.limit]
        next_key = cursor_key(rows[-1])
    total = connection.execute(count_query(spec.shape), values).scalar_one() if spec.count else None
    return events(rows), next_key, total


BATCH = 1000


def all_events(connection: sa.Connection, spec: TimelineSpec) -> Iterator[list[dict[str, Any]]]:
    """Every matching event, batch by batch along the keyset (CSV and NDJSON ignore `limit`)."""
    paged = TimelineSpec(**{**spec.__dict__})
    while True:
        rows = page_query(paged.shape, BATCH).run(connection, parameters(paged))
        if rows[:BATCH]:
            yield events(rows[:BATCH])
        if len(rows) <= BATCH:
            return
        day, kind, type_name, record_id = cursor_key(rows[BATCH - 1])
        paged.after = (dt.date.fromisoformat(day), kind, type_name, record_id)
