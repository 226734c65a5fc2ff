"""Response models of the exposure endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.records.schemas import RefOut, SourceOut


class PolicyBrief(BaseModel):
    """A policy in brief: what it is and when it holds."""

    id: str = Field(examples=["us-bis-rules-2023-10"])
    type: str = Field(examples=["policy"])
    name: str
    kind: str = Field(examples=["export_control"])
    status: str | None = Field(examples=["in_force"])
    effective_on: str | None = Field(examples=["2023-11"])
    ended_on: str | None = Field(examples=[None])
    jurisdiction: RefOut | None


class TargetStep(RefOut):
    """One actor on the targeting path, and how it relates to the one before it."""

    relation: str = Field(
        description="`self` (the actor), `parent` (of the one before), `country`.", examples=["country"]
    )


class HopOut(BaseModel):
    """One step of a chain, with the sources behind it: a dependency, or a variant's link to its family."""

    kind: str = Field(
        description="`dependency`; or `family`: the part is a variant (`family`) of the next, so a policy "
        "restricting the family restricts it (sources: the variant's record's).",
        examples=["dependency"],
    )
    dependency: RefOut | None = Field(description="The dependency record (null for a family hop).")
    from_: RefOut = Field(alias="from", description="The dependent: an actor or a hardware part.")
    to: RefOut = Field(description="The hardware it depends on, or the family the variant belongs to.")
    status: str | None = Field(description="Null for a family hop.", examples=["confirmed"])
    purpose: str | None = Field(description="Null for a family hop.", examples=["training"])
    system: str | None = Field(examples=["DeepSeek-V3"])
    valid_from: str | None = Field(description="Null: undated, taken as valid always.", examples=[None])
    valid_to: str | None = Field(examples=[None])
    sources: list[SourceOut]


class PathOut(BaseModel):
    """One chain from the actor to the part, hop by hop."""

    weakest_status: str = Field(
        description="The least sure hop's status: a chain through a rumour is a rumour.", examples=["rumoured"]
    )
    subsidiary_path: list[RefOut] = Field(
        description="The actor, then each subsidiary down to the one whose dependency starts the chain."
    )
    hops: list[HopOut]


class Alternative(BaseModel):
    """A part known to stand in for the restricted one and not restricted for this actor on the day."""

    hardware: RefOut
    via: list[str] = Field(
        description="The dependencies that say it stands in (`alternative_to`).",
        examples=[["deepseek-v3-training-h800"]],
    )


class ExposureOut(BaseModel):
    """One policy that exposes the actor, and how."""

    policy: PolicyBrief
    match: str = Field(
        description="`restricts_chain`: it restricts a part of the chain and targets the actor, an "
        "ancestor or its country; `targets_directly`: it targets the actor or an ancestor.",
        examples=["restricts_chain"],
    )
    direct: bool = Field(description="The policy targets the actor or an ancestor, not only its country.")
    targeting_path: list[TargetStep] = Field(description="From the actor to the target the policy names.")
    hardware: RefOut | None = Field(description="The restricted part (null for `targets_directly`).")
    depth: int | None = Field(description="Dependency hops from the actor to the part.", examples=[1])
    weakest_status: str | None = Field(
        description="The weakest hop of the surest chain: how sure the exposure is at best.", examples=["confirmed"]
    )
    paths: list[PathOut] = Field(description="The shortest chains to the part, surest first.")
    paths_truncated: bool = Field(description="More chains exist than are shown (at most 20).")
    alternatives: list[Alternative]


class NotInForce(BaseModel):
    """A policy that would expose the actor but is not in force on the day, and why."""

    policy: PolicyBrief
    reason: str = Field(examples=["it takes effect on 2023-10-23, after 2023-10-22"])
    targeting_path: list[TargetStep]
    hardware: list[RefOut] = Field(description="Restricted parts of the chain (empty for a direct target).")


class ChainPart(BaseModel):
    """A part in the actor's chain on the day."""

    hardware: RefOut
    depth: int = Field(examples=[1])
    weakest_status: str | None = Field(examples=["reported"])
    restricted: bool = Field(
        description="Restricted by a policy in force that targets the actor, an ancestor or its country."
    )


class ActorExposure(BaseModel):
    """The policies in force on `as_of` that reach an actor."""

    actor: RefOut
    as_of: str = Field(examples=["2023-11-17"])
    targeting_chain: list[TargetStep] = Field(description="The actor, its parents, then its country.")
    subsidiaries: list[RefOut] = Field(
        description="Actors whose parent chain leads to this one; their dependencies count as the actor's."
    )
    hardware_chain: list[ChainPart] = Field(description="Everything the actor depends on that day, nearest first.")
    exposures: list[ExposureOut]
    not_in_force: list[NotInForce] = Field(
        description="Policies that would expose the actor but do not hold that "
        "day (not yet effective, ended, rescinded, proposed or undated)."
    )
    truncated: bool = Field(description="A traversal cap was hit; the answer may be incomplete.")


class ExposedActor(BaseModel):
    """An actor the policy exposes."""

    actor: RefOut
    exposures: list[ExposureOut]


class PolicyExposure(BaseModel):
    """Every actor a policy exposes on `as_of`."""

    policy: PolicyBrief
    as_of: str = Field(examples=["2019-05-16"])
    in_force: bool
    reason: str | None = Field(
        description="Why the policy is not in force that day (then nothing is exposed).", examples=[None]
    )
    restricts: list[RefOut]
    targets: list[RefOut]
    exposed: list[ExposedActor]
    truncated: bool = Field(description="A traversal cap was hit; the answer may be incomplete.")
