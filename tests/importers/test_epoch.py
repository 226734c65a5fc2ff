"""`techsov import epoch` on small CSVs that copy Epoch's quirks (byte-order mark, quoted lists, empty cells, NaN).

The curated folder is tiny: a state, Tsinghua, Huawei, NVIDIA, TSMC, the A100
family and the two Epoch dataset sources; each test imports into its own copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from ruamel.yaml import YAML
from typer.testing import CliRunner

from app.cli import app
from app.core.config import Settings
from app.core.db import make_engine
from app.importers.epoch import EpochImportError, ImportReport, run_import
from app.importers.resolve import duplicate_names, slugify
from app.main import create_app
from app.seeding.run import check_dir, load_dir
from tests.conftest import write_seed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "epoch"
HARDWARE_CSV, SYSTEMS_CSV = FIXTURES / "hardware.csv", FIXTURES / "systems.csv"

CURATED = {
    "sources.yaml": """
- {id: src-epoch-ml-hardware-dataset-2024-11-14, name: Epoch hardware, title: Data on Machine Learning Hardware,
   url: 'https://epoch.ai/data/machine-learning-hardware', kind: dataset, license: CC BY 4.0}
- {id: src-epoch-ml-systems-dataset-2024-11-14, name: Epoch models,
   title: 'Parameter, Compute and Data Trends in Machine Learning', url: 'https://epoch.ai/data/ai-models',
   kind: dataset, license: CC BY 4.0}
- {id: src-rule, name: The rule, title: The October 2022 rule, kind: primary}
""",
    "actors.yaml": """
- {id: china, kind: state, name: China, aliases: [PRC], sources: [src-rule]}
- {id: tsinghua-university, kind: research_lab, name: Tsinghua University, country: china, sources: [src-rule]}
- {id: huawei, kind: company, name: Huawei, names: {zh-Hans: 华为}, country: china, sources: [src-rule]}
- {id: nvidia, kind: company, name: NVIDIA, aliases: [Nvidia], sources: [src-rule]}
- {id: tsmc, kind: company, name: TSMC, sources: [src-rule]}
""",
    "hardware.yaml": """
- {id: nvidia-a100, kind: gpu, name: NVIDIA A100, maker: nvidia, specs: {fp16_tflops: 312}, sources: [src-rule]}
""",
    "policies.yaml": """
- {id: rule-2022-10, kind: export_control, name: October 2022 rule, effective_on: 2022-10-21, status: in_force,
   targets: [china], restricts: [nvidia-a100], sources: [src-rule]}
""",
}
OVERRIDES = """
actors:
  Huawei Noah's Ark Lab: {parent: huawei}
link_hosts:
  techpowerup.com: dataset
  archive.ph: copy
"""


def _seed(tmp_path: Path, overrides: str | None = OVERRIDES) -> Path:
    folder = write_seed(tmp_path / "seed", CURATED)
    if overrides is not None:
        (folder / "import").mkdir()
        (folder / "import" / "epoch-overrides.yaml").write_text(overrides, encoding="utf-8")
    return folder


def _import(folder: Path, hardware: Path = HARDWARE_CSV, systems: Path = SYSTEMS_CSV) -> ImportReport:
    return run_import(hardware, systems, folder, folder / "import" / "epoch-overrides.yaml")


def _records(folder: Path, plural: str) -> dict[str, dict[str, Any]]:
    records = YAML(typ="safe").load((folder / plural / "epoch.yaml").read_text(encoding="utf-8"))
    return {r["id"]: r for r in records}


def test_the_import_writes_ordinary_seed_files_that_validate(tmp_path: Path) -> None:
    folder = _seed(tmp_path)
    report = _import(folder)
    checked = check_dir(folder)
    assert checked.errors == []
    assert sorted(p.relative_to(folder).as_posix() for p in report.written) == [
        "actors/epoch.yaml",
        "dependencies/epoch.yaml",
        "hardware/epoch.yaml",
        "sources/epoch.yaml",
    ]
    assert ("actor", "Tsinghua University", "tsinghua-university") in report.matched
    assert ("actor", "NVIDIA", "nvidia") in report.matched
    assert ("hardware", "NVIDIA A100", "nvidia-a100") in report.matched
    assert report.undecided == []
    # Curated records are never written again.
    assert "nvidia-a100" not in _records(folder, "hardware")
    assert not {"tsinghua-university", "nvidia", "huawei", "china"} & set(_records(folder, "actors"))


def test_hardware_variants_name_their_curated_family_with_honest_units(tmp_path: Path) -> None:
    folder = _seed(tmp_path)
    _import(folder)
    hardware = _records(folder, "hardware")
    assert sorted(hardware) == ["acme-chip-1", "nvidia-a100-pcie", "nvidia-a100-sxm4-40-gb"]
    sxm4 = hardware["nvidia-a100-sxm4-40-gb"]
    assert sxm4 == {
        "id": "nvidia-a100-sxm4-40-gb",
        "kind": "gpu",
        "name": "NVIDIA A100 SXM4 40 GB",
        "maker": "nvidia",
        "fab": "tsmc",
        "released_on": "2020-05-14",
        "process_node": "7 nm",
        "specs": {"fp16_tflops": 312, "memory_bandwidth_tbps": 1.555, "memory_gb": 40, "price_usd": 15000,
                  "tdp_w": 400},
        "family": "nvidia-a100",
        "tags": ["ai-chips", "epoch-ai"],
        "sources": ["src-epoch-ml-hardware-dataset-2024-11-14", "src-techpowerup-com-gpu-specs-a100-sxm4-40-gb-c3506"],
    }  # fmt: skip
    assert hardware["nvidia-a100-pcie"]["family"] == "nvidia-a100"
    other = hardware["acme-chip-1"]
    assert "family" not in other
    assert other["kind"] == "accelerator"
    assert other["maker"] == "acme-semiconductor"
    sources = _records(folder, "sources")
    datasheet = sources["src-techpowerup-com-gpu-specs-a100-sxm4-40-gb-c3506"]
    # The text-highlight fragment is not part of the address; the title is ours, in brackets.
    assert datasheet["url"] == "https://www.techpowerup.com/gpu-specs/a100-sxm4-40-gb.c3506"
    assert datasheet["title"] == "[NVIDIA A100 SXM4 40 GB specifications]"
    assert datasheet["kind"] == "dataset"
    # The PCIe row's first link is an archive copy: the source is the next link, at the publisher.
    pcie_sources = hardware["nvidia-a100-pcie"]["sources"]
    assert sources[pcie_sources[1]]["url"] == "https://www.techpowerup.com/gpu-specs/a100-pcie-80-gb.c3821"


def test_organizations_are_resolved_or_created_with_kind_country_and_parent(tmp_path: Path) -> None:
    folder = _seed(tmp_path)
    _import(folder)
    actors = _records(folder, "actors")
    assert sorted(actors) == ["acme-labs-inc", "acme-semiconductor", "freedonia", "huawei-noahs-ark-lab"]
    # "Acme Labs, Inc" is one organization, quoted inside the comma list.
    assert actors["acme-labs-inc"]["kind"] == "company"
    assert actors["acme-labs-inc"]["country"] == "freedonia"
    assert actors["freedonia"]["kind"] == "state"
    lab = actors["huawei-noahs-ark-lab"]
    assert (lab["parent"], lab["country"], lab["kind"]) == ("huawei", "china", "company")
    assert all("epoch-ai" in a["tags"] for a in actors.values())
    assert actors["acme-semiconductor"]["sources"] == ["src-epoch-ml-hardware-dataset-2024-11-14"]


def test_each_model_organization_and_part_is_one_dependency_with_two_sources(tmp_path: Path) -> None:
    folder = _seed(tmp_path)
    report = _import(folder)
    dependencies = _records(folder, "dependencies")
    glm = dependencies["glm-130b-tsinghua-university-nvidia-a100-sxm4-40-gb"]
    assert {
        k: glm[k] for k in ("dependent", "depends_on", "purpose", "system", "status", "quantity", "confidence")
    } == {
        "dependent": "actor:tsinghua-university",
        "depends_on": "nvidia-a100-sxm4-40-gb",
        "purpose": "training",
        "system": "GLM-130B",
        "status": "reported",
        "quantity": 768,
        "confidence": "confident",
    }
    assert "valid_from" not in glm
    assert "2022-08-04" in glm["notes"]
    paper, dataset = glm["sources"]
    assert dataset == "src-epoch-ml-systems-dataset-2024-11-14"
    assert _records(folder, "sources")[paper]["title"] == "GLM-130B: An Open Bilingual Pre-trained Model"
    acme = [d for d in dependencies.values() if d["system"] == "Acme-LM"]
    # Two organizations x two parts; the quantity covers both parts, so it is left to the notes.
    assert sorted((d["dependent"], d["depends_on"]) for d in acme) == [
        ("actor:acme-labs-inc", "nvidia-a100-pcie"),
        ("actor:acme-labs-inc", "nvidia-a100-sxm4-40-gb"),
        ("actor:tsinghua-university", "nvidia-a100-pcie"),
        ("actor:tsinghua-university", "nvidia-a100-sxm4-40-gb"),
    ]
    assert all("quantity" not in d and "1024" in d["notes"] for d in acme)
    # Two models citing one link share one source.
    solo = next(d for d in dependencies.values() if d["system"] == "Acme-Solo")
    assert solo["sources"][0] == acme[0]["sources"][0]
    noah = next(d for d in dependencies.values() if d["system"] == "Noah-1")
    assert noah["depends_on"] == "nvidia-a100"
    assert "confidence" not in noah
    assert all(len(d["id"]) <= 80 for d in dependencies.values())
    reasons = {(what, reason) for _kind, what, reason in report.skipped}
    assert ("'Wrong-1'", 'Epoch\'s confidence is "Wrong"') in reasons
    assert ("'Pentium-Net' on 'Intel Pentium 4 2.40'", "training hardware not in the hardware file") in reasons
    assert not any(d["system"] in ("Wrong-1", "No-HW", "Pentium-Net") for d in dependencies.values())


def test_a_name_the_matcher_cannot_decide_is_reported_and_never_applied(tmp_path: Path) -> None:
    folder = _seed(tmp_path, overrides=None)
    report = run_import(HARDWARE_CSV, SYSTEMS_CSV, folder, None)
    assert ("actor", "Huawei Noah's Ark Lab", ["huawei"]) in report.undecided
    assert "huawei-noahs-ark-lab" not in _records(folder, "actors")
    assert not any(d["system"] == "Noah-1" for d in _records(folder, "dependencies").values())
    assert 'undecided actor "Huawei Noah\'s Ark Lab": candidates huawei' in report.summary()


def test_the_same_files_give_the_same_bytes_and_a_second_load_changes_nothing(
    tmp_path: Path, engine: sa.Engine
) -> None:
    folder = _seed(tmp_path)
    _import(folder)
    first = {p: p.read_bytes() for p in folder.glob("*/epoch.yaml")}
    again = _import(folder)
    assert again.written == []
    assert {p: p.read_bytes() for p in folder.glob("*/epoch.yaml")} == first
    load_dir(engine, folder)
    second = load_dir(engine, folder)
    assert sum(second.created.values()) + sum(second.updated.values()) + sum(second.deleted.values()) == 0


def test_a_newer_export_updates_the_records_in_place(tmp_path: Path) -> None:
    folder = _seed(tmp_path)
    _import(folder)
    before = _records(folder, "dependencies")
    newer = tmp_path / "systems-newer.csv"
    newer.write_text(SYSTEMS_CSV.read_text(encoding="utf-8-sig").replace(",768,", ",1000,"), encoding="utf-8-sig")
    report = _import(folder, systems=newer)
    after = _records(folder, "dependencies")
    assert set(after) == set(before)
    assert after["glm-130b-tsinghua-university-nvidia-a100-sxm4-40-gb"]["quantity"] == 1000
    assert [p.name for p in report.written] == ["epoch.yaml"]


def test_a_policy_on_the_family_reaches_an_actor_through_a_variant(tmp_path: Path, database_url: str) -> None:
    folder = _seed(tmp_path)
    _import(folder)
    load_dir(make_engine(database_url), folder)
    settings = Settings(database_url=database_url, techsov_seed_dir=folder)
    with TestClient(create_app(settings)) as client:
        body = client.get("/v1/actors/tsinghua-university/exposure?as_of=2023-01-01").json()
        (finding,) = [e for e in body["exposures"] if e["policy"]["id"] == "rule-2022-10"]
        assert finding["hardware"]["id"] == "nvidia-a100"
        assert finding["depth"] == 2
        glm = next(p for p in finding["paths"] if p["hops"][0]["system"] == "GLM-130B")
        dependency, family = glm["hops"]
        assert (dependency["kind"], dependency["to"]["id"]) == ("dependency", "nvidia-a100-sxm4-40-gb")
        assert len(dependency["sources"]) == 2
        assert family["kind"] == "family"
        assert family["dependency"] is None
        assert (family["from"]["id"], family["to"]["id"]) == ("nvidia-a100-sxm4-40-gb", "nvidia-a100")
        assert next(s["id"] for s in family["sources"]) == "src-epoch-ml-hardware-dataset-2024-11-14"
        assert glm["weakest_status"] == "reported"

        policy = client.get("/v1/policies/rule-2022-10/exposure?as_of=2023-01-01").json()
        exposed = {g["actor"]["id"] for g in policy["exposed"]}
        # Acme Labs uses the variants too, but the rule targets China and Acme is in Freedonia.
        assert "tsinghua-university" in exposed
        assert "acme-labs-inc" not in exposed

        graph = client.get("/v1/graph?root=policy:rule-2022-10&depth=1&edges=restricts").json()
        restricts = {(e["data"]["target"], e["data"].get("via_family")) for e in graph["edges"]}
        assert restricts == {
            ("hardware:nvidia-a100", None),
            ("hardware:nvidia-a100-pcie", "nvidia-a100"),
            ("hardware:nvidia-a100-sxm4-40-gb", "nvidia-a100"),
        }
        variants = client.get("/v1/graph?root=hardware:nvidia-a100&depth=1&edges=variant_of").json()
        assert {e["data"]["source"] for e in variants["edges"]} == {
            "hardware:nvidia-a100-pcie",
            "hardware:nvidia-a100-sxm4-40-gb",
        }


def test_bad_input_is_a_clear_error_naming_the_column(tmp_path: Path) -> None:
    folder = _seed(tmp_path)
    broken = tmp_path / "broken.csv"
    broken.write_text("\ufeffSystem,Organization\nX,Y\n", encoding="utf-8")
    with pytest.raises(EpochImportError, match=r"missing column.*'Training hardware'"):
        _import(folder, systems=broken)
    result = CliRunner().invoke(
        app, ["import", "epoch", "--hardware", str(tmp_path / "none.csv"), "--systems", str(SYSTEMS_CSV),
              "--to", str(folder)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "none.csv: no such file" in " ".join(result.output.split())
    assert not (folder / "actors" / "epoch.yaml").exists()


def test_the_command_prints_the_report(tmp_path: Path) -> None:
    folder = _seed(tmp_path)
    result = CliRunner().invoke(
        app, ["import", "epoch", "--hardware", str(HARDWARE_CSV), "--systems", str(SYSTEMS_CSV), "--to", str(folder)]
    )
    assert result.exit_code == 0, result.output
    assert "created: 4 actors, 7 dependencies, 3 hardware, 5 sources" in result.output
    assert "matched hardware 'NVIDIA A100' -> nvidia-a100" in result.output


def test_ids_are_slugs_of_at_most_80_characters() -> None:
    assert slugify("Huawei Noah's Ark Lab") == "huawei-noahs-ark-lab"
    assert slugify("Xi’an Jiaotong University") == "xian-jiaotong-university"
    long = slugify("a very long model name " * 10)
    assert len(long) == 80
    assert long == slugify("a very long model name " * 10)


def test_candidate_duplicates_are_listed_by_normalised_name() -> None:
    found = duplicate_names([("a", {"name": "Huawei"}), ("b", {"name": "X", "names": {"zh-Hans": "华为"}})])
    assert found == {"huawei": ["a", "b"]}
