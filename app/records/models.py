"""The input model of each record type: the one place a record's shape is declared.

Seed files and (later) writes are validated by these models; the JSON Schemas
in seed/schema/ are generated from them, and the storage layout is derived
from their annotations (see app/records/schema.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.core.dates import first_day
from app.records.fields import (
    ActorOrText,
    ActorRef,
    AnyRecordRef,
    ChildRows,
    DependentRef,
    HardwareRef,
    JurisdictionRef,
    Key,
    LanguageTag,
    MediaRef,
    PartialDate,
    PolicyRef,
    ShortText,
    Slug,
    SourceRef,
    StateRef,
    Tag,
    Text,
    Url,
)

ActorKind = Literal[
    "state",
    "bloc",
    "government_body",
    "party_body",
    "agency",
    "company",
    "research_lab",
    "media",
    "person",
    "international_org",
]
PolicyKind = Literal[
    "strategy",
    "law",
    "regulation",
    "export_control",
    "entity_listing",
    "tariff",
    "investment_fund",
    "standard",
    "initiative",
    "guideline",
]
PolicyStatus = Literal["proposed", "announced", "in_force", "suspended", "superseded", "rescinded", "expired"]
StatementKind = Literal["speech", "remark", "interview", "press_release", "testimony", "post"]
HardwareKind = Literal[
    "accelerator",
    "gpu",
    "cpu",
    "memory",
    "process_node",
    "lithography_tool",
    "interconnect",
    "system",
]
DependencyPurpose = Literal["training", "inference", "manufacturing", "component", "deployment"]
DependencyStatus = Literal["confirmed", "reported", "rumoured", "planned", "ended", "denied"]
DependencyConfidence = Literal["confident", "likely", "speculative", "unverified", "unknown"]
SourceKind = Literal["primary", "press", "analysis", "dataset"]

Names = dict[LanguageTag, ShortText]


def not_before(earlier_field: str) -> Any:
    """A field validator: this date may not fall before the date in `earlier_field`."""

    def check(value: str | None, info: ValidationInfo) -> str | None:
        earlier = info.data.get(earlier_field)
        if value is not None and earlier is not None and first_day(value) < first_day(earlier):
            raise ValueError(f"{info.field_name} ({value}) is before {earlier_field} ({earlier})")
        return value

    return check


class RecordIn(BaseModel):
    """Fields every record has."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True)

    id: Slug = Field(description="Stable slug, unique within its type.", examples=["xi-jinping"])
    name: ShortText = Field(description="English display name (statements: a short headline).", examples=["Xi Jinping"])
    names: Names = Field(
        default_factory=dict,
        description="Other-language names keyed by BCP 47 tag.",
        examples=[{"zh-Hans": "习近平"}],
    )
    aliases: list[ShortText] = Field(
        default_factory=list, description="Other spellings and acronyms.", examples=[["PRC"]]
    )
    summary: Text | None = Field(default=None, description="A few sentences in our own words.")
    tags: Annotated[list[Tag], ChildRows(counted=True)] = Field(
        default_factory=list, description="Topic tags.", examples=[["export-controls"]]
    )
    notes: Text | None = Field(
        default=None,
        description="Editorial notes: corrections made to the record and why, what could not be verified.",
    )


class CitedRecordIn(RecordIn):
    """A record that must cite at least one source."""

    sources: list[SourceRef] = Field(
        min_length=1,
        description="Ids of the source records backing this record (at least one).",
        examples=[["bis-2022-10-07-release"]],
    )


class RoleIn(BaseModel):
    """A position a person or body holds in another actor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: ShortText = Field(examples=["General Secretary"])
    of: ActorRef | None = Field(default=None, description="The actor the role is held in.")
    from_: PartialDate | None = Field(default=None, alias="from")
    to: PartialDate | None = None

    _to_after_from = field_validator("to")(not_before("from_"))


class ActorIn(CitedRecordIn):
    """A state, bloc, body, agency, company, lab, outlet, person or international organisation."""

    kind: ActorKind
    country: StateRef | None = Field(default=None, description="The state the actor belongs to.")
    parent: ActorRef | None = Field(default=None, description="The actor this one is part of.")
    founded_on: PartialDate | None = None
    dissolved_on: PartialDate | None = None
    website: Url | None = None
    roles: list[RoleIn] = Field(default_factory=list)
    external_ids: dict[Key, ShortText] = Field(
        default_factory=dict, description="Verified identifiers elsewhere.", examples=[{"wikidata": "Q148"}]
    )

    _dissolved_after_founded = field_validator("dissolved_on")(not_before("founded_on"))


class PolicyIn(CitedRecordIn):
    """A plan, law, regulation, export control, listing, tariff, fund, standard, initiative or guideline."""

    kind: PolicyKind
    issuers: list[ActorRef] = Field(default_factory=list)
    jurisdiction: JurisdictionRef | None = None
    announced_on: PartialDate | None = None
    effective_on: PartialDate | None = None
    ended_on: PartialDate | None = None
    status: PolicyStatus | None = Field(
        default=None, description="Left out when no source says whether the policy is in force."
    )
    document_ids: Annotated[list[ShortText], ChildRows()] = Field(default_factory=list, examples=[["国发〔2017〕35号"]])
    url: Url | None = None
    targets: list[ActorRef] = Field(default_factory=list)
    restricts: list[HardwareRef] = Field(default_factory=list)
    amends: list[PolicyRef] = Field(default_factory=list)
    supersedes: list[PolicyRef] = Field(default_factory=list)
    goals: Text | None = None

    _ended_after_effective = field_validator("ended_on")(not_before("effective_on"))


class StatementIn(CitedRecordIn):
    """A dated, attributed quotation, verbatim as reported."""

    speaker: ActorRef
    said_on: PartialDate
    occasion: ShortText | None = None
    kind: StatementKind
    text: Text | None = Field(default=None, description="The quotation in English, verbatim as reported.")
    original_text: Text | None = Field(
        default=None,
        validate_default=True,
        description="The quotation in its original language, verbatim.",
    )
    original_language: LanguageTag | None = Field(default=None, examples=["zh-Hans"])
    translated_by: ShortText | None = Field(
        default=None, description="Who made the English rendering when `text` is a translation."
    )
    reported_by: MediaRef | None = None
    mentions: list[AnyRecordRef] = Field(default_factory=list, examples=[["actor:huawei"]])
    about_policies: list[PolicyRef] = Field(default_factory=list)

    @field_validator("original_text")
    @classmethod
    def _some_text(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("text") is None:
            raise ValueError("a statement needs `text` or `original_text` (the quotation)")
        return value


class HardwareIn(CitedRecordIn):
    """An accelerator, GPU, CPU, memory part, process node, lithography tool, interconnect or system."""

    kind: HardwareKind
    maker: ActorRef | None = None
    fab: ActorRef | None = None
    released_on: PartialDate | None = None
    process_node: ShortText | None = Field(default=None, examples=["7 nm"])
    specs: dict[Key, int | float] = Field(
        default_factory=dict,
        description="Numbers with the unit in the key.",
        examples=[{"fp16_tflops": 312, "memory_gb": 80}],
    )
    successor_of: HardwareRef | None = None
    family: HardwareRef | None = Field(
        default=None,
        description="The family this variant belongs to (`nvidia-a100` for the A100 SXM4 80 GB): "
        "a policy that restricts the family restricts the variant.",
    )


class DependencyIn(CitedRecordIn):
    """Who relies on which hardware, for what, since when, and how sure we are."""

    dependent: DependentRef = Field(examples=["actor:deepseek"])
    depends_on: HardwareRef
    purpose: DependencyPurpose
    system: ShortText | None = Field(default=None, examples=["DeepSeek-V3"])
    status: DependencyStatus
    valid_from: PartialDate | None = None
    valid_to: PartialDate | None = None
    alternative_to: list[HardwareRef] = Field(default_factory=list)
    quantity: int | None = Field(default=None, ge=0, le=10**12, examples=[2048])
    confidence: DependencyConfidence | None = Field(
        default=None,
        description="How sure the source dataset is of the record (Epoch AI's confidence), when it says.",
    )

    _valid_to_after_from = field_validator("valid_to")(not_before("valid_from"))


class SourceIn(RecordIn):
    """A citation: a document, article, filing, dataset or page that records cite.

    `url` is the address at the original publisher; where the text was read in
    a copy elsewhere (a mirror, an aggregator, an archive), that copy's address
    goes in `retrieved_from`, never in `url`.
    """

    title: ShortText = Field(
        description="The document's own title or headline, verbatim; a title in square brackets is supplied "
        "by us because the document's own could not be seen (or it has none), and describes it.",
        examples=["Implementation of Additional Export Controls: Certain Advanced Computing Items"],
    )
    publisher: ActorOrText | None = Field(
        default=None, description="Who published the document: an actor id, or the publisher's name as text."
    )
    url: Url | None = Field(default=None, description="The document's address at its original publisher.")
    retrieved_from: Url | None = Field(
        default=None, description="Where the text was read when that is a copy, not the publisher's own site."
    )
    published_on: PartialDate | None = None
    language: LanguageTag | None = Field(default=None, examples=["en"])
    kind: SourceKind = Field(
        description="primary: the issuer's own publication, an official gazette or register, a filing, the "
        "speaker's own transcript, or the state news agency's readout; press, analysis, dataset: secondary."
    )
    license: ShortText | None = Field(default=None, description="The licence the document is published under.")
