"""The gzip layer: the very messages Starlette's gzip middleware sends, whether or not the client takes gzip."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.compression import GZip

LARGE = b'{"items": [' + b'{"id": "x"},' * 200 + b"{}]}"
ANSWERS: dict[str, tuple[int, list[tuple[bytes, bytes]], list[bytes]]] = {
    "small json": (200, [(b"content-type", b"application/json")], [b'{"a": 1}']),
    "large json": (200, [(b"content-type", b"application/json"), (b"vary", b"Accept")], [LARGE]),
    "large, no type": (200, [], [LARGE]),
    "stream": (200, [(b"content-type", b"text/csv; charset=utf-8")], [b"a,b\n", b"1,2\n", b""]),
    "small stream": (200, [(b"content-type", b"text/csv")], [b"a", b""]),
    "already encoded": (200, [(b"content-type", b"application/json"), (b"content-encoding", b"br")], [LARGE]),
    "partial": (206, [(b"content-type", b"application/json")], [LARGE]),
    "event stream": (200, [(b"content-type", b"text/event-stream")], [LARGE]),
    "grpc": (200, [(b"content-type", b"application/grpc+proto")], [LARGE]),
    "304": (304, [(b"etag", b'"x"')], [b""]),
}


def answering(name: str) -> ASGIApp:
    status, headers, chunks = ANSWERS[name]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        for i, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})

    return app


def sent(middleware: type[GZipMiddleware], name: str, accept_encoding: list[bytes]) -> list[Message]:
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(copy.deepcopy(message))

    headers = [(b"host", b"test"), *((b"accept-encoding", value) for value in accept_encoding)]
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    app = middleware(answering(name), minimum_size=1000, compresslevel=5)
    asyncio.run(app(scope, receive, send))
    return messages


@pytest.mark.parametrize("name", ANSWERS)
@pytest.mark.parametrize(
    "accept_encoding", [[], [b"identity"], [b"gzip, deflate"], [b"br"], [b"br", b"gzip"], [b"gzip", b"br"]]
)
def test_the_same_messages_as_starlettes_gzip_middleware(name: str, accept_encoding: list[bytes]) -> None:
    assert sent(GZip, name, accept_encoding) == sent(GZipMiddleware, name, accept_encoding)


def test_the_app_compresses_for_those_who_take_gzip_and_says_it_varies_for_the_others(client: TestClient) -> None:
    plain = client.get("/v1/actors", headers={"Accept-Encoding": "identity"})
    compressed = client.get("/v1/actors", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert compressed.headers["content-encoding"] == "gzip"
    assert plain.content == compressed.content  # httpx decodes it
    assert "Accept-Encoding" in plain.headers["vary"]
