"""What GET /v1/search answers, as the OpenAPI document shows it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.records.fields import RecordTypeName


class SearchHit(BaseModel):
    """One matching record."""

    type: RecordTypeName = Field(description="The record's type.", examples=["actor"])
    id: str = Field(description="The record's id: GET /v1/{plural}/{id} gives it whole.", examples=["xi-jinping"])
    name: str = Field(description="The record's English display name.", examples=["Xi Jinping"])
    snippet: str = Field(
        description=(
            "HTML-safe text around the match: the original text with `<`, `>` and `&` escaped and each match "
            "wrapped in `<mark>…</mark>`; long texts are cut to about 200 characters with `…` at the cut."
        ),
        examples=["<mark>习近平</mark>"],
    )
    matched: list[str] = Field(
        description=(
            "The fields that hold every query term (or, when none does, those holding some): `name`, `names` "
            "(other-language names and their pinyin), `alias`, or a text field such as `summary`, `text`, "
            "`original_text`, `goals`, `occasion`, `title`, `system`, `notes`."
        ),
        examples=[["name", "names"]],
    )


class SearchPage(BaseModel):
    """One page of hits, best first."""

    items: list[SearchHit]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
    did_you_mean: list[str] = Field(
        description="When nothing matched: names and aliases close to the query, best first (else empty).",
        examples=[["Huawei"]],
    )
