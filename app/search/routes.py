"""GET /v1/search: thin — parse, check freshness, run in a worker thread, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.core.caching import cache_headers, freshness
from app.core.deps import DatabaseDep
from app.core.render import MEDIA_TYPES, json_bytes
from app.records.routes import PROBLEM_RESPONSES
from app.records.service import next_link
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
        ),
    ],
    type: Annotated[
        list[str] | None,
        Query(
            description="Only these record types (repeat or comma-separate for several; singular or plural).",
            examples=[["actor", "hardware"]],
        ),
    ] = None,
    limit: Annotated[
        int | None,
        Query(description=f"Hits per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).", examples=[DEFAULT_LIMIT]),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="The `next_cursor` of the previous page.", examples=["eyJ..."])
    ] = None,
) -> Response:
    """Ranked search across actors, policies, statements, hardware, dependencies and sources.

    Order: an exact full name or alias first, then records whose names hold every word, then aliases, then
    names by prefix, then mentions in summaries and texts; within each, the engine's relevance, then type and
    id. Nothing found: `items` is empty and `did_you_mean` lists close names.
    """
    settings = request.app.state.settings
    spec = parse_search(request.query_params, settings.techsov_cursor_secret)
    etag, unchanged = await freshness(request, database)
    if unchanged is not None:
        return unchanged
    headers = cache_headers(etag)
    page = await database.read(lambda c: search(c, spec, settings.techsov_cursor_secret))
    if page["next_cursor"]:
        link = next_link(settings.techsov_base_url, request.url.path, request.query_params, page["next_cursor"])
        headers["Link"] = f'<{link}>; rel="next"'
    return Response(json_bytes(page), media_type=MEDIA_TYPES["json"], headers=headers)
