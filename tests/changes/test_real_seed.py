"""The change feed on the real seed: the first load creates every record once; loading the same files again
adds nothing; editing one record adds one `updated` entry, which a mirror picks up with `since`."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.seeding.run import load_dir
from tests.conftest import SEED_DIR
from tests.helpers import walk


def test_a_mirror_follows_the_real_seed(engine: sa.Engine, settings: Settings, tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed)
    load_dir(engine, seed)
    with TestClient(create_app(settings)) as client:
        card = client.get("/v1").json()
        everything = [entry for page in walk(client, "/v1/changes?limit=500") for entry in page["items"]]
        assert len(everything) == sum(card["counts"].values())
        assert {(e["version"], e["action"]) for e in everything} == {(1, "created")}
        assert len({(e["type"], e["id"]) for e in everything}) == len(everything)
        version = client.get("/v1/changes?limit=1").json()["version"]
        assert version == card["version"] == 1

        load_dir(engine, seed)  # the same files: nothing changes
        assert client.get(f"/v1/changes?since={version}").json() == {"items": [], "next_cursor": None, "version": 1}

        policies = seed / "policies.yaml"
        policies.write_text(
            policies.read_text("utf-8").replace("rules of 17 October 2023\n", "rules of 17 October 2023 (edited)\n", 1),
            "utf-8",
        )
        load_dir(engine, seed)
        body = client.get(f"/v1/changes?since={version}").json()
        assert [(e["version"], e["type"], e["id"], e["action"]) for e in body["items"]] == [
            (2, "policy", "us-bis-rules-2023-10", "updated")
        ]
        assert body["items"][0]["href"] == "/v1/policies/us-bis-rules-2023-10"
        assert body["version"] == 2
        assert client.get("/v1/policies/us-bis-rules-2023-10").json()["name"].endswith("(edited)")
