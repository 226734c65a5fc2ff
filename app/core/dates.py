"""Partial ISO dates: `2017`, `2017-07` or `2017-07-20`, kept as given, sorted as their first day."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Literal, overload

Precision = Literal["year", "month", "day"]

PARTIAL_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
_PARTIAL_DATE = re.compile(PARTIAL_DATE_PATTERN)
_PRECISION_BY_LENGTH: dict[int, Precision] = {4: "year", 7: "month", 10: "day"}
_LENGTH_BY_PRECISION: dict[str, int] = {v: k for k, v in _PRECISION_BY_LENGTH.items()}


def normalise_partial_date(value: object) -> str:
    """Turn a YAML/JSON value (date, int year, or string) into a checked partial-date string."""
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date such as 2017-07-20, 2017-07 or 2017, not a timestamp")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("expected a date such as 2017-07-20, 2017-07 or 2017")
    text = value.strip()
    if not _PARTIAL_DATE.match(text):
        raise ValueError(f"'{value}' is not a date: write 2017-07-20, 2017-07 or 2017")
    first_day(text)  # raises on a month 13 or a 30 February
    return text


# Cached: a seed load asks for the same few thousand dates hundreds of
# thousands of times (when validating, comparing and storing each one).
@functools.lru_cache(maxsize=16384)
def first_day(text: str) -> dt.date:
    """The first day a partial date covers: `2017-07` -> 2017-07-01."""
    parts = [int(p) for p in text.split("-")]
    year, month, day = [*parts, 1, 1][:3]
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text}' is not a calendar date") from None


def precision_of(text: str) -> Precision:
    """How much of the date was given: year, month or day."""
    return _PRECISION_BY_LENGTH[len(text)]


def format_partial(day: dt.date, precision: str) -> str:
    """The partial-date string for a stored first day and precision."""
    return day.isoformat()[: _LENGTH_BY_PRECISION[precision]]


@overload
def stored_date(value: dt.date | str) -> dt.date: ...
@overload
def stored_date(value: None) -> None: ...
def stored_date(value: dt.date | str | None) -> dt.date | None:
    """A date as the database hands it back: SQLite gives ISO text, PostgreSQL a date."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def utc(value: dt.datetime) -> str:
    """A stored timestamp as ISO 8601 in UTC (SQLite hands them back without a zone)."""
    if value.tzinfo is None:
        return value.isoformat() + "Z"
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
