"""Of many writers holding the same ETag, exactly one wins: 100 PATCHes racing over HTTP against a real server
with two worker processes (each with its own write threads), on the test's database."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.core.state import changes
from tests.live import serve_database
from tests.writes.conftest import Keys

RACERS = 100


def test_one_of_a_hundred_racing_patches_wins(
    loaded_engine: sa.Engine, database_url: str, keys: Keys, tmp_path: Path
) -> None:
    with serve_database(database_url, tmp_path, workers=2) as base_url:
        headers = {"Authorization": f"Bearer {keys['editor']}"}
        with httpx.Client(base_url=base_url, timeout=60) as client:
            etag = client.get("/v1/actors/huawei").headers["etag"]
            for _ in range(4):  # each worker verifies the key once, before the race
                assert (
                    client.patch("/v1/actors/nobody", json={}, headers={**headers, "If-Match": "*"}).status_code == 404
                )
        start = threading.Barrier(RACERS)
        statuses: list[int] = []
        winners: list[str] = []

        def race(number: int) -> None:
            with httpx.Client(base_url=base_url, timeout=60) as own:
                start.wait()
                answer = own.patch(
                    "/v1/actors/huawei",
                    json={"summary": f"Written by racer {number}."},
                    headers={**headers, "If-Match": etag},
                )
            statuses.append(answer.status_code)
            if answer.status_code == 200:
                winners.append(answer.json()["summary"])

        racers = [threading.Thread(target=race, args=(n,)) for n in range(RACERS)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(120)
        with httpx.Client(base_url=base_url, timeout=60) as client:
            final = client.get("/v1/actors/huawei").json()["summary"]
    assert Counter(statuses) == {200: 1, 412: RACERS - 1}
    assert winners == [final]
    with loaded_engine.connect() as connection:
        updates = connection.execute(
            sa.select(sa.func.count()).where(changes.c.record_id == "huawei", changes.c.action == "updated")
        ).scalar_one()
    assert updates == 1
