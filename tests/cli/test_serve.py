"""`techsov serve` with no DATABASE_URL: creates, migrates and seeds a SQLite file, then answers."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.cli import bootstrap_default_database
from app.core.config import Settings
from app.core.db import current_revision, head_revision, make_engine
from app.core.state import current_version
from tests.conftest import VALID
from tests.live import serve


def test_first_start_creates_migrates_and_seeds_the_default_database(tmp_path: Path) -> None:
    settings = Settings(techsov_data_dir=tmp_path / "data", techsov_seed_dir=VALID)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'data' / 'techsov.sqlite3'}"
    bootstrap_default_database(settings)
    engine = make_engine(settings.resolved_database_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert current_version(connection)[0] == 1
    bootstrap_default_database(settings)  # a second start leaves the data alone
    with engine.connect() as connection:
        assert current_version(connection)[0] == 1


def test_serve_answers_over_http(tmp_path: Path) -> None:
    with serve(tmp_path / "data", VALID) as base_url:
        response = httpx.get(f"{base_url}/v1/actors/huawei", timeout=10)
    assert response.status_code == 200
    assert response.json()["name"] == "Huawei"
