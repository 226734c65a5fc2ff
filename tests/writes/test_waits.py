"""A write waits for a load (or another write) holding the database, as a second load does; past
TECHSOV_WRITE_WAIT_S it answers 503 with Retry-After and writes nothing — never "database is locked"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.db import make_engine
from app.main import create_app
from app.seeding.lock import load_transaction
from tests.seeding.test_load import snapshot
from tests.writes.conftest import Keys, bearer


@contextmanager
def load_lock_held(database_url: str) -> Iterator[threading.Event]:
    """The loader's lock held by another connection (as a running load holds it) until the event is set."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        engine = make_engine(database_url)
        with engine.connect() as connection, load_transaction(connection):
            held.set()
            release.wait(60)
        engine.dispose()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    try:
        yield release
    finally:
        release.set()
        holder.join(60)


def _patch(client: TestClient, key: str) -> httpx.Response:
    answer: httpx.Response = client.patch(
        "/v1/actors/huawei", json={"summary": "Waited."}, headers=bearer(key, **{"If-Match": "*"})
    )
    return answer


def test_a_write_waits_for_a_load_to_finish(client: TestClient, keys: Keys, database_url: str) -> None:
    with load_lock_held(database_url) as release:
        answers: list[httpx.Response] = []
        writer = threading.Thread(target=lambda: answers.append(_patch(client, keys["editor"])))
        began = time.monotonic()
        writer.start()
        time.sleep(1.0)
        assert not answers  # still waiting
        release.set()
        writer.join(30)
    assert answers[0].status_code == 200, answers[0].text
    assert time.monotonic() - began >= 1.0


def test_a_write_that_waits_too_long_is_a_503_that_writes_nothing(
    loaded_engine: sa.Engine, keys: Keys, database_url: str
) -> None:
    settings = Settings(database_url=database_url, techsov_write_wait_s=0.5)
    before = snapshot(loaded_engine)
    with TestClient(create_app(settings)) as client, load_lock_held(database_url):
        answer = _patch(client, keys["editor"])
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "held the database for 0.5 s; nothing was written" in answer.json()["detail"]
    assert snapshot(loaded_engine) == before
