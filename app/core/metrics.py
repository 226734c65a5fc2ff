"""Prometheus metrics at /metrics, counted by a pure-ASGI middleware (no per-request objects beyond a closure).

Requests are labelled by route *template* (`/v1/{plural}/{id}`, never the
raw path, so the label set stays bounded) and status. Dataset and pool
figures are read when scraped. Each app has its own registry, so several
apps in one process (the tests) do not collide. With several workers each
process answers for itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio
import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.asgi import HttpMiddleware
from app.core.state import dataset_state

METRICS_PATH = "/metrics"
UNMATCHED = "<unmatched>"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _DatabaseCollector(Collector):
    """Dataset version, last change, last load and pool use, read at scrape time."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool: Any = self.engine.pool
        for name, doc, method in (
            ("techsov_db_pool_size", "Connections the pool keeps open.", "size"),
            ("techsov_db_pool_checked_out", "Pooled connections in use now.", "checkedout"),
            ("techsov_db_pool_overflow", "Connections open beyond the pool's size.", "overflow"),
        ):
            if hasattr(pool, method):
                yield GaugeMetricFamily(name, doc, value=float(getattr(pool, method)()))
        up = GaugeMetricFamily("techsov_db_up", "1 when the database answered this scrape's read.")
        try:
            with self.engine.connect() as connection:
                row = connection.execute(
                    sa.select(
                        dataset_state.c.version,
                        dataset_state.c.changed_at,
                        dataset_state.c.load_started_at,
                        dataset_state.c.load_seconds,
                    )
                ).first()
        except sa.exc.SQLAlchemyError:
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        version, changed_at = (row.version, row.changed_at) if row else (0, None)
        yield GaugeMetricFamily("techsov_dataset_version", "Dataset version (0 before the first load).", value=version)
        if changed_at is not None:
            yield GaugeMetricFamily(
                "techsov_dataset_last_change_timestamp_seconds",
                "When the last load or write that changed the dataset committed (Unix time).",
                value=_timestamp(changed_at),
            )
        if row and row.load_started_at is not None and row.load_seconds is not None:
            yield GaugeMetricFamily(
                "techsov_dataset_last_load_started_timestamp_seconds",
                "When the last successful load began (Unix time), whether or not it changed anything.",
                value=_timestamp(row.load_started_at),
            )
            yield GaugeMetricFamily(
                "techsov_dataset_last_load_duration_seconds",
                "How long the last successful load took: reading its files, then its work once it held the load "
                "lock (not its wait for another load, nor its commit).",
                value=float(row.load_seconds),
            )


def _timestamp(value: Any) -> float:
    if value.tzinfo is None:  # SQLite keeps UTC without its zone
        import datetime as dt

        value = value.replace(tzinfo=dt.UTC)
    return float(value.timestamp())


class Metrics:
    """One app's registry and instruments."""

    def __init__(self, engine: sa.Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "techsov_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "techsov_http_request_duration_seconds",
            "Time to the end of the response, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = 0
        """Requests being answered now: a plain count (on the event loop), read by the gauge when scraped."""
        in_flight = Gauge(
            "techsov_http_requests_in_flight", "HTTP requests being answered now.", registry=self.registry
        )
        in_flight.set_function(lambda: self.in_flight)
        self.registry.register(_DatabaseCollector(engine))
        # Each label set's instruments, found once: `labels()` takes a lock and builds its key every time.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    def count(self, method: str, template: str, status: int, seconds: float) -> None:
        """One request answered."""
        counter = self._counters.get((method, template, status))
        if counter is None:
            counter = self._counters[(method, template, status)] = self.requests.labels(method, template, str(status))
        counter.inc()
        histogram = self._histograms.get((method, template))
        if histogram is None:
            histogram = self._histograms[(method, template)] = self.latency.labels(method, template)
        histogram.observe(seconds)

    def exposition(self) -> bytes:
        """The text format, as scraped."""
        return generate_latest(self.registry)


class MetricsMiddleware(HttpMiddleware):
    """Counts every HTTP request and answers GET /metrics itself (optionally behind a bearer token)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, token: str = "") -> None:
        super().__init__(app)
        self.metrics = metrics
        self.authorization = f"Bearer {token}".encode() if token else b""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == METRICS_PATH:
            await self._expose(scope, send)
            return
        metrics = self.metrics
        status = 500
        started = time.perf_counter()

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics.in_flight += 1
        try:
            await self.app(scope, receive, send_counted)
        finally:
            metrics.in_flight -= 1
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            metrics.count(scope["method"], template, status, time.perf_counter() - started)

    async def _expose(self, scope: Scope, send: Send) -> None:
        headers = dict(scope["headers"])
        if self.authorization and headers.get(b"authorization") != self.authorization:
            status, body, content_type = 401, b"a bearer token is required\n", b"text/plain; charset=utf-8"
            extra = [(b"www-authenticate", b'Bearer realm="metrics"')]
        else:
            status, content_type, extra = 200, CONTENT_TYPE_LATEST.encode(), []
            body = await anyio.to_thread.run_sync(self.metrics.exposition)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", content_type), (b"cache-control", b"no-store"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": body})
