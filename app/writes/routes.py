"""POST /v1/{plural}, PUT / PATCH / DELETE /v1/{plural}/{id} for every record type, with an API key.

Thin, as every router here: check the key (app/auth/guard.py), the query string, `If-Match` and the body's
form, then hand the record to the write service. Each type's routes are documented with its input model
(the seed files' schema) as the request body.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.auth.guard import Caller, requires
from app.auth.keys import Scope
from app.core.errors import NotFound
from app.core.openapi import problem_response
from app.core.params import NO_PARAMETERS
from app.core.render import MEDIA_TYPES, json_bytes
from app.records.fields import SLUG_PATTERN, is_slug
from app.records.registry import RECORD_TYPE_LIST, RecordType
from app.records.routes import REQUEST_PARAMETER, record_id_parameter
from app.records.schemas import DETAIL_MODELS
from app.writes import service
from app.writes.body import JSON, MERGE_PATCH, read_json_object

router = APIRouter(prefix="/v1", tags=["records"])

_ERRORS: dict[int, str] = {
    400: "A query parameter, the JSON or the record is not valid (each problem in `errors`), or a key was sent in "
    "the URL or a cookie; nothing was written",
    401: "No API key, or one that is malformed, unknown or revoked (`WWW-Authenticate: Bearer`)",
    403: "The key lacks the scope this needs",
    404: "No such record",
    409: "The id is taken, or other records still refer to the record",
    412: "`If-Match` names a version of the record that is no longer current; the response's ETag is the current one",
    413: "The body is larger than TECHSOV_MAX_BODY_BYTES",
    415: "The body is not JSON (of the media type this takes)",
    428: "`If-Match` is missing",
    503: "A load or another write held the database too long (`Retry-After`); nothing was written",
}
_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "The record's new strong ETag, for the next If-Match."},
}


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: problem_response(_ERRORS[status]) for status in statuses}


def input_schemas() -> dict[str, dict[str, Any]]:
    """The input models (what seed files and writes take) as OpenAPI components, each named after its model."""
    schemas: dict[str, dict[str, Any]] = {}
    for record_type in RECORD_TYPE_LIST:
        schema = record_type.model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[record_type.model.__name__] = schema
        patch = {k: v for k, v in schema.items() if k not in ("required", "title")}
        schemas[f"{record_type.model.__name__}Patch"] = {**patch, "title": f"{record_type.model.__name__}Patch"}
    return schemas


def _body(record_type: RecordType, media_types: tuple[str, ...], patch: bool = False) -> dict[str, Any]:
    name = record_type.model.__name__ + ("Patch" if patch else "")
    schema = {"$ref": f"#/components/schemas/{name}"}
    return {"required": True, "content": {media_type: {"schema": schema} for media_type in media_types}}


IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of the record as you read it (GET gives it), or `*` for whatever is stored; "
    "without it the answer is 428, with an out-of-date one 412.",
    "schema": {"type": "string"},
    "examples": {"etag": {"value": '"4f2a9c0d1e7b3a5c6d8e.12"'}},
}
"""Declared here, read by the route itself: a missing one is a 428 that says what to send, not a 400."""


def _caller(scope: Scope) -> inspect.Parameter:
    return inspect.Parameter(
        "caller", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[Caller, Depends(requires(scope))]
    )


def _address(request: Request, record_type: RecordType, record_id: str) -> str:
    """Where the record lives: on the configured base URL, never the request's Host."""
    return f"{request.app.state.settings.techsov_base_url.rstrip('/')}/v1/{record_type.plural}/{record_id}"


def _answer(written: service.Written, status: int, headers: dict[str, str] | None = None) -> Response:
    assert written.etag is not None
    return Response(
        json_bytes(written.record),
        status_code=status,
        media_type=MEDIA_TYPES["json"],
        headers={"ETag": written.etag, "Cache-Control": "no-store", **(headers or {})},
    )


def _existing(request: Request, record_type: RecordType, record_id: str) -> str:
    """What a change to a stored record needs before its body is read: an id (404), no query string (400) and
    `If-Match` (428); returns the If-Match header."""
    if not is_slug(record_id):
        raise NotFound(f"no {record_type.name} '{record_id[:100]}': ids match {SLUG_PATTERN}")
    NO_PARAMETERS.check(request.query_params)
    return service.require_if_match(request.headers.get("if-match"), record_type, record_id)


def _body_limit(request: Request) -> int:
    limit: int = request.app.state.settings.techsov_max_body_bytes
    return limit


Endpoint = Callable[..., Coroutine[Any, Any, Response]]


def _declared(endpoint: Endpoint, parameters: list[inspect.Parameter], doc: str) -> Endpoint:
    """The endpoint with the signature FastAPI reads (its path, key and request) and its documentation."""
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__doc__ = doc
    return endpoint


def _create_endpoint(record_type: RecordType) -> Endpoint:
    async def endpoint(request: Request, caller: Caller) -> Response:
        NO_PARAMETERS.check(request.query_params)
        body = await read_json_object(request, _body_limit(request))
        written = await service.run_write(request, lambda c: service.create(c, record_type, body, caller))
        assert written.record is not None
        return _answer(written, 201, {"Location": _address(request, record_type, written.record["id"])})

    return _declared(
        endpoint,
        [REQUEST_PARAMETER, _caller("write")],
        f"Create a {record_type.name}: the body is the record as a seed file gives it (its `id` chosen by you). "
        "Checked as seed files are; answers the record as GET shows it, its `ETag` and `Location`.",
    )


def _change_endpoint(record_type: RecordType, patching: bool) -> Endpoint:
    async def endpoint(request: Request, record_id: str, caller: Caller) -> Response:
        header = _existing(request, record_type, record_id)
        media_types = (MERGE_PATCH, JSON) if patching else (JSON,)
        body = await read_json_object(request, _body_limit(request), media_types)

        def work(connection: sa.Connection) -> service.Written:
            return service.change(connection, record_type, record_id, body, header, caller, patching=patching)

        return _answer(await service.run_write(request, work), 200)

    what = (
        f"Change a {record_type.name} with a JSON Merge Patch (RFC 7396): the fields sent replace the stored ones, "
        "`null` removes one, a list is replaced whole."
        if patching
        else f"Replace a {record_type.name}: the body is the whole record as a seed file gives it (a field left out "
        "is emptied)."
    )
    return _declared(
        endpoint,
        [REQUEST_PARAMETER, record_id_parameter(record_type), _caller("write")],
        what + " Needs `If-Match` with the ETag you read; answers the record as GET now shows it and its new `ETag`.",
    )


def _delete_endpoint(record_type: RecordType) -> Endpoint:
    async def endpoint(request: Request, record_id: str, caller: Caller) -> Response:
        header = _existing(request, record_type, record_id)
        await service.run_write(request, lambda c: service.delete(c, record_type, record_id, header, caller))
        return Response(status_code=204)

    return _declared(
        endpoint,
        [REQUEST_PARAMETER, record_id_parameter(record_type), _caller("delete")],
        f"Delete a {record_type.name} (a tombstone stays in the change feed and its history). Needs `If-Match`; "
        "refused (409, naming them) while other records refer to it.",
    )


for _type in RECORD_TYPE_LIST:
    _tags: list[str | Any] = [_type.plural]
    _created = {"model": DETAIL_MODELS[_type.name], "description": "Created", "headers": {**_HEADERS, "Location": {
        "schema": {"type": "string"}, "description": "The new record's address."}}}  # fmt: skip
    _changed = {"model": DETAIL_MODELS[_type.name], "description": "Changed", "headers": _HEADERS}
    router.add_api_route(
        f"/{_type.plural}",
        _create_endpoint(_type),
        methods=["POST"],
        status_code=201,
        responses={201: _created, **_responses(400, 401, 403, 409, 413, 415, 503)},
        summary=f"Create a {_type.name}",
        operation_id=f"create_{_type.name}",
        openapi_extra={"requestBody": _body(_type, (JSON,))},
        tags=_tags,
    )
    for method, patching, verb, media_types in (("PUT", False, "Replace", (JSON,)),
                                                ("PATCH", True, "Change", (MERGE_PATCH, JSON))):  # fmt: skip
        router.add_api_route(
            f"/{_type.plural}/{{record_id}}",
            _change_endpoint(_type, patching=patching),
            methods=[method],
            responses={200: _changed, **_responses(400, 401, 403, 404, 409, 412, 413, 415, 428, 503)},
            summary=f"{verb} a {_type.name}",
            operation_id=f"{'patch' if patching else 'replace'}_{_type.name}",
            openapi_extra={"requestBody": _body(_type, media_types, patch=patching), "parameters": [IF_MATCH]},
            tags=_tags,
        )
    router.add_api_route(
        f"/{_type.plural}/{{record_id}}",
        _delete_endpoint(_type),
        methods=["DELETE"],
        status_code=204,
        responses={204: {"description": "Deleted"}, **_responses(400, 401, 403, 404, 409, 412, 428, 503)},
        summary=f"Delete a {_type.name}",
        operation_id=f"delete_{_type.name}",
        openapi_extra={"parameters": [IF_MATCH]},
        tags=_tags,
    )
