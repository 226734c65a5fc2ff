"""What each explorer page shows, read through the same service functions the JSON API calls.

Every function here takes a connection (one transaction, the one the page's
ETag is read in) and already-parsed parameters, and returns the template's
context. No HTTP to ourselves, no SQL beyond app/explorer/queries.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from app.core.config import Settings
from app.core.pagination import encode_cursor
from app.core.state import current_version
from app.dataset.queries import dataset_card
from app.dataset.routes import CREDITS
from app.explorer.queries import latest_changes
from app.exposure.service import actor_exposure
from app.graph.service import GraphSpec, build_graph
from app.records.citation import citation_for
from app.records.detail import record_detail
from app.records.items import display_names
from app.records.listing import ListSpec, facet_names, filters_for
from app.records.registry import RecordType
from app.records.service import list_page
from app.search.service import SearchSpec, search
from app.timeline.queries import TimelineSpec
from app.timeline.service import checked_page

LATEST_CHANGES = 12
FACET_VALUES = 12
"""Values shown per facet on a list page; the rest are a click away in the JSON twin."""

QUALITY_LABELS = {
    "sourced": "curated records that cite a source",
    "primary_sourced": "curated records with a primary source",
    "primary_sourced_at_publisher": "curated records with a primary source at its publisher's own site",
    "chinese_names": "actors based in China or Taiwan with a Chinese name",
}
COUNT_LABELS = {
    "curated_records": "curated records",
    "imported_records": "records imported from outside datasets",
    "sources": "sources",
    "sources_without_title": "sources without a title",
    "sources_without_date": "sources without a date",
    "sources_without_url": "sources without a link",
    "source_urls_not_at_publisher": "source links not at the publisher's declared domains",
    "source_urls_with_undeclared_publisher": "source links whose publisher declares no domain",
    "quotations_with_only_secondary_sources": "quotations cited only to secondary sources",
}


def home(connection: sa.Connection, settings: Settings) -> dict[str, Any]:
    """The front page: what the dataset is, its counts, licence, credits, quality figures, latest changes."""
    card = dataset_card(connection)
    quality = card["quality"] or {}
    return {
        "card": card,
        "credits": CREDITS,
        "shares": [(label, quality[key]) for key, label in QUALITY_LABELS.items() if key in quality],
        "quality_counts": [(label, quality[key]) for key, label in COUNT_LABELS.items() if key in quality],
        "missing_chinese_names": quality.get("china_based_actors_without_chinese_name") or [],
        "changes": latest_changes(connection, LATEST_CHANGES),
        "license": settings.techsov_dataset_license,
        "attribution": settings.techsov_dataset_attribution,
    }


def search_results(connection: sa.Connection, spec: SearchSpec, secret: str) -> dict[str, Any]:
    """One page of hits grouped by record type, groups in the order of their best hit."""
    page = search(connection, spec, secret)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in page["items"]:
        groups.setdefault(item["type"], []).append(item)
    return {"groups": groups, "page": page}


def list_columns(record_type: RecordType) -> list[str]:
    """The columns of a list page: the type's main date, then what a reference shows of it."""
    columns = [record_type.main_date] if record_type.main_date else []
    return [*dict.fromkeys([*columns, *record_type.item_fields])]


def record_list(connection: sa.Connection, record_type: RecordType, spec: ListSpec, secret: str) -> dict[str, Any]:
    """One page of a type's list, with its total and every facet counted over the filtered set."""
    spec.count = True
    if not spec.facets:
        spec.facets = facet_names(record_type)
    page = list_page(connection, record_type, spec, secret)
    facets: dict[str, list[tuple[str, str, int]]] = {}
    reference_facets = {
        name: flt.targets[0] for name, flt in _reference_filters(record_type).items() if name in page["facets"]
    }
    wanted: dict[str, set[str]] = defaultdict(set)
    for name, target in reference_facets.items():
        wanted[target].update(v for v in page["facets"][name] if v != "(none)")
    names = display_names(connection, dict(wanted))
    for name, counts in page["facets"].items():
        shown = []
        for value, n in list(counts.items())[:FACET_VALUES]:
            label = value
            if name in reference_facets and value != "(none)":
                label = names.get(reference_facets[name], {}).get(value) or value
            shown.append((value, label, n))
        facets[name] = shown
    return {"page": page, "facets": facets, "facet_sizes": {k: len(v) for k, v in page["facets"].items()}}


def _reference_filters(record_type: RecordType) -> dict[str, Any]:
    return {name: flt for name, flt in filters_for(record_type).items() if flt.targets}


def record_page(
    connection: sa.Connection, record_type: RecordType, record_id: str, settings: Settings
) -> dict[str, Any] | None:
    """One record as the API shows it, plus what a reader needs beside it: its sources' publishers by name,
    the claims that dispute it (in full, to set side by side), and its citation."""
    record = record_detail(connection, record_type, record_id)
    if record is None:
        return None
    publishers = {s["publisher"] for s in record.get("sources", []) if s.get("publisher")}
    if record_type.name == "source" and isinstance(record.get("publisher"), str):
        publishers.add(record["publisher"])
    actor_names = display_names(connection, {"actor": publishers}).get("actor", {}) if publishers else {}
    disputing = []
    for other_id in record.get("disputed_by") or []:
        other = record_detail(connection, record_type, other_id)
        if other is not None:
            disputing.append(other)
    citation = citation_for(
        record,
        version=current_version(connection)[0],
        title=settings.techsov_dataset_title,
        attribution=settings.techsov_dataset_attribution,
        base_url=settings.techsov_base_url,
    )
    return {
        "record": record,
        "record_type": record_type,
        "publishers": actor_names,
        "disputing": disputing,
        "citation": citation,
    }


def timeline(connection: sa.Connection, spec: TimelineSpec, secret: str) -> dict[str, Any]:
    """One page of events grouped by year (in the page's order)."""
    items, next_key, total = checked_page(connection, spec)
    years: dict[str, list[dict[str, Any]]] = {}
    for event in items:
        years.setdefault(event["date"][:4], []).append(event)
    next_cursor = None if next_key is None else encode_cursor(secret, spec.sort, next_key)
    return {"years": years, "next_cursor": next_cursor, "total": total, "count": len(items)}


def exposure(connection: sa.Connection, actor_id: str, day: dt.date) -> dict[str, Any] | None:
    """The actor's exposure on a day, as the API computes it."""
    body = actor_exposure(connection, actor_id, day)
    return None if body is None else {"exposure": body}


def graph(connection: sa.Connection, spec: GraphSpec) -> dict[str, Any]:
    """The neighbourhood of a record, as the API builds it; nodes grouped by type for the page without script."""
    body = build_graph(connection, spec)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for node in body["nodes"]:
        by_type.setdefault(node["data"]["type"], []).append(node["data"])
    labels = {node["data"]["id"]: node["data"]["label"] for node in body["nodes"]}
    return {"graph": body, "by_type": by_type, "labels": labels}
