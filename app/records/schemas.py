"""Response models of each type, derived from its fields: what the OpenAPI document promises."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from app.records.registry import DEPENDENCY, RECORD_TYPE_LIST, RecordType
from app.records.storage import RefOut as RefOut  # also the expanded references of other features
from app.records.storage import StoredField


class SourceOut(BaseModel):
    """A cited source, embedded in the record that cites it."""

    id: str
    type: Literal["source"]
    name: str | None
    title: str | None
    publisher: str | None
    url: str | None
    retrieved_from: str | None
    published_on: str | None
    language: str | None
    kind: str | None


class ReferencedBy(BaseModel):
    """The records of one type that point at this one through one field."""

    total: int
    items: list[dict[str, Any]] = Field(description="The first few, each with id, type, name and key fields.")
    href: str = Field(
        description="The list URL that gives all of them.", examples=["/v1/statements?speaker=xi-jinping"]
    )


def _annotation(stored: StoredField) -> Any:
    """The field's type in items; a record's sources are embedded (app/records/items.py), not just named."""
    return list[SourceOut | RefOut] if stored.alias == "sources" else stored.annotation()


def _item_model(record_type: RecordType) -> type[BaseModel]:
    fields: dict[str, Any] = {"type": (Literal.__getitem__(record_type.name), ...), "id": (str, ...)}
    for stored in record_type.fields:
        fields[stored.alias] = (_annotation(stored), ...)
    if record_type is DEPENDENCY:
        fields["disputed"] = (bool, Field(description="Another record makes a conflicting claim."))
        fields["disputed_by"] = (list[str], Field(description="Ids of the conflicting dependency records."))
    fields["created_at"] = (str, ...)
    fields["updated_at"] = (str, ...)
    name = record_type.model.__name__.removesuffix("In")
    model: type[BaseModel] = create_model(f"{name}Read", **fields)
    return model


def _list_of(model: type[BaseModel]) -> Any:
    return list[model]  # type: ignore[valid-type]


ITEM_MODELS: dict[str, type[BaseModel]] = {t.name: _item_model(t) for t in RECORD_TYPE_LIST}
DETAIL_MODELS: dict[str, type[BaseModel]] = {
    t.name: create_model(
        f"{ITEM_MODELS[t.name].__name__.removesuffix('Read')}Detail",
        __base__=ITEM_MODELS[t.name],
        referenced_by=(
            dict[str, ReferencedBy],
            Field(description="Who points at this record, keyed `<plural>.<filter>`; empty links are left out."),
        ),
    )
    for t in RECORD_TYPE_LIST
}
PAGE_MODELS: dict[str, type[BaseModel]] = {
    t.name: create_model(
        f"{ITEM_MODELS[t.name].__name__.removesuffix('Read')}Page",
        items=(_list_of(ITEM_MODELS[t.name]), ...),
        next_cursor=(str | None, Field(description="Pass as `cursor` for the next page; null on the last.")),
        total=(int | None, Field(description="Matching records across all pages, with `count=true`.")),
        facets=(
            dict[str, dict[str, int]] | None,
            Field(default=None, description="Counts per value over the filtered set, with `facets=`."),
        ),
    )
    for t in RECORD_TYPE_LIST
}
