"""Create, replace, patch and delete one record: checked as a seed file is, written by the seed loader.

A write is a load of one record. It runs in the loader's transaction, holding the loader's lock (one load
or write at a time: `BEGIN IMMEDIATE` on SQLite, an advisory lock on PostgreSQL, waiting up to
TECHSOV_WRITE_WAIT_S), so what it checks — the record's current ETag, the ids it refers to, who refers to
it — is what it writes over, and no other writer can come between. Of writers holding the same ETag, the
first to take the lock changes the record and every later one finds its ETag stale (412).

The record is validated by the seed validator (its model, its references, its chains) and written by
`write_seed`, which in the same transaction writes its rows and list rows, its search-index rows, the
dataset version and the change log — and whatever else the loader keeps in step with the records (the
stored rendered documents of app/records/documents.py, when present, are refreshed there). Nothing is
written when anything fails.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from anyio import CapacityLimiter
from pydantic import ValidationError
from starlette.requests import Request

from app.auth.guard import Caller
from app.core.deps import get_database
from app.core.errors import (
    Conflict,
    InvalidRecord,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
)
from app.core.state import current_version
from app.records.detail import record_detail, stored_hash
from app.records.etags import if_match, record_etag
from app.records.fields import is_slug
from app.records.references import referrers
from app.records.registry import BY_NAME, RecordType
from app.records.repository import fetch_records
from app.seeding.load import write_seed
from app.seeding.lock import LoadBusy, load_transaction
from app.seeding.reader import RawRecord
from app.seeding.validate import KnownIds, ValidatedSeed, ValidRecord, canonical, validate_seed
from app.writes.body import merge_patch

T = TypeVar("T")
WRITE_THREADS = 4
"""Writes in flight per process; they wait for the database's write lock, not for each other."""
CHAIN_LIMIT = 1000
"""Links followed when checking that a new parent (or successor, or family) does not lead back to the record."""
NEAR_IDS = 200
"""Ids read, near an unknown reference, to suggest the one meant."""
SERVER_OWNED = ("created_at", "updated_at", "content_hash", "version", "etag", "referenced_by", "disputed",
                "disputed_by", "history")  # fmt: skip
"""Fields the API shows but only the server sets: refused in a write, never silently dropped."""


@dataclass(frozen=True)
class Written:
    """What a write answers with: the record as GET now shows it, and its new ETag (None once deleted)."""

    record: dict[str, Any] | None
    etag: str | None


def _limiter(request: Request) -> CapacityLimiter:
    limiter: CapacityLimiter | None = getattr(request.app.state, "write_limiter", None)
    if limiter is None:
        limiter = request.app.state.write_limiter = CapacityLimiter(WRITE_THREADS)
    return limiter


async def run_write(request: Request, work: Callable[[sa.Connection], T]) -> T:
    """`work` in a worker thread, in the loader's transaction holding its lock; committed when it returns."""
    wait_s: float = request.app.state.settings.techsov_write_wait_s
    database = get_database(request)

    def in_transaction(connection: sa.Connection) -> T:
        try:
            with load_transaction(connection, wait=True, wait_timeout=wait_s):
                return work(connection)
        except LoadBusy:
            raise ServiceUnavailable(
                f"a load or another write held the database for {wait_s:g} s; nothing was written: try again",
                headers={"Retry-After": "5"},
            ) from None
        except sa.exc.IntegrityError:
            raise Conflict(
                "the database refused the change (another record still refers to this one, or the id is taken); "
                "nothing was written"
            ) from None

    return await anyio.to_thread.run_sync(database.read_sync, in_transaction, limiter=_limiter(request))


def require_if_match(header: str | None, record_type: RecordType, record_id: str) -> str:
    """The If-Match header a change needs (428 without it)."""
    if not header:
        raise PreconditionRequired(
            f"send `If-Match` with the ETag of the {record_type.name} as you read it (GET /v1/{record_type.plural}/"
            f"{record_id} gives it), so that a change made meanwhile is not overwritten"
        )
    return header


def _current(connection: sa.Connection, record_type: RecordType, record_id: str) -> tuple[dict[str, Any], str]:
    """The stored record (its fields as a seed file gives them) and its content hash; 404 when there is none."""
    found = fetch_records(connection, record_type, [record_id])
    if not found:
        raise NotFound(f"no {record_type.name} with id '{record_id}'; POST /v1/{record_type.plural} creates one")
    data, row = found[0]
    return data, str(row["content_hash"])


def _check_version(
    connection: sa.Connection, record_type: RecordType, record_id: str, header: str, content_hash: str
) -> None:
    """412 unless `If-Match` names the record's current content."""
    if if_match(header, content_hash):
        return
    etag = record_etag(content_hash, current_version(connection)[0])
    raise PreconditionFailed(
        f"the {record_type.name} '{record_id}' changed since you read it (its ETag is now {etag}): GET it again, "
        "apply your change to what it says now, and send that ETag",
        headers={"ETag": etag},
    )


def _server_owned(body: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"field": name, "message": f"'{name}' is set by the server; leave it out"}
        for name in SERVER_OWNED
        if name in body
    ]


def _near_ids(connection: sa.Connection, record_type: RecordType, missing: str) -> list[str]:
    """Stored ids sharing the first letters of an unknown one, to suggest from (never the whole table)."""
    table, start = record_type.table, missing[:2]
    query = sa.select(table.c.id).where(table.c.id >= start, table.c.id < start + "~").order_by(table.c.id)
    return list(connection.execute(query.limit(NEAR_IDS)).scalars())


def _known_targets(connection: sa.Connection, record_type: RecordType, data: dict[str, Any]) -> KnownIds:
    """The stored records this record refers to (actors with their kinds), and ids near any that are not stored:
    what the seed validator's reference checks need, read for this record only."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for reference in record_type.references(data):
        wanted[reference.target_type].add(reference.target_id)
    known: dict[str, dict[str, str | None]] = {}
    for type_name, ids in wanted.items():
        target = BY_NAME[type_name]
        table = target.table
        kind = table.c.kind if type_name == "actor" else sa.null()
        found: dict[str, str | None] = dict(
            connection.execute(sa.select(table.c.id, kind).where(table.c.id.in_(ids))).all()
        )
        for missing in ids - found.keys():
            found.update(dict.fromkeys((i for i in _near_ids(connection, target, missing) if i not in found), None))
        known[type_name] = found
    return known


def _chain_loops(connection: sa.Connection, record_type: RecordType, data: dict[str, Any]) -> list[dict[str, str]]:
    """A new parent (successor, family) that leads back, through stored records, to this record."""
    problems = []
    table = record_type.table
    for field_name in record_type.acyclic:
        column = table.c[record_type.column_name(field_name)]
        path, node = [data["id"]], data.get(field_name)
        for _ in range(CHAIN_LIMIT):
            if node is None or node in path[1:]:
                break
            path.append(node)
            if node == data["id"]:
                problems.append({"field": field_name, "message": f"{field_name} chain loops: {' -> '.join(path)}"})
                break
            node = connection.execute(sa.select(column).where(table.c.id == node)).scalar()
    return problems


def validated_record(connection: sa.Connection, record_type: RecordType, body: dict[str, Any]) -> ValidRecord:
    """The record as the seed validator checks a file's: its model, its references (to what is stored), its
    chains; a 400 listing every problem otherwise."""
    problems = _server_owned(body)
    data = {k: v for k, v in body.items() if k not in SERVER_OWNED}
    try:
        known = _known_targets(connection, record_type, canonical(record_type.model.model_validate(data)))
    except ValidationError:
        known = {}  # the validator reports the model's problems; references are checked once they are fixed
    validated = validate_seed([RawRecord(record_type, data, "(body)", 0)], known)
    problems += [{"field": e.field, "message": e.message} for e in validated.errors]
    if not problems:
        valid = validated.records[record_type.name][0]
        problems = _chain_loops(connection, record_type, valid.data)
        if not problems:
            return valid
    detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    raise InvalidRecord(f"the {record_type.name} is not valid, nothing was written: {detail}", errors=problems)


def _written(connection: sa.Connection, record_type: RecordType, record_id: str) -> Written:
    content_hash = stored_hash(connection, record_type, record_id)
    assert content_hash is not None
    etag = record_etag(content_hash, current_version(connection)[0])
    return Written(record_detail(connection, record_type, record_id), etag)


def _store(connection: sa.Connection, record: ValidRecord, caller: Caller) -> None:
    """Write one validated record through the loader (nothing happens when its content is unchanged)."""
    write_seed(connection, ValidatedSeed(records={record.record_type.name: [record]}), bulk=False, editor=caller.name)


def create(connection: sa.Connection, record_type: RecordType, body: dict[str, Any], caller: Caller) -> Written:
    """POST: a new record; 409 when its id is taken."""
    record_id = body.get("id")
    if isinstance(record_id, str) and is_slug(record_id) and stored_hash(connection, record_type, record_id):
        raise Conflict(
            f"a {record_type.name} with id '{record_id}' exists: PUT or PATCH /v1/{record_type.plural}/{record_id} "
            "changes it (with If-Match)",
            errors=[{"field": "id", "message": f"'{record_id}' is taken"}],
        )
    record = validated_record(connection, record_type, body)
    _store(connection, record, caller)
    return _written(connection, record_type, record.data["id"])


def _same_id(body: dict[str, Any], record_id: str) -> None:
    given = body.get("id", record_id)
    if given != record_id:
        message = f"ids never change: this is '{record_id}' (the address's), not '{str(given)[:100]}'"
        raise InvalidRecord(f"id: {message}", errors=[{"field": "id", "message": message}])


def change(
    connection: sa.Connection,
    record_type: RecordType,
    record_id: str,
    body: dict[str, Any],
    header: str,
    caller: Caller,
    *,
    patching: bool,
) -> Written:
    """PUT (`patching=False`): the record's fields replaced by the body's, a field left out emptied. PATCH: the
    body merged into the stored record (RFC 7396: null removes a field, a list is replaced whole)."""
    _same_id(body, record_id)
    owned = _server_owned(body)
    if patching and owned:  # a replacement's are listed with its other problems
        raise InvalidRecord(
            "; ".join(f"{p['field']}: {p['message']}" for p in owned) + "; nothing was written", errors=owned
        )
    data, content_hash = _current(connection, record_type, record_id)
    _check_version(connection, record_type, record_id, header, content_hash)
    new_record = merge_patch(data, body) if patching else {**body, "id": record_id}
    _store(connection, validated_record(connection, record_type, new_record), caller)
    return _written(connection, record_type, record_id)


def delete(connection: sa.Connection, record_type: RecordType, record_id: str, header: str, caller: Caller) -> None:
    """DELETE: the record goes (a tombstone stays in the change log); 409 while other records refer to it."""
    _data, content_hash = _current(connection, record_type, record_id)
    _check_version(connection, record_type, record_id, header, content_hash)
    found = referrers(connection, record_type, record_id)
    if found:
        shown = ", ".join(str(r) for r in found[:10]) + (" …" if len(found) > 10 else "")
        raise Conflict(
            f"the {record_type.name} '{record_id}' is still referred to by {shown}: change or delete those first; "
            "nothing was deleted",
            errors=[
                {"field": f"{r.record_type}:{r.record_id}.{r.field}", "message": f"refers to '{record_id}'"}
                for r in found
            ],
        )
    write_seed(connection, ValidatedSeed(), remove={record_type.name: [record_id]}, bulk=False, editor=caller.name)
