"""CORS: reads from any origin (TECHSOV_CORS_ORIGINS), writes and keys only from TECHSOV_WRITE_ORIGINS, never with
credentials."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.cors import SplitCors
from app.main import create_app
from tests.writes.conftest import Keys, bearer

DESK = "https://desk.example"
ELSEWHERE = "https://elsewhere.example"


def preflight(client: TestClient, origin: str, method: str, headers: str = "") -> dict[str, str]:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return dict(client.options("/v1/actors/huawei", headers=asked).headers)


@pytest.fixture
def desk_client(loaded_engine: sa.Engine, database_url: str) -> Iterator[TestClient]:
    """An app that takes writes from the newsroom's desk only."""
    settings = Settings(database_url=database_url, techsov_write_origins=DESK)
    with TestClient(create_app(settings)) as client:
        yield client


def test_by_default_reads_are_open_and_writes_closed_to_browsers(client: TestClient) -> None:
    read = preflight(client, ELSEWHERE, "GET")
    assert read["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read
    for method, headers in (("PATCH", "content-type, if-match"), ("POST", "authorization, content-type"),
                            ("GET", "authorization"), ("DELETE", "")):  # fmt: skip
        refused = preflight(client, ELSEWHERE, method, headers)
        assert "access-control-allow-origin" not in refused, (method, headers)
    assert client.get("/v1/actors/huawei", headers={"Origin": ELSEWHERE}).headers["access-control-allow-origin"] == "*"


def test_writes_from_the_configured_origin_only(desk_client: TestClient, keys: Keys) -> None:
    allowed = preflight(desk_client, DESK, "PATCH", "authorization, content-type, if-match")
    assert allowed["access-control-allow-origin"] == DESK
    assert "PATCH" in allowed["access-control-allow-methods"]
    assert {"authorization", "if-match"} <= {
        h.strip().lower() for h in allowed["access-control-allow-headers"].split(",")
    }
    assert "access-control-allow-credentials" not in allowed
    assert "access-control-allow-origin" not in preflight(desk_client, ELSEWHERE, "PATCH", "authorization, if-match")
    answer = desk_client.patch(
        "/v1/actors/huawei",
        json={"summary": "From the desk."},
        headers=bearer(keys["editor"], Origin=DESK, **{"If-Match": "*"}),
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == DESK
    assert "ETag" in answer.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in answer.headers
    elsewhere = desk_client.patch(
        "/v1/actors/huawei",
        json={"summary": "x"},
        headers=bearer(keys["editor"], Origin=ELSEWHERE, **{"If-Match": "*"}),
    )
    assert "access-control-allow-origin" not in elsewhere.headers  # the browser keeps the answer from the page
    assert desk_client.get("/v1/actors", headers={"Origin": ELSEWHERE}).headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("method", "sent"),
    [
        ("GET", []),
        ("GET", [(b"vary", b"Accept")]),
        (
            "GET",
            [(b"content-type", b"text/plain"), (b"vary", b"Accept"), (b"etag", b"x"), (b"vary", b"Accept-Encoding")],
        ),
        ("PATCH", [(b"vary", b"Accept")]),
        ("OPTIONS", [(b"vary", b"Accept")]),
    ],
)
def test_without_an_origin_the_headers_are_starlettes(method: str, sent: list[tuple[bytes, bytes]]) -> None:
    """SplitCors answers a request without Origin itself (app/core/cors.py): the same headers, in the same
    order, as Starlette's CORS middleware gives."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(sent)})
        await send({"type": "http.response.body", "body": b""})

    def answered(middleware: ASGIApp) -> list[tuple[bytes, bytes]]:
        messages: list[Message] = []

        async def send(message: Message) -> None:
            messages.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "method": method, "path": "/v1/actors", "headers": [(b"host", b"x")]}
        anyio.run(middleware, scope, receive, send)
        return list(messages[0]["headers"])

    ours = answered(SplitCors(app, read_origins="*", write_origins=DESK))
    assert ours == answered(CORSMiddleware(app, allow_origins=["*"]))
    assert ours == answered(CORSMiddleware(app, allow_origins=[DESK]))
