"""Parse a change-feed request strictly: `since` is a dataset version or an ISO 8601 timestamp."""

from __future__ import annotations

import datetime as dt
import re

from starlette.datastructures import QueryParams

from app.changes.queries import ChangesSpec
from app.core.pagination import decode_cursor
from app.core.params import CURSOR, One, Parameters, bad, choices, page_limit
from app.core.render import FORMAT
from app.records.fields import RECORD_TYPES

ACTIONS = ("created", "updated", "deleted")
MAX_LIMIT = 500
CURSOR_SORT = "seq"
_VERSION = re.compile(r"^\d{1,30}$")
_MAX_VERSION = 2**63 - 1


def parse_since(field: str, value: str) -> tuple[int | None, dt.datetime | None]:
    """(version, None) for `42`; (None, UTC time) for `2025-01-31T12:00:00Z` or `2025-01-31`."""
    text = value.strip()
    if _VERSION.match(text):
        version = int(text)
        if version > _MAX_VERSION:
            raise bad(field, f"version {text[:40]} is beyond any dataset version")
        return version, None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise bad(
            field, f"'{value[:100]}' is neither a dataset version (42) nor a timestamp (2025-01-31T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # a time without a zone is read as UTC
    return None, moment.astimezone(dt.UTC)


SINCE = One(
    name="since",
    description="Only changes after this: a dataset version (an integer, as in `GET /v1` or this feed's `version`) "
    "or an ISO 8601 timestamp (`2025-01-31T12:00:00Z`; without a zone it is UTC). Left out: the whole log.",
    schema={"type": "string", "maxLength": 40},
    example="3",
    parse=parse_since,
)
TYPE = choices("type", RECORD_TYPES, "Only records of this type (repeat for OR).", example="policy")
ACTION = choices("action", ACTIONS, f"Only these actions (repeat for OR): {', '.join(ACTIONS)}.", example="deleted")
LIMIT = page_limit("entries", default=50, maximum=MAX_LIMIT)
PARAMETERS = Parameters(SINCE, TYPE, ACTION, LIMIT, CURSOR, FORMAT)


def parse_changes(params: QueryParams, cursor_secret: str) -> ChangesSpec:
    """A change-feed request from its query string; anything unknown or malformed is a 400."""
    PARAMETERS.check(params)
    spec = ChangesSpec()
    spec.since_version, spec.since_time = SINCE.get(params, (None, None))
    spec.types = TYPE.get(params)
    spec.actions = ACTION.get(params)
    spec.limit = LIMIT.get(params, spec.limit)
    cursor = CURSOR.get(params)
    if cursor is not None:
        values = decode_cursor(cursor_secret, cursor, CURSOR_SORT)
        if len(values) != 1 or not isinstance(values[0], int) or isinstance(values[0], bool):
            raise bad("cursor", "this cursor does not fit this list; start again without it")
        spec.after_seq = values[0]
    return spec
