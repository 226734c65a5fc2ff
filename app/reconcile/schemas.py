"""What /v1/reconcile answers, as the OpenAPI document shows it: the W3C Reconciliation Service API 0.2 shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

ReconcileTypeId = Literal["actor", "hardware"]


class ReconcileType(BaseModel):
    """A type entities are reconciled against."""

    id: ReconcileTypeId = Field(description="The type's id, as `type` in a query takes it.", examples=["actor"])
    name: str = Field(description="Its human-readable name.", examples=["Actor"])


class ViewTemplate(BaseModel):
    """Where a person reads an entity: `{{id}}` is replaced by the entity's id (percent-encoded)."""

    url: str = Field(examples=["https://api.example.org/v1/reconcile/view/{{id}}"])


class Manifest(BaseModel):
    """The service manifest: what OpenRefine reads when the service is added."""

    model_config = ConfigDict(populate_by_name=True)

    versions: list[str] = Field(description="Versions of the Reconciliation API served.", examples=[["0.1", "0.2"]])
    name: str = Field(description="The service's name, shown in OpenRefine.")
    identifier_space: str = Field(
        alias="identifierSpace",
        description="The namespace of entity ids: `urn:techsov:record:` + `actor:huawei`, whatever the deployment.",
        examples=["urn:techsov:record:"],
    )
    schema_space: str = Field(
        alias="schemaSpace",
        description="The namespace of type ids: `urn:techsov:type:` + `actor`.",
        examples=["urn:techsov:type:"],
    )
    default_types: list[ReconcileType] = Field(alias="defaultTypes", description="The types offered: actor, hardware.")
    view: ViewTemplate = Field(description="The template of an entity's view URL, on the configured base URL.")
    documentation: str = Field(description="Where this service is documented (the OpenAPI page).")
    service_version: str = Field(alias="serviceVersion", description="The techsov version serving it.")
    batch_size: int = Field(alias="batchSize", description="Most queries taken in one batch (more is a 413).")


class Candidate(BaseModel):
    """One entity that may be what the query names, best first."""

    id: str = Field(
        description="The entity's typed id, `type:id`; GET /v1/reconcile/view/{id} leads to its record.",
        examples=["actor:huawei"],
    )
    name: str = Field(description="The record's English display name.", examples=["Huawei"])
    description: str | None = Field(
        default=None, description="The start of the record's summary, when it has one.", examples=["Shenzhen company."]
    )
    score: float = Field(
        ge=0,
        le=100,
        description=(
            "How well the candidate's names fit the query, 0-100, from the search tiers: 100 an exact name, "
            "other-language name or alias; 98 the same once a legal form (Co., Ltd., Inc., 有限公司) is set "
            "aside; 95 an exact pinyin spelling of a Chinese name; 60-90 every word in its names; 40-59 every "
            "word in its aliases; 10-39 words that begin its names or aliases. Within a band, the closer the "
            "whole name the higher."
        ),
        examples=[100],
    )
    match: bool = Field(
        description=(
            "True only for the first candidate, when it is the one record (of the types asked for) whose name, "
            "other-language name or alias is exactly the query, written out (not only its pinyin), and none other "
            "is; OpenRefine then matches the cell without asking."
        ),
        examples=[True],
    )
    type: list[ReconcileType] = Field(description="The candidate's type.")


class QueryResult(BaseModel):
    """The candidates of one query."""

    result: list[Candidate]


class ResultBatch(RootModel[dict[str, QueryResult]]):
    """The candidates of each query of the batch, under the query's own key."""
