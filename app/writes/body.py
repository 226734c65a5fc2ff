"""A write's body: JSON of an accepted media type, no larger than the setting, read whole before anything is
written; and RFC 7396 JSON Merge Patch, which PATCH applies to the stored record."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from app.core.errors import BadParameter, PayloadTooLarge, UnsupportedMediaType

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"


def _media_type(request: Request, accepted: tuple[str, ...]) -> None:
    """A 415 unless the body is declared as one of `accepted`, in UTF-8."""
    declared = request.headers.get("content-type")
    expected = " or ".join(accepted)
    if not declared:
        raise UnsupportedMediaType(f"say what the body is: send `Content-Type: {accepted[0]}`")
    media_type, *parameters = (part.strip() for part in declared.split(";"))
    if media_type.lower() not in accepted:
        raise UnsupportedMediaType(f"the body must be {expected}, not {media_type[:100]}")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"JSON is read as UTF-8, not {value.strip()[:40]}")


async def _bytes(request: Request, limit: int) -> bytes:
    """The whole body, or a 413 as soon as it is larger than `limit` (a declared length is believed first)."""
    too_large = PayloadTooLarge(f"the body is larger than {limit} bytes (TECHSOV_MAX_BODY_BYTES); a record is smaller")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int, accepted: tuple[str, ...] = (JSON,)) -> dict[str, Any]:
    """The body as a JSON object: 415 for another media type, 413 when too large, 400 when not a JSON object."""
    _media_type(request, accepted)
    raw = await _bytes(request, limit)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise BadParameter(f"body: {message}", errors=[{"field": "(body)", "message": message}]) from None
    if not isinstance(value, dict):
        message = f"the body must be a JSON object (a record's fields), not a JSON {type(value).__name__}"
        raise BadParameter(f"body: {message}", errors=[{"field": "(body)", "message": message}])
    return value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch, as its section 2 gives it: an object patches member by member (null removes
    a member), anything else replaces the target whole (a list too)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result
