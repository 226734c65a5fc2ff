"""`techsov serve` with no DATABASE_URL: creates, migrates and seeds a SQLite file, then answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.cli import bootstrap_default_database
from app.core.config import Settings
from app.core.db import current_revision, head_revision, make_engine
from app.core.state import current_version
from tests.conftest import VALID
from tests.live import free_port


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
    port = free_port()
    env = {**os.environ, "TECHSOV_DATA_DIR": str(tmp_path / "data"), "TECHSOV_SEED_DIR": str(VALID)}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/actors/huawei", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"server did not start:\n{output}")
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["name"] == "Huawei"
    finally:
        server.terminate()
        server.wait(timeout=10)
