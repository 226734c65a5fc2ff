"""GET /v1/actors/{id}/exposure and GET /v1/policies/{id}/exposure: thin — parse, call, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.core.caching import cache_headers, read_fresh
from app.core.deps import DatabaseDep, get_database
from app.core.errors import NotFound
from app.core.openapi import PROBLEM_RESPONSES
from app.core.render import MEDIA_TYPES, json_bytes
from app.core.response_cache import answer_expires
from app.exposure.schemas import ActorExposure, PolicyExposure
from app.exposure.service import PARAMETERS, actor_exposure, parse_day, policy_exposure
from app.records.fields import ID_PATH_MAX_LENGTH, SLUG_PATTERN, is_slug
from app.records.routes import NamedRoute

router = APIRouter(prefix="/v1", tags=["exposure"])
Endpoint = TypeVar("Endpoint", bound=Callable[..., Coroutine[Any, Any, Response]])

SEMANTICS = """
**Semantics.** For an actor A and a day D (`as_of`, default today, UTC):

1. **A's hardware chain**: what A and its subsidiaries (actors whose `parent` chain leads to A) depend on, through
   dependencies *valid on D* — `valid_from` on or before D, `valid_to` after D; an undated side counts as always
   (many dependencies are undated: they are taken to hold on any day) — whose status is not `denied`; followed
   transitively through hardware-on-hardware dependencies (a model → Ascend 910B → a SMIC process node).
   Each part keeps its shortest chains, hop by hop, surest first.
2. **Policies in force on D**: `effective_on` on or before D — a policy with no `effective_on` is *not* in force,
   since nothing says it took effect —, `ended_on` after D or not set, and status neither `rescinded` nor
   `proposed`. Partial dates count from their first day (`effective_on: 2023-11` holds from 1 November 2023).
3. **Exposure**: a policy in force that restricts a part in A's chain *and* targets A, an ancestor of A (through
   `parent`) or A's country (or the nearest ancestor's) — `match: restricts_chain`; and a policy in force that
   targets A or an ancestor directly, whatever it restricts (an entity listing) — `match: targets_directly`.

Each exposure gives the policy, the part, every chain to it with the status and sources of each hop and the
chain's `weakest_status` (statuses from surest to least sure: confirmed, reported, planned, rumoured, ended), the
targeting path (A → parent → country), and `alternatives`: parts that dependencies say stand in for the
restricted one (`alternative_to`) and that no policy in force targeting A, its ancestors or its country restricts.
`not_in_force` lists the policies that would expose A but do not hold on D, with the reason. Traversals are
bounded (10 levels of parents or subsidiaries, 8 dependency hops, a visited set), so cycles end.
"""


async def _answer(
    request: Request,
    database: DatabaseDep,
    what: str,
    record_id: str,
    work: Callable[[sa.Connection, str, dt.date], dict[str, Any] | None],
) -> Response:
    day = parse_day(request.query_params)
    if "as_of" not in request.query_params:
        # "Today" ends at midnight UTC: the response cache must not give today's answer tomorrow.
        answer_expires(request.scope, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp())
    if not is_slug(record_id):
        raise NotFound(f"no {what} '{record_id[:100]}': ids match {SLUG_PATTERN}")
    etag, unchanged, body = await read_fresh(
        request, database, lambda c: work(c, record_id, day), f"json|{day.isoformat()}"
    )
    if unchanged is not None:
        return unchanged
    if body is None:
        raise NotFound(f"no {what} with id '{record_id}'")
    return Response(json_bytes(body), media_type=MEDIA_TYPES["json"], headers=cache_headers(etag))


def _id(what: str, example: str) -> Any:
    return Path(description=f"The {what}'s id.", examples=[example], max_length=ID_PATH_MAX_LENGTH)


def _view(path: str, model: type[BaseModel], summary: str, description: str) -> Callable[[Endpoint], Endpoint]:
    """An exposure view's route: the same errors, the same `as_of` and the semantics after its own words."""
    return router.get(
        path,
        response_model=model,
        responses=PROBLEM_RESPONSES,
        openapi_extra={"parameters": PARAMETERS.openapi()},
        summary=summary,
        description=f"{description}\n{SEMANTICS}",
    )


@_view(
    "/actors/{actor_id}/exposure",
    ActorExposure,
    "The policies in force on a day that reach an actor, and through what",
    "Which policies in force on `as_of` restrict hardware the actor depends on (directly, through its subsidiaries, "
    "or further down the supply chain) and target it, its parents or its country — plus those that target it or its "
    "parents directly.",
)
async def get_actor_exposure(
    request: Request,
    database: DatabaseDep,
    actor_id: Annotated[str, _id("actor", "deepseek")],
) -> Response:
    """The exposure of one actor."""
    return await _answer(request, database, "actor", actor_id, actor_exposure)


@_view(
    "/policies/{policy_id}/exposure",
    PolicyExposure,
    "The actors a policy exposes on a day, and through what",
    "The reverse of the actor view: every actor the policy exposes on `as_of` under the same rules, each with the "
    "same paths. A policy not in force that day exposes no one; `reason` says why.",
)
async def get_policy_exposure(
    request: Request,
    database: DatabaseDep,
    policy_id: Annotated[str, _id("policy", "us-bis-rules-2023-10")],
) -> Response:
    """The actors one policy exposes."""
    return await _answer(request, database, "policy", policy_id, policy_exposure)


def hot_routes() -> list[BaseRoute]:
    """The two views as plain Starlette routes, put before every other route (app/main.py), as the records' and
    search's are: FastAPI's route would resolve the database dependency and be found after trying every route
    before it, about 0.2 ms of each exposure (a cold one costs 2–3 ms); the documented routes stay for /docs."""

    async def actor(request: Request) -> Response:
        return await get_actor_exposure(request, get_database(request), request.path_params["actor_id"])

    async def policy(request: Request) -> Response:
        return await get_policy_exposure(request, get_database(request), request.path_params["policy_id"])

    return [
        NamedRoute("/v1/actors/{actor_id}/exposure", actor, "actor_id"),
        NamedRoute("/v1/policies/{policy_id}/exposure", policy, "policy_id"),
    ]
