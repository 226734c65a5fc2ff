"""A tiny supply chain built to pin the exposure semantics, written as seed YAML and loaded per test.

Actors: the state `land` (and `elsewhere`); `holding` (country land) owns
`acme` (no country of its own: it takes its parent's), which owns `acme-lab`.

Chains (D = 2020-07-01 unless a test says otherwise):
- acme -> chip-a (confirmed) -> node-x (reported) -> tool-y (confirmed): three hops;
- acme-lab -> chip-b (rumoured): a subsidiary's dependency, a rumour;
- acme -> old-chip (confirmed) until 2019-01-01: ended before D;
- acme -> denied-chip (denied): never in the chain;
- acme -> loop-1 -> loop-2 -> loop-1: a cycle;
- elsewhere-co uses chip-alt and chip-alt2 instead of chip-a (alternative_to).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.seeding.run import load_dir
from tests.conftest import write_seed

SOURCES = """
- {id: src-a, name: Source A, title: Source A, url: 'https://example.org/a', published_on: 2020-01-02, kind: press}
- {id: src-b, name: Source B, title: Source B, kind: analysis}
"""
ACTORS = """
- {id: land, kind: state, name: Land, sources: [src-a]}
- {id: elsewhere, kind: state, name: Elsewhere, sources: [src-a]}
- {id: holding, kind: company, name: Holding, country: land, sources: [src-a]}
- {id: acme, kind: company, name: Acme, parent: holding, sources: [src-a]}
- {id: acme-lab, kind: research_lab, name: Acme Lab, parent: acme, sources: [src-a]}
- {id: elsewhere-co, kind: company, name: Elsewhere Co, country: elsewhere, sources: [src-a]}
"""
HARDWARE = """
- {id: chip-a, kind: accelerator, name: Chip A, sources: [src-a]}
- {id: chip-b, kind: accelerator, name: Chip B, sources: [src-a]}
- {id: node-x, kind: process_node, name: Node X, sources: [src-a]}
- {id: tool-y, kind: lithography_tool, name: Tool Y, sources: [src-a]}
- {id: old-chip, kind: gpu, name: Old Chip, sources: [src-a]}
- {id: denied-chip, kind: gpu, name: Denied Chip, sources: [src-a]}
- {id: loop-1, kind: system, name: Loop 1, sources: [src-a]}
- {id: loop-2, kind: system, name: Loop 2, sources: [src-a]}
- {id: chip-alt, kind: accelerator, name: Chip Alt, sources: [src-a]}
- {id: chip-alt2, kind: accelerator, name: Chip Alt 2, sources: [src-a]}
"""
DEPENDENCIES = """
- {id: acme-chip-a, name: Acme on Chip A, dependent: 'actor:acme', depends_on: chip-a, purpose: training,
   status: confirmed, sources: [src-a]}
- {id: chip-a-node-x, name: Chip A made on Node X, dependent: 'hardware:chip-a', depends_on: node-x,
   purpose: manufacturing, status: reported, sources: [src-a, src-b]}
- {id: node-x-tool-y, name: Node X needs Tool Y, dependent: 'hardware:node-x', depends_on: tool-y,
   purpose: manufacturing, status: confirmed, sources: [src-b]}
- {id: lab-chip-b, name: Acme Lab on Chip B, dependent: 'actor:acme-lab', depends_on: chip-b, purpose: inference,
   status: rumoured, sources: [src-b]}
- {id: acme-old-chip, name: Acme on Old Chip, dependent: 'actor:acme', depends_on: old-chip, purpose: training,
   status: confirmed, valid_from: '2015', valid_to: 2019-01-01, sources: [src-a]}
- {id: acme-denied-chip, name: Acme on Denied Chip, dependent: 'actor:acme', depends_on: denied-chip,
   purpose: training, status: denied, sources: [src-a]}
- {id: acme-loop-1, name: Acme on Loop 1, dependent: 'actor:acme', depends_on: loop-1, purpose: deployment,
   status: reported, sources: [src-a]}
- {id: loop-1-loop-2, name: Loop 1 on Loop 2, dependent: 'hardware:loop-1', depends_on: loop-2, purpose: component,
   status: reported, sources: [src-a]}
- {id: loop-2-loop-1, name: Loop 2 on Loop 1, dependent: 'hardware:loop-2', depends_on: loop-1, purpose: component,
   status: reported, sources: [src-a]}
- {id: elsewhere-chip-alt, name: Elsewhere on Chip Alt, dependent: 'actor:elsewhere-co', depends_on: chip-alt,
   purpose: training, status: reported, alternative_to: [chip-a], sources: [src-a]}
- {id: elsewhere-chip-alt2, name: Elsewhere on Chip Alt 2, dependent: 'actor:elsewhere-co', depends_on: chip-alt2,
   purpose: training, status: reported, alternative_to: [chip-a], sources: [src-a]}
"""
POLICIES = """
- {id: p-chip, kind: export_control, name: Chip rule, effective_on: 2020-01-01, status: in_force,
   targets: [land], restricts: [chip-a], sources: [src-a]}
- {id: p-tool, kind: export_control, name: Tool rule, jurisdiction: elsewhere, effective_on: 2020-01-01,
   status: in_force, targets: [land], restricts: [tool-y], sources: [src-a]}
- {id: p-parent, kind: entity_listing, name: Holding listed, effective_on: 2020-06, status: in_force,
   targets: [holding], sources: [src-a]}
- {id: p-rumour, kind: export_control, name: Chip B rule, effective_on: '2015', status: in_force,
   targets: [land], restricts: [chip-b], sources: [src-a]}
- {id: p-loop, kind: export_control, name: Loop rule, effective_on: '2015', status: in_force,
   targets: [land], restricts: [loop-2], sources: [src-a]}
- {id: p-old, kind: export_control, name: Old chip rule, effective_on: '2015', status: in_force,
   targets: [land], restricts: [old-chip], sources: [src-a]}
- {id: p-denied, kind: export_control, name: Denied chip rule, effective_on: '2015', status: in_force,
   targets: [land], restricts: [denied-chip], sources: [src-a]}
- {id: p-alt2, kind: export_control, name: Chip Alt 2 rule, effective_on: '2015', status: in_force,
   targets: [land], restricts: [chip-alt2], sources: [src-a]}
- {id: p-other, kind: export_control, name: Rule on elsewhere, effective_on: '2015', status: in_force,
   targets: [elsewhere], restricts: [chip-a], sources: [src-a]}
- {id: p-future, kind: export_control, name: Future rule, effective_on: 2021-01-01, status: in_force,
   targets: [acme], restricts: [chip-a], sources: [src-a]}
- {id: p-rescinded, kind: export_control, name: Rescinded rule, effective_on: 2019-01-01, status: rescinded,
   targets: [land], restricts: [chip-a], sources: [src-a]}
- {id: p-ended, kind: export_control, name: Ended rule, effective_on: 2019-01-01, ended_on: 2020-03-01,
   status: expired, targets: [land], restricts: [chip-a], sources: [src-a]}
- {id: p-undated, kind: export_control, name: Undated rule, announced_on: 2019-05-01, status: in_force,
   targets: [acme], restricts: [chip-a], sources: [src-a]}
"""
FILES = {
    "sources.yaml": SOURCES,
    "actors.yaml": ACTORS,
    "hardware.yaml": HARDWARE,
    "dependencies.yaml": DEPENDENCIES,
    "policies.yaml": POLICIES,
}


MakeClient = Callable[[dict[str, str] | None], TestClient]


@pytest.fixture
def make_client(engine: sa.Engine, settings: Settings, tmp_path: Path) -> Iterator[MakeClient]:
    """Load seed files (the supply chain above, unless given) and return a client on them."""
    clients: list[TestClient] = []

    def make(files: dict[str, str] | None = None) -> TestClient:
        load_dir(engine, write_seed(tmp_path / f"seed{len(clients)}", files or FILES))
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def exposure_client(make_client: MakeClient) -> TestClient:
    """A client over the supply chain above."""
    return make_client(None)
