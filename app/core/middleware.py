"""Pure-ASGI middleware that every response passes through: request ids, HEAD, `nosniff`.

Pure ASGI rather than Starlette's `BaseHTTPMiddleware`: each adds one function call per message on the hot path.
"""

from __future__ import annotations

import re
import uuid

import anyio
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_NOSNIFF = (b"x-content-type-options", b"nosniff")


class RequestIdMiddleware:
    """Adds `X-Request-ID` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class HeadAndNosniffMiddleware:
    """Every response says `X-Content-Type-Options: nosniff`; every GET route answers HEAD.

    HEAD runs the GET (same status and headers: ETag, Link, Content-Length, Content-Encoding) and sends no body.
    A streamed export is not computed to its end for nothing: once the headers are out, the app is told the
    client left, which stops a `StreamingResponse`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "HEAD":

            async def send_nosniff(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], _NOSNIFF]
                await send(message)

            await self.app(scope, receive, send_nosniff)
            return
        await self._head(scope, receive, send)

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        answered = anyio.Event()
        first_receive = True

        async def receive_until_answered() -> Message:
            nonlocal first_receive
            if first_receive:
                first_receive = False
                return await receive()
            await answered.wait()
            return {"type": "http.disconnect"}

        async def send_headers_only(message: Message) -> None:
            if answered.is_set():
                return
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], _NOSNIFF]
                await send(message)
            elif message["type"] == "http.response.body":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                answered.set()
            else:
                await send(message)

        await self.app({**scope, "method": "GET"}, receive_until_answered, send_headers_only)
