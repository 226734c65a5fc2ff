"""Test databases built with the real migrations: SQLite by default, PostgreSQL with TEST_DATABASE_URL.

SQLite: the migrated template is copied to a fresh file per test. PostgreSQL:
one database per test session, migrated once, emptied before each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings, get_settings
from app.core.db import is_sqlite, make_engine, upgrade
from app.core.state import metadata
from app.main import create_app
from app.seeding.run import check_dir, load_dir
from tests.live import serve

FIXTURES = Path(__file__).parent / "fixtures"
SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
"""The repository's seed: only tests that check the seed itself use it."""
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test reads settings anew, with its own data directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database: a SQLite file to copy, or a PostgreSQL database to reuse."""
    if TEST_DATABASE_URL:
        server = sa.make_url(TEST_DATABASE_URL)
        name = f"techsov_test_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
        sa.create_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        upgrade(f"sqlite:///{path}")
        yield str(path)


def write_seed(folder: Path, files: dict[str, str]) -> Path:
    """Write seed YAML files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")
    return folder


def empty_all_tables(engine: sa.Engine) -> None:
    """Delete every row (children first) and, on PostgreSQL, the search index's documents (a table the
    migrations make outside the models); the schema and migration stamp stay."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("DELETE FROM search_documents")


@pytest.fixture
def database_url(_template: str, tmp_path: Path) -> str:
    """A migrated, empty database of this test's own."""
    if TEST_DATABASE_URL:
        engine = make_engine(_template)
        empty_all_tables(engine)
        engine.dispose()
        return _template
    path = tmp_path / "test.sqlite3"
    shutil.copy(_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """An engine on this test's database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded_engine(engine: sa.Engine) -> sa.Engine:
    """The test database with the `valid` fixture seed loaded."""
    load_dir(engine, VALID)
    return engine


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings pointing at this test's database."""
    return Settings(database_url=database_url, techsov_seed_dir=VALID)


@pytest.fixture
def client(loaded_engine: sa.Engine, settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the app over the loaded fixture database."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def uses_sqlite(url: str) -> bool:
    """True when the test runs on SQLite."""
    return is_sqlite(url)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `techsov serve` over the repository's seed (its own SQLite file), shared by the tests that speak
    HTTP over a socket as outside clients do; yields its base URL."""
    with serve(tmp_path_factory.mktemp("live") / "data") as base_url:
        yield base_url


Seed = dict[str, dict[str, dict[str, Any]]]
"""Records by type and id, as the validator sees them."""


@pytest.fixture(scope="session")
def seed() -> Seed:
    """The repository's seed as the validator sees it, keyed by type and id (read once)."""
    checked = check_dir(SEED_DIR)
    assert [str(error) for error in checked.errors] == []
    return {
        record_type: {record.data["id"]: record.data for record in records}
        for record_type, records in checked.validated.records.items()
    }


@pytest.fixture
def seed_client(engine: sa.Engine, database_url: str) -> Iterator[TestClient]:
    """An HTTP client on the app over a database holding the repository's seed."""
    load_dir(engine, SEED_DIR)
    with TestClient(create_app(Settings(database_url=database_url, techsov_seed_dir=SEED_DIR))) as client:
        yield client
