"""CORS in two policies: reads from TECHSOV_CORS_ORIGINS (any, by default), writes only from
TECHSOV_WRITE_ORIGINS (none, by default); never with cookies or other credentials.

A request is a write, for CORS, when it uses PUT, PATCH or DELETE or carries an `Authorization` header (or its
preflight asks for them): keys travel only in that header, so a page on another origin can neither send a key
nor read what a key's answer says unless its origin is one writes are allowed from. A plain POST without it
(the reconciliation service's form) is a read.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.asgi import HttpMiddleware

WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
EXPOSED = ["ETag", "Link", "Location", "X-Request-ID"]


def _origins(setting: str) -> list[str]:
    return [origin.strip() for origin in setting.split(",") if origin.strip()]


class SplitCors(HttpMiddleware):
    """Starlette's CORS middleware twice over: one for reads, one for writes, chosen per request."""

    def __init__(self, app: ASGIApp, read_origins: str, write_origins: str) -> None:
        super().__init__(app)
        self.reads = CORSMiddleware(
            app,
            allow_origins=_origins(read_origins),
            allow_methods=["GET", "HEAD", "OPTIONS", "POST"],
            allow_headers=["*"],  # any but Authorization: a preflight that asks for it goes to `writes`
            expose_headers=EXPOSED,
        )
        self.writes = CORSMiddleware(
            app,
            allow_origins=_origins(write_origins),
            allow_methods=["GET", "HEAD", "OPTIONS", "POST", *sorted(WRITE_METHODS)],
            allow_headers=["Accept", "Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Request-ID"],
            expose_headers=EXPOSED,
            allow_credentials=False,
        )

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not any(name == b"origin" for name, _ in scope["headers"]):
            # No Origin, no CORS (a preflight has one): both policies only add `Origin` to `Vary`, done here
            # without choosing a policy or reading the request's headers again (a third of what the whole stack
            # cost a cached answer).
            async def send_vary_origin(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message.setdefault("headers", [])
                    MutableHeaders(scope=message).add_vary_header("Origin")  # what either policy would add
                await send(message)

            await self.app(scope, receive, send_vary_origin)
            return
        policy = self.writes if is_write(scope["method"], Headers(scope=scope)) else self.reads
        await policy(scope, receive, send)


def is_write(method: str, headers: Headers) -> bool:
    """A write method or a key, sent or (in a preflight) asked for."""
    if method == "OPTIONS" and "access-control-request-method" in headers:
        asked: Sequence[str] = [h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",")]
        return headers["access-control-request-method"].upper() in WRITE_METHODS or "authorization" in asked
    return method in WRITE_METHODS or "authorization" in headers
