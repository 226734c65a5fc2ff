"""Parse a stats request strictly and shape the answer: JSON grouped by dimension, or long-format rows for CSV."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from app.core.params import bad, parse_choice, parse_date_bound, reject_unknown, split_list
from app.records.fields import RECORD_TYPES
from app.records.registry import BY_NAME
from app.stats.crosstab import DIMENSIONS, MAX_BY, has_dimensions
from app.stats.queries import Row, StatsSpec

PARAMETERS = ("type", "from", "to", "tag", "format", "by", "shape")
SHAPES = ("object", "rows")


def parse_stats(params: QueryParams) -> StatsSpec:
    """A stats request from its query string; anything unknown or malformed is a 400."""
    reject_unknown(params, PARAMETERS)
    spec = StatsSpec()
    types = [parse_choice("type", t, RECORD_TYPES) for t in split_list(params.getlist("type"))]
    if types:
        spec.types = [t for t in RECORD_TYPES if t in types]
    if "from" in params:
        spec.date_from = parse_date_bound("from", params["from"])
    if "to" in params:
        spec.date_to = parse_date_bound("to", params["to"], end=True)
    if spec.date_from and spec.date_to and spec.date_from > spec.date_to:
        raise bad("to", "is before `from`")
    spec.tags = split_list(params.getlist("tag"))
    return spec


def parse_by(params: QueryParams, spec: StatsSpec) -> list[str]:
    """`by=`: one or two dimensions to cross-tabulate (none: the per-dimension counts)."""
    by = [parse_choice("by", d, DIMENSIONS) for d in split_list(params.getlist("by"))]
    if len(by) > MAX_BY:
        raise bad("by", f"takes at most {MAX_BY} dimensions, not {len(by)}")
    if len(set(by)) < len(by):
        raise bad("by", "names a dimension twice")
    if by and not any(has_dimensions(BY_NAME[t], by) for t in spec.types):
        raise bad("by", f"no type among {', '.join(spec.types)} has {' and '.join(by)}")
    return by


def parse_shape(params: QueryParams) -> str:
    """`shape=rows`: the JSON answer as a bare array of flat rows (for Grafana's Infinity plug-in)."""
    return parse_choice("shape", params["shape"], SHAPES) if "shape" in params else "object"


def _row(row: Row) -> dict[str, Any]:
    shown: dict[str, Any] = {"value": row.value, "count": row.count}
    if row.label is not None or row.dimension.endswith((".jurisdiction", ".country")):
        shown["label"] = row.label
    return shown


def stats_body(spec: StatsSpec, total: int, rows: list[Row]) -> dict[str, Any]:
    """`counts` maps each dimension to its rows, ready for a bar chart."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row.dimension, []).append(_row(row))
    return {
        "total": total,
        "filters": {
            "type": spec.types,
            "from": spec.date_from.isoformat() if spec.date_from else None,
            "to": spec.date_to.isoformat() if spec.date_to else None,
            "tag": spec.tags,
        },
        "counts": grouped,
    }


def crosstab_body(spec: StatsSpec, by: list[str], total: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The cross-tab as JSON: the filters, `by` and the long-format rows."""
    body = stats_body(spec, total, [])
    del body["counts"]
    return {**body, "by": by, "rows": rows}


def long_rows(rows: list[Row]) -> list[dict[str, Any]]:
    """Rows for CSV: dimension, value, count, label."""
    return [{"dimension": r.dimension, "value": r.value, "count": r.count, "label": r.label} for r in rows]
