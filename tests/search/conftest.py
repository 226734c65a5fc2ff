"""A tiny seed of our own for search, written into the test's folder, and a client over it."""

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
- {id: src-huawei-wire, name: Huawei wire report, title: Huawei wire report,
   publisher: Example Wire, url: "https://example.org/h", kind: press}
"""
ACTORS = """\
- id: china
  kind: state
  name: China
  names: {zh-Hans: 中国}
  aliases: [PRC]
  sources: [src-wire]
- id: xi-jinping
  kind: person
  name: Xi Jinping
  names: {zh-Hans: 习近平}
  summary: General Secretary of the CPC Central Committee.
  country: china
  sources: [src-wire]
- id: huawei
  kind: company
  name: Huawei
  names: {zh-Hans: 华为}
  aliases: [Huawei Technologies]
  summary: Shenzhen company; designer of the Ascend AI chips.
  country: china
  sources: [src-wire]
- id: xinhua
  kind: media
  name: Xinhua News Agency
  names: {zh-Hans: 新华社}
  country: china
  sources: [src-wire]
- id: state-council
  kind: government_body
  name: State Council
  names: {zh-Hans: 国务院}
  summary: China's cabinet <b>&</b> chief administrative body.
  country: china
  sources: [src-wire]
- id: smic
  kind: company
  name: SMIC
  aliases: [Semiconductor Manufacturing International Corporation]
  summary: Chinese foundry that makes chips for Huawei.
  country: china
  sources: [src-wire]
"""
HARDWARE = """\
- id: huawei-ascend-910b
  kind: accelerator
  name: Huawei Ascend 910B
  names: {zh-Hans: 昇腾910B}
  maker: huawei
  sources: [src-wire]
"""
STATEMENTS = """\
- id: xi-2025-self-reliance
  name: Self-reliance in AI
  speaker: xi-jinping
  said_on: 2025-04-25
  kind: speech
  text: We must hold the initiative in developing AI, like Huawei does.
  original_text: 我们要牢牢掌握人工智能发展主动权。
  original_language: zh-Hans
  mentions: [actor:huawei]
  sources: [src-wire]
"""


def write_search_seed(folder: Path, extra_statements: str = "") -> Path:
    """The tiny search seed (plus any extra statements) as seed files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "sources.yaml": SOURCES,
        "actors.yaml": ACTORS,
        "hardware.yaml": HARDWARE,
        "statements.yaml": STATEMENTS + extra_statements,
    }
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")
    return folder


@pytest.fixture
def search_seed(tmp_path: Path) -> Path:
    """The folder holding the tiny search seed."""
    return write_search_seed(tmp_path / "search-seed")


@pytest.fixture
def search_client(engine: sa.Engine, settings: Settings, search_seed: Path) -> Iterator[TestClient]:
    """A client over a database loaded with the tiny search seed."""
    load_dir(engine, search_seed, prune=True)
    with TestClient(create_app(settings)) as client:
        yield client


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    """GET /v1/search, asserting a 200; the JSON body."""
    response = client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    """The `type:id` of each hit, in order."""
    return [f"{hit['type']}:{hit['id']}" for hit in body["items"]]
