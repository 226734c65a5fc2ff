"""/docs (Swagger UI) and /redoc with their scripts, stylesheet and icon served by the app itself, from the
files the `fastapi-offline` package ships: they work offline and behind networks that block CDNs."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc (FastAPI's own pages are turned off: `docs_url=None, redoc_url=None`)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        document, assets = _addresses(request)
        return get_swagger_ui_html(
            openapi_url=document,
            title=f"{app.title} — Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        document, assets = _addresses(request)
        return get_redoc_html(
            openapi_url=document,
            title=f"{app.title} — ReDoc",
            redoc_js_url=f"{assets}/redoc.standalone.js",
            redoc_favicon_url=f"{assets}/favicon.png",
            with_google_fonts=False,
        )


def _addresses(request: Request) -> tuple[str, str]:
    """Where the page finds the OpenAPI document and its assets, behind any proxy prefix (`root_path`)."""
    root = request.scope.get("root_path", "")
    return f"{root}/openapi.json", f"{root}{ASSETS_URL}"
