"""create_app(): settings, database, middleware, error handlers, routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.changes.routes import router as changes_router
from app.core import docs, openapi
from app.core.compression import GZip
from app.core.config import Settings, get_settings
from app.core.cors import SplitCors
from app.core.db import ensure_at_head, make_engine
from app.core.deps import Database
from app.core.errors import CatchAllMiddleware, install_error_handlers
from app.core.logs import use_json_logs
from app.core.metrics import Metrics, MetricsMiddleware
from app.core.middleware import HeadAndNosniffMiddleware, ReadableOutputMiddleware, RequestIdMiddleware
from app.core.response_cache import GZIP_LEVEL, GZIP_MINIMUM, ResponseCacheMiddleware
from app.core.watch import watch_for
from app.dataset.routes import router as dataset_router
from app.explorer.routes import install as install_explorer
from app.export.routes import router as export_router
from app.exposure.routes import hot_routes as exposure_hot_routes
from app.exposure.routes import router as exposure_router
from app.graph.routes import router as graph_router
from app.reconcile.routes import router as reconcile_router
from app.records.routes import hot_routes
from app.records.routes import router as records_router
from app.records.routes import unknown_types as unknown_types_router
from app.search.routes import hot_route as search_hot_route
from app.search.routes import router as search_router
from app.stats.routes import router as stats_router
from app.timeline.routes import router as timeline_router
from app.writes.routes import input_schemas
from app.writes.routes import router as writes_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI app; refuses (at start-up) a database that is not at the latest migration."""
    settings = settings or get_settings()
    engine = make_engine(settings.resolved_database_url, query_timeout_ms=settings.techsov_query_timeout_ms)

    watch = watch_for(engine)
    database = Database(engine, settings.techsov_read_threads, settings.techsov_search_threads)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ensure_at_head(engine)
        yield
        if watch is not None:
            await watch.close()
        database.dispose()

    app = FastAPI(
        title="techsov",
        version=__version__,
        summary="The geopolitics of AI technological autonomy: actors, policies, statements, hardware, dependencies.",
        lifespan=lifespan,
        # Starlette's slash redirect builds its Location from the Host header: never emit that.
        redirect_slashes=False,
        generate_unique_id_function=openapi.operation_id,
        docs_url=None,  # served by app.core.docs, with local assets
        redoc_url=None,
        # No OpenTelemetry here (Prometheus at /metrics): spare every request FastAPI's check for its providers.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    openapi.install(app, input_schemas())
    docs.install(app)
    app.state.settings = settings
    app.state.database = database
    # Outermost last: every response, even a crash turned into a 500, gets CORS, gzip and a request id.
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(ReadableOutputMiddleware)  # inside gzip: it reads the JSON it indents
    app.add_middleware(GZip, minimum_size=GZIP_MINIMUM, compresslevel=GZIP_LEVEL)
    app.add_middleware(  # outside gzip: it keeps each answer once, and its gzip form once asked for
        ResponseCacheMiddleware,
        watch=watch,
        capacity_bytes=int(settings.techsov_response_cache_mb * 1024 * 1024),
        entry_bytes=settings.techsov_response_cache_entry_kb * 1024,
    )
    app.add_middleware(
        SplitCors, read_origins=settings.techsov_cors_origins, write_origins=settings.techsov_write_origins
    )
    app.add_middleware(RequestIdMiddleware)
    app.state.metrics = Metrics(engine)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, token=settings.techsov_metrics_token)
    app.add_middleware(HeadAndNosniffMiddleware)  # outermost: every response says nosniff, every GET takes HEAD
    install_error_handlers(app)
    app.include_router(records_router)  # first: the most requested, matched in route order
    app.include_router(dataset_router)
    app.include_router(export_router)
    app.include_router(timeline_router)
    app.include_router(graph_router)
    app.include_router(exposure_router)
    app.include_router(stats_router)
    app.include_router(changes_router)
    app.include_router(search_router)
    app.include_router(reconcile_router)
    app.include_router(writes_router)
    app.include_router(unknown_types_router)
    install_explorer(app)  # the HTML pages, at the API's paths without /v1
    app.router.routes[0:0] = [
        *hot_routes(),
        search_hot_route(),
        *exposure_hot_routes(),
    ]  # matched first; the documented routes stay for /docs
    logging.getLogger("techsov").setLevel(logging.INFO)
    if settings.techsov_log_json:
        use_json_logs()
    return app
