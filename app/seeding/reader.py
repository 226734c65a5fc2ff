"""Read seed files (YAML, or NDJSON for bulk data) into plain values that remember their lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from app.records.registry import RECORD_TYPE_LIST, RecordType


class LineDict(dict[Any, Any]):
    """A mapping that knows the line it starts on and the line of each key."""

    line: int
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence that knows the line it starts on and the line of each item."""

    line: int
    item_lines: list[int]


@dataclass(frozen=True)
class SeedError:
    """One problem in the seed files, printed as `file:line: field: message`."""

    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.field}: {self.message}"


@dataclass
class RawRecord:
    """A record as read from a file, before validation."""

    record_type: RecordType
    data: Any
    path: str
    line: int

    def line_of(self, loc: tuple[str | int, ...]) -> int:
        """The most specific line known for a field path such as ('roles', 0, 'of')."""
        node, line = self.data, self.line
        for part in loc:
            if isinstance(node, LineDict) and part in node:
                line = node.key_lines.get(part, line)
                node = node[part]
            elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
                line = node.item_lines[part]
                node = node[part]
            else:
                break
        return line


class _LineConstructor(SafeConstructor):
    """Builds LineDict/LineList and reports duplicate keys instead of stopping at the first."""

    duplicate_keys: list[tuple[int, str]]

    def construct_line_map(self, node: MappingNode) -> Iterator[LineDict]:
        data = LineDict()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                self.duplicate_keys.append((line, "a mapping key must be a plain value"))
                continue
            if key in data:
                self.duplicate_keys.append(
                    (line, f"duplicate key '{key}' (first on line {data.key_lines[key]}); keep one")
                )
                continue
            data[key] = self.construct_object(value_node, deep=True)
            data.key_lines[key] = line

    def construct_line_seq(self, node: SequenceNode) -> Iterator[LineList]:
        data = LineList()
        data.line = node.start_mark.line + 1
        data.item_lines = []
        yield data
        for child in node.value:
            data.append(self.construct_object(child, deep=True))
            data.item_lines.append(child.start_mark.line + 1)

    def construct_timestamp_text(self, node: ScalarNode) -> str:
        # Dates stay text: the models check them and report a 30 February
        # against its field, instead of the YAML library failing on it.
        return str(node.value)


_LineConstructor.add_constructor("tag:yaml.org,2002:timestamp", _LineConstructor.construct_timestamp_text)
_LineConstructor.add_constructor("tag:yaml.org,2002:map", _LineConstructor.construct_line_map)
_LineConstructor.add_constructor("tag:yaml.org,2002:seq", _LineConstructor.construct_line_seq)


def _yaml(pure: bool) -> YAML:
    yaml = YAML(typ="safe", pure=pure)
    yaml.Constructor = _LineConstructor
    return yaml


def _read_yaml(path: Path, shown: str, errors: list[SeedError]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        errors.append(SeedError(shown, None, "(file)", f"not UTF-8 text ({exc.reason})"))
        return None
    try:
        return _parse_yaml(text, shown, errors, pure=False)
    except YAMLError:
        # libyaml (the fast C parser) is YAML 1.1 and rejects some valid YAML 1.2,
        # such as `[actor:huawei]`; the pure parser is slower but exact, and its
        # error messages are the ones we report.
        pass
    try:
        return _parse_yaml(text, shown, errors, pure=True)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        errors.append(SeedError(shown, line, "(yaml)", (exc.problem or str(exc)).strip()))
        return None
    except (YAMLError, ValueError, RecursionError) as exc:
        errors.append(SeedError(shown, None, "(yaml)", f"cannot read this file: {str(exc).strip()}"))
        return None


def _parse_yaml(text: str, shown: str, errors: list[SeedError], *, pure: bool) -> Any:
    _LineConstructor.duplicate_keys = []
    try:
        data = _yaml(pure).load(text)
        for line, message in _LineConstructor.duplicate_keys:
            errors.append(SeedError(shown, line, "(yaml)", message))
        return data
    finally:
        _LineConstructor.duplicate_keys = []


def _read_ndjson(path: Path, shown: str, errors: list[SeedError]) -> Any:
    records = LineList()
    records.line, records.item_lines = 1, []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                errors.append(SeedError(shown, number, "(json)", str(exc)))
                continue
            if isinstance(value, dict):
                record = LineDict(value)
                record.line, record.key_lines = number, dict.fromkeys(value, number)
                value = record
            records.append(value)
            records.item_lines.append(number)
    return records


def seed_files(seed_dir: Path) -> Iterator[tuple[RecordType, Path]]:
    """The seed files of each type, in a stable order: `<plural>.yaml` then `<plural>/*.yaml`."""
    for record_type in RECORD_TYPE_LIST:
        for suffix in (".yaml", ".yml", ".ndjson"):
            single = seed_dir / f"{record_type.plural}{suffix}"
            if single.is_file():
                yield record_type, single
        folder = seed_dir / record_type.plural
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix in (".yaml", ".yml", ".ndjson") and path.is_file():
                    yield record_type, path


def read_seed_dir(seed_dir: Path, errors: list[SeedError]) -> list[RawRecord]:
    """Every record in a seed folder; problems with the files themselves go to `errors`."""
    if not seed_dir.is_dir():
        errors.append(SeedError(str(seed_dir), None, "(folder)", "no such seed folder"))
        return []
    records: list[RawRecord] = []
    for record_type, path in seed_files(seed_dir):
        shown = str(path)
        data = _read_ndjson(path, shown, errors) if path.suffix == ".ndjson" else _read_yaml(path, shown, errors)
        if data is None:
            continue
        if not isinstance(data, LineList):
            line = getattr(data, "line", 1)
            errors.append(
                SeedError(
                    shown, line, "(file)", f"expected a list of {record_type.name} records (lines starting with '- ')"
                )
            )
            continue
        for item, line in zip(data, data.item_lines, strict=True):
            records.append(RawRecord(record_type, item, shown, line))
    return records
