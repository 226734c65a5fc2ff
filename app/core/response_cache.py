"""The response cache: a question asked again is answered from memory while the dataset is as it was.

Each worker keeps the answers of GET requests under `/v1` whose body depends only on the data and the request:
the routes say so by saying which dataset version they read it at (`read_at`, app/core/caching.py) and by
sending an ETag; nothing else is kept — no error, no health check, no `/metrics`, nothing asked with
`Authorization` or a cookie. An answer is kept under its normalised request (the path, the query's items sorted
and without jQuery's `_`, the Accept header: what `Vary: Accept` names), with its body as sent without
compression and, once a client asked for it, gzipped: later requests get either from a dictionary look-up,
`If-None-Match` a 304 without the database; one that says `Cache-Control: no-cache` (a browser's hard reload) is
answered afresh, and that answer kept — unless this question's answer is kept already at this state: the fresh
one has the same bytes, so it is passed on without being copied and filed again. The store is bounded in bytes,
least recently used out first (`TECHSOV_RESPONSE_CACHE_MB`); an answer larger than one entry may be
(`TECHSOV_RESPONSE_CACHE_ENTRY_KB`: a streamed export) keeps only its ETag, for the 304s.

Every request first asks the watch (app/core/watch.py) for the dataset's state: microseconds on SQLite, one
shared round trip on PostgreSQL, no worker thread. When the state moved (a load or a write committed, in any
process), every entry is dropped; an answer is kept only when it was read at the version the request began at
(`read_fresh` says so for every route that reads through it), so no entry ever holds data older than the state
it is filed under. The routes are told that version (`KNOWN_VERSION`), so they need not read it again. A watch
that cannot tell sends the request the ordinary way.

This sits outside the gzip middleware, which compresses only what it passes on; HEAD reaches it as a GET
(app/core/middleware.py), and what lies outside (request id, CORS, metrics, `nosniff`) applies to every
answer, kept or not.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.caching import KNOWN_VERSION, READ_AT, cache_headers, etag_matches, query_key
from app.core.watch import DatasetWatch, State

EXPIRES = "techsov.response_expires"
"""Scope key a route sets (`answer_expires`) when its answer holds only until a moment: "today" changes."""
GZIP_MINIMUM = 1000
"""As the gzip middleware: smaller bodies go uncompressed."""
GZIP_LEVEL = 5
"""As the gzip middleware: a 67 KB page in ~1 ms instead of ~2.3 ms at 9, 5% larger."""
GZIP_IN_THREAD = 128 * 1024
"""Larger bodies are compressed in a worker thread, as the gzip middleware does, so the loop is not held."""
PRIVATE_HEADERS = (b"authorization", b"cookie")
ENTRY_OVERHEAD = 512
"""Bytes counted per entry besides its bodies, headers and key: the objects that hold them."""
_EXCLUDED = frozenset(t.partition(";")[0].strip().lower() for t in DEFAULT_EXCLUDED_CONTENT_TYPES)

Key = tuple[str, tuple[tuple[str, str], ...], bytes]
Headers = list[tuple[bytes, bytes]]


def answer_expires(scope: Scope, moment: float) -> None:
    """Keep the answer being made only until `moment` (Unix time): an answer about "today"."""
    scope[EXPIRES] = min(moment, scope.get(EXPIRES, moment))


@dataclass(eq=False)
class _Entry:
    """One kept answer: its ETag, its body as sent without compression, and its gzip form once asked for."""

    etag: str
    headers: Headers
    body: bytes | None
    """None: only the ETag is kept (the answer was larger than an entry may be)."""
    route: Any
    """The route that answered, for the metrics' label."""
    expires: float | None
    compressible: bool
    size: int
    gzip_headers: Headers | None = None
    gzip_body: bytes | None = None
    not_modified: Headers | None = None
    """The headers of a 304, made when first sent."""

    def not_modified_headers(self) -> Headers:
        """A 304's headers: what the route's own 304 carries."""
        if self.not_modified is None:
            self.not_modified = Response(status_code=304, headers=cache_headers(self.etag)).raw_headers
        return list(self.not_modified)


class _Store:
    """Entries by key, least recently used first, bounded in bytes."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self.entries: OrderedDict[Key, _Entry] = OrderedDict()

    def get(self, key: Key) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            if entry.expires is not None and entry.expires <= time.time():
                self.discard(key)
                return None
            self.entries.move_to_end(key)
        return entry

    def put(self, key: Key, entry: _Entry) -> None:
        self.discard(key)
        if entry.size <= self.capacity:
            self.entries[key] = entry
            self.size += entry.size
            self._evict()

    def grow(self, key: Key, entry: _Entry, extra: int) -> None:
        """Count `extra` bytes more for an entry (its gzip form)."""
        entry.size += extra
        if self.entries.get(key) is entry:
            self.size += extra
            self._evict()

    def discard(self, key: Key) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    def _evict(self) -> None:
        while self.size > self.capacity and self.entries:
            _key, oldest = self.entries.popitem(last=False)
            self.size -= oldest.size


class _Capture:
    """The `send` of a request not yet answered: passes every message on, and keeps the start and the body
    while the body fits an entry."""

    __slots__ = ("chunks", "complete", "headers", "limit", "send", "size", "status", "streamed", "too_large")

    def __init__(self, send: Send, limit: int) -> None:
        self.send = send
        self.limit = limit
        self.status = 0
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = False
        self.too_large = False
        self.streamed = False
        """Sent in more than one piece: the gzip middleware compresses a stream whatever its size."""

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))  # outer middleware adds to the list it is sent
        elif kind == "http.response.body" and self.status == 200:
            if not self.too_large:
                body = message.get("body", b"")
                self.size += len(body)
                if self.size > self.limit:
                    self.too_large, self.chunks = True, []
                elif body:
                    self.chunks.append(body)
            if message.get("more_body", False):
                self.streamed = True
            else:
                self.complete = True
        await self.send(message)


class ResponseCacheMiddleware:
    """Answers a GET under `prefix` from memory when the same question was answered at the current state."""

    def __init__(
        self, app: ASGIApp, watch: DatasetWatch | None, capacity_bytes: int, entry_bytes: int, prefix: str = "/v1"
    ) -> None:
        self.app = app
        self.watch = watch if capacity_bytes > 0 else None
        self.store = _Store(capacity_bytes)
        self.entry_bytes = min(entry_bytes, capacity_bytes)
        self.prefix = prefix
        self.state: State | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.watch is None
            or scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        accept, gzip_ok, conditional, afresh = b"", False, b"", False
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value
            elif name == b"accept-encoding":
                gzip_ok = b"gzip" in value
            elif name == b"if-none-match":
                conditional = value
            elif name in (b"cache-control", b"pragma"):
                afresh = afresh or b"no-cache" in value  # a hard reload: answer afresh (and keep that answer)
            elif name in PRIVATE_HEADERS:
                await self.app(scope, receive, send)
                return
        state = await self.watch.state()
        if state is None:
            await self.app(scope, receive, send)
            return
        if state != self.state:
            self.store.clear()
            self.state = state
        scope[KNOWN_VERSION] = state[0]
        key: Key = (scope["path"], query_key(scope.get("query_string", b"")), accept.replace(b" ", b"").lower())
        entry = self.store.get(key)
        if entry is not None and afresh:  # answered afresh: the same bytes as kept, nothing to keep again
            await self.app(scope, receive, send)
            return
        if entry is not None:
            if entry.route is not None:
                scope["route"] = entry.route
            if conditional and etag_matches(conditional.decode("latin-1"), entry.etag):
                await send({"type": "http.response.start", "status": 304, "headers": entry.not_modified_headers()})
                await send({"type": "http.response.body", "body": b""})
                return
            if entry.body is not None:
                await self._send(key, entry, gzip_ok, send)
                return
            await self.app(scope, receive, send)  # only its ETag is kept: too large to keep
            return
        capture = _Capture(send, self.entry_bytes)
        await self.app(scope, receive, capture)
        if capture.complete and capture.status == 200 and self.state == state:
            made = _entry(capture, state, scope)
            if made is not None:
                self.store.put(key, made)

    async def _send(self, key: Key, entry: _Entry, gzip_ok: bool, send: Send) -> None:
        headers, body = entry.headers, entry.body
        if gzip_ok and entry.compressible:
            if entry.gzip_body is None:
                await self._compress(key, entry)
            if entry.gzip_body is not None and entry.gzip_headers is not None:
                headers, body = entry.gzip_headers, entry.gzip_body
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body})

    async def _compress(self, key: Key, entry: _Entry) -> None:
        assert entry.body is not None
        if len(entry.body) >= GZIP_IN_THREAD:
            compressed = await anyio.to_thread.run_sync(_gzip, entry.body)
        else:
            compressed = _gzip(entry.body)
        headers = MutableHeaders(raw=list(entry.headers))
        headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(compressed))
        if "accept-encoding" not in headers.get("vary", "").lower():
            headers.add_vary_header("Accept-Encoding")
        entry.gzip_headers, entry.gzip_body = headers.raw, compressed
        self.store.grow(key, entry, len(compressed) + _headers_size(headers.raw))


def _gzip(body: bytes) -> bytes:
    """What the gzip middleware sends for a whole body (the same bytes)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def _headers_size(headers: Headers) -> int:
    return sum(len(name) + len(value) for name, value in headers)


def _compressible(body: bytes, streamed: bool, media_type: str) -> bool:
    """Whether the gzip middleware would compress this body."""
    large = streamed or len(body) >= GZIP_MINIMUM
    return large and not {media_type, media_type.partition("/")[0] + "/*"} & _EXCLUDED


def _entry(capture: _Capture, state: State, scope: Scope) -> _Entry | None:
    """The entry for a complete 200 answer, when it may be kept: it was read at the version the request
    began at (`read_at`), it carries an ETag (for the 304s), and nothing says it is private."""
    found: dict[bytes, bytes] = {}
    for name, value in capture.headers:
        if name in (b"etag", b"cache-control", b"content-encoding", b"content-type", b"set-cookie"):
            found[name] = value
    etag = found.get(b"etag", b"").decode("latin-1")
    control = found.get(b"cache-control", b"")
    if not etag or scope.get(READ_AT) != state[0] or b"set-cookie" in found:
        return None
    if b"no-store" in control or b"private" in control:
        return None
    entry = _Entry(
        etag=etag,
        headers=[],
        body=None,
        route=scope.get("route"),
        expires=scope.get(EXPIRES),
        compressible=False,
        size=ENTRY_OVERHEAD + len(etag) + len(scope["path"]) + len(scope.get("query_string", b"")),
    )
    if capture.too_large:
        return entry
    # A copy, never the object the app sent: orjson's output keeps its whole write buffer (4 KB behind a
    # 150-byte answer), which the byte bound would not count; join returns a lone chunk itself.
    body = b"".join(capture.chunks) if len(capture.chunks) != 1 else bytes(memoryview(capture.chunks[0]))
    headers = MutableHeaders(raw=list(capture.headers))
    encoding = found.get(b"content-encoding")
    if encoding == b"gzip":
        entry.gzip_headers, entry.gzip_body = capture.headers, body
        body = gzip.decompress(body)
        del headers["Content-Encoding"]
    elif encoding is not None:
        return None  # some other coding: not ours to undo
    headers["Content-Length"] = str(len(body))  # a stream kept whole is sent whole
    media_type = found.get(b"content-type", b"").decode("latin-1").partition(";")[0].strip().lower()
    entry.headers, entry.body, entry.compressible = headers.raw, body, _compressible(body, capture.streamed, media_type)
    entry.size += len(body) + _headers_size(headers.raw) + len(entry.gzip_body or b"")
    entry.size += _headers_size(entry.gzip_headers or [])
    return entry
