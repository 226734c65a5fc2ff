"""Parse a stats request strictly and shape the answer: JSON grouped by dimension, or long-format rows for CSV."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from app.core.params import FROM, TO, Many, Parameters, bad, choice, choices, date_range, parse_choice, texts
from app.core.render import FORMAT
from app.records.fields import RECORD_TYPES
from app.records.registry import BY_NAME
from app.stats.crosstab import DIMENSIONS, MAX_BY, has_dimensions
from app.stats.queries import Row, StatsSpec

SHAPES = ("object", "rows")

TYPE = choices(
    "type", RECORD_TYPES, "Count only these types (repeat or comma list for several). Default: all.", example="policy"
)
DATE_FROM = FROM.described(
    "Only records whose main date (effective_on, said_on, released_on, valid_from, founded_on, published_on) is on "
    "or after this date: 2018, 2018-07 or 2018-07-20. Records without that date are then left out."
)
DATE_TO = TO.described(
    "Only records whose main date is on or before this date; 2019 means up to 2019-12-31.", example="2019"
)
TAG = texts("tag", "Only records with this tag (repeat for OR).", example="export-controls")
STATS_FORMAT = FORMAT.described("json (default); csv or ndjson give long-format rows `dimension,value,count,label`.")
_DIMENSION = f"({'|'.join(DIMENSIONS)})"
BY = Many(
    name="by",
    description="One or two dimensions, comma-separated, to count by at once (a cross-tab in long format: one row "
    f"per combination of values): {', '.join(DIMENSIONS)}. Counts are summed over the chosen types that have every "
    "dimension (`by=year,jurisdiction` counts policies); add `type` to keep types apart. CSV columns: each "
    "dimension, `<dimension>_label` after jurisdiction and country, `count`.",
    schema={"type": "string", "pattern": f"^{_DIMENSION}(,{_DIMENSION})?$"},
    example="year,jurisdiction",
    parse=lambda field, value: parse_choice(field, value, DIMENSIONS),
)
SHAPE = choice(
    "shape",
    SHAPES,
    "JSON shape: `object` (default) or `rows`, a bare array of flat rows that Grafana's Infinity plug-in and "
    "Datawrapper read as a table without transformation (the cross-tab's rows with `by`, else "
    "`dimension,value,count,label` rows).",
    example="rows",
)
PARAMETERS = Parameters(TYPE, DATE_FROM, DATE_TO, TAG, STATS_FORMAT, BY, SHAPE)


def parse_stats(params: QueryParams) -> StatsSpec:
    """A stats request from its query string (`by` and `shape` aside); anything unknown or malformed is a 400."""
    PARAMETERS.check(params)
    spec = StatsSpec()
    types = TYPE.get(params)
    if types:
        spec.types = [t for t in RECORD_TYPES if t in types]
    spec.date_from, spec.date_to = date_range(params, DATE_FROM, DATE_TO)
    spec.tags = TAG.get(params)
    return spec


def parse_by(params: QueryParams, spec: StatsSpec) -> list[str]:
    """`by=`: one or two dimensions to cross-tabulate (none: the per-dimension counts)."""
    by = BY.get(params)
    if len(by) > MAX_BY:
        raise bad("by", f"takes at most {MAX_BY} dimensions, not {len(by)}")
    if len(set(by)) < len(by):
        raise bad("by", "names a dimension twice")
    if by and not any(has_dimensions(BY_NAME[t], by) for t in spec.types):
        raise bad("by", f"no type among {', '.join(spec.types)} has {' and '.join(by)}")
    return by


def parse_shape(params: QueryParams) -> str:
    """`shape=rows`: the JSON answer as a bare array of flat rows (for Grafana's Infinity plug-in)."""
    return SHAPE.get(params, "object")


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
