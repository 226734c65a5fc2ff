"""The citation checks (duplicates, links to copies) and the quality figures, in `seed validate` and the card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app
from app.core.config import Settings
from app.core.state import dataset_state
from app.main import create_app
from app.seeding.quality import Domain, quality_figures, read_publisher_domains, store_quality
from app.seeding.run import check_dir, load_dir
from tests.conftest import write_seed

ACTORS = """\
- id: china
  kind: state
  name: China
  names: {zh-Hans: 中国}
  sources: [src-a]
- id: taiwan
  kind: state
  name: Taiwan
  sources: [src-a]
- id: mofcom
  kind: government_body
  name: Ministry of Commerce
  names: {zh-Hans: 商务部}
  country: china
  website: https://www.mofcom.gov.cn
  sources: [src-a]
- id: mofcom-bureau
  kind: agency
  name: A bureau of MOFCOM
  parent: mofcom
  sources: [src-b]
- id: lab
  kind: research_lab
  name: An imported lab
  country: china
  tags: [epoch-ai]
  sources: [src-b]
"""

SOURCES = """\
- id: src-a
  name: MOFCOM announcement
  title: 商务部公告
  publisher: mofcom
  url: https://english.mofcom.gov.cn/a/1.html
  published_on: 2023-07-03
  kind: primary
- id: src-b
  name: A wire story read on a regional site
  title: Wire story
  publisher: Example Wire
  url: https://regional.example.net/story
  kind: press
"""

PUBLISHERS = """\
- publisher: Example Wire
  domains: [wire.example.org, github.com/example-wire]
"""


def _folder(tmp_path: Path, sources: str = SOURCES, publishers: str = PUBLISHERS) -> Path:
    return write_seed(
        tmp_path / "seed", {"actors.yaml": ACTORS, "sources.yaml": sources, "publishers.yaml": publishers}
    )


def test_a_link_off_the_publishers_domains_is_a_warning_with_file_and_line(tmp_path: Path) -> None:
    checked = check_dir(_folder(tmp_path))
    assert checked.errors == []
    assert [str(w) for w in checked.warnings] == [
        f"{tmp_path}/seed/sources.yaml:8: url: regional.example.net is not a domain of the publisher "
        "'Example Wire' (seed/publishers.yaml): cite the original publisher's address and put a copy's in "
        "retrieved_from"
    ]


def test_an_actor_publishers_website_and_a_path_prefix_count_as_its_domains() -> None:
    assert Domain.parse("github.com/example-wire").covers("github.com", "/example-wire/repo")
    assert not Domain.parse("github.com/example-wire").covers("github.com", "/example-wirex")
    assert Domain.parse("gov.cn").covers("www.gov.cn", "/zhengce")
    assert not Domain.parse("gov.cn").covers("notgov.cn", "/")


def test_two_sources_with_the_same_url_or_title_are_errors(tmp_path: Path) -> None:
    doubled = (
        SOURCES
        + """\
- id: src-c
  name: The same announcement again
  title: " 商务部公告 "
  publisher: mofcom
  url: https://english.mofcom.gov.cn/a/1.html/
  kind: primary
"""
    )
    errors = [str(e) for e in check_dir(_folder(tmp_path, doubled)).errors]
    assert errors == [
        f"{tmp_path}/seed/sources.yaml:14: url: the same url as source 'src-a': merge the two into one source and "
        "cite it",
        f"{tmp_path}/seed/sources.yaml:14: title: the same title as source 'src-a': merge the two into one source "
        "and cite it",
    ]


def test_two_rules_of_the_same_title_at_their_own_addresses_are_two_documents(tmp_path: Path) -> None:
    rules = (
        SOURCES
        + """\
- id: src-rule-1
  name: One rule
  title: Additions to the Entity List
  publisher: Federal Register
  url: https://www.federalregister.gov/d/2025-00704
  published_on: 2025-01-16
  kind: primary
- id: src-rule-2
  name: Another rule of the same day
  title: Additions to the Entity List
  publisher: Federal Register
  url: https://www.federalregister.gov/d/2025-00480
  published_on: 2025-01-16
  kind: primary
- id: src-rule-2-again
  name: The second rule, cited again without its address
  title: Additions to the Entity List
  publisher: Federal Register
  published_on: 2025-01-16
  kind: primary
"""
    )
    errors = [str(e) for e in check_dir(_folder(tmp_path, rules)).errors]
    assert errors == [
        f"{tmp_path}/seed/sources.yaml:28: title: the same title as source 'src-rule-1': merge the two into one "
        "source and cite it"
    ]


def test_a_bad_publishers_file_is_reported_with_its_line_and_entries_for_one_publisher_add_up(tmp_path: Path) -> None:
    bad = "- publisher: Example Wire\n  domains: []\n- publisher: X\n  domain: [x.org]\n"
    errors = [str(e) for e in check_dir(_folder(tmp_path, publishers=bad)).errors]
    places = [e.split(": ", 1)[0].rsplit("/", 1)[1] for e in errors]
    assert places == ["publishers.yaml:2", "publishers.yaml:3", "publishers.yaml:4"]
    twice = PUBLISHERS + "- publisher: Example Wire\n  domains: [regional.example.net]\n"
    checked = check_dir(_folder(tmp_path, publishers=twice))
    assert (checked.errors, checked.warnings) == ([], [])


def test_the_figures_count_curated_records_primary_links_at_the_publisher_and_chinese_names(tmp_path: Path) -> None:
    figures = check_dir(_folder(tmp_path)).quality()
    assert (figures["curated_records"], figures["imported_records"]) == (4, 1)
    assert figures["sourced"] == 1.0
    # china, taiwan and mofcom cite src-a: primary, at mofcom's website; the bureau cites only the wire story
    assert figures["primary_sourced"] == figures["primary_sourced_at_publisher"] == 0.75
    # based in China or Taiwan, imported aside: china, taiwan (needs zh-Hant), mofcom, the bureau (by its parent)
    assert figures["china_based_actors_without_chinese_name"] == ["mofcom-bureau", "taiwan"]
    assert figures["chinese_names"] == 0.5
    assert (figures["sources_without_date"], figures["sources_without_url"]) == (1, 0)
    assert (figures["source_urls_not_at_publisher"], figures["source_urls_with_undeclared_publisher"]) == (1, 0)


def test_a_statement_cited_only_to_the_press_is_counted() -> None:
    records: dict[str, list[dict[str, Any]]] = {
        "source": [{"id": "s", "kind": "press", "title": "T"}],
        "statement": [{"id": "q", "sources": ["s"]}],
    }
    assert quality_figures(records, {})["quotations_with_only_secondary_sources"] == 1


def test_validate_prints_the_warnings_and_the_figures(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["seed", "validate", str(_folder(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "is not a domain of the publisher 'Example Wire'" in result.stderr
    assert "; 1 warning(s)" in result.stdout
    assert "  primary sourced at publisher: 75.0%" in result.stdout
    assert "  china based actors without chinese name: 2 (mofcom-bureau, taiwan)" in result.stdout


def test_a_load_stores_the_figures_for_the_dataset_card(tmp_path: Path, engine: sa.Engine, database_url: str) -> None:
    folder = _folder(tmp_path)
    load_dir(engine, folder)
    with TestClient(create_app(Settings(database_url=database_url, techsov_seed_dir=folder))) as client:
        card = client.get("/v1").json()
    assert card["quality"] == check_dir(folder).quality()


def test_a_first_load_stores_the_figures_the_stored_records_give(
    tmp_path: Path, engine: sa.Engine, database_url: str
) -> None:
    # A first load computes them from the records it wrote, without reading them back: the same figures.
    folder = _folder(tmp_path)
    load_dir(engine, folder)
    with engine.begin() as connection:
        kept = connection.execute(sa.select(dataset_state.c.quality)).scalar_one()
        assert kept == store_quality(connection, read_publisher_domains(folder, []))
        assert kept["primary_sourced"] == 0.75
