"""Curation by API and by pull request alternate: after writes, `techsov export` writes seed files that load back
to the same data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app
from app.core.config import get_settings
from app.records.registry import RECORD_TYPE_LIST
from app.records.repository import iter_records
from app.seeding.run import load_dir
from tests.conftest import empty_all_tables
from tests.writes.conftest import STATEMENT, etag_of


def every_record(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Every record of every type, as seed files give them, in id order."""
    with engine.connect() as connection:
        return {t.name: list(iter_records(connection, t)) for t in RECORD_TYPE_LIST}


def _hashes(engine: sa.Engine) -> dict[str, dict[str, str]]:
    with engine.connect() as connection:
        return {t.name: dict(connection.execute(sa.select(t.table.c.id, t.table.c.content_hash)).all())
                for t in RECORD_TYPE_LIST}  # fmt: skip


@pytest.mark.parametrize("fmt", ["yaml", "ndjson"])
def test_export_after_writes_loads_back_to_the_same_data(
    writer: TestClient,
    loaded_engine: sa.Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    source = {"id": "src-new", "name": "A new source", "title": "«Autonomy» — 自主可控", "kind": "press",
              "published_on": "2024-01", "url": "https://example.org/new"}  # fmt: skip
    assert writer.post("/v1/sources", json=source).status_code == 201
    assert writer.post("/v1/statements", json={**STATEMENT, "sources": ["src-new", "src-press"]}).status_code == 201
    patched = writer.patch(
        "/v1/actors/huawei",
        json={"summary": "Line one.\nLine two: 'quoted'.", "aliases": ["HW", "华为技术"], "founded_on": None},
        headers={"If-Match": etag_of(writer, "/v1/actors/huawei")},
    )
    assert patched.status_code == 200
    hardware = writer.get("/v1/hardware/test-accel").json()
    replaced = {"id": "test-accel", "name": hardware["name"], "kind": "accelerator", "maker": "hisilicon",
                "specs": {"fp16_tflops": 300, "memory_gb": 48.5}, "sources": ["src-new"]}  # fmt: skip
    assert writer.put("/v1/hardware/test-accel", json=replaced, headers={"If-Match": "*"}).status_code == 200
    assert writer.delete("/v1/statements/stmt-one", headers={"If-Match": "*"}).status_code == 204
    written = every_record(loaded_engine)
    hashes = _hashes(loaded_engine)
    assert any(r["id"] == "stmt-new" for r in written["statement"])

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    exported = CliRunner().invoke(app, ["export", "--to", str(tmp_path / "seed"), "--format", fmt])
    assert exported.exit_code == 0, exported.output

    empty_all_tables(loaded_engine)
    report = load_dir(loaded_engine, tmp_path / "seed")
    assert sum(report.created.values()) == sum(len(records) for records in written.values())
    assert every_record(loaded_engine) == written
    assert _hashes(loaded_engine) == hashes  # the same content, as the loader sees it: loading again changes nothing
    assert not load_dir(loaded_engine, tmp_path / "seed").changed
