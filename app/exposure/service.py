"""Exposure: which policies in force on a day reach an actor, through what it depends on or directly.

For an actor A and a day D:

1. A's hardware chain: the hardware A and its subsidiaries (actors whose
   `parent` chain leads to A) depend on through dependencies valid on D
   (`valid_from` on or before D or undated, `valid_to` after D or undated) whose
   status is not `denied`, followed through hardware-on-hardware dependencies.
   Each part keeps its shortest chains from A, hop by hop.
2. The policies in force on D: `effective_on` on or before D (a policy with
   no `effective_on` is not known to have taken effect and is not in force),
   `ended_on` after D or not set, status neither `rescinded` nor `proposed`.
   Partial dates count from their first day (`2023-11` is 1 November).
3. A policy exposes A when it restricts hardware in A's chain and targets A,
   an ancestor of A (via `parent`) or A's country (or, when A has none, the
   nearest ancestor's); or when it targets A or an ancestor directly, whatever
   it restricts (an entity listing).

Traversals are bounded (depth caps and a visited set), so cycles end.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from starlette.datastructures import QueryParams

from app.core.params import Parameters, date
from app.exposure.queries import (
    ActorRow,
    Hop,
    PolicyRow,
    actor_rows,
    alternatives,
    children_of,
    family_hops,
    hops,
    lineage_rows,
    policies_targeting,
    policy_row,
    sources_of,
    variants_of,
)
from app.records.registry import ACTOR, HARDWARE
from app.records.repository import names_of

STATUS_STRENGTH = ("confirmed", "reported", "planned", "rumoured", "ended")
"""Dependency statuses from the surest to the least sure; a chain is as sure as its weakest hop."""
NOT_IN_FORCE_STATUSES = ("rescinded", "proposed")
ACTOR_DEPTH = 10
"""Most levels of parents or subsidiaries followed."""
HARDWARE_DEPTH = 8
"""Most dependency hops followed from an actor."""
MAX_HARDWARE = 5000
MAX_ACTORS = 1000
MAX_PATHS = 20
"""Most chains shown per (actor, part); `paths_truncated` says when there were more."""


AS_OF = date(
    "as_of",
    "The day to answer for: 2023-11-17 (a partial date means its first day). Default: today (UTC).",
    example="2023-11-17",
)
PARAMETERS = Parameters(AS_OF)


def parse_day(params: QueryParams) -> dt.date:
    """The day an exposure request asks about (`as_of`; default today, UTC); anything else is a 400."""
    return AS_OF.get(PARAMETERS.check(params)) or dt.datetime.now(dt.UTC).date()


def not_in_force(policy: PolicyRow, day: dt.date) -> str | None:
    """Why a policy is not in force on `day`, or None when it is."""
    if policy.status in NOT_IN_FORCE_STATUSES:
        return f"its status is {policy.status}"
    if policy.effective_on is None:
        return "it has no effective_on: it is not known to have taken effect"
    if policy.effective_on > day:
        return f"it takes effect on {policy.effective_text}, after {day.isoformat()}"
    if policy.ended_on is not None and policy.ended_on <= day:
        return f"it ended on {policy.ended_text}"
    return None


def weakest(statuses: Iterable[str | None]) -> str:
    """The least sure of these statuses (a family hop has none: it is a fact of the records, not a claim)."""
    return max((s for s in statuses if s is not None), key=STATUS_STRENGTH.index)


@dataclass
class Path:
    """One chain from the actor (or a subsidiary of it) to a part, hop by hop."""

    subsidiaries: tuple[str, ...]
    """A, then each subsidiary down to the actor whose dependency starts the chain (just A for A's own)."""
    hops: tuple[Hop, ...]

    @property
    def weakest_status(self) -> str:
        """The status of the chain's least sure hop."""
        return weakest(h.status for h in self.hops)

    def sort_key(self) -> tuple[Any, ...]:
        """Surest first, then shortest, then by dependency ids."""
        return (STATUS_STRENGTH.index(self.weakest_status), len(self.hops), [h.id for h in self.hops])


@dataclass
class Chain:
    """Everything one actor depends on, each part with its shortest chains."""

    depth: dict[str, int] = field(default_factory=dict)
    paths: dict[str, list[Path]] = field(default_factory=dict)
    paths_truncated: set[str] = field(default_factory=set)


@dataclass
class Analysis:
    """Shared reads for a set of actors analysed together."""

    day: dt.date
    actors: dict[str, ActorRow] = field(default_factory=dict)
    subsidiaries: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    """Per analysed actor: each actor it covers (itself and its subsidiaries) and the parent path to it."""
    actor_hops: dict[str, list[Hop]] = field(default_factory=lambda: defaultdict(list))
    hardware_hops: dict[str, list[Hop]] = field(default_factory=lambda: defaultdict(list))
    truncated: bool = False


def _load_ancestors(connection: sa.Connection, analysis: Analysis, ids: Iterable[str]) -> None:
    found, beyond = lineage_rows(connection, set(ids) - set(analysis.actors), ACTOR_DEPTH + 2)
    analysis.actors.update(found)
    analysis.truncated = analysis.truncated or beyond


def targeting_chain(analysis: Analysis, actor_id: str) -> list[tuple[str, str]]:
    """A, its parent, the parent's parent … then the country: (actor id, how it relates to the one before)."""
    chain = [(actor_id, "self")]
    seen = {actor_id}
    row = analysis.actors.get(actor_id)
    country = row.country if row else None
    while row is not None and row.parent and row.parent not in seen and len(chain) <= ACTOR_DEPTH:
        chain.append((row.parent, "parent"))
        seen.add(row.parent)
        row = analysis.actors.get(row.parent)
        country = country or (row.country if row else None)
    if country and country not in seen:
        chain.append((country, "country"))
    return chain


def _load_subsidiaries(connection: sa.Connection, analysis: Analysis, roots: list[str]) -> None:
    paths: dict[str, dict[str, tuple[str, ...]]] = {root: {root: (root,)} for root in roots}
    frontier = {root: [root] for root in roots}  # per root: the actors reached at this level
    for _level in range(ACTOR_DEPTH):
        level_ids = {a for reached in frontier.values() for a in reached}
        if not level_ids:
            break
        children = children_of(connection, level_ids)
        following: dict[str, list[str]] = {}
        for root, reached in frontier.items():
            for parent in reached:
                for child in children.get(parent, []):
                    if child not in paths[root]:
                        paths[root][child] = (*paths[root][parent], child)
                        following.setdefault(root, []).append(child)
        frontier = following
    else:
        analysis.truncated = analysis.truncated or any(frontier.values())
    analysis.subsidiaries.update(paths)


def _load_hardware(connection: sa.Connection, analysis: Analysis) -> None:
    covered = {a for paths in analysis.subsidiaries.values() for a in paths}
    for hop in hops(connection, analysis.day, "dependent_actor_id", covered):
        analysis.actor_hops[hop.dependent_id].append(hop)
    expanded: set[str] = set()
    frontier = {h.depends_on for found in analysis.actor_hops.values() for h in found}
    for _level in range(HARDWARE_DEPTH):
        frontier -= expanded
        if not frontier:
            return
        if len(expanded) + len(frontier) > MAX_HARDWARE:
            analysis.truncated = True
            return
        expanded |= frontier
        found = hops(connection, analysis.day, "dependent_hardware_id", frontier)
        found += family_hops(connection, frontier)
        for hop in found:
            analysis.hardware_hops[hop.dependent_id].append(hop)
        frontier = {h.depends_on for h in found}


def chain_of(analysis: Analysis, actor_id: str) -> Chain:
    """The parts one actor depends on, breadth first, each with its shortest chains (capped)."""
    chain = Chain()
    # parents[part] = ways the part was first reached: (previous part or None, hop, subsidiary path)
    parents: dict[str, list[tuple[str | None, Hop, tuple[str, ...]]]] = defaultdict(list)
    frontier: set[str] = set()
    for covered, subsidiary_path in analysis.subsidiaries[actor_id].items():
        for hop in analysis.actor_hops.get(covered, []):
            parents[hop.depends_on].append((None, hop, subsidiary_path))
            chain.depth[hop.depends_on] = 1
            frontier.add(hop.depends_on)
    for level in range(2, HARDWARE_DEPTH + 1):
        following: set[str] = set()
        for part in sorted(frontier):
            for hop in analysis.hardware_hops.get(part, []):
                if chain.depth.get(hop.depends_on, level) == level:
                    chain.depth[hop.depends_on] = level
                    parents[hop.depends_on].append((part, hop, ()))
                    following.add(hop.depends_on)
        frontier = following
        if not frontier:
            break

    def paths_to(part: str) -> list[Path]:
        if part in chain.paths:
            return chain.paths[part]
        found: list[Path] = []
        for previous, hop, subsidiary_path in parents[part]:
            if previous is None:
                found.append(Path(subsidiary_path, (hop,)))
            else:
                found.extend(Path(p.subsidiaries, (*p.hops, hop)) for p in paths_to(previous))
        found.sort(key=Path.sort_key)
        if len(found) > MAX_PATHS:
            chain.paths_truncated.add(part)
            found = found[:MAX_PATHS]
        chain.paths[part] = found
        return found

    for part in sorted(chain.depth, key=lambda p: (chain.depth[p], p)):
        paths_to(part)
    return chain


def analyse(connection: sa.Connection, actor_ids: list[str], day: dt.date) -> Analysis:
    """Read what the given actors' exposure needs: lineage, subsidiaries, and the dependency graph below them."""
    analysis = Analysis(day)
    _load_ancestors(connection, analysis, actor_ids)
    _load_subsidiaries(connection, analysis, actor_ids)
    _load_hardware(connection, analysis)
    return analysis


@dataclass
class Finding:
    """One exposure: a policy and, unless it targets the actor directly, a part of its chain."""

    actor: str
    policy: PolicyRow
    targeting: list[tuple[str, str]]
    direct: bool
    hardware: str | None = None
    depth: int | None = None
    paths: list[Path] = field(default_factory=list)
    paths_truncated: bool = False
    alternatives: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class Excluded:
    """A policy that would reach the actor but is not in force on the day."""

    actor: str
    policy: PolicyRow
    reason: str
    targeting: list[tuple[str, str]]
    hardware: list[str]


def findings(
    analysis: Analysis, actor_id: str, chain: Chain, policies: list[PolicyRow], only: str | None = None
) -> tuple[list[Finding], list[Excluded], set[str]]:
    """The policies that expose one actor, those that would but are not in force, and every part restricted
    for it (by any policy in force that targets it, its ancestors or its country)."""
    targeting = targeting_chain(analysis, actor_id)
    position = {target: index for index, (target, _relation) in enumerate(targeting)}
    found: list[Finding] = []
    excluded: list[Excluded] = []
    restricted: set[str] = set()
    for policy in sorted(policies, key=lambda p: (p.effective_on or dt.date.max, p.id)):
        hits = sorted({position[t] for t in policy.targets if t in position})
        if not hits:
            continue
        path = targeting[: hits[0] + 1]
        direct = path[-1][1] != "country"
        parts = sorted(set(policy.restricts) & set(chain.depth), key=lambda p: (chain.depth[p], p))
        reason = not_in_force(policy, analysis.day)
        if reason is None:
            restricted.update(policy.restricts)
        if (only is not None and policy.id != only) or (not parts and not direct):
            continue
        if reason is not None:
            excluded.append(Excluded(actor_id, policy, reason, path, parts))
        elif parts:
            found.extend(
                Finding(
                    actor_id,
                    policy,
                    path,
                    direct,
                    hardware=part,
                    depth=chain.depth[part],
                    paths=chain.paths[part],
                    paths_truncated=part in chain.paths_truncated,
                )
                for part in parts
            )
        else:
            found.append(Finding(actor_id, policy, path, direct))
    return found, excluded, restricted


def add_alternatives(
    connection: sa.Connection, day: dt.date, found: list[Finding], restricted_for: dict[str, set[str]]
) -> None:
    """Attach to each finding the known parts that stand in for its part and are not restricted for its actor."""
    parts = {f.hardware for f in found if f.hardware}
    standing_in: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for replaced, part, dependency in alternatives(connection, day, parts):
        standing_in[replaced][part].append(dependency)
    for finding in found:
        if finding.hardware is None:
            continue
        blocked = restricted_for[finding.actor]
        finding.alternatives = [
            (part, sorted(set(via)))
            for part, via in sorted(standing_in[finding.hardware].items())
            if part not in blocked and part != finding.hardware
        ]


class Presenter:
    """Turns findings into the API's shape, with names and sources read in a fixed number of queries."""

    def __init__(
        self,
        connection: sa.Connection,
        analysis: Analysis,
        found: list[Finding],
        excluded: list[Excluded],
        *,
        actors: Iterable[str] = (),
        parts: Iterable[str] = (),
    ) -> None:
        actor_ids = set(actors) | {a for covered in analysis.subsidiaries.values() for a in covered}
        part_ids = set(parts)
        dependencies: set[str] = set()
        variants: set[str] = set()
        for finding in found:
            part_ids.update(p for p, _via in finding.alternatives)
            if finding.hardware:
                part_ids.add(finding.hardware)
            for path in finding.paths:
                actor_ids.update(path.subsidiaries)
                for hop in path.hops:
                    (dependencies if hop.kind == "dependency" else variants).add(hop.id)
                    part_ids.add(hop.depends_on)
                    (actor_ids if hop.dependent_type == "actor" else part_ids).add(hop.dependent_id)
        for item in excluded:
            part_ids.update(item.hardware)
        policies = [f.policy for f in found] + [e.policy for e in excluded]
        actor_ids.update(p.jurisdiction for p in policies if p.jurisdiction)
        self.actor_names = {a: r.name for a, r in analysis.actors.items()}
        self.actor_names.update(names_of(connection, ACTOR, actor_ids - set(self.actor_names)))
        self.part_names = names_of(connection, HARDWARE, part_ids)
        self.sources = sources_of(connection, dependencies)
        variant_sources = sources_of(connection, {v.removeprefix("family:") for v in variants}, HARDWARE)
        self.sources.update({f"family:{v}": cited for v, cited in variant_sources.items()})

    def actor(self, actor_id: str) -> dict[str, Any]:
        """{id, type, name} of an actor."""
        return {"id": actor_id, "type": "actor", "name": self.actor_names.get(actor_id)}

    def part(self, part_id: str) -> dict[str, Any]:
        """{id, type, name} of a part."""
        return {"id": part_id, "type": "hardware", "name": self.part_names.get(part_id)}

    def policy(self, policy: PolicyRow) -> dict[str, Any]:
        """A policy in brief: what it is and when it holds."""
        return {
            "id": policy.id,
            "type": "policy",
            "name": policy.name,
            "kind": policy.kind,
            "status": policy.status,
            "effective_on": policy.effective_text,
            "ended_on": policy.ended_text,
            "jurisdiction": self.actor(policy.jurisdiction) if policy.jurisdiction else None,
        }

    def targeting(self, chain: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """A → parent → … → country, each with how it relates to the one before."""
        return [{**self.actor(a), "relation": relation} for a, relation in chain]

    def hop(self, hop: Hop) -> dict[str, Any]:
        """One dependency of a chain, with its status and sources."""
        dependent = self.actor(hop.dependent_id) if hop.dependent_type == "actor" else self.part(hop.dependent_id)
        return {
            "kind": hop.kind,
            "dependency": {"id": hop.id, "type": "dependency", "name": hop.name} if hop.kind == "dependency" else None,
            "from": dependent,
            "to": self.part(hop.depends_on),
            "status": hop.status,
            "purpose": hop.purpose,
            "system": hop.system,
            "valid_from": hop.valid_from,
            "valid_to": hop.valid_to,
            "sources": self.sources.get(hop.id, []),
        }

    def path(self, path: Path) -> dict[str, Any]:
        """One chain."""
        return {
            "weakest_status": path.weakest_status,
            "subsidiary_path": [self.actor(a) for a in path.subsidiaries],
            "hops": [self.hop(h) for h in path.hops],
        }

    def finding(self, finding: Finding) -> dict[str, Any]:
        """One exposure."""
        paths = [self.path(p) for p in finding.paths]
        best = min((p.weakest_status for p in finding.paths), key=STATUS_STRENGTH.index, default=None)
        return {
            "policy": self.policy(finding.policy),
            "match": "restricts_chain" if finding.hardware else "targets_directly",
            "direct": finding.direct,
            "targeting_path": self.targeting(finding.targeting),
            "hardware": self.part(finding.hardware) if finding.hardware else None,
            "depth": finding.depth,
            "weakest_status": best,
            "paths": paths,
            "paths_truncated": finding.paths_truncated,
            "alternatives": [{"hardware": self.part(p), "via": via} for p, via in finding.alternatives],
        }

    def excluded(self, item: Excluded) -> dict[str, Any]:
        """A policy left out, and why."""
        return {
            "policy": self.policy(item.policy),
            "reason": item.reason,
            "targeting_path": self.targeting(item.targeting),
            "hardware": [self.part(p) for p in item.hardware],
        }


def actor_exposure(connection: sa.Connection, actor_id: str, day: dt.date) -> dict[str, Any] | None:
    """The exposure of one actor on `day`, or None when there is no such actor."""
    analysis = analyse(connection, [actor_id], day)
    if actor_id not in analysis.actors:
        return None
    chain = chain_of(analysis, actor_id)
    lineage = [a for a, _relation in targeting_chain(analysis, actor_id)]
    policies = policies_targeting(connection, lineage)
    found, excluded, restricted = findings(analysis, actor_id, chain, policies)
    add_alternatives(connection, day, found, {actor_id: restricted})
    shown = Presenter(connection, analysis, found, excluded, parts=chain.depth)
    return {
        "actor": shown.actor(actor_id),
        "as_of": day.isoformat(),
        "targeting_chain": shown.targeting(targeting_chain(analysis, actor_id)),
        "subsidiaries": [shown.actor(a) for a in sorted(analysis.subsidiaries[actor_id]) if a != actor_id],
        "hardware_chain": [
            {
                "hardware": shown.part(part),
                "depth": chain.depth[part],
                "weakest_status": min(
                    (p.weakest_status for p in chain.paths[part]), key=STATUS_STRENGTH.index, default=None
                ),
                "restricted": part in restricted,
            }
            for part in sorted(chain.depth, key=lambda p: (chain.depth[p], p))
        ],
        "exposures": [shown.finding(f) for f in found],
        "not_in_force": [shown.excluded(e) for e in excluded],
        "truncated": analysis.truncated,
    }


def _candidates(connection: sa.Connection, policy: PolicyRow, day: dt.date) -> set[str]:
    """Actors the policy may expose: its targets and their subsidiaries, and every actor (with its ancestors)
    that depends, through a chain valid on `day`, on a part the policy restricts."""
    candidates = set(policy.targets)
    frontier = set(policy.targets)
    for _level in range(ACTOR_DEPTH):
        children = children_of(connection, frontier)
        frontier = {c for found in children.values() for c in found} - candidates
        if not frontier:
            break
        candidates |= frontier
    reached = set(policy.restricts)
    frontier = set(policy.restricts)
    for _level in range(HARDWARE_DEPTH - 1):
        dependents = {h.dependent_id for h in hops(connection, day, "depends_on_id", frontier)
                      if h.dependent_type == "hardware"}  # fmt: skip
        frontier = (dependents | variants_of(connection, frontier)) - reached
        if not frontier or len(reached) > MAX_HARDWARE:
            break
        reached |= frontier
    dependents = {
        h.dependent_id for h in hops(connection, day, "depends_on_id", reached) if h.dependent_type == "actor"
    }
    frontier = dependents
    for _level in range(ACTOR_DEPTH + 1):
        frontier -= candidates
        if not frontier:
            break
        candidates |= frontier
        frontier = {r.parent for r in actor_rows(connection, frontier).values() if r.parent}
    return candidates


def policy_exposure(connection: sa.Connection, policy_id: str, day: dt.date) -> dict[str, Any] | None:
    """Every actor a policy exposes on `day`, with the same paths as the actor view; None when no such policy."""
    policy = policy_row(connection, policy_id)
    if policy is None:
        return None
    reason = not_in_force(policy, day)
    actors: list[str] = []
    truncated = False
    if reason is None:
        actors = sorted(_candidates(connection, policy, day))
        if len(actors) > MAX_ACTORS:
            actors, truncated = actors[:MAX_ACTORS], True
    analysis = analyse(connection, actors, day)
    lineages = {a for actor in actors for a, _relation in targeting_chain(analysis, actor)}
    policies = policies_targeting(connection, lineages) if actors else []
    found: list[Finding] = []
    restricted_for: dict[str, set[str]] = {}
    for actor in actors:
        chain = chain_of(analysis, actor)
        own, _excluded, restricted_for[actor] = findings(analysis, actor, chain, policies, only=policy.id)
        found.extend(own)
    add_alternatives(connection, day, found, restricted_for)
    shown = Presenter(
        connection,
        analysis,
        found,
        [],
        actors=[*policy.targets, *filter(None, [policy.jurisdiction])],
        parts=policy.restricts,
    )
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in found:
        grouped[finding.actor].append(shown.finding(finding))
    return {
        "policy": shown.policy(policy),
        "as_of": day.isoformat(),
        "in_force": reason is None,
        "reason": reason,
        "restricts": [shown.part(p) for p in policy.restricts],
        "targets": [shown.actor(a) for a in policy.targets],
        "exposed": [{"actor": shown.actor(a), "exposures": grouped[a]} for a in sorted(grouped)],
        "truncated": truncated or analysis.truncated,
    }
