"""Field types shared by the input models, with markers the storage engine reads.

The input models are the single declaration of each record type: the table
layout, the seed loader, the export and the detail view are all derived from
these annotations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema

from app.core.dates import PARTIAL_DATE_PATTERN, normalise_partial_date

RecordTypeName = Literal["actor", "policy", "statement", "hardware", "dependency", "source"]
"""The names of the record types, in the API's order: the one list of them (app/records/registry.py declares each)."""
RECORD_TYPES: tuple[RecordTypeName, ...] = get_args(RecordTypeName)

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MAX_LENGTH = 80
ID_PATH_MAX_LENGTH = SLUG_MAX_LENGTH * 4
"""The longest id a path may name (`/v1/{plural}/{id}` and the routes under it): a longer one is refused with a
400 before any read, a shorter one that is not a record's id is a 404 that says what ids look like."""
_SLUG = re.compile(SLUG_PATTERN)


@dataclass(frozen=True)
class RefTo:
    """Marks a field whose value is the id of a record of one of `types`."""

    types: tuple[RecordTypeName, ...]
    kinds: tuple[str, ...] = ()
    """For actor references: the actor kinds allowed (empty: any kind)."""

    @property
    def typed(self) -> bool:
        """A typed reference is written `type:id` because it may point at several types."""
        return len(self.types) > 1


@dataclass(frozen=True)
class PartialDateField:
    """Marks a partial date, stored as its first day plus a precision."""


@dataclass(frozen=True)
class ChildRows:
    """Marks a list stored in a child table (filterable), not in a JSON column."""

    counted: bool = False
    """Lists count records by its values (`facets=tag`)."""


@dataclass(frozen=True)
class SlugOrText:
    """Marks a field that is an actor reference when shaped like a slug, else free text."""

    ref: RefTo


def is_slug(value: str) -> bool:
    """True when `value` is shaped like a record id."""
    return len(value) <= SLUG_MAX_LENGTH and bool(_SLUG.match(value))


def _reject_control_characters(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, max_length=SLUG_MAX_LENGTH),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000), AfterValidator(_reject_control_characters)]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_reject_control_characters),
]
LanguageTag = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35),
]
Url = Annotated[
    str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000), AfterValidator(_reject_control_characters)
]
PartialDate = Annotated[
    str,
    BeforeValidator(normalise_partial_date),
    PartialDateField(),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PARTIAL_DATE_PATTERN,
            "description": "ISO 8601 date; may be partial (2017-07 or 2017)",
            "examples": ["2017-07-20", "2017-07", "2017"],
        }
    ),
]

ActorRef = Annotated[Slug, RefTo(("actor",))]
PolicyRef = Annotated[Slug, RefTo(("policy",))]
HardwareRef = Annotated[Slug, RefTo(("hardware",))]
SourceRef = Annotated[Slug, RefTo(("source",))]


def typed_ref_pattern(types: tuple[RecordTypeName, ...]) -> str:
    """The pattern of a typed reference to one of `types`: `actor:huawei`."""
    return rf"^({'|'.join(types)}):{SLUG_PATTERN.removeprefix('^')}"


AnyRecordRef = Annotated[
    str,
    StringConstraints(pattern=typed_ref_pattern(RECORD_TYPES), max_length=SLUG_MAX_LENGTH + 12),
    RefTo(RECORD_TYPES),
]
DependentRef = Annotated[
    str,
    StringConstraints(pattern=typed_ref_pattern(("actor", "hardware")), max_length=SLUG_MAX_LENGTH + 12),
    RefTo(("actor", "hardware")),
]
StateRef = Annotated[Slug, RefTo(("actor",), kinds=("state",))]
JurisdictionRef = Annotated[Slug, RefTo(("actor",), kinds=("state", "bloc"))]
MediaRef = Annotated[Slug, RefTo(("actor",), kinds=("media",))]
ActorOrText = Annotated[ShortText, SlugOrText(RefTo(("actor",)))]

Tag = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=60)]
KEY_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=60)]
"""A snake_case map key: `fp16_tflops`, `wikidata`."""
