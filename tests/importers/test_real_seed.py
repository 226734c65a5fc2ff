"""The Epoch AI import as committed in seed/: complete, without duplicates, and answering the issue's questions.

Each expected value was checked against Epoch's files (`/work/shared/data/epoch`); a failure means the data
regressed, not that the test needs updating.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.importers.resolve import duplicate_names
from app.seeding.quality import duplicate_sources
from tests.conftest import Seed

EPOCH_ACCELERATORS = 101
"""Rows of ml_hardware.csv (126 lines: some cells span several lines)."""
CURATED_MATCHES = {
    "NVIDIA A100": "nvidia-a100",
    "NVIDIA A800": "nvidia-a800",
    "NVIDIA H100 SXM5 80GB": "nvidia-h100",
    "NVIDIA H800": "nvidia-h800",
    "NVIDIA HGX H20": "nvidia-h20",
    "NVIDIA B200": "nvidia-b200",
    "NVIDIA L40": "nvidia-l40",
    "NVIDIA V100": "nvidia-v100",
    "NVIDIA GeForce RTX 4090": "nvidia-rtx-4090",
    "Huawei Ascend 910": "huawei-ascend-910",
    "Huawei Ascend 910B": "huawei-ascend-910b",
}


def test_every_epoch_accelerator_is_in_once(seed: Seed) -> None:
    imported = [h for h in seed["hardware"].values() if "epoch-ai" in h.get("tags", [])]
    assert len(imported) + len(CURATED_MATCHES) == EPOCH_ACCELERATORS
    names = {h["name"] for h in imported}
    assert not names & set(CURATED_MATCHES)
    variants = {h["id"]: h["family"] for h in imported if h.get("family")}
    assert variants["nvidia-a100-sxm4-40-gb"] == "nvidia-a100"
    assert variants["nvidia-a100-sxm4-80-gb"] == "nvidia-a100"
    assert variants["nvidia-a100-pcie"] == "nvidia-a100"
    assert variants["nvidia-h100-pcie"] == "nvidia-h100"
    assert variants["huawei-ascend-910b4"] == "huawei-ascend-910b"


def test_no_record_shares_a_normalised_name_with_another_of_its_type(seed: Seed) -> None:
    for record_type in ("actor", "hardware"):
        assert duplicate_names(seed[record_type].items()) == {}, record_type


def test_imported_records_cite_epoch_and_the_dataset_sources_carry_the_licence(seed: Seed) -> None:
    hardware_source, systems_source = (
        seed["source"]["src-epoch-ml-hardware-dataset-2024-11-14"],
        seed["source"]["src-epoch-ml-systems-dataset-2024-11-14"],
    )
    assert (hardware_source["license"], hardware_source["url"]) == (
        "CC BY 4.0",
        "https://epoch.ai/data/machine-learning-hardware",
    )
    assert (systems_source["license"], systems_source["url"]) == ("CC BY 4.0", "https://epoch.ai/data/ai-models")
    for record_type in ("actor", "hardware", "dependency"):
        for record in seed[record_type].values():
            if "epoch-ai" in record.get("tags", []):
                assert {hardware_source["id"], systems_source["id"]} & set(record["sources"]), record["id"]
    # No document twice (the Federal Register's many "Additions to the Entity List" have their own addresses).
    assert list(duplicate_sources(seed["source"].values())) == []
    assert all(s.get("title") for s in seed["source"].values() if "epoch-ai" in s.get("tags", []))


def test_glm_130b_and_llama_3_1_405b(seed: Seed) -> None:
    glm = [d for d in seed["dependency"].values() if d.get("system") == "GLM-130B"]
    assert [(d["dependent"], d["depends_on"], d["quantity"]) for d in glm] == [
        ("actor:tsinghua-university", "nvidia-a100-sxm4-40-gb", 768)
    ]
    llama = [d for d in seed["dependency"].values() if d.get("system") == "Llama 3.1-405B"]
    assert [(d["dependent"], d["depends_on"], d["quantity"]) for d in llama] == [("actor:meta", "nvidia-h100", 16384)]
    assert seed["actor"]["huawei-noahs-ark-lab"]["parent"] == "huawei"


def test_the_october_2022_rule_reaches_tsinghua_through_glm_130b(seed_client: TestClient) -> None:
    response = seed_client.get("/v1/actors/tsinghua-university/exposure?as_of=2023-01-01")
    assert response.status_code == 200, response.text
    exposures = [
        e for e in response.json()["exposures"] if e["policy"]["id"] == "us-bis-advanced-computing-rule-2022-10"
    ]
    assert [e["hardware"]["id"] for e in exposures] == ["nvidia-a100"]
    glm = next(p for p in exposures[0]["paths"] if p["hops"][0]["system"] == "GLM-130B")
    training, family = glm["hops"]
    assert [s["id"] for s in training["sources"]] == [
        "src-keg-cs-tsinghua-edu-cn-glm-130b-posts-glm-130b",
        "src-epoch-ml-systems-dataset-2024-11-14",
    ]
    assert (family["kind"], family["from"]["id"], family["to"]["id"]) == (
        "family",
        "nvidia-a100-sxm4-40-gb",
        "nvidia-a100",
    )

    card = seed_client.get("/v1").json()
    assert {(c["name"].split(",")[0], c["license"]) for c in card["credits"]} == {("Epoch AI", "CC BY 4.0")}
