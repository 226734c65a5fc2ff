"""GET /v1 (the dataset card), /healthz and /readyz."""

from __future__ import annotations

from typing import Any

import anyio
import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app import __version__
from app.core.caching import cache_headers, read_fresh
from app.core.config import Settings
from app.core.db import DatabaseNotReady, current_revision, ensure_at_head
from app.core.deps import DatabaseDep
from app.core.errors import problem
from app.core.params import NO_PARAMETERS
from app.core.state import dataset_state
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


class Credit(BaseModel):
    """An outside dataset the data draws on, and the licence it is used under."""

    name: str = Field(examples=["Epoch AI, Data on Machine Learning Hardware"])
    license: str = Field(examples=["CC BY 4.0"])
    url: str = Field(examples=["https://epoch.ai/data/machine-learning-hardware"])
    records: str = Field(description="Which records come from it: those tagged with this tag.", examples=["epoch-ai"])


CREDITS = [
    {
        "name": "Epoch AI, Data on Machine Learning Hardware",
        "license": "CC BY 4.0",
        "url": "https://epoch.ai/data/machine-learning-hardware",
        "records": "epoch-ai",
    },
    {
        "name": "Epoch AI, Parameter, Compute and Data Trends in Machine Learning (AI Models)",
        "license": "CC BY 4.0",
        "url": "https://epoch.ai/data/ai-models",
        "records": "epoch-ai",
    },
]
"""Imported by `techsov import epoch`; CC BY 4.0 asks that Epoch AI be credited with a link."""


class Citation(BaseModel):
    """How to cite the dataset (the same facts as the repository's CITATION.cff, at this dataset version)."""

    title: str
    publisher: str = Field(examples=["techsov contributors"])
    version: str = Field(description="The dataset version cited.", examples=["12"])
    date: str | None = Field(description="The day the dataset last changed (UTC).", examples=["2025-03-01"])
    url: str = Field(description="The dataset card; relative unless TECHSOV_BASE_URL is set.", examples=["/v1"])
    license: str = Field(examples=["CC-BY-4.0"])
    text: str = Field(description="A ready reference in author-date style.")


def citation(settings: Settings, version: int, last_change: str | None) -> dict[str, Any]:
    """The citation block of the card: title, publisher, version, date, URL, licence and a ready line."""
    url = f"{settings.techsov_base_url.rstrip('/')}/v1"
    date = last_change[:10] if last_change else None
    publisher = settings.techsov_dataset_publisher
    title = settings.techsov_dataset_title
    year = f" ({date[:4]})" if date else ""
    return {
        "title": title,
        "publisher": publisher,
        "version": str(version),
        "date": date,
        "url": url,
        "license": settings.techsov_dataset_license,
        "text": f"{publisher}{year}. {title} (dataset version {version}) [Data set]. {url}. "
        f"Licence: {settings.techsov_dataset_license}.",
    }


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
    credits: list[Credit] = Field(description="Outside datasets the data draws on, each with its own licence.")
    citation: Citation
    links: dict[str, str]


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/healthz", response_model=Health, tags=["health"], summary="The process is up")
async def healthz() -> Response:
    """Answers as long as the process runs; it does not touch the database."""
    return _json({"status": "ok"})


@router.get("/readyz", response_model=Readiness, tags=["health"], summary="The database is reachable and migrated")
async def readyz(request: Request, database: DatabaseDep) -> Response:
    """503 problem+json when the database cannot be reached, is not at the latest migration, or does not
    answer a read of a record table within TECHSOV_READY_TIMEOUT_MS."""

    def check(connection: sa.Connection) -> str | None:
        ensure_at_head(database.engine)
        connection.execute(sa.select(dataset_state.c.version)).first()
        connection.execute(sa.select(RECORD_TYPE_LIST[0].table.c.id).limit(1)).first()
        return current_revision(database.engine)

    try:
        with anyio.fail_after(request.app.state.settings.techsov_ready_timeout_ms / 1000):
            # Its own thread, given up when the time runs out (a blocked read would hold up the answer).
            migration = await anyio.to_thread.run_sync(database.read_sync, check, abandon_on_cancel=True)
    except DatabaseNotReady as exc:
        return problem(503, "Service Unavailable", str(exc), slug="not-ready")
    except TimeoutError:
        return problem(503, "Service Unavailable", "the database did not answer a read in time", slug="not-ready")
    return _json({"status": "ready", "migration": migration})


@router.get(
    "/v1", response_model=DatasetCard, tags=["dataset"], summary="The dataset card", operation_id="get_dataset_card"
)
async def card(request: Request, database: DatabaseDep) -> Response:
    """Title, licence, attribution, version, last change and counts per type."""
    NO_PARAMETERS.check(request.query_params)
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
        "credits": CREDITS,
        "citation": citation(settings, facts["version"], facts["last_change"]),
        "links": {t.plural: f"{base}/v1/{t.plural}" for t in RECORD_TYPE_LIST}
        | {"openapi": f"{base}/openapi.json", "docs": f"{base}/docs", "export": f"{base}/v1/export"},
    }
    return Response(orjson.dumps(body), media_type="application/json", headers=cache_headers(etag))
