"""The OpenAPI document as clients generate from it: what every GET sends besides its body, and nothing it
never sends.

Route modules declare their parameters (`app.core.params`: each route's `openapi_extra`) and bodies; what is
the same everywhere is added here once: the caching headers and the 304 of every dataset GET
(`app.core.caching`), the `Link` of every paged list (`app.core.responses`), the problem+json of every error
(`Problem`, `PROBLEM_RESPONSES`). FastAPI's 422 is taken out: a request that fails validation is a 400
problem (`app.core.errors`), never a 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field


class Problem(BaseModel):
    """An RFC 9457 problem."""

    type: str = Field(examples=["urn:techsov:problem:bad-parameter"])
    title: str = Field(examples=["Bad Request"])
    status: int = Field(examples=[400])
    detail: str = Field(examples=["contry: unknown parameter 'contry'; did you mean 'country'?"])
    errors: list[dict[str, str]] | None = None


def problem_response(description: str) -> dict[str, Any]:
    """An error response of the document: a `Problem` as application/problem+json."""
    content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {"model": Problem, "content": content, "description": description}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_response("A parameter is unknown or has a bad value"),
    404: problem_response("No such record"),
}
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: PROBLEM_RESPONSES[400],
    200: {"content": {"text/csv": {}, "application/x-ndjson": {}}},
}
"""The responses of a list-like GET: a JSON page, or every match as CSV or NDJSON (`app.core.responses`)."""

_HEADER = {"schema": {"type": "string"}}
CACHING_HEADERS = {
    "ETag": {
        **_HEADER,
        "description": "ETag of this representation at this dataset version: weak, except a record's (strong: its "
        "content and the dataset version; `If-Match` on a write compares the content part).",
    },
    "Cache-Control": {**_HEADER, "description": "public, max-age=60"},
}
LINK_HEADER = {
    "Link": {**_HEADER, "description": 'The next page: `<…&cursor=…>; rel="next"`; absent on the last page.'}
}
NOT_MODIFIED = {
    "description": "Not Modified: the `If-None-Match` ETag is still current.",
    "headers": CACHING_HEADERS,
}
MEDIA_SCHEMAS = {
    "text/csv": {"schema": {"type": "string"}},
    "application/x-ndjson": {"schema": {"type": "string"}},
}


def operation_id(route: APIRoute) -> str:
    """A route's operationId when it declares none: its function's name (`healthz`, not `healthz_healthz_get`)."""
    return route.name


def tidy(document: dict[str, Any]) -> dict[str, Any]:
    """Add what every GET shares; drop the 422 that is never sent."""
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.get("responses", {})
            responses.pop("422", None)
            if method != "get" or not path.startswith("/v1"):
                continue
            ok = responses.get("200", {})
            headers = {**CACHING_HEADERS}
            if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
                headers |= LINK_HEADER
            ok["headers"] = {**headers, **ok.get("headers", {})}
            for media_type, content in ok.get("content", {}).items():
                if media_type in MEDIA_SCHEMAS and not content.get("schema"):
                    content.update(MEDIA_SCHEMAS[media_type])
            responses.setdefault("304", NOT_MODIFIED)
    schemas = document.get("components", {}).get("schemas", {})
    referenced = str(document.get("paths"))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in referenced:
            schemas.pop(unused, None)
    return document


def install(app: FastAPI, schemas: Mapping[str, dict[str, Any]] | None = None) -> None:
    """Serve the tidied document at /openapi.json (built once, on first request); `schemas` are components that
    routes refer to without FastAPI seeing them (request bodies a route reads itself)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {}).update(schemas or {})
            app.openapi_schema = tidy(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
