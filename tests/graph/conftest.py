"""A tiny graph, written as seed YAML: every edge kind once, a cycle between two policies, validity windows.

land <-based_in- gov -issued-> p1 -targets-> co -based_in-> land
co -part_of-> gov;  p1 -restricts-> chip;  chip -made_by-> co (maker and fab)
co -depends_on(d1, 2018 to 2020)-> chip -depends_on(d2)-> node;  chip -alternative_to(d1)-> old-chip
speaker -said-> s1 -reported_by-> media;  s1 -mentions-> co, chip, p1 (about)
p2 -supersedes-> p1 -amends-> p2 (a cycle);  p2 took effect in 2021
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.seeding.run import load_dir
from tests.conftest import write_seed

FILES = {
    "sources.yaml": """
- {id: src, name: Source, title: Source, kind: press}
""",
    "actors.yaml": """
- {id: land, kind: state, name: Land, sources: [src]}
- {id: gov, kind: government_body, name: Gov, country: land, sources: [src]}
- {id: co, kind: company, name: Co, country: land, parent: gov, founded_on: '2010', sources: [src]}
- {id: speaker, kind: person, name: Speaker, sources: [src]}
- {id: media, kind: media, name: Media, sources: [src]}
""",
    "policies.yaml": """
- {id: p1, kind: export_control, name: Rule, issuers: [gov], effective_on: '2019', status: in_force,
   targets: [co], restricts: [chip], amends: [p2], sources: [src]}
- {id: p2, kind: export_control, name: Later rule, effective_on: '2021', status: in_force, supersedes: [p1],
   sources: [src]}
""",
    "statements.yaml": """
- {id: s1, name: A statement, speaker: speaker, said_on: 2019-05, kind: remark, text: Words.,
   reported_by: media, mentions: ['actor:co', 'hardware:chip'], about_policies: [p1], sources: [src]}
""",
    "hardware.yaml": """
- {id: chip, kind: accelerator, name: Chip, maker: co, fab: co, sources: [src]}
- {id: node, kind: process_node, name: Node, sources: [src]}
- {id: old-chip, kind: gpu, name: Old chip, sources: [src]}
""",
    "dependencies.yaml": """
- {id: d1, name: Co on Chip, dependent: 'actor:co', depends_on: chip, purpose: training, status: rumoured,
   valid_from: '2018', valid_to: '2020', alternative_to: [old-chip], system: Model-1, sources: [src]}
- {id: d2, name: Chip made on Node, dependent: 'hardware:chip', depends_on: node, purpose: manufacturing,
   status: confirmed, sources: [src]}
""",
}


@pytest.fixture
def graph_client(engine: sa.Engine, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A client over the graph above."""
    load_dir(engine, write_seed(tmp_path / "seed", FILES))
    with TestClient(create_app(settings)) as client:
        yield client
