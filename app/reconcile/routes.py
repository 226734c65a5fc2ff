"""GET/POST /v1/reconcile and the entity view: thin — parse, read in one worker trip, render."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from app.core.caching import CACHE_CONTROL, cache_headers, read_fresh
from app.core.deps import DatabaseDep
from app.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from app.core.openapi import problem_response
from app.core.params import NO_PARAMETERS, One, Parameters, bad, text, verbatim
from app.core.render import MEDIA_TYPES, json_bytes
from app.core.suggest import did_you_mean
from app.reconcile.schemas import Manifest, ResultBatch
from app.reconcile.service import (
    CALLBACK,
    DEFAULT_LIMIT,
    MAX_BATCH,
    MAX_BODY,
    MAX_LIMIT,
    check_callback,
    jsonp,
    manifest,
    parse_batch,
    reconcile,
    record_path,
    view_exists,
    view_target,
)

router = APIRouter(prefix="/v1", tags=["reconcile"])

JAVASCRIPT = "text/javascript; charset=utf-8"
FORM = "application/x-www-form-urlencoded"
POST_FIELDS = ("queries",)


QUERIES_HELP = (
    "A JSON object of queries under keys of your choice: "
    '`{"q0": {"query": "Huawei", "type": "actor", "limit": 3}, "q1": {"query": "华为"}}`. '
    f"`query` (required) is the name in any script; `type` is `actor` or `hardware` (or a list; default both); "
    f"`limit` the most candidates (default {DEFAULT_LIMIT}, capped at {MAX_LIMIT}); `properties` and "
    f"`type_strict` are accepted and do not change the candidates. At most {MAX_BATCH} queries."
)


QUERIES = One(
    name="queries",
    description=QUERIES_HELP,
    schema={"type": "string"},
    example='{"q0":{"query":"华为"}}',
    once=True,
    max_length=MAX_BODY,  # a batch: as long as a posted one may be
    parse=verbatim,
)
CALLBACK_NAME = One(
    name="callback",
    description="JSONP: the body wrapped in a call of this function name.",
    schema={"type": "string", "pattern": CALLBACK.pattern},
    example="jQuery3600_1",
    once=True,
    parse=check_callback,
)
CACHE_BUSTER = text("_", "Ignored: the cache-buster jQuery adds to JSONP calls.", schema={"type": "string"}, blank=True)
"""Taken (and ignored) by every endpoint (`app.core.params.EVERYWHERE`); documented here, where JSONP sends it."""
GET_PARAMETERS = Parameters(QUERIES, CALLBACK_NAME, CACHE_BUSTER)


def _refuse_single_query(names: Iterable[str]) -> None:
    """The single `query=` of old clients gets a pointer to the batch."""
    if "query" in names:
        raise bad("query", 'single queries are not part of the Reconciliation API: send queries={"q0": {"query": …}}')


def _form_fields(fields: list[tuple[str, str]]) -> dict[str, str]:
    """The posted form: `queries` once, nothing else."""
    _refuse_single_query(name for name, _value in fields)
    found: dict[str, str] = {}
    for name, value in fields:
        if name not in POST_FIELDS:
            raise bad(name[:100], f"unknown form field '{name[:100]}'{did_you_mean(name, POST_FIELDS)}")
        if name in found:
            raise bad(name, "give it once")
        found[name] = value
    return found


def _javascript_or_json(body: bytes, callback: str | None, headers: dict[str, str]) -> Response:
    if callback is not None:
        return Response(jsonp(callback, body), media_type=JAVASCRIPT, headers=headers)
    return Response(body, media_type=MEDIA_TYPES["json"], headers=headers)


_OK_CONTENT = {
    "application/json": {},
    "text/javascript": {"schema": {"type": "string", "description": "The same JSON, wrapped for JSONP"}},
}


@router.get(
    "/reconcile",
    response_model=None,
    responses={
        200: {"model": Manifest | ResultBatch, "content": _OK_CONTENT, "description": "The manifest, or results"},
        400: problem_response("`queries` or `callback` is malformed"),
        413: problem_response("Too many queries in one batch"),
    },
    summary="Reconcile names against actors and hardware (W3C Reconciliation API)",
    operation_id="reconcile",
    openapi_extra={"parameters": GET_PARAMETERS.openapi()},
)
async def reconcile_get(request: Request, database: DatabaseDep) -> Response:
    """Without `queries`, the service manifest OpenRefine reads when the service is added; with `queries`,
    the candidates of each query, best first.

    Candidates come from names, other-language names (汉字), their pinyin and aliases, never from mentions in
    texts; ids are typed (`actor:huawei`). `match` is true only for the single exact written name or alias.
    """
    _refuse_single_query(request.query_params)
    params = GET_PARAMETERS.check(request.query_params)
    wrap = CALLBACK_NAME.get(params)
    queries = QUERIES.get(params)
    if queries is None:
        body = json_bytes(manifest(request.app.state.settings.techsov_base_url))
        return _javascript_or_json(body, wrap, {"Cache-Control": CACHE_CONTROL})
    batch = parse_batch(queries)
    variant = "jsonp" if wrap else "json"
    etag, unchanged, result = await read_fresh(
        request, database, lambda c: reconcile(c, batch), variant=variant, lane="search"
    )
    if unchanged is not None:
        return unchanged
    return _javascript_or_json(json_bytes(result), wrap, cache_headers(etag))


@router.post(
    "/reconcile",
    response_model=None,
    responses={
        200: {"model": ResultBatch, "description": "The candidates of each query, under its key"},
        400: problem_response("`queries` is missing or malformed"),
        413: problem_response("The body or the batch is too large"),
        415: problem_response(f"The body is not {FORM}"),
    },
    summary="Reconcile a batch of names (POST, as OpenRefine sends it)",
    operation_id="reconcile_post",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["queries"],
                        "properties": {"queries": {"type": "string", "description": QUERIES_HELP}},
                    }
                }
            },
        }
    },
)
async def reconcile_post(request: Request, database: DatabaseDep) -> Response:
    """The batch in the form field `queries`, as OpenRefine posts it; the same answer as GET."""
    _refuse_single_query(request.query_params)
    NO_PARAMETERS.check(request.query_params)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != FORM:
        raise UnsupportedMediaType(f"send the batch as {FORM} with a field `queries` (got '{media[:100]}')")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes; send fewer queries at a time")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise PayloadTooLarge(f"the body is larger than {MAX_BODY} bytes; send fewer queries at a time")
    try:
        fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise bad("queries", "the form body is not valid UTF-8 form data") from None
    given = _form_fields(fields)
    if "queries" not in given:
        raise bad("queries", 'is required: a JSON object such as {"q0": {"query": "Huawei"}}')
    batch = parse_batch(given["queries"])
    result = await database.read(lambda c: reconcile(c, batch), lane="search")
    return Response(json_bytes(result), media_type=MEDIA_TYPES["json"])


@router.get(
    "/reconcile/view/{entity_id}",
    status_code=303,
    response_model=None,
    response_class=Response,
    responses={
        303: {
            "description": "The record's own page, in `Location` (on the configured base URL)",
            "headers": {"Location": {"schema": {"type": "string"}, "description": "/v1/actors/huawei"}},
        },
        404: problem_response("No such entity"),
    },
    summary="An entity's view URL: leads to its record",
    operation_id="reconcile_view",
)
async def reconcile_view(
    request: Request,
    database: DatabaseDep,
    entity_id: Annotated[
        str, Path(description="A typed entity id, as candidates carry it.", examples=["actor:huawei"])
    ],
) -> Response:
    """The manifest's `view.url`: 303 See Other to `/v1/{plural}/{id}` of the entity."""
    record_type, record_id = view_target(entity_id)
    if not await database.read(lambda c: view_exists(c, record_type, record_id)):
        raise NotFound(f"no {record_type} with id '{record_id}'")
    location = f"{request.app.state.settings.techsov_base_url.rstrip('/')}{record_path(record_type, record_id)}"
    return Response(status_code=303, headers={"Location": location})
