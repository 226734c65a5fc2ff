"""GET /v1 (the dataset card), /healthz and /readyz."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app import __version__
from app.core.caching import cache_headers, read_fresh
from app.core.db import DatabaseNotReady, current_revision, ensure_at_head
from app.core.deps import DatabaseDep
from app.core.errors import problem
from app.dataset.queries import dataset_card
from app.records.registry import RECORD_TYPE_LIST

router = APIRouter()


class Health(BaseModel):
    """The process is up."""

    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    """The database is reachable and migrated."""

    status: str = Field(examples=["ready"])
    migration: str | None = Field(examples=["0001"])


class DatasetCard(BaseModel):
    """What this dataset is, its licence, its version and how many records of each type it holds."""

    title: str
    description: str
    license: str
    attribution: str
    software_version: str
    version: int = Field(description="Dataset version: changes on every load or write that changes something.")
    last_change: str | None = Field(description="When the dataset last changed (UTC).")
    counts: dict[str, int]
    quality: dict[str, Any] | None = Field(
        description="How citable the data is, as of the last load: the share of curated records with a source, "
        "with a primary source, with a primary source at its publisher's own site (by the link's host), the "
        "share of actors based in China (Taiwan) with a zh-Hans (zh-Hant) name, sources without title, date or "
        "link, links not at the publisher's declared domains, quotations cited only to secondary sources.",
        examples=[{"primary_sourced_at_publisher": 0.31, "chinese_names": 1.0, "sources_without_title": 0}],
    )
    links: dict[str, str]


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/healthz", response_model=Health, tags=["health"], summary="The process is up")
async def healthz() -> Response:
    """Answers as long as the process runs; it does not touch the database."""
    return _json({"status": "ok"})


@router.get("/readyz", response_model=Readiness, tags=["health"], summary="The database is reachable and migrated")
async def readyz(database: DatabaseDep) -> Response:
    """503 problem+json when the database cannot be reached or is not at the latest migration."""

    def check(_connection: object) -> str | None:
        ensure_at_head(database.engine)
        return current_revision(database.engine)

    try:
        migration = await database.read(check)
    except DatabaseNotReady as exc:
        return problem(503, "Service Unavailable", str(exc), slug="not-ready")
    return _json({"status": "ready", "migration": migration})


@router.get(
    "/v1", response_model=DatasetCard, tags=["dataset"], summary="The dataset card", operation_id="get_dataset_card"
)
async def card(request: Request, database: DatabaseDep) -> Response:
    """Title, licence, attribution, version, last change and counts per type."""
    settings = request.app.state.settings
    etag, unchanged, facts = await read_fresh(request, database, dataset_card)
    if unchanged is not None:
        return unchanged
    assert facts is not None
    base = settings.techsov_base_url.rstrip("/")
    body = {
        "title": settings.techsov_dataset_title,
        "description": (
            "Actors, policies, statements, hardware and dependencies in the geopolitics of AI "
            "technological autonomy; every record cites its sources."
        ),
        "license": settings.techsov_dataset_license,
        "attribution": settings.techsov_dataset_attribution,
        "software_version": __version__,
        **facts,
        "links": {t.plural: f"{base}/v1/{t.plural}" for t in RECORD_TYPE_LIST}
        | {"openapi": f"{base}/openapi.json", "docs": f"{base}/docs"},
    }
    return Response(orjson.dumps(body), media_type="application/json", headers=cache_headers(etag))
