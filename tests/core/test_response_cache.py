"""The response cache: repeated questions from memory, the same bytes as without it, a change seen at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.db import make_engine
from app.core.response_cache import ResponseCacheMiddleware
from app.core.watch import PostgresWatch, SqliteWatch, State, watch_for
from app.main import create_app
from app.seeding.run import load_dir
from tests.conftest import VALID, uses_sqlite
from tests.core.test_middleware import get_urls

REPOSITORY = Path(__file__).resolve().parents[2]
VARYING = ("x-request-id", "date")
"""Headers that differ between any two answers."""


def response_cache(app: FastAPI) -> ResponseCacheMiddleware:
    """The app's response cache middleware (the stack is built by the first request)."""
    layer: Any = app.middleware_stack
    while not isinstance(layer, ResponseCacheMiddleware):
        layer = layer.app
    return layer


class Reads:
    """Counts the app's trips to the database."""

    def __init__(self, app: FastAPI) -> None:
        self.count = 0
        database = app.state.database
        read = database.read

        async def counted(work: Callable[..., Any], *args: Any) -> Any:
            self.count += 1
            return await read(work, *args)

        database.read = counted


@pytest.fixture
def app(loaded_engine: sa.Engine, settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def cached(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def comparable(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, headers, response.content


def test_a_repeated_question_is_answered_without_the_database(app: FastAPI, cached: TestClient) -> None:
    reads = Reads(app)
    first = cached.get("/v1/actors/huawei")
    assert reads.count == 1
    again = [cached.get("/v1/actors/huawei") for _ in range(3)]
    assert reads.count == 1
    assert all(comparable(r) == comparable(first) for r in again)
    assert len({r.headers["x-request-id"] for r in [first, *again]}) == 4  # each answer its own request id
    etag = first.headers["etag"]
    not_modified = cached.get("/v1/actors/huawei", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == etag
    assert not_modified.content == b""
    assert reads.count == 1


def test_a_hard_reload_is_answered_afresh_and_kept(app: FastAPI, cached: TestClient) -> None:
    reads = Reads(app)
    first = cached.get("/v1/actors/huawei")
    for header in ({"Cache-Control": "no-cache"}, {"Pragma": "no-cache"}, {"Cache-Control": "max-age=0, no-cache"}):
        assert cached.get("/v1/actors/huawei", headers=header).content == first.content
    assert reads.count == 4
    assert cached.get("/v1/actors/huawei").content == first.content
    assert reads.count == 4


def test_a_hard_reload_of_a_kept_answer_leaves_the_entry_as_it_is(app: FastAPI, cached: TestClient) -> None:
    first = cached.get("/v1/actors/huawei", headers={"Accept-Encoding": "identity"})
    store = response_cache(app).store
    [(key, entry)] = store.entries.items()
    size = store.size
    reloaded = cached.get("/v1/actors/huawei", headers={"Cache-Control": "no-cache", "Accept-Encoding": "identity"})
    assert comparable(reloaded) == comparable(first)
    assert store.entries == {key: entry}
    assert store.entries[key] is entry
    assert store.size == size
    not_modified = cached.get("/v1/actors/huawei", headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == first.headers["etag"]


def test_cached_answers_are_the_bytes_and_headers_the_app_sends_without_the_cache(
    loaded_engine: sa.Engine, settings: Settings
) -> None:
    plain_app = create_app(settings.model_copy(update={"techsov_response_cache_mb": 0}))
    with TestClient(create_app(settings)) as cached, TestClient(plain_app) as plain:
        urls = [
            *get_urls(plain),
            "/v1/statements?format=csv",
            "/v1/actors?format=ndjson",
            "/v1/actors?limit=2&count=true",
            "/v1/actors?pretty=true",
            "/v1/actors?format=csv&bom=true",
            "/v1/stats?format=csv",
        ]
        for url in urls:
            for encoding in ("identity", "gzip"):
                headers = {"Accept-Encoding": encoding}
                expected = comparable(plain.get(url, headers=headers))
                cached.get(url, headers=headers)  # kept
                for ask in ("identity", "gzip"):  # either form from the one entry
                    got = comparable(cached.get(url, headers={"Accept-Encoding": ask}))
                    want = comparable(plain.get(url, headers={"Accept-Encoding": ask}))
                    if "content-length" not in want[1]:  # a stream kept whole is sent with its length
                        got[1].pop("content-length", None)
                    assert got == want, (url, encoding, ask)
                assert expected[0] in (200, 404), url
        assert response_cache(cached.app).store.entries  # type: ignore[arg-type]


def test_one_entry_for_every_spelling_of_a_question_and_one_per_accept(app: FastAPI, cached: TestClient) -> None:
    reads = Reads(app)
    first = cached.get("/v1/actors?kind=company&sort=name")
    for url in ("/v1/actors?sort=name&kind=company", "/v1/actors?kind=company&sort=name&_=1733400000000"):
        again = cached.get(url)
        assert again.content == first.content
        assert again.headers["etag"] == first.headers["etag"]
    assert reads.count == 1
    as_csv = cached.get("/v1/actors?kind=company&sort=name", headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert reads.count == 2
    assert cached.get("/v1/actors?kind=company&sort=name", headers={"Accept": "text/csv"}).content == as_csv.content
    assert cached.get("/v1/actors?kind=company&sort=name&pretty=true").content != first.content
    assert reads.count == 3


def test_only_answers_that_depend_on_data_and_request_are_kept(app: FastAPI, cached: TestClient) -> None:
    cached.get("/v1/actors/huawei")
    store = response_cache(app).store
    kept = set(store.entries)
    for url in ("/v1/actors/nobody", "/v1/actors?contry=china", "/healthz", "/readyz", "/metrics", "/openapi.json"):
        cached.get(url)
    cached.get("/v1/actors/xinhua", headers={"Authorization": "Bearer someone"})
    cached.get("/v1/reconcile")  # the manifest: no ETag
    assert set(store.entries) == kept


def test_an_export_larger_than_an_entry_keeps_only_its_etag(loaded_engine: sa.Engine, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"techsov_response_cache_entry_kb": 1}))
    with TestClient(app) as client:
        reads = Reads(app)
        first = client.get("/v1/export")
        assert len(first.content) > 1024
        second = client.get("/v1/export")
        assert second.content == first.content
        assert reads.count == 2  # streamed again
        (entry,) = response_cache(app).store.entries.values()
        assert entry.body is None
        assert client.get("/v1/export", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        assert reads.count == 2


def test_the_store_is_bounded_in_bytes_least_recently_used_out_first(
    loaded_engine: sa.Engine, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"techsov_response_cache_mb": 0.02}))  # about 20 KB
    with TestClient(app) as client:
        store = None
        for plural in ("actors", "policies", "statements", "hardware", "dependencies", "sources") * 2:
            for limit in range(1, 8):
                assert client.get(f"/v1/{plural}?limit={limit}").status_code == 200
            store = response_cache(app).store
            assert 0 < store.size <= store.capacity
            assert store.size == sum(entry.size for entry in store.entries.values())
        assert store is not None
        newest = next(reversed(store.entries))
        assert newest[1] == (("limit", "7"),)
        client.get("/v1/sources?limit=1", headers={"Accept-Encoding": "gzip"})  # gzip forms count too
        assert store.size == sum(entry.size for entry in store.entries.values()) <= store.capacity


def test_a_load_in_another_process_is_seen_by_the_next_request(
    app: FastAPI, cached: TestClient, database_url: str, tmp_path: Path
) -> None:
    before = cached.get("/v1/actors/huawei")
    card = cached.get("/v1").json()
    reads = Reads(app)
    assert cached.get("/v1/actors/huawei").content == before.content
    assert reads.count == 0

    changed = tmp_path / "seed"
    shutil.copytree(VALID, changed)
    actors = changed / "actors.yaml"
    actors.write_text(actors.read_text("utf-8").replace("name: Huawei\n", "name: Huawei Technologies\n"), "utf-8")
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "seed", "load", str(changed)],
        env=env, cwd=REPOSITORY, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    after = cached.get("/v1/actors/huawei")
    assert after.json()["name"] == "Huawei Technologies"
    assert after.headers["etag"] != before.headers["etag"]
    assert cached.get("/v1").json()["version"] == card["version"] + 1
    stale = cached.get("/v1/actors/huawei", headers={"If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200
    assert stale.json()["name"] == "Huawei Technologies"


def test_a_load_through_another_engine_in_this_process_is_seen_too(
    app: FastAPI, cached: TestClient, database_url: str, tmp_path: Path
) -> None:
    assert cached.get("/v1/actors?limit=1").json()["items"][0]["id"] == "china"
    changed = tmp_path / "seed"
    shutil.copytree(VALID, changed)
    actors = changed / "actors.yaml"
    actors.write_text("- id: aaa-first\n  kind: company\n  name: AAA\n  sources: [src-press]\n" + actors.read_text())
    other = make_engine(database_url)
    try:
        load_dir(other, changed)
    finally:
        other.dispose()
    assert cached.get("/v1/actors?limit=1").json()["items"][0]["id"] == "aaa-first"


def test_an_answer_about_today_is_kept_only_until_midnight_utc(app: FastAPI, cached: TestClient) -> None:
    assert cached.get("/v1/actors/huawei/exposure").status_code == 200
    assert cached.get("/v1/actors/huawei/exposure?as_of=2023-11-17").status_code == 200
    entries = response_cache(app).store.entries
    today = next(e for k, e in entries.items() if k[1] == ())
    dated = next(e for k, e in entries.items() if k[1] == (("as_of", "2023-11-17"),))
    midnight = dt.datetime.combine(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    assert today.expires == midnight.timestamp()
    assert dated.expires is None


def test_answers_from_memory_are_counted_under_their_route(cached: TestClient) -> None:
    for _ in range(3):
        cached.get("/v1/actors/huawei")
    cached.head("/v1/actors/huawei")  # HEAD runs the GET (app/core/middleware.py)
    metrics = cached.get("/metrics").text
    assert 'techsov_http_requests_total{method="GET",route="/v1/actors/{record_id}",status="200"} 4.0' in metrics


def test_gzip_forms_are_what_gzip_gives(app: FastAPI, cached: TestClient) -> None:
    plain = cached.get("/v1/statements?limit=3", headers={"Accept-Encoding": "identity"})
    packed = cached.get("/v1/statements?limit=3", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # httpx undoes the gzip
    (entry,) = response_cache(app).store.entries.values()
    assert entry.gzip_body is not None
    assert gzip.decompress(entry.gzip_body) == plain.content
    assert int(packed.headers["content-length"]) == len(entry.gzip_body)


@pytest.mark.skipif(not uses_sqlite(os.environ.get("TEST_DATABASE_URL") or "sqlite://"), reason="SQLite's watch")
def test_the_sqlite_watch_moves_when_another_connection_commits(loaded_engine: sa.Engine) -> None:
    watch = watch_for(loaded_engine)
    assert isinstance(watch, SqliteWatch)
    first = watch.read()
    assert first is not None
    assert first[0] == 1
    assert watch.read() == first
    with loaded_engine.begin() as connection:
        connection.exec_driver_sql("UPDATE dataset_state SET version = version + 1")
    assert watch.read() == (2, first[1], first[2])
    path = Path(watch.path)
    path.rename(path.with_suffix(".moved"))  # another file in its place is another database
    path.write_bytes(b"this is not a database" * 256)
    assert watch.read() is None


def test_the_postgresql_watch_says_unknown_when_the_server_is_not_there() -> None:
    watch = PostgresWatch(sa.make_url("postgresql+psycopg://postgres@127.0.0.1:1/nothing"))

    async def ask() -> tuple[State | None, State | None]:
        return await watch.state(), await watch.state()  # the second within the retry pause: no new attempt

    assert anyio.run(ask) == (None, None)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL's watch")
def test_requests_waiting_for_the_postgresql_watch_share_its_reads(loaded_engine: sa.Engine) -> None:
    watch = watch_for(loaded_engine)
    assert isinstance(watch, PostgresWatch)
    reads = 0
    read = watch._read

    async def counted() -> State | None:
        nonlocal reads
        reads += 1
        return await read()

    watch._read = counted  # type: ignore[method-assign]

    async def sixteen_at_once() -> list[State | None]:
        states = await asyncio.gather(*(watch.state() for _ in range(16)))
        await watch.close()
        return list(states)

    states = anyio.run(sixteen_at_once)
    assert states[0] is not None
    assert states[0][0] == 1
    assert all(state == states[0] for state in states)
    assert reads == 2  # the first, and one for all that arrived while it ran


class FixedWatch:
    """A watch that reports a state the test sets."""

    def __init__(self, state: State) -> None:
        self.now: State | None = state

    async def state(self) -> State | None:
        return self.now

    async def close(self) -> None:
        return None


def test_only_answers_read_at_the_current_version_are_kept() -> None:
    from starlette.responses import Response
    from starlette.types import Receive, Scope, Send

    from app.core.caching import READ_AT

    answered: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        answered.append(scope["path"])
        marks = {"/v1/marked": 3, "/v1/older": 2}
        if scope["path"] in marks:
            scope[READ_AT] = marks[scope["path"]]
        await Response(b"{}", media_type="application/json", headers={"ETag": '"x.3"'})(scope, receive, send)

    watch = FixedWatch((3, None, None))
    cache = ResponseCacheMiddleware(inner, watch, capacity_bytes=100_000, entry_bytes=10_000)
    client = TestClient(cache)  # no lifespan: the app below answers HTTP only
    for path in ("/v1/marked", "/v1/older", "/v1/unmarked") * 2:
        assert client.get(path).status_code == 200
    assert answered == ["/v1/marked", "/v1/older", "/v1/unmarked", "/v1/older", "/v1/unmarked"]
    assert client.get("/v1/marked", headers={"If-None-Match": '"x.3"'}).status_code == 304
    watch.now = (4, None, None)  # a load committed: nothing kept is good any more
    assert client.get("/v1/marked").status_code == 200
    assert len(answered) == 6
    assert not cache.store.entries  # read at 3, not at 4
    watch.now = None  # the watch cannot tell: the ordinary way
    client.get("/v1/marked")
    assert len(answered) == 7
