"""Query parameters, each declared once: the declaration parses its value strictly (a 400 that names the
parameter and suggests the fix) and gives its OpenAPI entry, so what an endpoint reads and what its
documentation shows are one fact.

An endpoint lists its declarations in a `Parameters`: the list refuses any other name (`Parameters.check`)
and gives the parameters of the route's OpenAPI operation (`openapi_extra`). Route signatures take no `Query(...)`:
FastAPI never validates a query parameter, so every bad value gets the same house answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar, overload

from starlette.datastructures import QueryParams

from app.core.dates import first_day, normalise_partial_date
from app.core.errors import BadParameter
from app.core.suggest import did_you_mean

T = TypeVar("T")

MAX_PARAM_LENGTH = 1000
EVERYWHERE = ("pretty", "bom", "_")
"""Parameters every endpoint takes: `pretty` and `bom` (app.core.middleware) and jQuery's `_` cache buster,
which is ignored."""

DATE_PATTERN = r"^[1-9][0-9]{3}(-(0[1-9]|1[0-2]))?$"
DATE_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "pattern": DATE_PATTERN}, {"type": "string", "format": "date"}]
}
"""A date or a partial date: 2018, 2018-07 or 2018-07-20."""
TEXT_SCHEMA: dict[str, Any] = {"type": "string", "maxLength": MAX_PARAM_LENGTH}


def bad(field: str, message: str) -> BadParameter:
    """A 400 naming the parameter."""
    return BadParameter(f"{field}: {message}", errors=[{"field": field, "message": message}])


def check_text(field: str, value: str, max_length: int = MAX_PARAM_LENGTH) -> str:
    """Refuse values no database should see: NUL bytes, lone surrogates, absurd lengths."""
    if len(value) > max_length:
        raise bad(field, f"value is too long (at most {max_length} characters)")
    if "\x00" in value:
        raise bad(field, "value contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(field, "value is not valid Unicode") from None
    return value


def verbatim(_field: str, value: str) -> str:
    """Text as given (`Parameters.check` has refused what no database should see)."""
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


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """What every declared query parameter has: its name and how the OpenAPI document shows it."""

    name: str
    description: str
    schema: Mapping[str, Any]
    """The parameter's JSON schema (without its example)."""
    example: Any = None
    """Shown in the documentation; None where no example would be valid (a cursor)."""
    required: bool = False
    blank: bool = False
    """An empty value (`q=`) means "not given" rather than a slip (`kind=`, `count=`), which is a 400."""
    max_length: int = MAX_PARAM_LENGTH

    def openapi(self) -> dict[str, Any]:
        """The parameter's OpenAPI entry; the example of a list is a list."""
        schema = dict(self.schema)
        if self.example is not None:
            listed = schema.get("type") == "array" and not isinstance(self.example, list)
            schema["examples"] = [[self.example] if listed else self.example]
        return {"name": self.name, "in": "query", "required": self.required, "description": self.description,
                "schema": schema}  # fmt: skip

    def described(self, description: str, example: Any = None) -> Self:
        """The same parameter with a route's own wording (and example): `FROM.described("Events on or after…")`."""
        changes: dict[str, Any] = {"description": description}
        if example is not None:
            changes["example"] = example
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class One(Parameter, Generic[T]):
    """A parameter with one value; given twice, the last counts (or a 400, with `once`)."""

    parse: Callable[[str, str], T]
    """(name, text) -> value, or a `bad(name, …)`."""
    once: bool = False
    missing: str = "is required"
    """What a 400 says when a required parameter is left out."""

    @overload
    def get(self, params: QueryParams) -> T | None: ...
    @overload
    def get(self, params: QueryParams, default: T) -> T: ...
    def get(self, params: QueryParams, default: T | None = None) -> T | None:
        """The parsed value, or `default` when the parameter is not given."""
        if self.name not in params:
            return default
        if self.once and len(params.getlist(self.name)) > 1:
            raise bad(self.name, "give it once")
        return self.parse(self.name, params[self.name])

    def require(self, params: QueryParams) -> T:
        """The parsed value; a 400 that says what to give when it is missing."""
        value = self.get(params)
        if value is None:
            raise bad(self.name, self.missing)
        return value


@dataclass(frozen=True, kw_only=True)
class Many(Parameter, Generic[T]):
    """A parameter with several values, repeated or comma-separated (`type=a,b&type=c`): they mean OR."""

    parse: Callable[[str, str], T]

    def get(self, params: QueryParams) -> list[T]:
        """Every value, parsed, in the order given (none: an empty list)."""
        return [self.parse(self.name, value) for value in split_list(params.getlist(self.name))]


class Parameters:
    """The query parameters an endpoint takes, each declared once, in the order the documentation lists them."""

    def __init__(self, *declared: Parameter) -> None:
        duplicated = sorted(name for name, n in Counter(p.name for p in declared).items() if n > 1)
        if duplicated:
            raise ValueError(f"parameters declared twice: {', '.join(duplicated)}")
        self.declared = declared
        self._by_name = {p.name: p for p in declared}
        self._known = sorted({*self._by_name, *EVERYWHERE})

    @property
    def names(self) -> list[str]:
        """The names the endpoint takes (besides those every endpoint takes, `EVERYWHERE`)."""
        return [p.name for p in self.declared]

    def check(self, params: QueryParams) -> QueryParams:
        """A 400 for a parameter not declared here (with the closest valid name), an empty value or unsafe
        text; the parameters otherwise."""
        for name, value in params.multi_items():
            declared = self._by_name.get(name)
            if declared is None and name not in EVERYWHERE:
                raise bad(name, f"unknown parameter '{name[:100]}'{did_you_mean(name, self._known)}")
            if not value and not (declared.blank if declared else name == "_"):
                raise bad(name, "has no value: give one, or leave the parameter out")
            check_text(name, value, declared.max_length if declared else MAX_PARAM_LENGTH)
        return params

    def openapi(self) -> list[dict[str, Any]]:
        """The OpenAPI entries, for the route's `openapi_extra={"parameters": …}`."""
        return [p.openapi() for p in self.declared]


NO_PARAMETERS = Parameters()
"""What an endpoint with no parameters of its own takes: only those every endpoint takes (`EVERYWHERE`)."""


def text(
    name: str, description: str, *, example: Any = None, schema: Mapping[str, Any] = TEXT_SCHEMA, blank: bool = False
) -> One[str]:
    """Free text (a cursor, a search, a sort list)."""
    return One(name=name, description=description, schema=schema, example=example, blank=blank, parse=verbatim)


def texts(name: str, description: str, *, example: Any = None) -> Many[str]:
    """Several free values (ids, tags)."""
    schema = {"type": "array", "items": TEXT_SCHEMA}
    return Many(name=name, description=description, schema=schema, example=example, parse=verbatim)


def integer(name: str, description: str, *, minimum: int, maximum: int, example: int | None = None) -> One[int]:
    """A whole number within bounds."""

    def parse(field: str, value: str) -> int:
        return parse_int(field, value, minimum=minimum, maximum=maximum)

    schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
    return One(name=name, description=description, schema=schema, example=example, parse=parse)


def boolean(name: str, description: str, *, example: bool = True) -> One[bool]:
    """true or false (also 1/0, yes/no)."""
    return One(name=name, description=description, schema={"type": "boolean"}, example=example, parse=parse_bool)


def choice(name: str, options: Iterable[str], description: str, *, example: str | None = None) -> One[str]:
    """One of a few words; anything else gets the closest one suggested."""
    allowed = tuple(options)

    def parse(field: str, value: str) -> str:
        return parse_choice(field, value, allowed)

    schema = {"type": "string", "enum": list(allowed)}
    return One(name=name, description=description, schema=schema, example=example, parse=parse)


def choices(name: str, options: Iterable[str], description: str, *, example: Any = None) -> Many[str]:
    """Several of a few words (repeated or comma-separated)."""
    allowed = tuple(options)

    def parse(field: str, value: str) -> str:
        return parse_choice(field, value, allowed)

    schema = {"type": "array", "items": {"type": "string", "enum": list(allowed)}}
    return Many(name=name, description=description, schema=schema, example=example, parse=parse)


def date(name: str, description: str, *, end: bool = False, example: str | None = None) -> One[dt.date]:
    """A date or a partial date; as an end bound (`end`) a partial date means its last day."""

    def parse(field: str, value: str) -> dt.date:
        return parse_date_bound(field, value, end=end)

    return One(name=name, description=description, schema=DATE_SCHEMA, example=example, parse=parse)


def page_limit(things: str, *, default: int, maximum: int, streams: bool = True) -> One[int]:
    """`limit`: how many `things` a page holds; `streams` when CSV and NDJSON give every match instead."""
    note = " CSV and NDJSON ignore it." if streams else ""
    return integer(
        "limit",
        f"{things.capitalize()} per page, 1 to {maximum} (default {default}).{note}",
        minimum=1,
        maximum=maximum,
        example=default,
    )


def count(things: str) -> One[bool]:
    """`count=true`: add the number of matching `things`."""
    return boolean("count", f"Add `total`, the number of matching {things}.")


CURSOR = text("cursor", "The `next_cursor` of the previous page (opaque; only the API makes them).")
FROM = date("from", "On or after this date: 2018, 2018-07 or 2018-07-20.", example="2018")
TO = date(
    "to",
    "On or before this date; a partial date means its last day (2018: up to 2018-12-31).",
    end=True,
    example="2018",
)


DateRange = tuple[dt.date | None, dt.date | None]


def date_range(params: QueryParams, start: One[dt.date] = FROM, end: One[dt.date] = TO) -> DateRange:
    """`from` and `to`, each optional; a 400 when `to` comes before `from`."""
    date_from, date_to = start.get(params), end.get(params)
    if date_from and date_to and date_from > date_to:
        raise bad(end.name, f"is before `{start.name}`")
    return date_from, date_to
