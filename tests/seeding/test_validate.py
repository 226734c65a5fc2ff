"""Seed validation: every problem in one run, with file, line, field and a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.seeding.run import check_dir
from tests.conftest import INVALID, VALID

runner = CliRunner()


def write(folder: Path, name: str, text: str) -> None:
    """Write one seed file into a test folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


SOURCE = "- {id: src, name: S, title: S, kind: press}\n"
STATE = "- {id: china, kind: state, name: China, sources: [src]}\n"


def messages(folder: Path) -> list[str]:
    """The problems found in a folder, as printed (paths relative to it)."""
    return [str(e).replace(f"{folder}/", "") for e in check_dir(folder).errors]


def test_the_valid_fixture_has_no_problems() -> None:
    checked = check_dir(VALID)
    assert checked.errors == []
    assert {k: len(v) for k, v in checked.validated.records.items()} == {
        "actor": 7,
        "policy": 3,
        "statement": 1,
        "hardware": 4,
        "dependency": 2,
        "source": 2,
    }


def test_three_errors_in_two_files_are_all_reported_with_file_and_line() -> None:
    result = runner.invoke(app, ["seed", "validate", str(INVALID)])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(INVALID))]
    assert lines == [
        f"{INVALID}/actors.yaml:6: kind: 'compnay' is not allowed — did you mean 'company'? (one of: state, bloc, "
        "government_body, party_body, agency, company, research_lab, media, person, international_org)",
        f"{INVALID}/actors.yaml:13: country: unknown actor 'chna' — did you mean 'china'?",
        f"{INVALID}/sources.yaml:4: published_on: '2019-02-30' is not a calendar date",
    ]
    assert "3 problem(s); nothing was written." in result.stderr


def test_unknown_fields_duplicate_ids_and_duplicate_keys(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", SOURCE)
    write(
        tmp_path,
        "actors.yaml",
        STATE
        + "- id: china\n  kind: state\n  name: Again\n  sources: [src]\n"
        + "- id: x\n  kind: person\n  name: X\n  name: Y\n  contry: china\n  sources: [src]\n",
    )
    assert messages(tmp_path) == [
        "actors.yaml:2: id: duplicate actor id 'china' (also at actors.yaml:1)",
        "actors.yaml:9: (yaml): duplicate key 'name' (first on line 8); keep one",
        "actors.yaml:10: contry: unknown field 'contry' — did you mean 'country'?",
    ]


def test_missing_sources_and_required_fields(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", SOURCE)
    write(
        tmp_path,
        "actors.yaml",
        "- id: a\n  kind: person\n  name: A\n- id: b\n  kind: person\n  name: B\n  sources: []\n",
    )
    write(tmp_path, "statements.yaml", "- id: s\n  name: S\n  speaker: a\n  kind: remark\n  sources: [src]\n")
    assert messages(tmp_path) == [
        "actors.yaml:1: sources: every record must cite at least one source (ids of source records)",
        "actors.yaml:7: sources: every record must cite at least one source (ids of source records)",
        "statements.yaml:1: said_on: required field is missing",
        "statements.yaml:1: original_text: a statement needs `text` or `original_text` (the quotation)",
    ]


def test_dates_out_of_order_are_reported_on_the_later_field(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", SOURCE)
    write(tmp_path, "actors.yaml", STATE)
    write(
        tmp_path,
        "policies.yaml",
        "- id: p\n  kind: law\n  name: P\n  status: expired\n  effective_on: 2020-05\n  ended_on: 2020-04-30\n"
        "  sources: [src]\n",
    )
    write(
        tmp_path,
        "dependencies.yaml",
        "- id: d\n  name: D\n  dependent: actor:china\n  depends_on: h\n  purpose: training\n  status: reported\n"
        "  valid_from: 2021\n  valid_to: 2020\n  sources: [src]\n",
    )
    write(tmp_path, "hardware.yaml", "- {id: h, kind: gpu, name: H, sources: [src]}\n")
    assert messages(tmp_path) == [
        "dependencies.yaml:8: valid_to: valid_to (2020) is before valid_from (2021)",
        "policies.yaml:6: ended_on: ended_on (2020-04-30) is before effective_on (2020-05)",
    ]


def test_references_must_exist_and_be_of_the_right_kind(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", SOURCE + "- {id: src2, name: S2, title: S2, kind: press, publisher: huawe}\n")
    write(
        tmp_path,
        "actors.yaml",
        STATE + "- {id: huawei, kind: company, name: Huawei, country: huawei, sources: [src]}\n",
    )
    write(
        tmp_path,
        "statements.yaml",
        "- id: s\n  name: S\n  speaker: huawei\n  said_on: 2020\n  kind: remark\n  text: t\n"
        "  reported_by: china\n  mentions: [actor:huawie, policy:nothing]\n  sources: [src, scr2]\n",
    )
    assert messages(tmp_path) == [
        "actors.yaml:2: country: 'huawei' is a company; this field takes a state",
        "sources.yaml:2: publisher: unknown actor 'huawe' — did you mean 'huawei'?",
        "statements.yaml:7: reported_by: 'china' is a state; this field takes a media",
        "statements.yaml:8: mentions[0]: unknown actor 'huawie' — did you mean 'huawei'?",
        "statements.yaml:8: mentions[1]: unknown policy 'nothing'",
        "statements.yaml:9: sources[1]: unknown source 'scr2' — did you mean 'src2'?",
    ]


def test_parent_cycles_are_reported_once(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", SOURCE)
    write(
        tmp_path,
        "actors.yaml",
        "- {id: a, kind: company, name: A, parent: b, sources: [src]}\n"
        "- {id: b, kind: company, name: B, parent: c, sources: [src]}\n"
        "- {id: c, kind: company, name: C, parent: a, sources: [src]}\n"
        "- {id: d, kind: company, name: D, parent: a, sources: [src]}\n"
        "- {id: e, kind: company, name: E, parent: e, sources: [src]}\n",
    )
    assert messages(tmp_path) == [
        "actors.yaml:1: parent: parent chain loops: a -> b -> c -> a",
        "actors.yaml:5: parent: parent chain loops: e -> e",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- {id: Bad Id, kind: press, name: S, title: S}\n", "id: 'Bad Id' is not an id: use lowercase letters"),
        ("- {id: s, kind: press, name: S, title: S, url: ftp://x}\n", "url: 'ftp://x' is not an http(s) URL"),
        ('- {id: s, kind: press, name: "a\\0b", title: S}\n', "name: text must not contain NUL characters"),
        ("- {id: s, kind: press, name: S, title: S, language: '!!'}\n", "language: '!!' is not in the expected form"),
        ("- {id: s, kind: pres, name: S, title: S}\n", "kind: 'pres' is not allowed — did you mean 'press'?"),
        ("{id: s}\n", "(file): expected a list of source records"),
        ("- [1, 2]\n", "(record): expected a source record"),
        ("- {id: s, kind: press, name: S\n", "(yaml):"),
    ],
)
def test_hostile_and_malformed_values_are_explained(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, "sources.yaml", text)
    found = messages(tmp_path)
    assert len(found) == 1
    assert expected in found[0]


def test_typed_references_in_flow_lists_parse_as_yaml_1_2(tmp_path: Path) -> None:
    write(tmp_path, "sources.yaml", SOURCE)
    write(tmp_path, "actors.yaml", STATE)
    write(
        tmp_path,
        "statements.yaml",
        "- {id: s, name: S, speaker: china, said_on: 2020, kind: remark, text: t, mentions: [actor:china], "
        "sources: [src], tags: [NO]}\n",
    )
    assert messages(tmp_path) == [
        "statements.yaml:1: tags[0]: 'NO' is not an id: use lowercase letters, digits and single hyphens"
    ]


def test_a_folder_per_type_and_ndjson_files_are_read(tmp_path: Path) -> None:
    write(tmp_path / "sources", "a.yaml", SOURCE)
    write(
        tmp_path / "sources",
        "b.ndjson",
        '{"id": "src2", "name": "S2", "title": "S2", "kind": "press"}\n\n{"id": "src3"}\n',
    )
    assert messages(tmp_path) == [
        "sources/b.ndjson:3: name: required field is missing",
        "sources/b.ndjson:3: title: required field is missing",
        "sources/b.ndjson:3: kind: required field is missing",
    ]


def test_validate_cli_reports_counts_when_valid() -> None:
    result = runner.invoke(app, ["seed", "validate", str(VALID)])
    assert result.exit_code == 0, result.output
    assert "valid (7 actor, 3 policy, 1 statement, 4 hardware, 2 dependency, 2 source)" in result.stdout


def test_a_yaml_syntax_error_is_reported_alone(tmp_path: Path) -> None:
    """Not buried under the "unknown source" of every record that cites the broken file's sources, nor under
    problems computed from the half of the file that parsed."""
    for path in VALID.iterdir():
        write(tmp_path, path.name, path.read_text("utf-8"))
    sources = (tmp_path / "sources.yaml").read_text("utf-8")
    write(tmp_path, "sources.yaml", sources + "- {id: broken, kind: press, name: B\n")
    write(tmp_path, "actors.yaml", (tmp_path / "actors.yaml").read_text("utf-8") + "- {id: x, kind: compnay}\n")
    found = messages(tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith("sources.yaml:")
    assert "(yaml):" in found[0]
    assert "fix this first" in found[0]
    result = runner.invoke(app, ["seed", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "1 problem(s)" in result.stderr
    assert "unknown source" not in result.stderr


def test_a_broken_ndjson_line_is_reported_alone(tmp_path: Path) -> None:
    write(tmp_path / "sources", "a.ndjson", '{"id": "src", "name": "S", "title": "S", "kind": "press"\n')
    write(tmp_path, "actors.yaml", STATE)
    found = messages(tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith("sources/a.ndjson:1: (json):")
    assert "fix this first" in found[0]
