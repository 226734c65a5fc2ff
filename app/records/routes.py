"""GET /v1/{plural} and GET /v1/{plural}/{id} for every record type, generated from the declarations.

Routers stay thin: parse, call, render. Each type gets its own documented
routes (its filters, sorts and response models appear in the OpenAPI
document); two catch-alls answer unknown types with a suggestion.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from starlette.datastructures import URLPath
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from app.core.caching import cache_headers, read_fresh
from app.core.csv_twin import add_csv_twin
from app.core.deps import Database, get_database
from app.core.errors import NotFound
from app.core.openapi import LIST_RESPONSES, PROBLEM_RESPONSES
from app.core.params import bad
from app.core.render import MEDIA_TYPES, json_bytes
from app.core.responses import Export, list_response, page_response
from app.core.suggest import did_you_mean
from app.records.citation import BIBTEX_MEDIA_TYPE, CSL_MEDIA_TYPE, record_citation
from app.records.documents import STORED, stored_csv, stored_record
from app.records.etags import record_etag
from app.records.fields import ID_PATH_MAX_LENGTH, SLUG_PATTERN, is_slug
from app.records.flat import csv_columns
from app.records.history import (
    HISTORY_PARAMETERS,
    VERSION,
    HistoryPage,
    RecordVersion,
    history_page,
    parse_history,
    record_at,
)
from app.records.listing import check_references
from app.records.registry import BY_PLURAL, RECORD_TYPE_LIST, RecordType
from app.records.schemas import DETAIL_MODELS, PAGE_MODELS
from app.records.service import (
    DETAIL_FORMAT,
    DETAIL_PARAMETERS,
    all_items,
    list_page,
    list_parameters,
    page_lane,
    parse_list,
)

router = APIRouter(prefix="/v1", tags=["records"])


async def list_records(record_type: RecordType, request: Request, database: Database) -> Response:
    """One page as JSON, or every matching record streamed as CSV or NDJSON."""
    secret = request.app.state.settings.techsov_cursor_secret
    spec = parse_list(record_type, request.query_params, secret)
    export = Export(
        filename=f"techsov-{record_type.plural}",
        columns=csv_columns(record_type),
        csv=lambda c: stored_csv(c, record_type, spec),
        ndjson=lambda c: all_items(c, record_type, spec, STORED),
        check=lambda c: check_references(c, record_type, spec),
    )
    return await list_response(
        request, database, lambda c: list_page(c, record_type, spec, secret, STORED), export, page_lane(spec)
    )


async def get_record(record_type: RecordType, record_id: str, request: Request, database: Database) -> Response:
    """One record with references expanded, sources embedded and what refers to it."""
    params = DETAIL_PARAMETERS.check(request.query_params)
    fmt, version = DETAIL_FORMAT.get(params, "json"), VERSION.get(params)
    if not is_slug(record_id):
        raise NotFound(f"no {record_type.name} '{record_id[:100]}': ids match {SLUG_PATTERN}")
    if fmt != "json":
        if version is not None:
            raise bad("version", "a past version is given as JSON only: leave out `format`")
        return await cite_record(record_type, record_id, request, database, fmt)
    if version is not None:
        return await _fresh_json(request, database, lambda c: record_at(c, record_type, record_id, version), "version")

    def strong_etag(found: tuple[str, bytes] | None, dataset_version: int) -> str:
        if found is None:
            raise NotFound(f"no {record_type.name} with id '{record_id}'")
        return record_etag(found[0], dataset_version)

    etag, unchanged, found = await read_fresh(
        request, database, lambda c: stored_record(c, record_type, record_id), lane="inline", tag=strong_etag
    )
    if unchanged is not None:
        return unchanged
    assert found is not None  # strong_etag said 404 otherwise
    return Response(found[1], media_type=MEDIA_TYPES["json"], headers=cache_headers(etag))


async def _fresh_json(
    request: Request, database: Database, work: Callable[[sa.Connection], dict[str, Any]], variant: str
) -> Response:
    """A JSON answer read with the dataset's ETag (a 304 when the client has it)."""
    etag, unchanged, body = await read_fresh(request, database, work, variant)
    if unchanged is not None:
        return unchanged
    return Response(json_bytes(body), media_type=MEDIA_TYPES["json"], headers=cache_headers(etag))


async def record_history(record_type: RecordType, record_id: str, request: Request, database: Database) -> Response:
    """A page of a record's history, newest first unless `sort=version`, with a `Link` to the next."""
    if not is_slug(record_id):
        raise NotFound(f"no {record_type.name} '{record_id[:100]}': ids match {SLUG_PATTERN}")
    secret = request.app.state.settings.techsov_cursor_secret
    spec = parse_history(request.query_params, secret)
    etag, unchanged, body = await read_fresh(
        request, database, lambda c: history_page(c, record_type, record_id, spec, secret), "history"
    )
    if unchanged is not None:
        return unchanged
    assert body is not None
    return page_response(request, etag, body)


async def cite_record(
    record_type: RecordType, record_id: str, request: Request, database: Database, fmt: str
) -> Response:
    """The record's citation: CSL-JSON (`fmt=csl`) or BibTeX (`fmt=bibtex`)."""
    settings = request.app.state.settings
    etag, unchanged, citation = await read_fresh(
        request, database, lambda c: record_citation(c, record_type, record_id, settings), fmt
    )
    if unchanged is not None:
        return unchanged
    if citation is None:
        raise NotFound(f"no {record_type.name} with id '{record_id}'")
    if fmt == "csl":
        return Response(json_bytes(citation.csl_json()), media_type=CSL_MEDIA_TYPE, headers=cache_headers(etag))
    return Response(citation.bibtex(), media_type=BIBTEX_MEDIA_TYPE, headers=cache_headers(etag))


_DETAIL_CONTENT = {CSL_MEDIA_TYPE: {"schema": {"type": "array", "items": {"type": "object"}}},
                   "application/x-bibtex": {"schema": {"type": "string"}}}  # fmt: skip


def _list_endpoint(record_type: RecordType) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """The list endpoint takes the raw request and parses its own query string (`parse_list`: strict, with
    did-you-mean); its parameters are documented from the same declarations (`list_parameters`)."""

    async def endpoint(request: Request) -> Response:
        return await list_records(record_type, request, get_database(request))

    endpoint.__doc__ = (
        f"List {record_type.plural}: filter (a repeated parameter means OR), search, sort, page by cursor, "
        "count and facet; or export every match as CSV or NDJSON."
    )
    return endpoint


REQUEST_PARAMETER = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
"""The request, first in every generated endpoint's signature."""


def record_id_parameter(record_type: RecordType) -> inspect.Parameter:
    """The `{record_id}` of a record's path, documented with the type's example id."""
    return inspect.Parameter(
        "record_id",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        annotation=Annotated[
            str,
            Path(
                description=f"The {record_type.name}'s id.",
                examples=[record_type.example_id],
                max_length=ID_PATH_MAX_LENGTH,
            ),
        ],
    )


RecordHandler = Callable[[RecordType, str, Request, Database], Coroutine[Any, Any, Response]]


def _record_endpoint(
    record_type: RecordType, handler: RecordHandler, doc: str
) -> Callable[..., Coroutine[Any, Any, Response]]:
    """A route's endpoint for one record of `record_type`: its documented `{record_id}`, then `handler`."""

    async def endpoint(request: Request, record_id: str) -> Response:
        return await handler(record_type, record_id, request, get_database(request))

    endpoint.__signature__ = inspect.Signature([REQUEST_PARAMETER, record_id_parameter(record_type)])  # type: ignore[attr-defined]
    endpoint.__doc__ = doc
    return endpoint


def _detail_endpoint(record_type: RecordType) -> Callable[..., Coroutine[Any, Any, Response]]:
    return _record_endpoint(
        record_type,
        get_record,
        f"One {record_type.name}: references expanded one level (id, type, name), sources embedded, and "
        "`referenced_by`: the records that point at it; `format=csl` or `format=bibtex` gives its citation; "
        "`version=N` the record as its N-th version left it (`/history` lists them).",
    )


def _history_endpoint(record_type: RecordType) -> Callable[..., Coroutine[Any, Any, Response]]:
    return _record_endpoint(
        record_type,
        record_history,
        f"Every version of a {record_type.name}, newest first (`sort=version`: oldest first): what happened "
        "(created, updated, deleted), when, by whom (an API key's name, or `loader`), the dataset version it made, "
        "and what changed, field by field; `href` shows the record as that version left it.",
    )


for _type in RECORD_TYPE_LIST:
    router.add_api_route(
        f"/{_type.plural}",
        _list_endpoint(_type),
        methods=["GET"],
        response_model=PAGE_MODELS[_type.name],
        responses={**PROBLEM_RESPONSES, **LIST_RESPONSES},
        summary=f"List {_type.plural}",
        operation_id=f"list_{_type.plural}",
        openapi_extra={"parameters": list_parameters(_type).all.openapi()},
        tags=[_type.plural],
    )
    add_csv_twin(
        router,
        f"/{_type.plural}",
        partial(list_records, _type),
        list_parameters(_type).all,
        what=_type.plural,
        operation_id=f"export_{_type.plural}_csv",
        tags=[_type.plural],
    )
    router.add_api_route(
        f"/{_type.plural}/{{record_id}}",
        _detail_endpoint(_type),
        methods=["GET"],
        response_model=DETAIL_MODELS[_type.name] | RecordVersion,
        responses={**PROBLEM_RESPONSES, 200: {"content": _DETAIL_CONTENT}},
        summary=f"One {_type.name}",
        operation_id=f"get_{_type.name}",
        openapi_extra={"parameters": DETAIL_PARAMETERS.openapi()},
        tags=[_type.plural],
    )
    router.add_api_route(
        f"/{_type.plural}/{{record_id}}/history",
        _history_endpoint(_type),
        methods=["GET"],
        response_model=HistoryPage,
        responses=PROBLEM_RESPONSES,
        summary=f"The history of a {_type.name}",
        operation_id=f"get_{_type.name}_history",
        openapi_extra={"parameters": HISTORY_PARAMETERS.openapi()},
        tags=[_type.plural],
    )


class NamedRoute(Route):
    """A Starlette GET route that puts itself in the scope, as FastAPI's routes do (the metrics label requests by
    its path template), and says GET alone in a 405's `Allow`, as they do (HEAD is answered by a middleware).

    A route over a documented one with an id in its path (`id_name`) matches only the ids that route takes (no
    longer than ID_PATH_MAX_LENGTH): a longer one is left to the documented route, whose declared parameter
    refuses it with a 400.
    """

    def __init__(
        self, path: str, endpoint: Callable[[Request], Coroutine[Any, Any, Response]], id_name: str | None = None
    ) -> None:
        super().__init__(path, endpoint, methods=["GET"])
        self.methods = {"GET"}
        self.id_name = id_name

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            if self.id_name is not None and len(child_scope["path_params"][self.id_name]) > ID_PATH_MAX_LENGTH:
                return Match.NONE, {}
            child_scope["route"] = self
        return match, child_scope


class HotRoutes(BaseRoute):
    """Each type's list and record route behind one look-up by the path's type: the router tries this one route,
    not twelve regular expressions in turn (about 10 µs of a record's answer when its type comes late)."""

    def __init__(self, routes: dict[str, tuple[NamedRoute, NamedRoute]]) -> None:
        self.by_plural = routes
        self.routes = [route for pair in routes.values() for route in pair]
        """The routes, list then record of each type, in the order they would be tried one by one."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """What the route the path names (`/v1/{plural}` or `/v1/{plural}/{id}`) says of it; no other can match."""
        if scope["type"] != "http":
            return Match.NONE, {}
        if not scope.get("root_path"):
            parts = scope["path"].split("/", 4)
            if 3 <= len(parts) <= 4 and parts[0] == "" and parts[1] == "v1":
                pair = self.by_plural.get(parts[2])
                if pair is not None:
                    return pair[len(parts) - 3].matches(scope)
            return Match.NONE, {}
        for route in self.routes:  # served under a root path: each in turn (at most one matches a path)
            match, child_scope = route.matches(scope)
            if match is not Match.NONE:
                return match, child_scope
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer with the route that matched (it put itself in the scope)."""
        await scope["route"].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            with contextlib.suppress(NoMatchFound):
                return route.url_path_for(name, **path_params)
        raise NoMatchFound(name, path_params)


def hot_routes() -> list[BaseRoute]:
    """Plain Starlette routes for each type's list and record, put before every other route (app/main.py).

    They answer the two most requested paths with the very endpoints documented above, which read their own
    parameters anyway; the documented routes stay for the OpenAPI document and /docs. A FastAPI route resolves
    its declared parameters on every request and is found after matching the routes before it: about 100 µs of
    a record's answer when its read is one row.
    """
    routes: dict[str, tuple[NamedRoute, NamedRoute]] = {}
    for record_type in RECORD_TYPE_LIST:

        async def record(request: Request, record_type: RecordType = record_type) -> Response:
            return await get_record(record_type, request.path_params["record_id"], request, get_database(request))

        routes[record_type.plural] = (
            NamedRoute(f"/v1/{record_type.plural}", _list_endpoint(record_type)),
            NamedRoute(f"/v1/{record_type.plural}/{{record_id}}", record, "record_id"),
        )
    return [HotRoutes(routes)]


def _unknown_type(plural: str) -> NotFound:
    return NotFound(f"no record type '{plural[:60]}'{did_you_mean(plural, BY_PLURAL)}; types: {', '.join(BY_PLURAL)}")


unknown_types = APIRouter(prefix="/v1", tags=["records"])
"""The catch-alls, included after every other router (they would shadow `/v1/search` and the like)."""


@unknown_types.get("/{plural}", include_in_schema=False)
async def unknown_list(plural: str) -> Response:
    """An unknown record type: a 404 that names the real ones."""
    raise _unknown_type(plural)


@unknown_types.get("/{plural}/{record_id}", include_in_schema=False)
async def unknown_record(plural: str, record_id: str) -> Response:
    """An unknown record type: a 404 that names the real ones."""
    raise _unknown_type(plural)
