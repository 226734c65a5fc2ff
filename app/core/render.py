"""JSON, CSV and NDJSON bodies; format negotiation; spreadsheet-safe CSV cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import orjson
from starlette.datastructures import QueryParams

from app.core.params import choice

Format = Literal["json", "csv", "ndjson"]
FORMATS: tuple[Format, ...] = ("json", "csv", "ndjson")
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
}
_ACCEPTED = {
    "application/json": "json",
    "text/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
}
FORMAT = choice("format", FORMATS, "json (default), csv or ndjson; or use the Accept header.", example="csv")
"""`format=` of every list-like endpoint (a route may word it its own way: `FORMAT.described(…)`)."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet would run as a formula when a cell starts with it."""


def negotiate(params: QueryParams, accept: str | None) -> Format:
    """`format=` (`FORMAT`) wins; otherwise the first Accept type we serve; otherwise JSON."""
    chosen = FORMAT.get(params)
    if chosen is not None:
        return "csv" if chosen == "csv" else "ndjson" if chosen == "ndjson" else "json"
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in _ACCEPTED:
            found = _ACCEPTED[media]
            return "csv" if found == "csv" else "ndjson" if found == "ndjson" else "json"
    return "json"


def json_bytes(body: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return orjson.dumps(body)


def safe_cell(text: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (a newsroom opens these files)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _ref_text(value: dict[str, Any], typed: bool) -> str:
    if value.get("id") is None:
        return str(value.get("name") or "")
    return f"{value['type']}:{value['id']}" if typed else str(value["id"])


def _is_ref(value: Any) -> bool:
    return isinstance(value, dict) and "id" in value and "type" in value


def cell(value: Any, typed: bool = False) -> str:
    """One CSV cell: references as ids, lists joined with `;`, maps as JSON, text made formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if _is_ref(value):
        return safe_cell(_ref_text(value, typed))
    if isinstance(value, list):
        if all(_is_ref(v) for v in value):
            return safe_cell(";".join(_ref_text(v, typed) for v in value))
        if all(isinstance(v, str | int | float) for v in value):
            return safe_cell(";".join(str(v) for v in value))
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return safe_cell(str(value))


def csv_lines(columns: Sequence[str], typed: set[str], items: Iterable[Iterable[dict[str, Any]]]) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF, quoting, header row) of items, batch by batch."""
    return csv_rows(columns, item_cells(columns, typed, items))


def item_cells(
    columns: Sequence[str], typed: set[str], items: Iterable[Iterable[dict[str, Any]]]
) -> Iterator[list[list[str]]]:
    """Items' CSV cells (`typed`: columns whose references read `type:id`), batch by batch."""
    for batch in items:
        yield [[cell(item.get(c), c in typed) for c in columns] for item in batch]


def csv_rows(columns: Sequence[str], batches: Iterable[Iterable[Sequence[str]] | bytes]) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF, quoting, header row) of rows of ready cells, batch by batch; a batch given as bytes
    is lines already written so (stored rows) and goes out as it is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield buffer.getvalue().encode()
    for batch in batches:
        if isinstance(batch, bytes):
            yield batch
            continue
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode()


def csv_row_lines(rows: Iterable[Sequence[str]]) -> list[bytes]:
    """Each row of cells as its own RFC 4180 line, CRLF included: the bytes `csv_rows` writes for it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    lengths = [writer.writerow(row) for row in rows]  # what the buffer's write returned: characters
    text = buffer.getvalue()
    lines: list[bytes] = []
    start = 0
    for length in lengths:
        lines.append(text[start : start + length].encode())
        start += length
    return lines


def ndjson_lines(items: Iterable[Iterable[dict[str, Any]]]) -> Iterator[bytes]:
    """One JSON object per line, batch by batch."""
    for batch in items:
        yield b"".join(orjson.dumps(item) + b"\n" for item in batch)
