"""ETags from the dataset version: the same in every worker, new after every change."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from app.core.deps import Database, Lane
from app.seeding.load import current_version

CACHE_CONTROL = "public, max-age=60"
T = TypeVar("T")


def etag_for(version: int, request: Request, variant: str = "") -> str:
    """A weak ETag for this representation of this URL at this dataset version."""
    key = f"{request.url.path}?{request.url.query}|{variant}".encode()
    return f'W/"{version}-{hashlib.sha256(key).hexdigest()[:16]}"'


def not_modified(request: Request, etag: str) -> bool:
    """True when the client's If-None-Match already names this ETag (weak comparison)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def cache_headers(etag: str) -> dict[str, str]:
    """Headers every cacheable GET carries."""
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept"}


async def read_fresh(
    request: Request,
    database: Database,
    work: Callable[[sa.Connection], T],
    variant: str = "json",
    lane: Lane = "read",
) -> tuple[str, Response | None, T | None]:
    """This request's ETag and either a ready 304 (the client has it) or what `work` reads.

    One trip to a worker thread and one transaction: the ETag names the very
    dataset version the answer was read from.
    """

    def run(connection: sa.Connection) -> tuple[str, Response | None, T | None]:
        etag = etag_for(current_version(connection)[0], request, variant)
        if not_modified(request, etag):
            return etag, Response(status_code=304, headers=cache_headers(etag)), None
        return etag, None, work(connection)

    return await database.read(run, lane)
