"""Response models of the change feed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.records.fields import RecordTypeName


class ChangeEntry(BaseModel):
    """One created, updated or deleted record; a deletion is a tombstone without `href`."""

    version: int = Field(description="The dataset version this change produced.", examples=[3])
    type: RecordTypeName = Field(examples=["policy"])
    id: str = Field(examples=["us-bis-rules-2023-10"])
    action: Literal["created", "updated", "deleted"] = Field(examples=["updated"])
    changed_at: str = Field(description="When, in UTC (ISO 8601 with `Z`).", examples=["2026-11-28T18:54:21.123456Z"])
    href: str | None = Field(
        description="Where the record is now; null for a deletion.", examples=["/v1/policies/us-bis-rules-2023-10"]
    )


class ChangesPage(BaseModel):
    """A page of the change log in the order it was written."""

    items: list[ChangeEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
    version: int = Field(
        description="The dataset version now: poll again later with `since=<version>` to get only what is new.",
        examples=[3],
    )
