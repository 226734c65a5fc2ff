"""Fixtures for the HTTP tests: the fixture seed, and a tie-heavy seed for paging walks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.seeding.run import load_dir
from tests.conftest import VALID

TIED_STATEMENTS = 137


def write_tied_seed(folder: Path) -> None:
    """The fixture seed plus many statements by one speaker that tie on date and kind."""
    folder.mkdir()
    for path in VALID.iterdir():
        (folder / path.name).write_text(path.read_text("utf-8"), "utf-8")
    dates = ["2020-01-01", "2020-01", "2021-06-30"]
    lines = [
        f"- {{id: tie-{i:03d}, name: Tied {i % 5}, speaker: test-person, said_on: {dates[i % 3]}, "
        f"kind: {'remark' if i % 2 else 'speech'}, text: 'Quote {i}', sources: [src-press]}}\n"
        for i in range(TIED_STATEMENTS)
    ]
    with (folder / "statements.yaml").open("a", encoding="utf-8") as handle:
        handle.writelines(lines)


@pytest.fixture
def tied_client(engine: sa.Engine, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A client over the fixture seed plus 137 statements with many ties."""
    write_tied_seed(tmp_path / "tied")
    load_dir(engine, tmp_path / "tied")
    with TestClient(create_app(settings)) as client:
        yield client
