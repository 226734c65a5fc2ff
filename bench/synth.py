"""A synthetic seed folder of about a given number of records: a thin wrapper over app/seeding/synth.py.

Prefer the command, which sizes by statements:

    techsov seed synth --statements 100000 --to DIR --format ndjson

This module keeps the record-count interface that bench/load_seed.py uses.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.seeding.synth import DEFAULT_SEED, write_records
from app.seeding.synth import build as build_by_statements

STATEMENT_SHARE = 0.93
"""About this share of a synthetic seed's records are statements (the rest: sources, actors, dependencies …)."""


def build(total: int, seed: int = DEFAULT_SEED) -> dict[str, list[dict[str, Any]]]:
    """About `total` records across the six types, most of them statements."""
    return build_by_statements(max(1, round(total * STATEMENT_SHARE)), seed)


def write(folder: Path, data: dict[str, list[dict[str, Any]]], fmt: str) -> None:
    """One file per type."""
    folder.mkdir(parents=True, exist_ok=True)
    for plural, records in data.items():
        write_records(folder / f"{plural}.{fmt}", records, "ndjson" if fmt == "ndjson" else "yaml")


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
