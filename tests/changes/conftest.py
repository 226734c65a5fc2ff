"""Two loads for the change feed: version 1 creates four records; version 2 (with --prune) creates a4,
updates a1 and deletes a3."""

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

VERSION_1 = {
    "sources.yaml": "- {id: src, name: Source, title: Source, kind: press}\n",
    "actors.yaml": (
        "- {id: a1, kind: company, name: One, sources: [src]}\n"
        "- {id: a2, kind: company, name: Two, sources: [src]}\n"
        "- {id: a3, kind: company, name: Three, sources: [src]}\n"
    ),
}
VERSION_2 = {
    "sources.yaml": VERSION_1["sources.yaml"],
    "actors.yaml": (
        "- {id: a1, kind: company, name: One renamed, sources: [src]}\n"
        "- {id: a2, kind: company, name: Two, sources: [src]}\n"
        "- {id: a4, kind: company, name: Four, sources: [src]}\n"
    ),
}
# (version, type, id, action) in log order: each load writes per type (actors first), created, updated, deleted.
ENTRIES = [
    (1, "actor", "a1", "created"),
    (1, "actor", "a2", "created"),
    (1, "actor", "a3", "created"),
    (1, "source", "src", "created"),
    (2, "actor", "a4", "created"),
    (2, "actor", "a1", "updated"),
    (2, "actor", "a3", "deleted"),
]


@pytest.fixture
def changes_client(engine: sa.Engine, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A client after both loads."""
    load_dir(engine, write_seed(tmp_path / "v1", VERSION_1))
    load_dir(engine, write_seed(tmp_path / "v2", VERSION_2), prune=True)
    with TestClient(create_app(settings)) as client:
        yield client
