"""Response model of the stats endpoint."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CountRow(BaseModel):
    """How many records have this value."""

    value: str | None = Field(description="The value; null counts records without one.", examples=["export_control"])
    count: int = Field(examples=[21])
    label: str | None = Field(
        default=None,
        description="The actor's name, on `policy.jurisdiction` and `actor.country` rows.",
        examples=["United States"],
    )


class StatsFilters(BaseModel):
    """The filters the counts were taken under."""

    type: list[str] = Field(examples=[["policy"]])
    from_: str | None = Field(alias="from", examples=["2018-01-01"])
    to: str | None = Field(examples=["2019-12-31"])
    tag: list[str] = Field(examples=[["export-controls"]])


class Stats(BaseModel):
    """Counts per dimension over the filtered records."""

    total: int = Field(description="Records counted, all types together.", examples=[476])
    filters: StatsFilters
    counts: dict[str, list[CountRow]] = Field(
        description="Rows per dimension: `type`, `year` (all types), `tag`, and per type `<type>.kind`, "
        "`<type>.year`, `policy.status`, `policy.jurisdiction`, `dependency.status`, `dependency.purpose`, "
        "`actor.country`. Years run in time order; other rows largest count first.",
        examples=[
            {"type": [{"value": "policy", "count": 60}], "policy.kind": [{"value": "export_control", "count": 21}]}
        ],
    )


StatsRow = dict[str, str | int | None]
"""One long-format row of a cross-tab: the value of each `by` dimension (and `<dimension>_label` for
jurisdiction and country), and `count`."""


class CrossTab(BaseModel):
    """Counts by one or two dimensions at once (`by=`), in long format: one row per combination of values."""

    total: int = Field(description="Records counted: those of the chosen types that have every dimension.")
    filters: StatsFilters
    by: list[str] = Field(examples=[["year", "jurisdiction"]])
    rows: list[StatsRow] = Field(
        description="One row per combination: each dimension's value (null when not set), "
        "`jurisdiction_label` / `country_label` (the actor's name) beside those dimensions, and `count`.",
        examples=[[{"year": "2018", "jurisdiction": "us", "jurisdiction_label": "United States", "count": 4}]],
    )
