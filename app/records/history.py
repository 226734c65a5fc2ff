"""A record's history: every version, who made it, what changed; and any version rebuilt as it was.

Version N of a record is its N-th entry in the change log (`changes`, oldest first): its creation is version
1, each load or write that changed it the next, its deletion one more (a record made again after a deletion
goes on counting). Each entry keeps a field-level diff — `{field: [before, after]}`, a missing field as null
— and a deletion keeps every field the record had. So a version is rebuilt backwards from the record as it is
stored now: each later change undone, field by field; before a deletion, the record is what the deletion
kept. Entries logged before the log kept diffs (migration 0007) say what happened but not what changed: the
versions before such an entry cannot be rebuilt, and the answer says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import QueryParams

from app.core.dates import utc
from app.core.errors import NotFound
from app.core.pagination import decode_cursor, encode_cursor
from app.core.params import CURSOR, Parameters, bad, choice, integer, page_limit
from app.core.state import changes
from app.records.registry import RecordType
from app.records.repository import fetch_records

Diff = dict[str, list[Any]]
"""field -> [value before, value after]; None where the field was not set."""
HISTORY_SORTS = ("-version", "version")
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


def field_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Diff:
    """The fields whose values differ between two versions of a record (as seed files give records)."""
    before, after = before or {}, after or {}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted({*before, *after} - {"id"})
        if before.get(name) != after.get(name)
    }


class _Unknown:
    """A version that cannot be rebuilt: a later change was logged without its diff."""


UNKNOWN = _Unknown()
State = dict[str, Any] | None | _Unknown
"""A record as a version left it: its fields, None when it did not exist (deleted), or UNKNOWN."""


@dataclass(frozen=True)
class Version:
    """One entry of a record's history, with the record as that version left it (and as it was before)."""

    number: int
    action: str
    changed_at: dt.datetime
    editor: str
    dataset_version: int
    before: State
    after: State
    unrecorded_from: int | None
    """The version whose missing diff keeps this one from being rebuilt (None when it can be)."""

    def changes(self) -> list[dict[str, Any]] | None:
        """What this version changed, field by field; None when the log did not keep it."""
        if isinstance(self.before, _Unknown) or isinstance(self.after, _Unknown):
            return None
        return [{"field": f, "from": old, "to": new} for f, (old, new) in field_diff(self.before, self.after).items()]


def _undo(entry: sa.RowMapping, record_id: str, after: State) -> State:
    """The record before a logged change, from the record after it."""
    diff: Diff | None = entry["diff"]
    if entry["action"] == "created":
        return None
    if diff is None:
        return UNKNOWN
    if entry["action"] == "deleted":
        return {"id": record_id, **{name: old for name, (old, _new) in diff.items() if old is not None}}
    if isinstance(after, _Unknown) or after is None:
        return UNKNOWN
    before = dict(after)
    for name, (old, _new) in diff.items():
        if old is None:
            before.pop(name, None)
        else:
            before[name] = old
    return before


def record_versions(connection: sa.Connection, record_type: RecordType, record_id: str) -> list[Version]:
    """Every version of a record, oldest first (none for a record that never was)."""
    query = (
        sa.select(changes.c.version, changes.c.action, changes.c.changed_at, changes.c.editor, changes.c.diff)
        .where(changes.c.record_type == record_type.name, changes.c.record_id == record_id)
        .order_by(changes.c.seq)
    )
    entries = list(connection.execute(query).mappings())
    stored = fetch_records(connection, record_type, [record_id])
    state: State = stored[0][0] if stored else None
    versions: list[Version] = []
    blocker: int | None = None
    for number in range(len(entries), 0, -1):
        entry = entries[number - 1]
        before = _undo(entry, record_id, state)
        versions.append(
            Version(
                number=number,
                action=entry["action"],
                changed_at=entry["changed_at"],
                editor=entry["editor"],
                dataset_version=entry["version"],
                before=before,
                after=state,
                unrecorded_from=blocker if isinstance(state, _Unknown) else None,
            )
        )
        if isinstance(before, _Unknown) and not isinstance(state, _Unknown):
            blocker = number  # this entry was logged without its diff: what came before it is lost
        state = before
    versions.reverse()
    return versions


def _missing(record_type: RecordType, record_id: str) -> NotFound:
    return NotFound(f"no {record_type.name} with id '{record_id}' has ever been stored")


def _entry(record_type: RecordType, record_id: str, version: Version) -> dict[str, Any]:
    gone = version.action == "deleted"
    return {
        "version": version.number,
        "action": version.action,
        "changed_at": utc(version.changed_at),
        "by": version.editor,
        "dataset_version": version.dataset_version,
        "changes": version.changes(),
        "href": None if gone else f"/v1/{record_type.plural}/{record_id}?version={version.number}",
    }


@dataclass(frozen=True)
class HistorySpec:
    """A parsed history request."""

    newest_first: bool
    limit: int
    after: int | None


HISTORY_SORT = choice(
    "sort", HISTORY_SORTS, "-version (default): newest first; version: oldest first.", example="version"
)
HISTORY_LIMIT = page_limit("versions", default=DEFAULT_LIMIT, maximum=MAX_LIMIT, streams=False)
HISTORY_PARAMETERS = Parameters(HISTORY_SORT, HISTORY_LIMIT, CURSOR)
"""What `GET /v1/{plural}/{id}/history` takes."""


def parse_history(params: QueryParams, cursor_secret: str) -> HistorySpec:
    """A history request from its query string (`sort`, `limit`, `cursor`); anything else is a 400."""
    HISTORY_PARAMETERS.check(params)
    sort = HISTORY_SORT.get(params, "-version")
    after = None
    cursor = CURSOR.get(params)
    if cursor is not None:
        values = decode_cursor(cursor_secret, cursor, sort)
        if len(values) != 1 or not isinstance(values[0], int):
            raise bad("cursor", "not a cursor of this history")
        after = values[0]
    return HistorySpec(sort == "-version", HISTORY_LIMIT.get(params, DEFAULT_LIMIT), after)


def history_page(
    connection: sa.Connection, record_type: RecordType, record_id: str, spec: HistorySpec, cursor_secret: str
) -> dict[str, Any]:
    """One page of a record's history, newest first unless `sort=version`."""
    versions = record_versions(connection, record_type, record_id)
    if not versions:
        raise _missing(record_type, record_id)
    ordered = list(reversed(versions)) if spec.newest_first else versions
    if spec.after is not None:
        after = spec.after
        ordered = [v for v in ordered if (v.number < after if spec.newest_first else v.number > after)]
    page, rest = ordered[: spec.limit], ordered[spec.limit :]
    sort = "-version" if spec.newest_first else "version"
    return {
        "items": [_entry(record_type, record_id, v) for v in page],
        "next_cursor": encode_cursor(cursor_secret, sort, [page[-1].number]) if rest else None,
        "total": len(versions),
    }


VERSION = integer(
    "version",
    "A past version (1 is its creation; `/history` lists them): the record's fields as that version left them, "
    "with who made it and when.",
    minimum=1,
    maximum=2**62,
    example=1,
)
"""`version=N` on a record's page."""


def record_at(connection: sa.Connection, record_type: RecordType, record_id: str, number: int) -> dict[str, Any]:
    """Version `number` of a record as it was (its fields as a seed file gives them), with who made it and when;
    a 404 that says why when there is no such version, it deleted the record, or it cannot be rebuilt."""
    versions = record_versions(connection, record_type, record_id)
    if not versions:
        raise _missing(record_type, record_id)
    if number > len(versions):
        raise NotFound(f"the {record_type.name} '{record_id}' has versions 1 to {len(versions)}, not {number}")
    version = versions[number - 1]
    if version.action == "deleted":
        raise NotFound(
            f"version {number} of the {record_type.name} '{record_id}' deleted it; "
            f"version={number - 1} shows it as it was before"
        )
    if isinstance(version.after, _Unknown) or version.after is None:
        raise NotFound(
            f"version {number} of the {record_type.name} '{record_id}' cannot be rebuilt: version "
            f"{version.unrecorded_from} changed it before the change log kept what changed"
        )
    return {
        "type": record_type.name,
        "id": record_id,
        "version": number,
        "action": version.action,
        "changed_at": utc(version.changed_at),
        "by": version.editor,
        "dataset_version": version.dataset_version,
        "record": version.after,
    }


class FieldChange(BaseModel):
    """One field a version changed: its value before (null: not set) and after."""

    model_config = ConfigDict(populate_by_name=True)

    field: str = Field(examples=["summary"])
    from_: Any = Field(alias="from")
    to: Any


class HistoryEntry(BaseModel):
    """One version of a record: what happened, when, by whom, and what it changed."""

    version: int = Field(description="The record's version number: 1 is its creation.", examples=[3])
    action: Literal["created", "updated", "deleted"]
    changed_at: str = Field(description="When (UTC).", examples=["2026-12-07T09:00:00Z"])
    by: str = Field(description="The API key's name, or `loader` for a load of the seed files.", examples=["loader"])
    dataset_version: int = Field(description="The dataset version this change made.")
    changes: list[FieldChange] | None = Field(
        description="Each field changed, before and after (a creation lists every field it set); null when the "
        "change was logged before the log kept what changed."
    )
    href: str | None = Field(description="The record as this version left it; null for a deletion.")


class HistoryPage(BaseModel):
    """A page of a record's history."""

    items: list[HistoryEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
    total: int = Field(description="The record's versions, across all pages.")


class RecordVersion(BaseModel):
    """A record as one of its versions left it: its fields as a seed file gives them (what PUT takes)."""

    type: str
    id: str
    version: int
    action: Literal["created", "updated"]
    changed_at: str
    by: str
    dataset_version: int
    record: dict[str, Any] = Field(description="The record's fields as that version left them.")
