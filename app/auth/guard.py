"""Who is asking: `requires(scope)`, the dependency every write route takes, checks the request's API key.

Keys come only in `Authorization: Bearer <key>`. One found in the query string or a cookie is refused
outright (URLs end up in logs and browser histories; cookies ride along on requests a page did not mean
to send), whatever else the request holds, before anything is read or written.

Each request reads the key's row (so a revocation counts at once, in every worker), then checks the key
against the row's Argon2 hash. Argon2 is slow on purpose (about 50 ms and 64 MiB a check), so a key
that passed is remembered, per process, as the SHA-256 of what was presented with its prefix and the
stored hash: a request with the same key then costs one indexed read and a SHA-256, and a hundred racing
requests do not each spend 50 ms (concurrent first checks of one key share one Argon2 run). The
plaintext is never kept; the digest of a 238-bit random secret gives nothing to guess from. A failed
check is not remembered: each wrong key costs an Argon2 run, at most two at a time per process.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.keys import Scope, StoredKey, find_key, looks_like_key, split_key, verify
from app.core.deps import get_database
from app.core.errors import BadParameter, Forbidden, Unauthorized

REALM = 'Bearer realm="techsov"'
VERIFIED_KEYS = 1024
"""Keys remembered as verified, per process (the oldest forgotten first)."""
ARGON2_AT_ONCE = 2
"""Argon2 checks run at once per process (each takes 64 MiB for about 50 ms)."""

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key made by `techsov keys create`, sent as `Authorization: Bearer tsk_…`.",
)


@dataclass(frozen=True)
class Caller:
    """The key a request was made with: its name (what the history records) and its scopes."""

    name: str
    scopes: tuple[str, ...]


def _invalid(message: str) -> Unauthorized:
    return Unauthorized(message, headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})


class KeyGuard:
    """Per process: the keys verified so far, and the Argon2 checks running now."""

    def __init__(self) -> None:
        self._verified: OrderedDict[tuple[str, bytes, str], None] = OrderedDict()
        self._lock = threading.Lock()
        self._running: dict[tuple[str, bytes, str], asyncio.Future[bool]] = {}
        self._limiter = CapacityLimiter(ARGON2_AT_ONCE)

    async def check(self, stored: StoredKey, presented: str) -> bool:
        """True when `presented` is the stored key: remembered, or checked with Argon2 once."""
        token = (stored.prefix, hashlib.sha256(presented.encode()).digest(), stored.key_hash)
        with self._lock:
            if token in self._verified:
                self._verified.move_to_end(token)
                return True
        running = self._running.get(token)
        if running is None:
            running = asyncio.ensure_future(
                anyio.to_thread.run_sync(verify, stored.key_hash, presented, limiter=self._limiter)
            )
            self._running[token] = running
            running.add_done_callback(lambda _done: self._running.pop(token, None))
        if not await asyncio.shield(running):
            return False
        with self._lock:
            self._verified[token] = None
            while len(self._verified) > VERIFIED_KEYS:
                self._verified.popitem(last=False)
        return True


def refuse_misplaced_key(request: Request) -> None:
    """A 400 when the request carries a key in its query string or a cookie (only the header is read)."""
    for name, value in request.query_params.multi_items():
        if looks_like_key(value) or looks_like_key(name):
            raise BadParameter(
                f"{name[:60]}: an API key in the URL is refused (URLs are logged and kept in histories): send it "
                "only as `Authorization: Bearer <key>`, and revoke this one (`techsov keys revoke`)",
                errors=[{"field": name[:60], "message": "API keys are taken only from the Authorization header"}],
            )
    if looks_like_key(request.headers.get("cookie", "")):
        raise BadParameter(
            "an API key in a cookie is refused: send it only as `Authorization: Bearer <key>`",
            errors=[{"field": "Cookie", "message": "API keys are taken only from the Authorization header"}],
        )


def _guard(request: Request) -> KeyGuard:
    guard: KeyGuard | None = getattr(request.app.state, "key_guard", None)
    if guard is None:
        guard = request.app.state.key_guard = KeyGuard()
    return guard


async def authenticate(request: Request, scope: Scope) -> Caller:
    """The caller behind the request's key, if the key is good and has `scope`; else a 401 or 403."""
    refuse_misplaced_key(request)
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized(
            f"this needs an API key with the '{scope}' scope: send `Authorization: Bearer <key>` "
            "(keys are made by `techsov keys create`)",
            headers={"WWW-Authenticate": REALM},
        )
    scheme, _, presented = header.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise _invalid("the Authorization header must be `Bearer <key>`")
    parts = split_key(presented)
    if parts is None:
        raise _invalid("malformed API key: a key reads tsk_<10 letters or digits>_<40 letters or digits>")
    stored = await get_database(request).read(lambda connection: find_key(connection, parts[0]))
    if stored is None or not await _guard(request).check(stored, presented):
        raise _invalid("API key not recognised: check that it was copied whole")
    if stored.revoked_at is not None:
        raise _invalid(f"the API key '{stored.name}' was revoked; ask for a new one")
    if scope not in stored.scopes:
        raise Forbidden(
            f"the API key '{stored.name}' may not do this: it needs the '{scope}' scope and has "
            f"{', '.join(stored.scopes)}",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
        )
    return Caller(stored.name, stored.scopes)


def requires(scope: Scope) -> Callable[..., Awaitable[Caller]]:
    """A dependency giving the request's caller when its key has `scope` (401 or 403 otherwise)."""

    async def caller(
        request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Caller:
        return await authenticate(request, scope)

    return caller
