"""A deterministic synthetic seed of any size, for benchmarks: ordinary seed files the real loader reads.

Shapes follow the curated seed, at scale: a few speakers with very many
statements and many with a handful (Zipf), dates over 2010-2026 (more in
recent years, some known only to the month or year), English quotations of
realistic length with a Chinese original for about a third, every record
cited. Hardware forms supply chains several hops deep — a lab's model trains
on an accelerator, made on a process node, which needs a lithography tool —
so exposure has three-hop chains to follow. Every type scales with the number
of statements. The same arguments always write the same files.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
from ruamel.yaml import YAML

SynthFormat = Literal["yaml", "ndjson"]
Record = dict[str, Any]

DEFAULT_SEED = 20_100_101
FIRST_YEAR, LAST_YEAR = 2010, 2026
LAST_MONTH_OF_LAST_YEAR = 10

CHAIN_ACTOR = "lab-0"
"""A research lab whose model trains on an accelerator made on a process node that needs a lithography tool."""
CHAIN_POLICY = "policy-0"
"""An export control in force from 2022 restricting that lithography tool and targeting the lab's country."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# English words ordered from most to least frequent: quotations draw from them by Zipf's law,
# so a word near the middle of the list is of medium frequency.
ENGLISH = _words(
    "the we and to of in will our a is for that it on with be this are as not by have chips more at an from "
    "all must technology china development our industry their national security support new innovation ai "
    "should they has which cooperation global models computing we have been can export controls supply "
    "chain companies semiconductor high open market countries policy capacity research economic strategic "
    "partners investment data power advanced own safe manufacturing strengthen world domestic build "
    "government future key critical self-reliance talent infrastructure standards access growth resilient "
    "digital trade rules measures transparent progress foundation training inference accelerators memory "
    "bandwidth fabs foundries process nodes lithography equipment licenses entity list restrictions tariffs "
    "subsidies funds ecosystem software compilers frameworks clusters datacenters electricity cooling "
    "packaging interconnects wafers yields engineers universities laboratories startups champions "
    "sovereignty autonomy dependence bottleneck breakthrough indigenous localisation substitution "
    "allies coalition alignment enforcement loophole smuggling diversion compliance verification "
    "photoresist etching deposition metrology extreme ultraviolet immersion chiplets hbm substrates "
    "gallium germanium rare earths retaliation escalation negotiation dialogue stability fairness "
    "benefit inclusive governance ethics alignment safety evaluation frontier open-source weights "
    "parameters tokens benchmarks efficiency sparsity distillation quantisation edge devices phones "
    "automobiles robotics satellites quantum photonics neuromorphic analog"
)
MEDIUM_WORD = "photoresist"
"""A word of medium frequency in statement text (a few percent of statements): the search benchmark's query."""

CHINESE_PHRASES = (
    "坚持科技自立自强",
    "加快发展新质生产力",
    "人工智能是引领这一轮科技革命和产业变革的战略性技术",
    "要加强基础研究和原始创新",
    "集成电路产业链供应链安全",
    "突破关键核心技术",
    "推动高质量发展",
    "反对将经贸问题政治化",
    "出口管制措施损害全球产业链稳定",
    "我们将坚定维护自身正当权益",
    "建设全国统一大市场",
    "加强算力基础设施建设",
    "培养高水平人才队伍",
    "推进国产替代",
    "开放合作是大势所趋",
    "确保人工智能安全可靠可控",
    "发挥新型举国体制优势",
    "芯片制造设备和材料",
    "先进制程和光刻机",
    "高带宽存储器",
)
TAGS = _words(
    "export-controls semiconductors ai-policy self-reliance entity-list lithography hbm tariffs "
    "industrial-policy compute ai-safety open-source talent investment standards sanctions supply-chain "
    "data-centres energy diplomacy"
)
SURNAMES = _words("wang li zhang liu chen yang zhao huang zhou wu smith johnson brown garcia miller davis lopez")
SURNAMES_ZH = dict(zip(SURNAMES[:10], "王李张刘陈杨赵黄周吴", strict=True))
GIVEN = _words("wei fang min jing lei yan jun hui ming qiang anna david maria james linda robert sara paul")
GIVEN_ZH = dict(zip(GIVEN[:10], "伟芳敏静磊艳军慧明强", strict=True))
STATEMENT_KINDS = ("speech", "remark", "interview", "press_release", "testimony", "post")
POLICY_KINDS = ("export_control", "entity_listing", "strategy", "regulation", "law", "tariff", "investment_fund")
POLICY_STATUSES = ("in_force", "in_force", "in_force", "announced", "superseded", "expired", "proposed")
DEPENDENCY_STATUSES = ("confirmed", "confirmed", "reported", "reported", "rumoured", "planned", "ended")


@dataclass(frozen=True)
class Sizes:
    """How many records of each kind a synthetic seed holds."""

    statements: int
    states: int
    media: int
    actors: int
    sources: int
    policies: int
    hardware: int
    actor_dependencies: int
    """Dependencies of actors on chips, besides the hardware-on-hardware chains (about 1.3 per part)."""


def sizes_for(statement_count: int) -> Sizes:
    """Every other type in proportion to the statements (at 1M: 10k actors, 50k sources, 4k policies, 2k parts)."""
    n = statement_count
    return Sizes(
        statements=n,
        states=20,
        media=max(5, n // 5_000),
        actors=max(80, n // 100),
        sources=max(100, n // 20),
        policies=max(40, n // 250),
        hardware=max(40, n // 500),
        actor_dependencies=max(40, n // 200),
    )


def _zipf_weights(n: int, exponent: float = 1.0) -> list[float]:
    """Cumulative weights: rank r is chosen in proportion to 1 / (r + 1) ** exponent."""
    total, cumulative = 0.0, []
    for rank in range(n):
        total += 1.0 / (rank + 1) ** exponent
        cumulative.append(total)
    return cumulative


class _Dates:
    """Random partial dates in [first, last] year, more of them in later years."""

    def __init__(self, rng: random.Random, first: int = FIRST_YEAR, last: int = LAST_YEAR) -> None:
        self.rng = rng
        self.years = list(range(first, last + 1))
        self.weights = [float(y - first + 1) ** 1.5 for y in self.years]

    def day(self, precise: float = 0.94) -> str:
        year = self.rng.choices(self.years, self.weights)[0]
        month = self.rng.randint(1, LAST_MONTH_OF_LAST_YEAR if year == LAST_YEAR else 12)
        roll = self.rng.random()
        if roll < precise:
            return f"{year}-{month:02d}-{self.rng.randint(1, 28):02d}"
        if roll < precise + (1 - precise) * 0.8:
            return f"{year}-{month:02d}"
        return str(year)

    def year_between(self, low: int, high: int) -> str:
        return f"{self.rng.randint(low, high)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"


class _Text:
    """English word salad with Zipf word frequencies, and Chinese made of stock phrases."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cumulative = _zipf_weights(len(ENGLISH))

    def english(self, low: int, high: int) -> str:
        words = self.rng.choices(ENGLISH, cum_weights=self.cumulative, k=self.rng.randint(low, high))
        sentences, start = [], 0
        while start < len(words):
            end = start + self.rng.randint(8, 22)
            sentences.append(" ".join(words[start:end]).capitalize() + ".")
            start = end
        return " ".join(sentences)

    def headline(self) -> str:
        return " ".join(self.rng.choices(ENGLISH[40:], k=self.rng.randint(4, 9))).capitalize()

    def chinese(self, low: int, high: int) -> str:
        return "，".join(self.rng.choices(CHINESE_PHRASES, k=self.rng.randint(low, high))) + "。"


@dataclass
class _World:
    """Ids generated so far, which later types refer to."""

    sizes: Sizes
    states: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    labs: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    country_of: dict[str, str] = field(default_factory=dict)
    hardware_by_kind: dict[str, list[str]] = field(default_factory=dict)
    policies: list[str] = field(default_factory=list)

    def source_ids(self, rng: random.Random) -> list[str]:
        count = 1 if rng.random() < 0.7 else rng.randint(2, 3)
        return sorted({f"src-{rng.randrange(self.sizes.sources)}" for _ in range(count)})


def _rng(seed: int, name: str) -> random.Random:
    """One random stream per type, so each type's records do not depend on how others were drawn."""
    return random.Random(f"{seed}:{name}")


def sources(world: _World, seed: int) -> Iterator[Record]:
    """Articles, documents and datasets that every other record cites."""
    rng, dates, text = _rng(seed, "sources"), _Dates(_rng(seed, "source-dates")), _Text(_rng(seed, "source-text"))
    for i in range(world.sizes.sources):
        record: Record = {
            "id": f"src-{i}",
            "name": text.headline(),
            "kind": rng.choices(("press", "primary", "analysis", "dataset"), (6, 3, 2, 0.3))[0],
            "url": f"https://news.example.org/{2010 + i % 17}/article-{i}",
            "published_on": dates.day(),
            "language": "zh-Hans" if rng.random() < 0.35 else "en",
        }
        if rng.random() < 0.6:
            record["publisher"] = f"media-{rng.randrange(world.sizes.media)}"
        else:
            record["publisher"] = f"Newsletter {rng.randrange(500)}"
        # Every source has a title; most synthetic ones share their label's words.
        record["title"] = text.headline() if rng.random() < 0.3 else record["name"]
        yield record


def actors(world: _World, seed: int) -> Iterator[Record]:
    """States, blocs, media, bodies, agencies, companies, labs and people; companies may have parents."""
    rng, dates = _rng(seed, "actors"), _Dates(_rng(seed, "actor-dates"), 1950, LAST_YEAR)
    text, sizes = _Text(_rng(seed, "actor-text")), world.sizes

    def cited(record: Record) -> Record:
        record["sources"] = world.source_ids(rng)
        if rng.random() < 0.3:
            record["tags"] = sorted(set(rng.choices(TAGS, k=rng.randint(1, 3))))
        return record

    for i in range(sizes.states):
        world.states.append(f"state-{i}")
        yield cited({"id": f"state-{i}", "kind": "state", "name": f"State {i}", "aliases": [f"S{i}"]})
    for i in range(2):
        yield cited({"id": f"bloc-{i}", "kind": "bloc", "name": f"Bloc {i}"})
    for i in range(sizes.media):
        country = world.states[i % sizes.states]
        world.media.append(f"media-{i}")
        yield cited({"id": f"media-{i}", "kind": "media", "name": f"Daily Wire {i}", "country": country})
    rest = sizes.actors - sizes.states - 2 - sizes.media
    kinds = ("person", "company", "research_lab", "agency", "government_body", "party_body", "international_org")
    for i in range(rest):
        kind = FIRST_KINDS[i] if i < len(FIRST_KINDS) else rng.choices(kinds, (50, 18, 9, 9, 8, 4, 2))[0]
        country = world.states[min(int(rng.expovariate(0.4)), sizes.states - 1)]
        prefix = {"person": "p", "research_lab": "lab", "company": "co", "agency": "agency"}.get(kind, "body")
        actor_id = CHAIN_ACTOR if i == 0 else f"{prefix}-{i}"
        record: Record = {"id": actor_id, "kind": kind, "country": country}
        world.country_of[actor_id] = country
        if kind == "person":
            surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
            record["name"] = f"{given.capitalize()} {surname.capitalize()}"
            if surname in SURNAMES_ZH and given in GIVEN_ZH:
                record["names"] = {"zh-Hans": SURNAMES_ZH[surname] + GIVEN_ZH[given]}
            if world.agencies and rng.random() < 0.5:
                record["roles"] = [
                    {"title": rng.choice(("Minister", "Director", "Chair", "Spokesperson")),
                     "of": rng.choice(world.agencies), "from": dates.year_between(2008, 2024)}
                ]  # fmt: skip
        else:
            record["name"] = f"{kind.replace('_', ' ').title()} {i}"
            record["founded_on"] = dates.day(precise=0.5)
            if rng.random() < 0.4:
                record["names"] = {"zh-Hans": f"机构{i}"}
            if rng.random() < 0.3:
                record["website"] = f"https://{prefix}{i}.example.com"
        if kind in ("company", "research_lab") and world.companies and rng.random() < 0.25:
            record["parent"] = rng.choice(world.companies)  # always an earlier actor: no cycles
        if rng.random() < 0.15:
            record["summary"] = text.english(20, 60)
        {"company": world.companies, "research_lab": world.labs, "agency": world.agencies}.get(kind, []).append(
            actor_id
        )
        if kind != "international_org":
            world.speakers.append(actor_id)
        yield cited(record)


FIRST_KINDS = ("research_lab", "company", "agency")
"""The first actors after states and media: the chain's lab, a maker for every part, an issuer for every policy."""
HARDWARE_TIERS = (
    ("lithography_tool", 3),
    ("process_node", 10),
    ("memory", 12),
    ("accelerator", 30),
    ("gpu", 20),
    ("cpu", 10),
    ("interconnect", 5),
    ("system", 10),
)


def hardware(world: _World, seed: int) -> Iterator[Record]:
    """Parts in tiers: lithography tools, process nodes, memory, accelerators, GPUs, CPUs, interconnects, systems."""
    rng, dates = _rng(seed, "hardware"), _Dates(_rng(seed, "hardware-dates"))
    total_weight = sum(w for _k, w in HARDWARE_TIERS)
    for kind, weight in HARDWARE_TIERS:
        count = max(2, world.sizes.hardware * weight // total_weight)
        ids = world.hardware_by_kind.setdefault(kind, [])
        for i in range(count):
            hardware_id = f"{kind.replace('_', '-')}-{i}"
            record: Record = {
                "id": hardware_id,
                "kind": kind,
                "name": f"{kind.replace('_', ' ').title()} {i}",
                "maker": rng.choice(world.companies),
                "released_on": dates.day(precise=0.7),
                "sources": world.source_ids(rng),
            }
            if kind in ("accelerator", "gpu", "cpu"):
                record["fab"] = rng.choice(world.companies)
                record["process_node"] = f"{rng.choice((3, 5, 7, 14))}nm"
                record["specs"] = {"fp16_tflops": rng.choice((120, 312, 989)), "memory_gb": rng.choice((32, 64, 96))}
            if ids and rng.random() < 0.3:
                record["successor_of"] = ids[-1]
            ids.append(hardware_id)
            yield record


def policies(world: _World, seed: int) -> Iterator[Record]:
    """Plans, controls, listings and laws that target actors and restrict hardware; later ones amend earlier ones."""
    rng, dates, text = _rng(seed, "policies"), _Dates(_rng(seed, "policy-dates")), _Text(_rng(seed, "policy-text"))
    litho, node = world.hardware_by_kind["lithography_tool"], world.hardware_by_kind["process_node"]
    parts = [h for ids in world.hardware_by_kind.values() for h in ids]
    yield {
        "id": CHAIN_POLICY,
        "kind": "export_control",
        "name": "Advanced computing and lithography export controls",
        "jurisdiction": world.states[1],
        "issuers": [world.agencies[0]],
        "announced_on": "2022-10-07",
        "effective_on": "2022-10-21",
        "status": "in_force",
        "document_ids": ["87 FR 62186"],
        "targets": [world.country_of[CHAIN_ACTOR]],
        "restricts": [litho[0], node[0]],
        "sources": ["src-0"],
    }
    world.policies.append(CHAIN_POLICY)
    for i in range(1, world.sizes.policies):
        effective = dates.day(precise=0.8)
        record: Record = {
            "id": f"policy-{i}",
            "kind": rng.choice(POLICY_KINDS),
            "name": text.headline(),
            "jurisdiction": rng.choice(world.states[:6]),
            "issuers": [rng.choice(world.agencies)],
            "status": rng.choice(POLICY_STATUSES),
            "sources": world.source_ids(rng),
            "summary": text.english(25, 80),
        }
        if rng.random() < 0.85:
            record["effective_on"] = effective
        if rng.random() < 0.5:
            record["document_ids"] = [f"{rng.randint(75, 91)} FR {rng.randint(1000, 99999)}"]
        if record["kind"] in ("export_control", "entity_listing", "tariff"):
            record["targets"] = sorted({rng.choice(world.companies + world.labs) for _ in range(rng.randint(1, 8))})
            record["restricts"] = sorted({rng.choice(parts) for _ in range(rng.randint(0, 5))})
        if world.policies and rng.random() < 0.2:
            record[rng.choice(("amends", "supersedes"))] = [rng.choice(world.policies)]
        world.policies.append(record["id"])
        yield record


def statements(world: _World, seed: int) -> Iterator[Record]:
    """Dated quotations: Zipf-distributed speakers, English text of realistic length, Chinese originals."""
    rng, dates, text = _rng(seed, "statements"), _Dates(_rng(seed, "statement-dates")), _Text(_rng(seed, "text"))
    speakers = sorted(world.speakers)
    by_volume = list(speakers)
    rng.shuffle(by_volume)  # who speaks most does not follow the order actors were made in
    cumulative = _zipf_weights(len(by_volume), 1.05)
    parts = [h for ids in world.hardware_by_kind.values() for h in ids]
    for i, speaker in enumerate(rng.choices(by_volume, cum_weights=cumulative, k=world.sizes.statements)):
        said_on = dates.day()
        record: Record = {
            "id": f"st-{said_on}-{i}",
            "name": text.headline(),
            "speaker": speaker,
            "said_on": said_on,
            "kind": rng.choice(STATEMENT_KINDS),
            "text": text.english(15, 70),
            "sources": world.source_ids(rng),
        }
        if rng.random() < 0.35:
            record["original_text"] = text.chinese(2, 6)
            record["original_language"] = "zh-Hans"
            record["translated_by"] = "Bench Translation Desk"
        if rng.random() < 0.3:
            record["occasion"] = f"{rng.choice(('Forum', 'Hearing', 'Summit', 'Briefing'))} {rng.randrange(300)}"
        if rng.random() < 0.4:
            record["reported_by"] = rng.choice(world.media)
        mentions = rng.randint(0, 3)
        if mentions:
            chosen = {f"actor:{rng.choice(speakers)}" for _ in range(mentions)}
            if rng.random() < 0.3:
                chosen.add(f"hardware:{rng.choice(parts)}")
            record["mentions"] = sorted(chosen)
        if rng.random() < 0.15:
            record["about_policies"] = [rng.choice(world.policies)]
        if rng.random() < 0.4:
            record["tags"] = sorted(set(rng.choices(TAGS, k=rng.randint(1, 3))))
        yield record


def dependencies(world: _World, seed: int) -> Iterator[Record]:
    """Hardware-on-hardware chains (accelerator -> process node -> lithography tool), then actors on hardware."""
    rng, dates = _rng(seed, "dependencies"), _Dates(_rng(seed, "dependency-dates"), 2016, LAST_YEAR)
    tiers = world.hardware_by_kind
    count = 0

    def dependency(dependent: str, depends_on: str, purpose: str, **extra: Any) -> Record:
        nonlocal count
        record: Record = {
            "id": f"dep-{count}",
            "name": f"{dependent.partition(':')[2]} on {depends_on}",
            "dependent": dependent,
            "depends_on": depends_on,
            "purpose": purpose,
            "status": rng.choice(DEPENDENCY_STATUSES),
            "sources": world.source_ids(rng),
            **extra,
        }
        if "valid_from" not in record and rng.random() < 0.6:
            record["valid_from"] = dates.day(precise=0.5)
        count += 1
        return record

    chain_model = {"system": "Lab-0 Model 1", "status": "confirmed", "valid_from": "2021"}
    yield dependency(f"actor:{CHAIN_ACTOR}", tiers["accelerator"][0], "training", **chain_model)
    yield dependency(
        f"hardware:{tiers['accelerator'][0]}", tiers["process_node"][0], "manufacturing", status="confirmed"
    )
    yield dependency(f"hardware:{tiers['process_node'][0]}", tiers["lithography_tool"][0], "manufacturing")
    for kind in ("accelerator", "gpu", "cpu"):
        for i, part in enumerate(tiers[kind]):
            if kind != "accelerator" or i:
                yield dependency(f"hardware:{part}", rng.choice(tiers["process_node"]), "manufacturing")
            if kind != "cpu":
                yield dependency(f"hardware:{part}", rng.choice(tiers["memory"]), "component")
    for part in tiers["process_node"][1:]:
        for tool in sorted({rng.choice(tiers["lithography_tool"]) for _ in range(2)}):
            yield dependency(f"hardware:{part}", tool, "manufacturing")
    for part in tiers["system"]:
        yield dependency(f"hardware:{part}", rng.choice(tiers["accelerator"] + tiers["gpu"]), "component")
    chips = tiers["accelerator"] + tiers["gpu"]
    users = world.labs + world.companies
    for _ in range(world.sizes.actor_dependencies):
        user = rng.choice(users)
        extra: Record = {}
        if rng.random() < 0.6:
            extra["system"] = f"{user.title()} Model {rng.randint(1, 4)}"
        if rng.random() < 0.2:
            extra["alternative_to"] = [rng.choice(chips)]
        if rng.random() < 0.3:
            extra["quantity"] = rng.choice((256, 2048, 10_000, 50_000))
        purpose = rng.choice(("training", "inference", "deployment"))
        yield dependency(f"actor:{user}", rng.choice(chips), purpose, **extra)


Generator = Callable[[_World, int], Iterator[Record]]
# Generation order: a type refers to records generated before it, and to sources (`src-N`, N below the
# number of sources), which are written last.
GENERATORS: tuple[tuple[str, Generator], ...] = (
    ("actors", actors),
    ("hardware", hardware),
    ("policies", policies),
    ("statements", statements),
    ("dependencies", dependencies),
    ("sources", sources),
)


def generate(statement_count: int, seed: int = DEFAULT_SEED) -> Iterator[tuple[str, Iterator[Record]]]:
    """Each type's plural with its records, lazily; consume each type's records before asking for the next."""
    world = _World(sizes_for(statement_count))
    for plural, make in GENERATORS:
        yield plural, make(world, seed)


def build(statement_count: int, seed: int = DEFAULT_SEED) -> dict[str, list[Record]]:
    """Every synthetic record in memory, by type (small sizes and tests)."""
    return {plural: list(records) for plural, records in generate(statement_count, seed)}


def write_synthetic_seed(
    folder: Path, statement_count: int, fmt: SynthFormat = "ndjson", seed: int = DEFAULT_SEED
) -> dict[str, int]:
    """Write one seed file per type into `folder`; return how many records of each type were written."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for plural, records in generate(statement_count, seed):
        counts[plural] = write_records(folder / f"{plural}.{fmt}", records, fmt)
    return counts


def write_records(path: Path, records: Iterator[Record] | list[Record], fmt: SynthFormat) -> int:
    """Write records to one seed file (NDJSON streamed line by line, YAML as one list); return the count."""
    count = 0
    if fmt == "ndjson":
        with path.open("wb") as handle:
            for record in records:
                handle.write(orjson.dumps(record) + b"\n")
                count += 1
        return count
    listed = list(records)
    yaml = YAML(typ="safe", pure=False)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(listed, handle)
    return len(listed)
