"""One error hierarchy, rendered by one function as RFC 9457 problem+json."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("techsov")

PROBLEM_JSON = "application/problem+json"

Loc = tuple[str | int, ...]
"""Where a field sits in its input: ('roles', 0, 'of')."""


def format_loc(loc: Loc) -> str:
    """('roles', 0, 'of') -> 'roles[0].of'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(record)"


@dataclass
class ApiError(Exception):
    """Base of every error techsov answers with on purpose."""

    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status = 500
    title = "Internal Server Error"
    slug = "internal-error"


class NotFound(ApiError):
    """No such record or path."""

    status = 404
    title = "Not Found"
    slug = "not-found"


class BadParameter(ApiError):
    """A query parameter is unknown or has a bad value."""

    status = 400
    title = "Bad Request"
    slug = "bad-parameter"


class PayloadTooLarge(ApiError):
    """A request body or batch is larger than the endpoint takes."""

    status = 413
    title = "Content Too Large"
    slug = "too-large"


class UnsupportedMediaType(ApiError):
    """A request body in a format the endpoint does not read."""

    status = 415
    title = "Unsupported Media Type"
    slug = "unsupported-media-type"


class Unauthorized(ApiError):
    """No API key, or one that is malformed, unknown or revoked (answered with `WWW-Authenticate`)."""

    status = 401
    title = "Unauthorized"
    slug = "unauthorized"


class Forbidden(ApiError):
    """A valid API key without the scope the request needs."""

    status = 403
    title = "Forbidden"
    slug = "forbidden"


class Conflict(ApiError):
    """The request contradicts what is stored: an id taken, a record others still refer to."""

    status = 409
    title = "Conflict"
    slug = "conflict"


class PreconditionFailed(ApiError):
    """`If-Match` names a version of the record that is no longer current."""

    status = 412
    title = "Precondition Failed"
    slug = "precondition-failed"


class InvalidRecord(ApiError):
    """A record sent to be written that does not validate (each problem in `errors`, as seed files get)."""

    status = 400
    title = "Bad Request"
    slug = "invalid-record"


class PreconditionRequired(ApiError):
    """A change to a record sent without `If-Match`."""

    status = 428
    title = "Precondition Required"
    slug = "precondition-required"


class ServiceUnavailable(ApiError):
    """The database cannot answer right now."""

    status = 503
    title = "Service Unavailable"
    slug = "unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The one place an error body is built."""
    body: dict[str, Any] = {
        "type": f"urn:techsov:problem:{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


_HTTP_TITLES = {404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable"}


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path: one path may be served by several routes (a GET and a
    POST), and Starlette's 405 names only the first one's."""
    methods: set[str] = set()

    def visit(routes: Iterable[BaseRoute]) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI's include_router wraps the router
            if included is not None:
                visit(included.routes)
                continue
            route_methods = getattr(route, "methods", None)
            if route_methods and route.matches(request.scope)[0] is not Match.NONE:
                methods.update(route_methods)

    visit(request.app.router.routes)
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    """Route every error, ours and the framework's, through `problem`."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return problem(exc.status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = _HTTP_TITLES.get(exc.status_code, "Error")
        detail = str(exc.detail)
        if exc.status_code == 404:
            detail = f"no such path: {request.url.path}; GET /v1 lists what is here"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed here"
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return problem(exc.status_code, title, detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": format_loc(tuple(e["loc"][1:]) or tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(400, "Bad Request", detail, slug="bad-parameter", errors=errors)


class CatchAllMiddleware:
    """Anything unexpected becomes a clean 500: logged here, never shown to the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = problem(
                500,
                "Internal Server Error",
                "something went wrong on our side; it has been logged",
                slug="internal-error",
            )
            await response(scope, receive, send)
