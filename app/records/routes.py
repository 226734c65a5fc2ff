"""GET /v1/{plural} and GET /v1/{plural}/{id} for every record type, generated from the declarations.

Routers stay thin: parse, call, render. Each type gets its own documented
routes (its filters, sorts and response models appear in the OpenAPI
document); two catch-alls answer unknown types with a suggestion.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from app.core.caching import cache_headers, read_fresh
from app.core.deps import Database, get_database
from app.core.errors import NotFound
from app.core.openapi import DATE_SCHEMA
from app.core.params import MAX_PARAM_LENGTH, parse_choice
from app.core.render import FORMATS, MEDIA_TYPES, json_bytes
from app.core.responses import Export, list_response
from app.core.suggest import did_you_mean
from app.records.citation import BIBTEX_MEDIA_TYPE, CITATION_FORMATS, CSL_MEDIA_TYPE, record_citation
from app.records.documents import STORED, stored_csv, stored_detail
from app.records.fields import SLUG_MAX_LENGTH, SLUG_PATTERN, is_slug
from app.records.flat import csv_columns
from app.records.listing import check_references, facet_names, filters_for, sort_keys_for
from app.records.registry import BY_PLURAL, RECORD_TYPE_LIST, RecordType
from app.records.schemas import DETAIL_MODELS, PAGE_MODELS, Problem
from app.records.service import DEFAULT_LIMIT, MAX_LIMIT, all_items, common_parameters, list_page, parse_list

router = APIRouter(prefix="/v1", tags=["records"])

_PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "content": _PROBLEM_CONTENT, "description": "A parameter is unknown or has a bad value"},
    404: {"model": Problem, "content": _PROBLEM_CONTENT, "description": "No such record"},
}


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
    return await list_response(request, database, lambda c: list_page(c, record_type, spec, secret, STORED), export)


async def get_record(record_type: RecordType, record_id: str, request: Request, database: Database) -> Response:
    """One record with references expanded, sources embedded and what refers to it."""
    if not is_slug(record_id):
        raise NotFound(f"no {record_type.name} '{record_id[:100]}': ids match {SLUG_PATTERN}")
    fmt = request.query_params.get("format")
    if fmt is not None and parse_choice("format", fmt, ("json", *CITATION_FORMATS)) != "json":
        return await cite_record(record_type, record_id, request, database, fmt)

    etag, unchanged, body = await read_fresh(request, database, lambda c: stored_detail(c, record_type, record_id))
    if unchanged is not None:
        return unchanged
    if body is None:
        raise NotFound(f"no {record_type.name} with id '{record_id}'")
    return Response(body, media_type=MEDIA_TYPES["json"], headers=cache_headers(etag))


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


_DETAIL_FORMAT = Query(
    description="json (default), or the record's citation: csl (CSL-JSON, for Zotero, Pandoc and citeproc) or bibtex.",
    examples=["csl"],
    json_schema_extra={"enum": ["json", *CITATION_FORMATS]},
)
_DETAIL_CONTENT = {CSL_MEDIA_TYPE: {"schema": {"type": "array", "items": {"type": "object"}}},
                   "application/x-bibtex": {"schema": {"type": "string"}}}  # fmt: skip


def _query_parameter(name: str, schema: dict[str, Any], description: str, example: Any = None) -> dict[str, Any]:
    """One documented query parameter (OpenAPI), all optional; no example where none would be valid."""
    if example is not None:
        schema = {**schema, "examples": [example]}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _common_parameter_docs(record_type: RecordType) -> dict[str, tuple[dict[str, Any], str, Any]]:
    sorts = list(sort_keys_for(record_type))
    facets = facet_names(record_type)
    main = record_type.main_date
    text = {"type": "string", "maxLength": MAX_PARAM_LENGTH}
    docs: dict[str, tuple[dict[str, Any], str, Any]] = {
        "q": (text, "Text to look for in names, aliases, other-language names and text.", "export"),
        "from": (DATE_SCHEMA, f"Keep records whose {main} is on or after this date (2018, 2018-07 or 2018-07-20).",
                 "2018"),
        "to": (DATE_SCHEMA, f"Keep records whose {main} is on or before this date; 2018 means up to 2018-12-31.",
               "2019-06"),
        "as_of": (DATE_SCHEMA, f"Keep records valid on this date: {record_type.valid_from} on or before it (or "
                  f"unknown) and {record_type.valid_to} after it (or unknown).", "2023-10-17"),
        "sort": (text, f"Comma list of fields, `-` for descending; ties by id. Sortable: {', '.join(sorts)}. "
                 f"Default: {record_type.default_sort}.", record_type.default_sort),
        "limit": ({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                  f"Records per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}). CSV and NDJSON ignore it.", 50),
        "cursor": (text, "The `next_cursor` of the previous page (opaque; only the API makes them).", None),
        "count": ({"type": "boolean"}, "Add `total`, the number of matching records.", True),
        "facets": (text, f"Comma list of fields to count by: {', '.join(facets)}.", facets[0]),
        "format": ({"type": "string", "enum": list(FORMATS)}, "json (default), csv or ndjson; or use the Accept "
                   "header.", "csv"),
    }  # fmt: skip
    return {name: docs[name] for name in common_parameters(record_type)}


def _list_endpoint(record_type: RecordType) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """The list endpoint takes the raw request and parses its own query string (`parse_list`: strict, with
    did-you-mean); its parameters are documented from the same declarations (`_list_parameters`)."""

    async def endpoint(request: Request) -> Response:
        return await list_records(record_type, request, get_database(request))

    endpoint.__doc__ = (
        f"List {record_type.plural}: filter (a repeated parameter means OR), search, sort, page by cursor, "
        "count and facet; or export every match as CSV or NDJSON."
    )
    return endpoint


def _list_parameters(record_type: RecordType) -> list[dict[str, Any]]:
    """The OpenAPI parameters of a type's list: its filters, then the common ones."""
    parameters = []
    for name, flt in filters_for(record_type).items():
        choices = f" One of: {', '.join(flt.choices)}." if flt.choices else ""
        item: dict[str, Any] = {"type": "string", "maxLength": MAX_PARAM_LENGTH}
        if flt.choices:
            item = {"type": "string", "enum": list(flt.choices)}
        schema = {"type": "array", "items": item}
        parameters.append(_query_parameter(name, schema, flt.description + "." + choices, [flt.example]))
    for name, (schema, description, example) in _common_parameter_docs(record_type).items():
        parameters.append(_query_parameter(name, schema, description, example))
    return parameters


def _detail_endpoint(record_type: RecordType) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def endpoint(request: Request, record_id: str, format: str | None = None) -> Response:
        return await get_record(record_type, record_id, request, get_database(request))

    record_id = inspect.Parameter(
        "record_id",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        annotation=Annotated[
            str,
            Path(
                description=f"The {record_type.name}'s id.",
                examples=[record_type.example_id],
                max_length=SLUG_MAX_LENGTH * 4,
            ),
        ],
    )
    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    fmt = inspect.Parameter(
        "format", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[str | None, _DETAIL_FORMAT]
    )
    endpoint.__signature__ = inspect.Signature([request, record_id, fmt])  # type: ignore[attr-defined]
    endpoint.__doc__ = (
        f"One {record_type.name}: references expanded one level (id, type, name), sources embedded, and "
        "`referenced_by`: the records that point at it; `format=csl` or `format=bibtex` gives its citation."
    )
    return endpoint


for _type in RECORD_TYPE_LIST:
    router.add_api_route(
        f"/{_type.plural}",
        _list_endpoint(_type),
        methods=["GET"],
        response_model=PAGE_MODELS[_type.name],
        responses={**PROBLEM_RESPONSES, 200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
        summary=f"List {_type.plural}",
        operation_id=f"list_{_type.plural}",
        openapi_extra={"parameters": _list_parameters(_type)},
        tags=[_type.plural],
    )
    router.add_api_route(
        f"/{_type.plural}/{{record_id}}",
        _detail_endpoint(_type),
        methods=["GET"],
        response_model=DETAIL_MODELS[_type.name],
        responses={**PROBLEM_RESPONSES, 200: {"content": _DETAIL_CONTENT}},
        summary=f"One {_type.name}",
        operation_id=f"get_{_type.name}",
        tags=[_type.plural],
    )


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
