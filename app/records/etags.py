"""A record's strong ETag, and `If-Match` compared with it.

The ETag of `GET /v1/{plural}/{id}` is `"<record>.<dataset>"`: the first characters of the record's content
hash, then the dataset version. The dataset part keeps `If-None-Match` honest for everything the answer
shows besides the record's own fields (what refers to it, the names of what it refers to), which change
with other records. `If-Match` compares the record part alone: a write is refused (412) when the record
itself changed since it was read, not when something elsewhere in the dataset did.
"""

from __future__ import annotations

RECORD_PART = 20
"""Hex characters of the content hash in an ETag (80 bits)."""


def record_etag(content_hash: str, dataset_version: int) -> str:
    """The strong ETag of a record's representation at a dataset version."""
    return f'"{content_hash[:RECORD_PART]}.{dataset_version}"'


def _record_part(tag: str) -> str | None:
    """The record part of one entity tag from an `If-Match` list; None for a weak or foreign tag."""
    tag = tag.strip()
    if tag.startswith("W/") or len(tag) < 2 or not (tag.startswith('"') and tag.endswith('"')):
        return None  # If-Match compares strongly: a weak tag never matches
    record, _, _dataset = tag[1:-1].partition(".")
    return record


def if_match(header: str, content_hash: str) -> bool:
    """True when the `If-Match` header names the stored record's current content (or is `*`)."""
    wanted = content_hash[:RECORD_PART]
    return any(tag.strip() == "*" or _record_part(tag) == wanted for tag in header.split(","))
