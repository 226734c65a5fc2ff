"""Operators' view: /metrics, JSON logs with the request id, and a /readyz that reads a table."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.logs import JsonFormatter
from app.core.state import dataset_state
from app.main import create_app
from app.seeding.lock import load_transaction
from app.seeding.run import SeedInvalid, load_dir
from tests.conftest import INVALID, TEST_DATABASE_URL, VALID


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus' text format."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        metric, _, rest = key.partition("{")
        found = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if metric == name and found == wanted:
            return float(value)
    return None


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    assert client.get("/v1/actors/huawei").status_code == 200
    assert client.get("/v1/actors/nobody").status_code == 404
    assert client.get("/nowhere").status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    route = "/v1/actors/{record_id}"
    assert sample(text, "techsov_http_requests_total", method="GET", route=route, status="200") == 1
    assert sample(text, "techsov_http_requests_total", method="GET", route=route, status="404") == 1
    assert sample(text, "techsov_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert sample(text, "techsov_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert sample(text, "techsov_http_requests_in_flight") == 0
    assert sample(text, "techsov_dataset_version") == 1
    assert sample(text, "techsov_db_up") == 1
    assert (sample(text, "techsov_dataset_last_change_timestamp_seconds") or 0) > 1.7e9
    assert sample(text, "techsov_db_pool_checked_out") is not None


def test_metrics_show_when_the_last_load_began_and_how_long_it_took(client: TestClient, engine: sa.Engine) -> None:
    first = client.get("/metrics").text
    first_start = sample(first, "techsov_dataset_last_load_started_timestamp_seconds")
    first_duration = sample(first, "techsov_dataset_last_load_duration_seconds")
    assert first_start is not None
    assert first_duration is not None
    assert 0 < first_duration < 60
    assert abs(first_start - time.time()) < 600

    before = time.time()
    load_dir(engine, VALID)  # changes nothing: the version stays, the load is still recorded
    after = time.time()
    again = client.get("/metrics").text
    assert sample(again, "techsov_dataset_version") == 1
    started = sample(again, "techsov_dataset_last_load_started_timestamp_seconds")
    duration = sample(again, "techsov_dataset_last_load_duration_seconds")
    assert started is not None
    assert duration is not None
    assert before - 0.01 <= started <= after
    assert 0 < duration <= after - started + 0.01

    with pytest.raises(SeedInvalid):  # a failed load rolls back, its timing with it
        load_dir(engine, INVALID)
    failed = client.get("/metrics").text
    assert sample(failed, "techsov_dataset_last_load_started_timestamp_seconds") == started
    assert sample(failed, "techsov_dataset_last_load_duration_seconds") == duration


def test_a_loads_duration_leaves_out_its_wait_for_another_load(loaded_engine: sa.Engine) -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with loaded_engine.connect() as connection, load_transaction(connection):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(10)
    waited = threading.Event()
    began = time.monotonic()
    loading = threading.Thread(target=lambda: load_dir(loaded_engine, VALID, on_wait=waited.set), daemon=True)
    loading.start()
    assert waited.wait(10), "the load did not wait for the lock"
    time.sleep(1.5)
    release.set()
    holder.join(30)
    loading.join(60)
    took = time.monotonic() - began
    assert not loading.is_alive()
    with loaded_engine.connect() as connection:
        row = connection.execute(sa.select(dataset_state.c.load_started_at, dataset_state.c.load_seconds)).one()
    assert row.load_seconds < took - 1.0  # the 1.5 s it waited are not counted
    assert row.load_started_at.replace(tzinfo=row.load_started_at.tzinfo or dt.UTC) <= dt.datetime.now(dt.UTC)


def test_metrics_can_ask_for_a_token(loaded_engine: sa.Engine, database_url: str) -> None:
    settings = Settings(database_url=database_url, techsov_metrics_token="s3cret-metrics-token-0123")
    with TestClient(create_app(settings)) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics-token-0123"}).status_code == 200


def test_json_log_lines_carry_the_request_id(loaded_engine: sa.Engine, database_url: str) -> None:
    settings = Settings(database_url=database_url, techsov_log_json=True)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    def log_something() -> None:
        logging.getLogger("techsov").warning("reading %s", "huawei")

    app = create_app(settings)

    @app.get("/test-log")
    async def test_log() -> dict[str, str]:
        log_something()
        return {}

    handler = Keep()
    logging.getLogger("techsov").addHandler(handler)
    try:
        with TestClient(app) as client:
            client.get("/test-log", headers={"X-Request-ID": "req-42"})
    finally:
        logging.getLogger("techsov").removeHandler(handler)
    entry = json.loads(lines[-1])
    assert entry["message"] == "reading huawei"
    assert entry["request_id"] == "req-42"
    assert entry["level"] == "warning"


@pytest.fixture
def locked_table(loaded_engine: sa.Engine) -> Iterator[None]:
    """Another connection holds a lock that stops every read of the table /readyz reads (PostgreSQL)."""
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with loaded_engine.connect() as connection:
            connection.exec_driver_sql("LOCK TABLE dataset_state IN ACCESS EXCLUSIVE MODE")
            held.set()
            release.wait(30)
            connection.rollback()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(10)
    yield
    release.set()
    thread.join(30)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL: on SQLite (WAL) a writer never blocks a reader")
def test_readyz_is_503_when_the_table_read_times_out(database_url: str, locked_table: None) -> None:
    settings = Settings(database_url=database_url, techsov_ready_timeout_ms=300)
    app = create_app(settings)
    client = TestClient(app)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "did not answer a read in time" in response.json()["detail"]


def test_readyz_reads_and_is_200(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite: a file at the database's path that is no database")
def test_a_database_file_that_is_no_database_is_a_503_not_a_500(loaded_engine: sa.Engine, database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, techsov_seed_dir=VALID))
    with TestClient(app) as client:
        assert client.get("/v1/actors").status_code == 200
        app.state.database.engine.dispose()  # the pooled connections go; new ones open the file anew
        path = Path(sa.make_url(database_url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.write_bytes(b"this is not a database" * 256)
        response = client.get("/v1/actors")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "cannot be read" in response.json()["detail"]
