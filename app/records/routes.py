"""GET /v1/{plural}/{id}: one record, references expanded, sources embedded."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path
from starlette.responses import Response

from app.core.deps import DatabaseDep
from app.core.errors import NotFound
from app.core.suggest import did_you_mean
from app.records.detail import record_detail
from app.records.fields import SLUG_MAX_LENGTH, SLUG_PATTERN, is_slug
from app.records.registry import BY_PLURAL

router = APIRouter(prefix="/v1", tags=["records"])

PluralPath = Annotated[
    str,
    Path(
        description="The record type, plural: " + ", ".join(BY_PLURAL),
        examples=["actors"],
    ),
]
IdPath = Annotated[
    str,
    Path(description="The record's id (a slug).", examples=["huawei"], max_length=SLUG_MAX_LENGTH * 4),
]


def _problem_responses() -> dict[int | str, dict[str, Any]]:
    return {404: {"description": "No such type or record (problem+json)"}}


@router.get(
    "/{plural}/{record_id}",
    summary="One record",
    responses=_problem_responses(),
)
async def get_record(plural: PluralPath, record_id: IdPath, database: DatabaseDep) -> Response:
    """One record with its references expanded one level (id, type, name) and its sources embedded."""
    record_type = BY_PLURAL.get(plural)
    if record_type is None:
        raise NotFound(f"no record type '{plural}'{did_you_mean(plural, BY_PLURAL)}; types: {', '.join(BY_PLURAL)}")
    if not is_slug(record_id):
        raise NotFound(f"no {record_type.name} '{record_id[:100]}': ids match {SLUG_PATTERN}")
    record = await database.read(lambda c: record_detail(c, record_type, record_id))
    if record is None:
        raise NotFound(f"no {record_type.name} with id '{record_id}'")
    return Response(orjson.dumps(record), media_type="application/json")
