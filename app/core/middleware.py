"""Pure-ASGI middleware that every response passes through: request ids, HEAD, `nosniff`, pretty JSON, BOM.

Pure ASGI rather than Starlette's `BaseHTTPMiddleware`: each adds one function call per message on the hot path.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from urllib.parse import parse_qsl

import anyio
import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import BadParameter, problem
from app.core.params import parse_bool

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being answered, for the logs (app/core/logs.py)."""
_NOSNIFF = (b"x-content-type-options", b"nosniff")


class RequestIdMiddleware:
    """Adds `X-Request-ID` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        this_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
                this_id = given if _SANE_ID.match(given) else ""
        # 32 random hex digits, as uuid4().hex, in a seventh of its time
        header = (b"x-request-id", (this_id or os.urandom(16).hex()).encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]  # no app sets it: nothing to replace
            await send(message)

        token = request_id.set(header[1].decode("latin-1"))
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


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


_JSON_TYPES = (b"application/json", b"application/problem+json", b"application/schema+json")
_BOM = b"\xef\xbb\xbf"


def _flag(query_string: bytes, name: str) -> bool | None:
    """The value of a true/false parameter (None: absent); another value is a 400 naming it."""
    found = None
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key == name:
            found = parse_bool(name, value)
    return found


class ReadableOutputMiddleware:
    """`pretty=true` indents JSON (with a trailing newline) and `bom=true` starts CSV with a UTF-8 byte-order mark.

    Both are for people (a terminal, Excel), so they cost nothing when not asked for: one search of the query
    string. Asked for, the JSON is parsed and written again (about 1 ms for a page of 50 records) and the CSV
    gets three bytes before its first chunk; a streamed CSV stays streamed. Every endpoint gains both at once,
    errors included, and every list's strict parameter check knows their names (`app.core.params`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query_string: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"pretty=" not in query_string and b"bom=" not in query_string:
            await self.app(scope, receive, send)
            return
        try:
            pretty = _flag(query_string, "pretty")
            bom = _flag(query_string, "bom")
        except BadParameter as exc:
            await problem(400, exc.title, exc.detail, slug=exc.slug, errors=exc.errors)(scope, receive, send)
            return
        if not pretty and not bom:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _ReadableSend(send, pretty=bool(pretty), bom=bool(bom)))


class _ReadableSend:
    """The `send` of one response: holds a JSON body back to indent it, or puts the BOM before a CSV's first byte."""

    def __init__(self, send: Send, *, pretty: bool, bom: bool) -> None:
        self.send = send
        self.pretty = pretty
        self.bom = bom
        self.mode = ""
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            media_type = headers.get("content-type", "").split(";")[0].strip().encode()
            encoded = "content-encoding" in headers
            if self.pretty and media_type in _JSON_TYPES and not encoded:
                self.mode, self.start = "json", message
                return
            if self.bom and media_type == b"text/csv" and not encoded:
                self.mode = "csv"
                if "content-length" in headers:
                    headers["content-length"] = str(int(headers["content-length"]) + len(_BOM))
            await self.send(message)
        elif message["type"] == "http.response.body" and self.mode == "json":
            self.chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._send_indented()
        elif message["type"] == "http.response.body" and self.mode == "csv":
            self.mode = ""
            await self.send({**message, "body": _BOM + message.get("body", b"")})
        else:
            await self.send(message)

    async def _send_indented(self) -> None:
        assert self.start is not None
        body = b"".join(self.chunks)
        if body:
            body = orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
        headers = MutableHeaders(scope=self.start)
        if "content-length" in headers:
            headers["content-length"] = str(len(body))
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": body, "more_body": False})
