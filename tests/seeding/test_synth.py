"""The synthetic seed generator: deterministic, loadable by the real loader, shaped like the real seed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from app.cli import app
from app.records.registry import DEPENDENCY, STATEMENT
from app.seeding.run import load_dir
from app.seeding.synth import CHAIN_ACTOR, CHAIN_POLICY, Sizes, SynthFormat, build, sizes_for, write_synthetic_seed

STATEMENTS = 300


def file_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a folder by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["ndjson", "yaml"])
def test_the_same_arguments_write_the_same_files(tmp_path: Path, fmt: SynthFormat) -> None:
    write_synthetic_seed(tmp_path / "a", STATEMENTS, fmt)
    write_synthetic_seed(tmp_path / "b", STATEMENTS, fmt)
    write_synthetic_seed(tmp_path / "c", STATEMENTS, fmt, seed=1)
    first = file_bytes(tmp_path / "a")
    assert sorted(first) == sorted(
        f"{plural}.{fmt}" for plural in ("actors", "policies", "statements", "hardware", "dependencies", "sources")
    )
    assert first == file_bytes(tmp_path / "b")
    assert first["statements." + fmt] != file_bytes(tmp_path / "c")["statements." + fmt]


@pytest.mark.parametrize("fmt", ["ndjson", "yaml"])
def test_the_real_loader_loads_every_record(engine: sa.Engine, tmp_path: Path, fmt: SynthFormat) -> None:
    counts = write_synthetic_seed(tmp_path, STATEMENTS, fmt)
    report = load_dir(engine, tmp_path)
    singular = {"actors": "actor", "policies": "policy", "statements": "statement", "hardware": "hardware"}
    singular |= {"dependencies": "dependency", "sources": "source"}
    assert report.created == {singular[plural]: n for plural, n in counts.items()}
    assert counts["statements"] == STATEMENTS


def test_shapes_skewed_speakers_cited_records_and_a_three_hop_chain() -> None:
    data = build(2_000)
    speakers = Counter(s["speaker"] for s in data["statements"])
    volumes = sorted(speakers.values(), reverse=True)
    assert volumes[0] >= 20 * volumes[len(volumes) // 2]  # a few speak very often, most rarely
    assert all(record.get("sources") for plural, records in data.items() if plural != "sources" for record in records)
    years = {int(s["said_on"][:4]) for s in data["statements"]}
    assert (min(years), max(years)) == (2010, 2026)
    assert any("original_text" in s for s in data["statements"])
    hop = {(d["dependent"], d["depends_on"]) for d in data["dependencies"]}
    assert (f"actor:{CHAIN_ACTOR}", "accelerator-0") in hop
    assert ("hardware:accelerator-0", "process-node-0") in hop
    assert ("hardware:process-node-0", "lithography-tool-0") in hop
    policy = next(p for p in data["policies"] if p["id"] == CHAIN_POLICY)
    assert "lithography-tool-0" in policy["restricts"]


def test_other_types_scale_with_the_statements() -> None:
    assert sizes_for(1_000_000) == Sizes(
        statements=1_000_000,
        states=20,
        media=200,
        actors=10_000,
        sources=50_000,
        policies=4_000,
        hardware=2_000,
        actor_dependencies=5_000,
    )
    small, large = build(2_000), build(30_000)
    for plural in ("actors", "policies", "dependencies", "sources"):
        assert len(large[plural]) > len(small[plural]), plural


def test_the_command_writes_a_seed_folder_that_loads(engine: sa.Engine, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["seed", "synth", "--statements", "50", "--to", str(tmp_path), "--format", "ndjson"]
    )
    assert result.exit_code == 0, result.output
    assert "50 statements" in result.output
    load_dir(engine, tmp_path)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(STATEMENT.table)).scalar_one() == 50
        assert connection.execute(sa.select(sa.func.count()).select_from(DEPENDENCY.table)).scalar_one() > 0


def test_the_command_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["seed", "synth", "--statements", "5", "--to", str(tmp_path), "--format", "csv"])
    assert result.exit_code == 1
