"""ETags from the dataset version: the same in every worker, new after every change."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from app.core.deps import Database, Lane
from app.core.state import dataset_version

CACHE_CONTROL = "public, max-age=60"
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


IGNORED_PARAMETERS = frozenset({"_"})
"""Query parameters no answer depends on: jQuery's cache buster."""


@lru_cache(maxsize=4096)
def query_key(query_string: bytes) -> tuple[tuple[str, str], ...]:
    """The query's items, sorted, without the ignored ones: the same for every spelling of one question
    (remembered for the last few thousand query strings: parsing one costs about 10 µs)."""
    if not query_string:
        return ()
    items = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="surrogateescape")
    return tuple(sorted(item for item in items if item[0] not in IGNORED_PARAMETERS))


@lru_cache(maxsize=4096)
def _normalised_query(query_string: bytes) -> str:
    return urlencode(query_key(query_string), errors="surrogateescape")


def etag_for(version: int, request: Request, variant: str = "") -> str:
    """A weak ETag for this representation of this question (path and normalised query) at this dataset
    version: `?a=1&b=2` and `?b=2&a=1` share one."""
    query = _normalised_query(request.scope.get("query_string", b""))
    key = f"{request.scope['path']}?{query}|{variant}".encode()
    return f'W/"{version}-{hashlib.sha256(key).hexdigest()[:16]}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """True when an If-None-Match header names this ETag or `*` (weak comparison)."""
    wanted = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def not_modified(request: Request, etag: str) -> bool:
    """True when the client's If-None-Match already names this ETag (weak comparison)."""
    header = request.headers.get("if-none-match")
    return header is not None and etag_matches(header, etag)


READ_AT = "techsov.read_at"
"""Scope key of the dataset version an answer is read at: what the response cache files it under."""
KNOWN_VERSION = "techsov.known_version"
"""Scope key of the dataset version the request began at, as the watch told the response cache
(app/core/response_cache.py): `read_fresh` takes it rather than reading the version again."""


def read_at(request: Request, version: int) -> None:
    """Say which dataset version this request's answer is read at (in the read's own transaction), so the
    response cache may keep it (app/core/response_cache.py); an answer that says nothing is not kept."""
    request.scope[READ_AT] = version


def cache_headers(etag: str) -> dict[str, str]:
    """Headers every cacheable GET carries."""
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept"}


def _unchanged(etag: str) -> Response:
    """The 304 of a request whose client has this ETag."""
    return Response(status_code=304, headers=cache_headers(etag))


async def read_fresh(
    request: Request,
    database: Database,
    work: Callable[[sa.Connection], T],
    variant: str = "json",
    lane: Lane = "read",
    tag: Callable[[T, int], str] | None = None,
) -> tuple[str, Response | None, T | None]:
    """This request's ETag and either a ready 304 (the client has it) or what `work` reads.

    One trip to a worker thread and one transaction. The ETag names the dataset version the request began at:
    the watch's (`KNOWN_VERSION`), else the version read in that transaction. A commit between the watch and the
    read makes an answer newer than its ETag says, never older, and every later request sees the new version.
    `tag` makes the ETag from what `work` read and that version where the answer has its own (a record's
    strong one): then `work` runs first, even for a 304; by default the ETag is the request's at the version,
    and a 304 reads nothing more.
    """
    known: int | None = request.scope.get(KNOWN_VERSION)

    def run(connection: sa.Connection) -> tuple[str, Response | None, T | None]:
        version = dataset_version(connection) if known is None else known
        read_at(request, version)
        if tag is None:
            etag = etag_for(version, request, variant)
            if not_modified(request, etag):
                return etag, _unchanged(etag), None
            return etag, None, work(connection)
        found = work(connection)
        etag = tag(found, version)
        return (etag, _unchanged(etag), None) if not_modified(request, etag) else (etag, None, found)

    return await database.read(run, lane)


class Memo(Generic[K, T]):
    """A few values read from the database, kept per key, the oldest dropped first; safe across threads.

    The key must name what the value came from (the database and its dataset version), so a load never
    leaves a stale value behind: it only makes a new key.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: dict[K, T] = {}
        self.lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], T]) -> T:
        """The value for `key`, computed (outside the lock) when not kept."""
        with self.lock:
            found = self.entries.get(key)
        if found is None:
            found = compute()
            with self.lock:
                if len(self.entries) >= self.size:
                    self.entries.pop(next(iter(self.entries)))
                self.entries[key] = found
        return found
