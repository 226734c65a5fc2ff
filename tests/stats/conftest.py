"""A tiny dataset with known counts for the stats endpoint, written as seed YAML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.seeding.run import load_dir

FILES = {
    "sources.yaml": """
- {id: src, name: Wire, title: Wire, kind: press, published_on: 2019-05, tags: [wire]}
- {id: src2, name: Text, title: Text, kind: primary}
""",
    "actors.yaml": """
- {id: land, kind: state, name: Land, sources: [src]}
- {id: other-land, kind: state, name: Other Land, sources: [src]}
- {id: co, kind: company, name: Co, country: land, founded_on: '2000', tags: [chips], sources: [src]}
- {id: co2, kind: company, name: Co 2, country: land, founded_on: 2018-03, sources: [src]}
- {id: person, kind: person, name: Person, sources: [src]}
""",
    "policies.yaml": """
- {id: p1, kind: export_control, name: One, jurisdiction: land, effective_on: 2018-07, status: in_force,
   tags: [chips], sources: [src]}
- {id: p2, kind: export_control, name: Two, jurisdiction: other-land, effective_on: 2019-01-01,
   status: in_force, sources: [src]}
- {id: p3, kind: strategy, name: Three, sources: [src]}
""",
    "statements.yaml": """
- {id: s1, name: Said, speaker: person, said_on: '2018', kind: speech, text: Words., sources: [src]}
""",
    "hardware.yaml": """
- {id: h1, kind: accelerator, name: Chip, released_on: '2019', tags: [chips], sources: [src]}
""",
    "dependencies.yaml": """
- {id: d1, name: Co on Chip, dependent: 'actor:co', depends_on: h1, purpose: training, status: reported,
   valid_from: '2018', sources: [src]}
- {id: d2, name: Co 2 on Chip, dependent: 'actor:co2', depends_on: h1, purpose: training, status: rumoured,
   sources: [src]}
""",
}


@pytest.fixture
def stats_client(engine: sa.Engine, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A client over the dataset above."""
    folder = tmp_path / "seed"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, "utf-8")
    load_dir(engine, folder)
    with TestClient(create_app(settings)) as client:
        yield client
