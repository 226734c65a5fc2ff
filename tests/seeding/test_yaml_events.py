"""The YAML event reader gives exactly what ruamel's composer gives: values, lines, errors.

Each case is read twice: by `read_yaml` as it is (events first), and with the
event reader switched off (ruamel's C composer, then its pure parser), which is
how every file was read before the event reader existed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.error import YAMLError

from app.seeding import reader
from app.seeding.reader import LineDict, LineList, SeedError
from tests.conftest import FIXTURES

REPOSITORY = Path(__file__).resolve().parents[2]
SEED_FILES = sorted((REPOSITORY / "seed").glob("*.yaml"))
FIXTURE_FILES = sorted(FIXTURES.glob("**/*.yaml"))


def shape(value: Any) -> Any:
    """A value with its types and every line it remembers, comparable with ==."""
    if isinstance(value, LineDict):
        return ("map", value.line, [(shape(k), value.key_lines[k], shape(v)) for k, v in value.items()])
    if isinstance(value, LineList):
        return ("seq", value.line, list(value.item_lines), [shape(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def read_with_events(path: Path) -> tuple[Any, list[SeedError]]:
    errors: list[SeedError] = []
    return shape(reader.read_yaml(path, str(path), errors)), errors


def read_with_composer(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[SeedError]]:
    def unusual(*_args: Any) -> Any:
        raise reader._Unusual("switched off")

    with monkeypatch.context() as patch:
        patch.setattr(reader, "_load_events", unusual)
        errors: list[SeedError] = []
        return shape(reader.read_yaml(path, str(path), errors)), errors


def events_only(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """What the event reader alone makes of a text (raises _Unusual when it hands over)."""
    duplicates: list[tuple[int, str]] = []
    return shape(reader._load_events(text, duplicates)), duplicates


def assert_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_with_events(path) == read_with_composer(path, monkeypatch)


@pytest.mark.parametrize("path", SEED_FILES + FIXTURE_FILES, ids=lambda p: str(p.relative_to(REPOSITORY)))
def test_the_seed_and_fixture_files_read_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same(path, monkeypatch)


TRICKY = {
    "scalars": """\
- plain: text
  no: NO
  yes_: yes
  off: Off
  tilde: ~
  null_word: null
  Null_word: Null
  empty:
  true_: true
  True_: True
  TRUE_: TRUE
  octal: 0o17
  leading_zero: 017
  hex: 0x1F
  binary: 0b101
  exp: 1e3
  float: 1.5e3
  inf: .inf
  minus_inf: -.inf
  nan: .NaN
  underscores: 1_000
  plus: +12
  minus_zero: -0
  sexagesimal: 1:20
  time: 12:30:45
  quoted_number: '12'
  double_quoted_number: "12"
  quoted_true: "true"
  quoted_empty: ""
  day: 2019-02-28
  impossible_day: 2019-02-30
  month: 2019-02
  year: 2019
  timestamp: 2019-02-28T10:00:00Z
  spaced_timestamp: 2019-02-28 10:00:00
  url: https://example.org/a?b=c#d
  colon_inside: actor:huawei
  version: 1.2.3
  chinese: 华为技术有限公司
""",
    "block scalars": """\
- literal: |
    12
    two lines
  folded: >
    folded
    text
  keep: |+
    kept

  strip: |-
    stripped
  indented: |2
      two more
""",
    "anchors and aliases": """\
- &base
  id: a
  name: A
  tags: [x, y]
- id: b
  copy: *base
  list: [*base, *base]
  scalar: &word hello
  again: *word
  *word : as a key
- &items [1, 2, 3]
- *items
""",
    "duplicate keys": """\
- id: a
  name: A
  name: B
  nested:
    k: 1
    k: 2
  roles:
    - title: T
      title: U
- id: a
  id: b
  id: c
""",
    "duplicate key with nested duplicates in the dropped value": """\
- id: a
  sub: {x: 1}
  sub:
    x: 1
    x: 2
""",
    "keys that are not text": """\
- 1: one
  1.0: float one
  true: yes
  ~: nothing
  null: again
  2019-01-01: a date
""",
    "flow and layout": """\
- {id: a, name: "A, quoted", tags: [a, 'b', "c"], empty_map: {}, empty_list: []}
- id: b

  # a comment between keys
  name: B   # a trailing comment
- - nested
  - list
- plain scalar item
-
-   - deep
    - {a: [1, {b: [2, {c: 3}]}]}
""",
    "windows line ends": "- id: a\r\n  name: A\r\n  name: B\r\n",
    "byte order mark": "\ufeff- id: a\n  name: A\n",
    "a mapping, not a list": "id: a\nname: A\n",
    "a scalar document": "just text\n",
    "explicit document": "---\n- a\n...\n",
    "empty": "",
    "only a comment": "# nothing here\n",
    "only a document marker": "---\n",
}

HANDED_OVER = {
    "explicit tag": "- !!str 12\n",
    "local tag": "- !thing x\n",
    "non-specific tag": "- ! 12\n",
    "merge key": "- base: &b {x: 1}\n  other:\n    <<: *b\n    y: 2\n",
    "value key": "- =: x\n",
    "two documents": "- a\n---\n- b\n",
    "yaml directive": "%YAML 1.1\n---\n- no\n",
    "tag directive": "%TAG !e! tag:example.com,2000:\n---\n- !e!x y\n",
    "complex key": "- ? [a, b]\n  : c\n",
    "mapping as key": "- ? {a: 1}\n  : c\n",
    "alias to a mapping as key": "- &m {a: 1}\n- {*m : x}\n",
    "recursive alias": "- &a [1, *a]\n",
    "undefined alias": "- *nowhere\n",
    "anchor defined twice": "- &a x\n- &a y\n- *a\n",
    "anchor in a dropped value": "- k: 1\n  k: &a 2\n  j: *a\n",
    "deep nesting": "- " + "[" * 100 + "]" * 100 + "\n",
}

BROKEN = {
    "typed reference in a flow list (libyaml is YAML 1.1)": "- mentions: [actor:huawei]\n",
    "bad indentation": "- id: a\n   name: A\n  kind: b\n",
    "unclosed quote": "- name: 'A\n",
    "tab indentation": "- id: a\n\tname: A\n",
    "unclosed flow": "- [a, b\n",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "records.yaml"
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize("text", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_yaml_is_read_by_the_events_and_reads_the_same(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events_only(text.replace("\r\n", "\n"))  # handled without handing over
    assert_same(write(tmp_path, text), monkeypatch)


@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
@pytest.mark.parametrize("text", HANDED_OVER.values(), ids=HANDED_OVER.keys())
def test_unusual_yaml_is_handed_to_ruamel_and_reads_the_same(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(reader._Unusual):
        events_only(text)
    assert_same(write(tmp_path, text), monkeypatch)


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_yaml_libyaml_rejects_goes_to_the_pure_parser_and_reads_the_same(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(YAMLError):
        events_only(text)
    assert_same(write(tmp_path, text), monkeypatch)


def test_values_and_lines_of_the_event_reader() -> None:
    duplicates: list[tuple[int, str]] = []
    reader._load_events(TRICKY["scalars"] + TRICKY["duplicate keys"], duplicates)
    assert duplicates[0] == (42, "duplicate key 'name' (first on line 41); keep one")
    record = reader._load_events(TRICKY["scalars"], [])[0]
    assert [record[k] for k in ("no", "tilde", "empty", "octal", "exp")] == ["NO", None, None, 15, 1e3]
    assert (record["quoted_number"], record["impossible_day"], record["timestamp"]) == (
        "12",
        "2019-02-30",
        "2019-02-28T10:00:00Z",
    )
    assert record.key_lines["impossible_day"] == 31


def test_aliases_share_the_anchored_value_and_its_line() -> None:
    data = reader._load_events(TRICKY["anchors and aliases"], [])
    base, second = data[0], data[1]
    assert second["copy"] is base
    assert second["list"].item_lines == [1, 1]
    assert second.key_lines["copy"] == 6
    assert (second["again"], second["hello"]) == ("hello", "as a key")
    assert second.key_lines["hello"] == 8  # an alias stands where its anchor was written, as in ruamel
