"""The explorer on the real seed: one database per module (loading ~2,300 records takes seconds), a TestClient
over it, and for the browser tests a live `techsov serve` on a free port with its own data directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.db import make_engine
from app.main import create_app
from app.seeding.run import load_dir
from tests.conftest import SEED_DIR, TEST_DATABASE_URL, empty_all_tables


@pytest.fixture(scope="module")
def seed_url(_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of this module's own with the real seed loaded (on PostgreSQL: the session's, refilled)."""
    if TEST_DATABASE_URL:
        url = _template
        engine = make_engine(url)
        empty_all_tables(engine)
    else:
        path = tmp_path_factory.mktemp("explorer") / "seed.sqlite3"
        shutil.copy(_template, path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
    load_dir(engine, SEED_DIR)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def site(seed_url: str) -> Iterator[TestClient]:
    """A client on the app over the real seed."""
    settings = Settings(database_url=seed_url, techsov_seed_dir=SEED_DIR)
    with TestClient(create_app(settings)) as client:
        yield client
