"""A tiny seed of our own for reconciliation, and a client over it (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.seeding.run import load_dir

SOURCES = """\
- {id: src-wire, name: Example wire report, title: Example wire report,
   publisher: Example Wire, url: "https://example.org/w", kind: press}
"""
ACTORS = """\
- id: china
  kind: state
  name: China
  names: {zh-Hans: 中国}
  aliases: [PRC]
  sources: [src-wire]
- id: huawei
  kind: company
  name: Huawei
  names: {zh-Hans: 华为}
  aliases: [Huawei Technologies]
  summary: Shenzhen company; designer of the Ascend AI chips.
  country: china
  sources: [src-wire]
- id: xi-jinping
  kind: person
  name: Xi Jinping
  names: {zh-Hans: 习近平}
  country: china
  sources: [src-wire]
- id: tsinghua-university
  kind: research_lab
  name: Tsinghua University
  names: {zh-Hans: 清华大学}
  country: china
  sources: [src-wire]
- id: nvidia
  kind: company
  name: NVIDIA
  summary: Designer of GPUs, whose chips Huawei's compete with.
  sources: [src-wire]
- id: smic
  kind: company
  name: SMIC
  aliases: [Semiconductor Manufacturing International Corporation]
  summary: Chinese foundry that makes chips for Huawei.
  country: china
  sources: [src-wire]
- id: cas
  kind: research_lab
  name: Chinese Academy of Sciences
  names: {zh-Hans: 中国科学院}
  aliases: [CAS]
  country: china
  sources: [src-wire]
- id: cas-software
  kind: company
  name: CAS Software
  aliases: [CAS]
  sources: [src-wire]
"""
HARDWARE = """\
- id: huawei-ascend-910b
  kind: accelerator
  name: Huawei Ascend 910B
  names: {zh-Hans: 昇腾910B}
  maker: huawei
  sources: [src-wire]
- id: nvidia-a100
  kind: gpu
  name: NVIDIA A100
  maker: nvidia
  sources: [src-wire]
- id: nvidia-h100
  kind: gpu
  name: NVIDIA H100
  maker: nvidia
  sources: [src-wire]
- id: nvidia-v100
  kind: gpu
  name: NVIDIA V100
  maker: nvidia
  sources: [src-wire]
- id: nvidia-b200
  kind: gpu
  name: NVIDIA B200
  maker: nvidia
  sources: [src-wire]
- id: nvidia-t4
  kind: gpu
  name: NVIDIA T4
  maker: nvidia
  sources: [src-wire]
"""
STATEMENTS = """\
- id: xi-2025-self-reliance
  name: Huawei and self-reliance
  speaker: xi-jinping
  said_on: 2025-04-25
  kind: speech
  text: We must hold the initiative in developing AI, like Huawei does.
  mentions: [actor:huawei]
  sources: [src-wire]
"""


def write_reconcile_seed(folder: Path) -> Path:
    """The tiny reconciliation seed as seed files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"sources.yaml": SOURCES, "actors.yaml": ACTORS, "hardware.yaml": HARDWARE, "statements.yaml": STATEMENTS}
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")
    return folder


@pytest.fixture
def reconcile_client(engine: sa.Engine, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client over a database loaded with the tiny reconciliation seed, its base URL configured."""
    load_dir(engine, write_reconcile_seed(tmp_path / "reconcile-seed"), prune=True)
    settings = Settings(database_url=database_url, techsov_base_url="https://api.example.org/")
    with TestClient(create_app(settings)) as client:
        yield client


def post_batch(client: TestClient, queries: str) -> dict[str, Any]:
    """POST the batch form-encoded, as OpenRefine sends it; the JSON body of a 200."""
    response = client.post(
        "/v1/reconcile",
        content=b"queries=" + _quote(queries),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def _quote(text: str) -> bytes:
    from urllib.parse import quote_plus

    return quote_plus(text).encode("ascii")


def ids(result: dict[str, Any]) -> list[str]:
    """The candidate ids of one query's result, in order."""
    return [candidate["id"] for candidate in result["result"]]
