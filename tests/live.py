"""A real `techsov serve` in a subprocess on a free port: for tests that speak HTTP as outside clients do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parent.parent
SEED = REPOSITORY / "seed"
START_TIMEOUT_S = 90


def free_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(data_dir: Path, seed_dir: Path = SEED, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """`techsov serve` on the default SQLite file in `data_dir`, seeded from `seed_dir`; yields its base URL."""
    env = {**os.environ, "TECHSOV_DATA_DIR": str(data_dir), "TECHSOV_SEED_DIR": str(seed_dir), **(extra_env or {})}
    env.pop("DATABASE_URL", None)
    with _serving(env, data_dir.parent) as base_url:
        yield base_url


@contextmanager
def serve_database(database_url: str, log_dir: Path, workers: int = 1) -> Iterator[str]:
    """`techsov serve --workers N` on a database already migrated and loaded; yields its base URL."""
    env = {**os.environ, "DATABASE_URL": database_url}
    with _serving(env, log_dir, ["--workers", str(workers)]) as base_url:
        yield base_url


@contextmanager
def _serving(env: dict[str, str], log_dir: Path, args: list[str] | None = None) -> Iterator[str]:
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    log_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *(args or [])],
            env=env,
            cwd=REPOSITORY,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{base_url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"techsov serve did not start:\n{log.read_text('utf-8')}") from None
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)
