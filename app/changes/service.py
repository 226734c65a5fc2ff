"""Parse a change-feed request strictly: `since` is a dataset version or an ISO 8601 timestamp."""

from __future__ import annotations

import datetime as dt
import re

from starlette.datastructures import QueryParams

from app.changes.queries import ChangesSpec
from app.core.pagination import decode_cursor
from app.core.params import bad, parse_choice, parse_int, reject_unknown, split_list
from app.records.fields import RECORD_TYPES

PARAMETERS = ("since", "type", "action", "limit", "cursor", "format")
ACTIONS = ("created", "updated", "deleted")
MAX_LIMIT = 500
CURSOR_SORT = "seq"
_VERSION = re.compile(r"^\d{1,30}$")
_MAX_VERSION = 2**63 - 1


def parse_since(value: str) -> tuple[int | None, dt.datetime | None]:
    """(version, None) for `42`; (None, UTC time) for `2025-01-31T12:00:00Z` or `2025-01-31`."""
    text = value.strip()
    if _VERSION.match(text):
        version = int(text)
        if version > _MAX_VERSION:
            raise bad("since", f"version {text[:40]} is beyond any dataset version")
        return version, None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise bad(
            "since", f"'{value[:100]}' is neither a dataset version (42) nor a timestamp (2025-01-31T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # a time without a zone is read as UTC
    return None, moment.astimezone(dt.UTC)


def parse_changes(params: QueryParams, cursor_secret: str) -> ChangesSpec:
    """A change-feed request from its query string; anything unknown or malformed is a 400."""
    reject_unknown(params, PARAMETERS)
    spec = ChangesSpec()
    if "since" in params:
        spec.since_version, spec.since_time = parse_since(params["since"])
    spec.types = [parse_choice("type", t, RECORD_TYPES) for t in split_list(params.getlist("type"))]
    spec.actions = [parse_choice("action", a, ACTIONS) for a in split_list(params.getlist("action"))]
    if "limit" in params:
        spec.limit = parse_int("limit", params["limit"], minimum=1, maximum=MAX_LIMIT)
    if "cursor" in params:
        values = decode_cursor(cursor_secret, params["cursor"], CURSOR_SORT)
        if len(values) != 1 or not isinstance(values[0], int) or isinstance(values[0], bool):
            raise bad("cursor", "this cursor does not fit this list; start again without it")
        spec.after_seq = values[0]
    return spec
