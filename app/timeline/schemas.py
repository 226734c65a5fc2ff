"""Response models of the timeline."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.records.schemas import RefOut


class EventContext(BaseModel):
    """What the event's record is, in brief. The keys depend on the record's type:
    actor: kind, country; policy: kind, status, jurisdiction; statement: kind, speaker;
    hardware: kind, maker; dependency: status, purpose, system, dependent, depends_on."""

    kind: str | None = Field(default=None, description="The record's own kind.", examples=["export_control"])
    status: str | None = Field(default=None, examples=["in_force"])
    purpose: str | None = Field(default=None, examples=["training"])
    system: str | None = Field(default=None, examples=["DeepSeek-V3"])
    jurisdiction: RefOut | None = None
    country: RefOut | None = None
    speaker: RefOut | None = None
    maker: RefOut | None = None
    dependent: RefOut | None = None
    depends_on: RefOut | None = None


class TimelineEvent(BaseModel):
    """One dated event."""

    date: str = Field(
        description="As given: a day, a month or a year (2019-05-16, 2023-11, 2018).", examples=["2019-05-16"]
    )
    kind: str = Field(description="What happened: `<type>.<event>`.", examples=["policy.effective"])
    record: RefOut
    context: EventContext


class TimelinePage(BaseModel):
    """A page of events in date order."""

    items: list[TimelineEvent]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")
    total: int | None = Field(description="Matching events across all pages, with `count=true`.")
