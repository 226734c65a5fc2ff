"""Opaque keyset cursors: the sort they belong to and the last row's sort values, signed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import orjson

from app.core.params import bad

_SIGNATURE_BYTES = 12


def _sign(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def encode_cursor(secret: str, sort: str, values: list[Any]) -> str:
    """A URL-safe cursor for the row after which the next page starts."""
    payload = orjson.dumps([sort, values])
    return base64.urlsafe_b64encode(_sign(secret, payload) + payload).decode().rstrip("=")


def decode_cursor(secret: str, cursor: str, sort: str) -> list[Any]:
    """The sort values in a cursor; a 400 for anything tampered with, truncated or from another sort."""
    invalid = bad("cursor", "not a cursor this API issued (or it was changed); start again without `cursor`")
    if len(cursor) > 2000:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    signature, payload = raw[:_SIGNATURE_BYTES], raw[_SIGNATURE_BYTES:]
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise invalid
    try:
        cursor_sort, values = orjson.loads(payload)
    except (orjson.JSONDecodeError, ValueError, TypeError):
        raise invalid from None
    if cursor_sort != sort or not isinstance(values, list):
        raise bad(
            "cursor",
            f"this cursor belongs to sort={cursor_sort!s}, not sort={sort}; start again without `cursor` or keep the "
            "same sort",
        )
    return values
