"""The shape every pure-ASGI middleware here shares: HTTP requests are its business, the rest passes through."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """A middleware that acts on HTTP requests only; lifespan (and any other scope) goes straight to the app.

    Pure ASGI rather than Starlette's BaseHTTPMiddleware: no task, no stream wrapped around every answer.
    A subclass writes `http`, and keeps `self.app` (set here) as what it calls next.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (or pass it on to `self.app`)."""
        raise NotImplementedError
