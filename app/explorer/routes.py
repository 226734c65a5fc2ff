"""The explorer: HTML pages at the API's paths without `/v1`, for readers who open links rather than run curl.

Routes stay thin: parse the query string with the API's own parsers (so a
page takes exactly the parameters its JSON twin takes), read the page's
context in one worker trip through app/explorer/service.py, render a Jinja2
template (autoescaped). A bad parameter or a missing record is an HTML page
with the API's message and status. Pages carry the dataset's ETag, so a
reader's browser and any cache in front revalidate cheaply.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from app.core.caching import cache_headers, read_fresh
from app.core.deps import Database, Lane, get_database
from app.core.errors import ApiError, NotFound
from app.core.params import NO_PARAMETERS, Parameters
from app.explorer import service
from app.explorer.templating import render
from app.exposure.service import parse_day
from app.graph import service as graph_service
from app.graph.queries import EDGE_KINDS
from app.graph.service import parse_graph
from app.records.fields import SLUG_PATTERN, is_slug
from app.records.listing import sort_keys_for
from app.records.registry import RECORD_TYPE_LIST, RecordType
from app.records.service import parse_list
from app.search import service as search_service
from app.search.service import parse_search
from app.timeline.queries import EVENT_KINDS, EVENT_TYPES
from app.timeline.service import parse_timeline

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {  # nosniff comes with every response (app.core.middleware)
    # Scripts, styles and images only from this app (Cytoscape.js is served from /static, never a CDN).
    # Cytoscape.js sets inline styles on its canvas, hence style-src 'unsafe-inline' (no inline scripts).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

SEARCH_FORM = Parameters(search_service.Q, search_service.TYPE)
"""The empty search form: what it may carry before anything is typed."""
GRAPH_FORM = Parameters(*(p for p in graph_service.PARAMETERS.declared if p is not graph_service.FORMAT))
"""The empty graph form: the graph's parameters, but a page is HTML (no `format`)."""
GRAPH_PAGE_LIMIT = 80
"""Records a graph page draws unless `limit` says otherwise: past this many, labels overlap into a blot."""

router = APIRouter(include_in_schema=False)
GET = ["GET", "HEAD"]


def _query(request: Request, drop: tuple[str, ...] = ("cursor",)) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k not in drop]


def _twin(path: str, request: Request, **extra: str) -> str:
    """The API address of this page: `/v1` + its path, the same query (and `extra`)."""
    params = [*_query(request, drop=tuple(extra)), *extra.items()]
    return f"/v1{path}" + (f"?{urlencode(params)}" if params else "")


async def _page(
    request: Request,
    template: str,
    read: Callable[[sa.Connection], dict[str, Any] | None],
    context: dict[str, Any],
    *,
    missing: str = "",
    lane: Lane = "read",
    variant: str = "html",
) -> Response:
    """Read the context in one transaction with the ETag, render `template`; a 304 when the browser has it."""
    database: Database = get_database(request)
    etag, unchanged, found = await read_fresh(request, database, read, variant, lane)
    if unchanged is not None:
        return unchanged
    if found is None:
        raise NotFound(missing)
    body = render(request, template, {**context, **found})
    return HTMLResponse(body, headers={**cache_headers(etag), **SECURITY_HEADERS})


def error_page(request: Request, exc: ApiError) -> Response:
    """The API's error, as a page (the message names the parameter and suggests the fix)."""
    body = render(request, "error.html", {"error": exc, "title": exc.title})
    return HTMLResponse(body, status_code=exc.status, headers={**exc.headers, **SECURITY_HEADERS})


def blanks_dropped(request: Request) -> Response | None:
    """A form submits its empty fields (`from=&to=`): send the browser to the same page without them, so the
    address is clean to share and the API's parsers see only what was filled in. Relative `Location` only."""
    params = request.query_params.multi_items()
    kept = [(k, v) for k, v in params if v.strip()]
    if len(kept) == len(params):
        return None
    return RedirectResponse(request.url.path + (f"?{urlencode(kept)}" if kept else ""), status_code=303)


Page = Callable[..., Coroutine[Any, Any, Response]]


def page_route(handler: Page) -> Page:
    """A page's common frame: blank form fields redirected away first, then any `ApiError` shown as the API's
    message on an error page with its status."""

    @functools.wraps(handler)
    async def page(request: Request, *args: Any, **kwargs: Any) -> Response:
        if (redirect := blanks_dropped(request)) is not None:
            return redirect
        try:
            return await handler(request, *args, **kwargs)
        except ApiError as exc:
            return error_page(request, exc)

    return page


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.techsov_cursor_secret
    return secret


@router.api_route("/", methods=GET)
@page_route
async def home(request: Request) -> Response:
    """What the dataset is, its counts, licence, credits and quality figures, a search box, the latest changes."""
    NO_PARAMETERS.check(request.query_params)
    settings = request.app.state.settings
    return await _page(
        request, "home.html", lambda c: service.home(c, settings), {"twins": [("JSON", "/v1")], "title": None}
    )


@router.api_route("/search", methods=GET)
@page_route
async def search(request: Request) -> Response:
    """Search every type, in any script; hits grouped by type, with their highlighted snippets."""
    q = request.query_params.get("q", "")
    context: dict[str, Any] = {"q": q, "title": f"Search: {q}" if q.strip() else "Search", "twins": []}
    if not q.strip():
        SEARCH_FORM.check(request.query_params)
        return render_empty(request, "search.html", {**context, "groups": None, "page": None})
    secret = _secret(request)
    spec = parse_search(request.query_params, secret)
    context["twins"] = [("JSON", _twin("/search", request))]
    context["types"] = spec.types
    return await _page(request, "search.html", lambda c: service.search_results(c, spec, secret), context,
                       lane="search")  # fmt: skip


def render_empty(request: Request, template: str, context: dict[str, Any]) -> Response:
    """A page that reads nothing (a blank form)."""
    return HTMLResponse(render(request, template, context), headers=SECURITY_HEADERS)


@router.api_route("/timeline", methods=GET)
@page_route
async def timeline(request: Request) -> Response:
    """Events by year, with the API's filters."""
    secret = _secret(request)
    spec = parse_timeline(request.query_params, secret)
    context = {
        "title": "Timeline",
        "twins": [("JSON", _twin("/timeline", request)), ("CSV", _twin("/timeline", request, format="csv"))],
        "spec": spec,
        "event_types": EVENT_TYPES,
        "event_kinds": EVENT_KINDS,
    }
    return await _page(request, "timeline.html", lambda c: service.timeline(c, spec, secret), context)


@router.api_route("/graph", methods=GET)
@page_route
async def graph(request: Request) -> Response:
    """The neighbourhood of a record as an interactive graph (and as lists without script)."""
    base = {"title": "Graph", "edge_kinds": EDGE_KINDS, "twins": []}
    if "root" not in request.query_params:
        GRAPH_FORM.check(request.query_params)
        return render_empty(request, "graph.html", {**base, "spec": None, "graph": None})
    spec = parse_graph(request.query_params)
    if "limit" not in request.query_params:
        spec.limit = GRAPH_PAGE_LIMIT
    if spec.format != "json":
        raise NotFound("the graph page is HTML; for GraphML use its twin under /v1/graph")
    context = {
        **base,
        "spec": spec,
        "twins": [
            ("JSON", _twin("/graph", request, limit=str(spec.limit))),
            ("GraphML", _twin("/graph", request, limit=str(spec.limit), format="graphml")),
        ],
    }
    return await _page(request, "graph.html", lambda c: service.graph(c, spec), context)


@router.api_route("/actors/{actor_id}/exposure", methods=GET)
@page_route
async def exposure(request: Request, actor_id: str) -> Response:
    """The policies in force on a day that reach an actor, each chain hop by hop, with a date picker."""
    day = parse_day(request.query_params)
    if not is_slug(actor_id):
        raise NotFound(f"no actor '{actor_id[:100]}': ids match {SLUG_PATTERN}")
    twin = f"/v1/actors/{actor_id}/exposure?{urlencode({'as_of': day.isoformat()})}"
    context = {"title": f"Exposure of {actor_id}", "twins": [("JSON", twin)], "day": day}
    return await _page(
        request,
        "exposure.html",
        lambda c: service.exposure(c, actor_id, day),
        context,
        missing=f"no actor with id '{actor_id}'",
        variant=f"html|{day.isoformat()}",
    )


def _list_page(record_type: RecordType) -> Page:
    async def page(request: Request) -> Response:
        secret = _secret(request)
        spec = parse_list(record_type, request.query_params, secret)
        path = f"/{record_type.plural}"
        context = {
            "title": record_type.plural.capitalize(),
            "record_type": record_type,
            "spec": spec,
            "columns": service.list_columns(record_type),
            "sort_keys": list(sort_keys_for(record_type)),
            "twins": [("JSON", _twin(path, request)), ("CSV", _twin(path, request, format="csv"))],
        }
        return await _page(request, "list.html", lambda c: service.record_list(c, record_type, spec, secret), context)

    page.__name__ = f"page_{record_type.plural}"
    return page_route(page)


def _record_page(record_type: RecordType) -> Page:
    async def page(request: Request, record_id: str) -> Response:
        NO_PARAMETERS.check(request.query_params)
        if not is_slug(record_id):
            raise NotFound(f"no {record_type.name} '{record_id[:100]}': ids match {SLUG_PATTERN}")
        settings = request.app.state.settings
        twin = f"/v1/{record_type.plural}/{record_id}"
        context = {
            "twins": [("JSON", twin), ("CSL-JSON", f"{twin}?format=csl"), ("BibTeX", f"{twin}?format=bibtex")],
        }
        return await _page(
            request,
            "record.html",
            lambda c: service.record_page(c, record_type, record_id, settings),
            context,
            missing=f"no {record_type.name} with id '{record_id}'",
        )

    page.__name__ = f"page_{record_type.name}"
    return page_route(page)


for _type in RECORD_TYPE_LIST:
    router.add_api_route(f"/{_type.plural}", _list_page(_type), methods=GET)
    router.add_api_route(f"/{_type.plural}/{{record_id}}", _record_page(_type), methods=GET)


def install(app: FastAPI) -> None:
    """Add the pages and their static files (stylesheet, scripts, Cytoscape.js) to the app."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
