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
    port = free_port()
    env = {**os.environ, "TECHSOV_DATA_DIR": str(data_dir), "TECHSOV_SEED_DIR": str(seed_dir), **(extra_env or {})}
    env.pop("DATABASE_URL", None)
    log = data_dir.parent / f"serve-{port}.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
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
