"""Response models of each type, derived from its fields: what the OpenAPI document promises."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from app.records.registry import DEPENDENCY, RECORD_TYPE_LIST, RecordType
from app.records.storage import (
    DateField,
    JsonField,
    ObjectListField,
    RefField,
    RefListField,
    ScalarField,
    SlugOrTextField,
    StoredField,
    TypedRefField,
    TypedRefListField,
    ValueListField,
)


class RefOut(BaseModel):
    """A reference expanded one level. A publisher given as text has no id or type."""

    id: str | None = Field(examples=["huawei"])
    type: str | None = Field(examples=["actor"])
    name: str | None = Field(examples=["Huawei"])


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
    if isinstance(stored, ScalarField):
        base: Any = Literal.__getitem__(stored.choices) if stored.choices else stored.python_type
        return base if stored.required else base | None
    if isinstance(stored, JsonField):
        return list[Any] if isinstance(stored.empty_value, list) else dict[str, Any]
    if isinstance(stored, DateField):
        return str if stored.required else str | None
    if isinstance(stored, RefField | TypedRefField | SlugOrTextField):
        return RefOut if stored.required else RefOut | None
    if isinstance(stored, RefListField | TypedRefListField):
        return list[SourceOut | RefOut] if stored.alias == "sources" else list[RefOut]
    if isinstance(stored, ValueListField):
        return list[str]
    assert isinstance(stored, ObjectListField)
    fields: dict[str, Any] = {f.alias: (_annotation(f), ...) for f in stored.fields}
    role_model: Any = create_model(f"{stored.model.__name__.removesuffix('In')}Out", **fields)
    return list[role_model]


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
