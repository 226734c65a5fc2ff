"""The OpenAPI document as clients generate from it: what every GET sends besides its body, and nothing it
never sends.

Route modules declare their parameters and bodies; what is the same everywhere is added here once: the caching
headers and the 304 of every dataset GET (`app.core.caching`), the `Link` of every paged list
(`app.core.responses`), the `pretty` / `bom` switches and the ignored `_` (`app.core.middleware`). FastAPI's
422 is taken out: a request that fails validation is a 400 problem (`app.core.errors`), never a 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

DATE_PATTERN = r"^[1-9][0-9]{3}(-(0[1-9]|1[0-2]))?$"
DATE_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "pattern": DATE_PATTERN}, {"type": "string", "format": "date"}]
}
"""A date or a partial date: 2018, 2018-07 or 2018-07-20."""

REQUIRED: dict[str, Any] = {"x-techsov-required": True}
"""`json_schema_extra` of a parameter that is required but checked by the route itself, so that a missing one
gets the route's own message rather than FastAPI's "Field required"."""

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


def _query_schema(parameter: dict[str, Any]) -> None:
    """A query parameter is absent or a string, never JSON null: `anyOf [X, null]` becomes X (with the extras
    declared beside it); `REQUIRED` makes it required."""
    schema: dict[str, Any] = parameter.get("schema", {})
    branches = schema.get("anyOf", [])
    if any(b == {"type": "null"} for b in branches):
        kept = [b for b in branches if b != {"type": "null"}]
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        schema = {**kept[0], **rest} if len(kept) == 1 else {"anyOf": kept, **rest}
    if "anyOf" in schema and "type" in schema:  # extras that are themselves an anyOf (DATE_SCHEMA) replace the type
        schema.pop("type")
    if schema.pop("x-techsov-required", False):
        parameter["required"] = True
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    if schema.get("type") == "array" and "examples" in schema:  # an example of a list is a list
        schema["examples"] = [e if isinstance(e, list) else [e] for e in schema["examples"]]
    parameter["schema"] = schema


def tidy(document: dict[str, Any]) -> dict[str, Any]:
    """Add what every GET shares; drop the 422 that is never sent."""
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _query_schema(parameter)
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
