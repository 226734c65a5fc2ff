"""Query-string parsing shared by every endpoint: strict names, clear messages, suggestions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from starlette.datastructures import QueryParams

from app.core.dates import first_day, normalise_partial_date
from app.core.errors import BadParameter
from app.core.suggest import did_you_mean

MAX_PARAM_LENGTH = 1000
EVERYWHERE = ("pretty", "bom", "_")
"""Parameters every endpoint takes: `pretty` and `bom` (app.core.middleware) and jQuery's `_` cache buster,
which is ignored."""


def bad(field: str, message: str) -> BadParameter:
    """A 400 naming the parameter."""
    return BadParameter(f"{field}: {message}", errors=[{"field": field, "message": message}])


def reject_unknown(params: QueryParams, allowed: Iterable[str]) -> None:
    """A 400 for any parameter the endpoint does not take, with the closest valid name."""
    names = {*allowed, *EVERYWHERE}
    for name, value in params.multi_items():
        if name not in names:
            raise bad(name, f"unknown parameter '{name[:100]}'{did_you_mean(name, sorted(names))}")
        if not value and name not in ("q", "_"):  # `kind=` or `count=` is a slip, not "no filter" or "false"
            raise bad(name, "has no value: give one, or leave the parameter out")
        check_text(name, value)


def check_text(field: str, value: str) -> str:
    """Refuse values no database should see: NUL bytes, lone surrogates, absurd lengths."""
    if len(value) > MAX_PARAM_LENGTH:
        raise bad(field, f"value is too long (at most {MAX_PARAM_LENGTH} characters)")
    if "\x00" in value:
        raise bad(field, "value contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(field, "value is not valid Unicode") from None
    return value


def parse_date_bound(field: str, value: str, *, end: bool = False) -> dt.date:
    """A date bound: `2018`, `2018-07` or `2018-07-20`; as an end bound a partial date means its last day."""
    try:
        text = normalise_partial_date(value)
    except ValueError as exc:
        raise bad(field, str(exc)) from None
    start = first_day(text)
    if not end or len(text) == 10:
        return start
    if len(text) == 4:
        return dt.date(start.year, 12, 31)
    next_month = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return next_month - dt.timedelta(days=1)


def parse_choice(field: str, value: str, choices: Iterable[str]) -> str:
    """One of `choices`, or a 400 with the closest one."""
    options = list(choices)
    if value not in options:
        raise bad(field, f"'{value[:100]}' is not one of {', '.join(options)}{did_you_mean(value, options)}")
    return value


def parse_int(field: str, value: str, *, minimum: int, maximum: int) -> int:
    """An integer within bounds, or a 400."""
    try:
        number = int(value)
    except ValueError:
        raise bad(field, f"'{value[:100]}' is not a whole number") from None
    if not minimum <= number <= maximum:
        raise bad(field, f"must be between {minimum} and {maximum}")
    return number


def parse_bool(field: str, value: str) -> bool:
    """true/false (also 1/0, yes/no)."""
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    raise bad(field, f"'{value[:100]}' is not true or false")


def split_list(values: list[str]) -> list[str]:
    """Repeated and comma-separated values as one list: `a,b&x=c` -> [a, b, c]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
