"""A deterministic synthetic seed folder of a given size, for load benchmarks.

Shapes follow the real seed: a few speakers with very many statements, every
record cited, typed mentions, partial dates. Written as ordinary seed files,
so the real loader reads them.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import orjson
from ruamel.yaml import YAML

WORDS = [
    *("export", "controls", "chips", "accelerator", "lithography", "self-reliance", "policy", "entity"),
    *("list", "tariff", "memory", "bandwidth", "model", "training", "inference", "supply", "chain"),
    *("semiconductor", "foundry", "node", "license", "ban", "review"),
]


def sentence(rng: random.Random, n: int) -> str:
    """Some words."""
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def build(total: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """About `total` records across the six types, most of them statements."""
    rng = random.Random(seed)
    n_sources = max(10, total // 50)
    n_actors = max(10, total // 100)
    n_hardware = max(5, total // 200)
    n_policies = max(5, total // 100)
    n_dependencies = max(5, total // 20)
    n_statements = max(1, total - n_sources - n_actors - n_hardware - n_policies - n_dependencies)
    sources = [
        {"id": f"src-{i}", "name": f"Source {i}", "kind": rng.choice(["primary", "press", "analysis"]),
         "url": f"https://example.org/{i}", "published_on": f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}"}
        for i in range(n_sources)
    ]  # fmt: skip
    states = [{"id": f"state-{i}", "kind": "state", "name": f"State {i}", "sources": ["src-0"]} for i in range(5)]
    actors = states + [
        {"id": f"actor-{i}", "kind": rng.choice(["company", "person", "agency", "research_lab"]),
         "name": f"Actor {i}", "names": {"zh-Hans": f"机构{i}"}, "country": f"state-{i % 5}",
         "parent": f"actor-{i // 10}" if i >= 10 and i % 3 == 0 else None,
         "tags": [rng.choice(WORDS)], "sources": [f"src-{rng.randrange(n_sources)}"]}
        for i in range(n_actors)
    ]  # fmt: skip
    hardware = [
        {"id": f"hw-{i}", "kind": rng.choice(["gpu", "accelerator", "memory", "process_node"]), "name": f"Part {i}",
         "maker": f"actor-{rng.randrange(n_actors)}", "specs": {"memory_gb": rng.choice([16, 32, 80])},
         "sources": [f"src-{rng.randrange(n_sources)}"]}
        for i in range(n_hardware)
    ]  # fmt: skip
    policies = [
        {"id": f"policy-{i}", "kind": rng.choice(["export_control", "entity_listing", "strategy"]),
         "name": f"Policy {i}", "status": "in_force", "jurisdiction": f"state-{i % 5}",
         "effective_on": f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
         "targets": [f"actor-{rng.randrange(n_actors)}"], "restricts": [f"hw-{rng.randrange(n_hardware)}"],
         "document_ids": [f"{rng.randint(80, 90)} FR {rng.randint(1000, 99999)}"],
         "sources": [f"src-{rng.randrange(n_sources)}"]}
        for i in range(n_policies)
    ]  # fmt: skip
    speakers = [f"actor-{i}" for i in range(n_actors)]
    weights = [1 / (rank + 1) for rank in range(n_actors)]  # a few speak very often
    statements = [
        {"id": f"stmt-{i}", "name": sentence(rng, 5), "speaker": spk, "kind": "remark",
         "said_on": f"20{rng.randint(10, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
         "text": sentence(rng, 30), "original_text": "我们要坚持自立自强。" * 3, "original_language": "zh-Hans",
         "mentions": [f"actor:{rng.choice(speakers)}", f"hardware:hw-{rng.randrange(n_hardware)}"],
         "tags": [rng.choice(WORDS)], "sources": [f"src-{rng.randrange(n_sources)}"]}
        for i, spk in enumerate(rng.choices(speakers, weights, k=n_statements))
    ]  # fmt: skip
    dependencies = [
        {"id": f"dep-{i}", "name": f"Dependency {i}",
         "dependent": f"actor:actor-{rng.randrange(n_actors)}" if i % 2 else f"hardware:hw-{rng.randrange(n_hardware)}",
         "depends_on": f"hw-{rng.randrange(n_hardware)}", "purpose": "training", "status": "reported",
         "valid_from": f"20{rng.randint(10, 25)}", "sources": [f"src-{rng.randrange(n_sources)}"]}
        for i in range(n_dependencies)
    ]  # fmt: skip
    return {
        "actors": [{k: v for k, v in a.items() if v is not None} for a in actors],
        "hardware": hardware,
        "policies": policies,
        "statements": statements,
        "dependencies": dependencies,
        "sources": sources,
    }


def write(folder: Path, data: dict[str, list[dict[str, Any]]], fmt: str) -> None:
    """One file per type."""
    folder.mkdir(parents=True, exist_ok=True)
    for plural, records in data.items():
        path = folder / f"{plural}.{fmt}"
        if fmt == "ndjson":
            path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
        else:
            yaml = YAML(typ="safe", pure=False)
            yaml.default_flow_style = False
            yaml.allow_unicode = True
            with path.open("w", encoding="utf-8") as handle:
                yaml.dump(records, handle)


def main() -> None:
    """Write a synthetic seed folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--format", choices=["yaml", "ndjson"], default="yaml")
    parser.add_argument("--to", type=Path, required=True)
    args = parser.parse_args()
    write(args.to, build(args.records), args.format)


if __name__ == "__main__":
    main()
