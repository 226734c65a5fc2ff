"""The ceiling: a bare Starlette endpoint returning a fixed body of a given size, no database.

    uvicorn --app-dir bench/peers ceiling:app

GET /fixed/{size} answers `size` bytes of JSON-shaped text; the bench asks for
the size of techsov's answer to each case, so the only difference left is the
work of answering.
"""

from __future__ import annotations

from functools import cache

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@cache
def body(size: int) -> bytes:
    """`size` bytes: a JSON string padded with x."""
    return b'"' + b"x" * max(0, size - 2) + b'"'


async def fixed(request: Request) -> Response:
    """A fixed body of the requested size."""
    return Response(body(int(request.path_params["size"])), media_type="application/json")


app = Starlette(routes=[Route("/fixed/{size:int}", fixed)])
