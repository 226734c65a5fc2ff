"""A tiny dated world for the timeline, written as seed YAML: ties on one day, partial dates, every event kind."""

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
- {id: land, kind: state, name: Land, founded_on: 1949-10-01, sources: [src]}
- {id: co, kind: company, name: Co, country: land, founded_on: '2000', dissolved_on: 2020-06, tags: [chips],
   sources: [src]}
- {id: speaker, kind: person, name: Speaker, sources: [src]}
- {id: gov, kind: government_body, name: Gov, country: land, sources: [src]}
""",
    "policies.yaml": """
- {id: p1, kind: export_control, name: "=Rule one", issuers: [gov], jurisdiction: land, announced_on: 2018-03-01,
   effective_on: 2018-07, ended_on: '2019', status: expired, targets: [co], tags: [chips, export-controls],
   sources: [src]}
- {id: p2, kind: strategy, name: Plan two, jurisdiction: land, effective_on: 2018-07-01, status: in_force,
   sources: [src]}
- {id: p3, kind: law, name: Undated law, status: announced, sources: [src]}
""",
    "statements.yaml": """
- {id: s1, name: Said in 2018, speaker: speaker, said_on: '2018', kind: speech, text: Words., sources: [src]}
- {id: s2, name: Said on the day, speaker: speaker, said_on: 2018-07-01, kind: remark, text: More words.,
   mentions: ['actor:co'], sources: [src]}
""",
    "hardware.yaml": """
- {id: chip, kind: accelerator, name: Chip, maker: co, released_on: 2018-07-01, tags: [chips], sources: [src]}
- {id: other-chip, kind: gpu, name: Other chip, fab: co, sources: [src]}
""",
    "dependencies.yaml": """
- {id: d1, name: Co on Chip, dependent: 'actor:co', depends_on: chip, purpose: training, status: reported,
   valid_from: 2018-07-01, valid_to: 2019-02, sources: [src]}
- {id: d2, name: Chip on Other chip, dependent: 'hardware:chip', depends_on: other-chip, purpose: component,
   status: reported, sources: [src]}
""",
}

# Every event, oldest first: (date as given, kind, id). Ties on 2018-07-01 go by kind, then type, then id.
ALL_EVENTS = [
    ("1949-10-01", "actor.founded", "land"),
    ("2000", "actor.founded", "co"),
    ("2018", "statement.said", "s1"),
    ("2018-03-01", "policy.announced", "p1"),
    ("2018-07-01", "dependency.began", "d1"),
    ("2018-07-01", "hardware.released", "chip"),
    ("2018-07", "policy.effective", "p1"),
    ("2018-07-01", "policy.effective", "p2"),
    ("2018-07-01", "statement.said", "s2"),
    ("2019", "policy.ended", "p1"),
    ("2019-02", "dependency.ended", "d1"),
    ("2020-06", "actor.dissolved", "co"),
]


@pytest.fixture
def timeline_client(engine: sa.Engine, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A client over the dated world above."""
    load_dir(engine, write_seed(tmp_path / "seed", FILES))
    with TestClient(create_app(settings)) as client:
        yield client
