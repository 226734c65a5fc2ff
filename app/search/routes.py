"""GET /v1/search: thin — parse, then read the ETag and the page in one worker trip, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.core.caching import read_fresh
from app.core.deps import DatabaseDep
from app.core.params import MAX_PARAM_LENGTH
from app.core.responses import page_response
from app.records.registry import BY_NAME, BY_PLURAL
from app.records.routes import PROBLEM_RESPONSES
from app.search.schemas import SearchPage
from app.search.service import DEFAULT_LIMIT, MAX_LIMIT, parse_search, search

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    response_model=SearchPage,
    responses={400: PROBLEM_RESPONSES[400]},
    summary="Search every record type",
    operation_id="search",
)
async def search_records(
    request: Request,
    database: DatabaseDep,
    q: Annotated[
        str,
        Query(
            description=(
                "What to look for, in any script: an English name, an alias or acronym, 汉字, or pinyin with or "
                "without tones and spaces (`习近平`, `xi jinping`, `xijinping`, `Xí Jìnpíng`). Case and accents "
                "are ignored; every word must match; a word of two or more letters also matches the words it "
                'begins (`ascen` finds Ascend). Query syntax is not interpreted: `"`, `*`, `-`, `:` are spaces.'
            ),
            examples=["习近平"],
            json_schema_extra={"minLength": 1, "maxLength": MAX_PARAM_LENGTH},
        ),
    ],
    type: Annotated[
        list[str] | None,
        Query(
            description="Only these record types (repeat or comma-separate for several; singular or plural).",
            examples=[["actor", "hardware"]],
            json_schema_extra={"items": {"type": "string", "enum": list(dict.fromkeys([*BY_NAME, *BY_PLURAL]))}},
        ),
    ] = None,
    limit: Annotated[
        int | None,
        Query(
            description=f"Hits per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
            examples=[DEFAULT_LIMIT],
            json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
        ),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="The `next_cursor` of the previous page (opaque; only the API makes them).")
    ] = None,
) -> Response:
    """Ranked search across actors, policies, statements, hardware, dependencies and sources.

    Order: an exact full name or alias first, then records whose names hold every word, then aliases, then
    names by prefix, then mentions in summaries and texts; within each, the engine's relevance, then type and
    id (on SQLite, a level of more than 2,048 matches is ranked 2,048 at a time, in the index's order). Nothing found:
    `items` is empty and `did_you_mean` lists close names.
    """
    secret = request.app.state.settings.techsov_cursor_secret
    spec = parse_search(request.query_params, secret)
    etag, unchanged, page = await read_fresh(request, database, lambda c: search(c, spec, secret), lane="search")
    if unchanged is not None:
        return unchanged
    assert page is not None
    return page_response(request, etag, page)
