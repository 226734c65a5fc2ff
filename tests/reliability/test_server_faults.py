"""A live `techsov serve` under faults: SIGTERM in the middle of a streamed CSV export, and (PostgreSQL) the
database going away and coming back while the server runs."""

from __future__ import annotations

import signal
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core.db import upgrade
from app.seeding.run import load_dir
from app.seeding.synth import write_synthetic_seed
from tests.conftest import TEST_DATABASE_URL, VALID
from tests.reliability.conftest import FIGURES
from tests.reliability.processes import CASE_TIMEOUT, STOPPED, Server

pytestmark = pytest.mark.timeout(CASE_TIMEOUT * 2)
GRACEFUL_TIMEOUT = 2


def raw_get(port: int, path: str) -> socket.socket:
    """A GET on a socket with a small receive buffer, so the server cannot hand a whole export to the kernel."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(CASE_TIMEOUT / 3)
    sock.connect(("127.0.0.1", port))
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
    sock.sendall(request.encode())
    return sock


def dechunk(raw: bytes) -> tuple[int, bytes, bool]:
    """Status, body and whether the chunked body ended with its last chunk (a complete response)."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"transfer-encoding: chunked" in head.lower()
    body = bytearray()
    while rest:
        size_line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            break
        size = int(size_line, 16)
        if size == 0:
            return status, bytes(body), True
        body += rest[:size]
        rest = rest[size + 2 :]
    return status, bytes(body), False


@pytest.fixture
def many_statements(engine: sa.Engine, tmp_path: Path) -> sa.Engine:
    folder = tmp_path / "synth"
    write_synthetic_seed(folder, 3000)
    load_dir(engine, folder)
    return engine


def test_sigterm_during_a_csv_export_ends_within_the_graceful_timeout(
    database_url: str, many_statements: sa.Engine, tmp_path: Path
) -> None:
    server = Server(database_url, tmp_path, "--graceful-timeout", str(GRACEFUL_TIMEOUT))
    try:
        server.wait_ready()
        whole = server.client.get("/v1/statements", params={"format": "csv"}, headers={"Accept-Encoding": "identity"})
        assert whole.status_code == 200
        assert whole.content.count(b"\r\n") > 3000  # a header and every statement
        sock = raw_get(server.port, "/v1/statements?format=csv")
        received = bytearray(sock.recv(4096))
        assert received.startswith(b"HTTP/1.1 200")
        server.process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        with sock:
            while True:  # a slow reader: 4 KB every 20 ms
                try:
                    data = sock.recv(4096)
                except (ConnectionResetError, TimeoutError):
                    break
                if not data:
                    break
                received += data
                time.sleep(0.02)
        server.process.wait(GRACEFUL_TIMEOUT + 10)
        took = time.monotonic() - stopped_at
    finally:
        code = server.stop()
    assert code in STOPPED
    assert took < GRACEFUL_TIMEOUT + 10
    status, body, complete = dechunk(bytes(received))
    assert status == 200
    if complete:
        assert body == whole.content
        FIGURES["streams completed during shutdown"] += 1
    else:  # cut: what came is the start of the export, and the client can tell it was cut (no last chunk)
        assert whole.content.startswith(body)
        assert len(body) < len(whole.content)
        FIGURES["streams cut by shutdown"] += 1
    output = server.output()
    assert "Traceback" not in output, output


@pytest.fixture
def scratch_database() -> Iterator[tuple[str, sa.Engine]]:
    """A PostgreSQL database of this test's own, migrated and loaded, that the test may shut off."""
    assert TEST_DATABASE_URL
    server = sa.make_url(TEST_DATABASE_URL)
    name = f"techsov_outage_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        engine = sa.create_engine(url)
        load_dir(engine, VALID)
        engine.dispose()
        yield url, admin
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="PostgreSQL: a SQLite server keeps its files open, so it cannot lose its database while it runs",
)
def test_a_database_outage_is_503_problems_and_recovers_without_restart(
    scratch_database: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    url, admin = scratch_database
    name = sa.make_url(url).database
    server = Server(url, tmp_path, TECHSOV_READY_TIMEOUT_MS="1000")
    paths = ["/v1/actors/huawei", "/v1/statements?count=true", "/v1/search?q=huawei", "/readyz"]
    try:
        server.wait_ready()
        for path in paths:
            assert server.client.get(path).status_code == 200, path
        with admin.connect() as connection:  # the database goes away: its sessions ended, none accepted
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        down = [server.client.get(path) for path in paths * 3]
        FIGURES["reads made"] += len(down)
        for response in down:
            assert response.status_code == 503, (response.request.url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 503
        assert server.client.get("/healthz").status_code == 200  # the process itself is fine
        metrics = server.client.get("/metrics").text
        assert "techsov_db_up 0.0" in metrics

        with admin.connect() as connection:  # and comes back
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        up = [server.client.get(path) for path in paths * 3]
        FIGURES["reads made"] += len(up)
        assert [r.status_code for r in up] == [200] * len(up)
        assert "techsov_db_up 1.0" in server.client.get("/metrics").text
    finally:
        code = server.stop()
    assert code in STOPPED
    output = server.output()
    assert "Traceback" not in output, output
