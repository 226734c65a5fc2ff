"""Turn Pydantic's validation errors into messages a person can act on.

Used for seed files now and for writes later, so both say the same thing.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.core.errors import Loc, format_loc
from app.core.suggest import did_you_mean
from app.records.fields import KEY_PATTERN, SLUG_PATTERN


@dataclass(frozen=True)
class FieldProblem:
    """A problem with one field of one record."""

    loc: Loc
    message: str

    @property
    def field(self) -> str:
        """The field path as written: `roles[0].of`."""
        return format_loc(self.loc)


def _literal_choices(model: type[BaseModel], loc: Loc) -> tuple[str, ...]:
    """The allowed values of the Literal field at `loc`, if it is one."""
    current: Any = model
    annotation: Any = None
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = next(
                (f for n, f in current.model_fields.items() if (f.alias or n) == part),
                None,
            )
            if info is None:
                return ()
            annotation = info.annotation
            current = annotation
            for arg in get_args(annotation) or ():
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    current = arg
    for candidate in (annotation, *get_args(annotation or ())):
        if get_origin(candidate) is Literal:
            return tuple(str(a) for a in get_args(candidate))
    return ()


def _field_names(model: type[BaseModel], loc: Loc) -> list[str]:
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if info is None:
            return []
        nested = [
            a for a in (info.annotation, *get_args(info.annotation)) if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if not nested:
            return []
        current = nested[0]
    return [f.alias or n for n, f in typing.cast(type[BaseModel], current).model_fields.items()]


def _message(model: type[BaseModel], error: ErrorDetails) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "missing":
        if loc and loc[-1] == "sources":
            return "every record must cite at least one source (ids of source records)"
        return "required field is missing"
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else ""
        return f"unknown field '{name}'{did_you_mean(name, _field_names(model, loc))}"
    if kind in ("literal_error", "enum"):
        choices = _literal_choices(model, loc)
        return f"'{value}' is not allowed{did_you_mean(str(value), choices)} (one of: {', '.join(choices)})"
    if kind == "too_short" and loc and loc[-1] == "sources":
        return "every record must cite at least one source (ids of source records)"
    if kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        if pattern == SLUG_PATTERN:
            return f"'{value}' is not an id: use lowercase letters, digits and single hyphens"
        if pattern.startswith("^(actor|"):
            return f"'{value}' is not a typed reference: write type:id, e.g. actor:huawei"
        if "\\d{4}" in pattern:
            return f"'{value}' is not a date: write 2017-07-20, 2017-07 or 2017"
        if pattern == KEY_PATTERN:
            return f"'{value}' is not a key: use snake_case such as fp16_tflops"
        if pattern.startswith("^https?"):
            return f"'{value}' is not an http(s) URL"
        return f"'{value}' is not in the expected form"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def explain(model: type[BaseModel], exc: ValidationError) -> list[FieldProblem]:
    """Every problem in a validation error, with an actionable message."""
    return [FieldProblem(tuple(e["loc"]), _message(model, e)) for e in exc.errors(include_url=False)]
