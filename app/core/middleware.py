"""Request ids: echoed when the client sends a sane one, generated otherwise, on every response."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being answered, for the logs (app/core/logs.py)."""


class RequestIdMiddleware:
    """Adds `X-Request-ID` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        this_id = given if _SANE_ID.match(given) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = this_id
            await send(message)

        token = request_id.set(this_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
