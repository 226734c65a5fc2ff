"""One record: reverse links (`referenced_by`) and conflicting dependency claims flagged side by side."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.seeding.run import load_dir
from tests.conftest import VALID


def test_an_actor_shows_its_statements_policies_dependencies_and_children(client: TestClient) -> None:
    links = client.get("/v1/actors/huawei").json()["referenced_by"]
    assert set(links) == {
        "actors.parent",
        "policies.target",
        "statements.mentions",
        "dependencies.dependent",
    }
    assert links["actors.parent"] == {
        "total": 1,
        "items": [{"type": "actor", "id": "hisilicon", "name": "HiSilicon", "kind": "company"}],
        "href": "/v1/actors?parent=huawei",
    }
    assert links["policies.target"]["items"][0]["id"] == "us-listing-2019"
    assert links["dependencies.dependent"]["href"] == "/v1/dependencies?dependent=actor:huawei"
    person = client.get("/v1/actors/test-person").json()["referenced_by"]
    assert person["statements.speaker"]["items"][0] == {
        "type": "statement",
        "id": "stmt-one",
        "name": "A test statement",
        "said_on": "2019-05-16",
        "speaker": {"id": "test-person", "type": "actor", "name": "Test Person"},
    }
    council = client.get("/v1/actors/state-council").json()["referenced_by"]
    assert council["policies.issuer"]["total"] == 1


def test_hardware_shows_restricting_policies_dependants_and_alternatives(client: TestClient) -> None:
    gpu = client.get("/v1/hardware/test-gpu").json()["referenced_by"]
    assert gpu["policies.restricts"]["items"][0]["id"] == "us-listing-2019"
    assert gpu["dependencies.depends_on"]["items"][0]["id"] == "huawei-on-gpu"
    assert gpu["dependencies.alternative_to"]["items"][0]["id"] == "accel-on-node"
    accel = client.get("/v1/hardware/test-accel").json()["referenced_by"]
    assert accel["dependencies.dependent"]["items"][0]["depends_on"]["id"] == "test-node-7nm"
    assert accel["hardware.successor_of"]["items"][0]["id"] == "test-accel-2"


def test_a_policy_shows_what_amends_it_and_statements_about_it(client: TestClient) -> None:
    links = client.get("/v1/policies/us-listing-2019").json()["referenced_by"]
    assert links["policies.amends"]["items"][0]["id"] == "us-listing-2019-amended"
    assert links["statements.about_policy"]["items"][0]["id"] == "stmt-one"


def test_a_source_shows_everything_that_cites_it(client: TestClient) -> None:
    links = client.get("/v1/sources/src-plan").json()["referenced_by"]
    assert {k: v["total"] for k, v in links.items()} == {"actors.source": 2, "policies.source": 1}


def test_conflicting_dependency_claims_are_flagged_side_by_side(
    engine: sa.Engine, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "seed"
    folder.mkdir()
    for path in VALID.iterdir():
        (folder / path.name).write_text(path.read_text("utf-8"), "utf-8")
    with (folder / "dependencies.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "- {id: r2-rumour, name: Rumour, dependent: 'actor:huawei', depends_on: test-accel, purpose: training,"
            " system: Model-2, status: rumoured, sources: [src-press]}\n"
            "- {id: r2-report, name: Report, dependent: 'actor:huawei', depends_on: test-gpu, purpose: training,"
            " system: Model-2, status: reported, sources: [src-plan]}\n"
            "- {id: r2-inference, name: Inference, dependent: 'actor:huawei', depends_on: test-accel,"
            " purpose: inference, system: Model-2, status: reported, sources: [src-plan]}\n"
            "- {id: r2-second-chip, name: Also, dependent: 'actor:huawei', depends_on: test-node-7nm,"
            " purpose: training, system: Model-2, status: reported, sources: [src-press]}\n"
        )
    load_dir(engine, folder)
    with TestClient(create_app(settings)) as client:
        rumour = client.get("/v1/dependencies/r2-rumour").json()
        assert (rumour["disputed"], rumour["disputed_by"]) == (True, ["r2-report", "r2-second-chip"])
        report = client.get("/v1/dependencies/r2-report").json()
        assert (report["disputed"], report["disputed_by"]) == (True, ["r2-rumour"])
        inference = client.get("/v1/dependencies/r2-inference").json()
        assert (inference["disputed"], inference["disputed_by"]) == (False, [])
        listed = {d["id"]: d["disputed"] for d in client.get("/v1/dependencies?dependent=actor:huawei").json()["items"]}
        assert listed == {
            "huawei-on-gpu": False,
            "r2-rumour": True,
            "r2-report": True,
            "r2-inference": False,
            "r2-second-chip": True,
        }
        actor = client.get("/v1/actors/huawei").json()["referenced_by"]["dependencies.dependent"]["items"]
        assert {i["id"]: i["disputed"] for i in actor}["r2-rumour"] is True
