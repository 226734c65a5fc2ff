"""ETags from the dataset version: the same in every worker, new after every change."""

from __future__ import annotations

import hashlib

from starlette.requests import Request

CACHE_CONTROL = "public, max-age=60"


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
