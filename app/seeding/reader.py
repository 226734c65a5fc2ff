"""Read seed files (YAML, or NDJSON for bulk data) into plain values that remember their lines."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from sys import intern
from typing import Any

import orjson
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from app.records.registry import RECORD_TYPE_LIST, RecordType

try:
    from _ruamel_yaml import CParser  # type: ignore[import-not-found]  # libyaml's parser, from ruamel.yaml.clib
except ImportError:  # pragma: no cover - the pure parser reads everything, only slower
    CParser = None


class LineDict(dict[Any, Any]):
    """A mapping that knows the line it starts on and the line of each key."""

    __slots__ = ("key_lines", "line")
    line: int
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence that knows the line it starts on and the line of each item."""

    __slots__ = ("item_lines", "line")
    line: int
    item_lines: list[int]


FIX_FIRST = (
    " — fix this first: the rest of the seed is checked once every file reads whole (a record this file could "
    "not give would make every reference to it look wrong)"
)


@dataclass(frozen=True)
class SeedError:
    """One problem in the seed files, printed as `file:line: field: message`."""

    path: str
    line: int | None
    field: str
    message: str
    unreadable: bool = False
    """The file could not be read whole (a syntax error, not UTF-8): nothing else is checked until it is fixed."""

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


class _Unusual(Exception):
    """The file uses YAML the event reader leaves to ruamel's composer (tags, merge keys, several documents…)."""


_STR_TAG = "tag:yaml.org,2002:str"
_CONSTRUCTED_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))
_MAX_DEPTH = 64
"""Deeper files go through ruamel's composer, so they fail (or not) exactly as before."""


class _PlainScalars:
    """Plain scalars resolved and built as ruamel's YAML 1.2 safe loader builds them, with its own tables."""

    def __init__(self) -> None:
        yaml = YAML(typ="safe")
        table: dict[str | None, list[tuple[str, Any]]] = yaml.resolver.versioned_resolver
        # ruamel compiles its patterns lazily behind a proxy; the same patterns, compiled once, match faster.
        compiled = {
            first: tuple((tag, re.compile(regexp.pattern, regexp.flags)) for tag, regexp in resolvers)
            for first, resolvers in table.items()
        }
        any_first: tuple[tuple[str, re.Pattern[str]], ...] = compiled.get(None, ())
        self.by_first: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
            first: (*resolvers, *any_first) for first, resolvers in compiled.items() if first is not None
        }
        self.any_first = any_first
        self.constructor = _LineConstructor(loader=yaml)
        self.constructors: dict[str, Callable[[_LineConstructor, ScalarNode], Any]] = {
            tag: _LineConstructor.yaml_constructors[tag] for tag in _CONSTRUCTED_TAGS
        }

    def tag(self, value: str) -> str:
        """The tag ruamel's resolver gives a plain scalar (its `resolve`, without the per-call setup)."""
        for tag, regexp in self.by_first.get(value[:1], self.any_first):
            if regexp.match(value):
                return tag
        return _STR_TAG

    def value(self, value: str) -> Any:
        """The Python value of a plain scalar."""
        tag = self.tag(value)
        if tag == _STR_TAG:
            return value
        construct = self.constructors.get(tag)
        if construct is None:
            raise _Unusual(f"plain scalar with tag {tag}")  # merge keys `<<`, `=`
        return construct(self.constructor, ScalarNode(tag, value))


def _load_events(text: str, duplicate_keys: list[tuple[int, str]]) -> Any:
    """Build LineDict/LineList straight from libyaml's events, as `_LineConstructor` builds them from nodes.

    Skips ruamel's node tree (most of the time and memory of a large file).
    Raises `_Unusual` for what it leaves to ruamel, YAMLError for what
    libyaml cannot parse.
    """
    parser = CParser(text)
    try:
        return _EventReader(parser.get_event, _plain_scalars(), duplicate_keys).document()
    finally:
        parser.dispose()


class _EventReader:
    """One pass over the events of one file."""

    def __init__(
        self, get_event: Callable[[], Any], scalars: _PlainScalars, duplicate_keys: list[tuple[int, str]]
    ) -> None:
        self.get_event = get_event
        self.scalars = scalars
        self.duplicate_keys = duplicate_keys
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.depth = 0

    def document(self) -> Any:
        """The single document of the stream (None when there is none)."""
        get_event = self.get_event
        if type(get_event()) is not StreamStartEvent:
            raise _Unusual("no stream start")
        event = get_event()
        if type(event) is StreamEndEvent:
            return None
        if type(event) is not DocumentStartEvent or event.version is not None or event.tags:
            raise _Unusual("document directives")
        root, _line = self.node(get_event(), discard=False)
        if type(get_event()) is not DocumentEndEvent or type(get_event()) is not StreamEndEvent:
            raise _Unusual("more than one document")
        return root

    def node(self, event: Any, discard: bool) -> tuple[Any, int]:
        """The value an event starts and the line ruamel gives it.

        `discard`: inside the value of a duplicate key, which ruamel never
        builds, so nothing in it may be reported or referred to.
        """
        kind = type(event)
        if kind is AliasEvent:
            if event.anchor not in self.anchors:
                raise _Unusual("alias to an unknown or unfinished anchor")
            return self.anchors[event.anchor]
        if event.ctag is not None:
            raise _Unusual("explicit tag")
        anchor = event.anchor
        if anchor is not None and (discard or anchor in self.anchors):
            raise _Unusual("anchor in a dropped value, or defined twice")
        if kind is ScalarEvent:
            value = event.value
            if event.implicit[0]:
                value = self.scalars.value(value)
            found = (value, event.start_mark.line + 1)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if self.depth >= _MAX_DEPTH:
                raise _Unusual("deep nesting")
            self.depth += 1
            found = self.mapping(event, discard) if kind is MappingStartEvent else self.sequence(event, discard)
            self.depth -= 1
        else:
            raise _Unusual(f"unexpected {kind.__name__}")
        if anchor is not None:
            if anchor in self.anchors:
                raise _Unusual("anchor defined twice")
            self.anchors[anchor] = found
        return found

    def mapping(self, start: Any, discard: bool) -> tuple[LineDict, int]:
        """A mapping, its keys' lines, and its duplicate keys reported."""
        data = LineDict()
        data.line = line = start.start_mark.line + 1
        key_lines: dict[Any, int] = {}
        data.key_lines = key_lines
        get_event, node = self.get_event, self.node
        by_first, any_first, plain_value = self.scalars.by_first, self.scalars.any_first, self.scalars.value
        while True:
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent and event.anchor is None and event.ctag is None:
                key = event.value
                # Field names are interned: the same few names, once in memory instead of once per record.
                key = plain_value(key) if event.implicit[0] and by_first.get(key[:1], any_first) else intern(key)
                key_line = event.start_mark.line + 1
            elif kind is MappingEndEvent:
                return data, line
            elif kind is ScalarEvent or kind is AliasEvent:
                key, key_line = node(event, discard)
                if isinstance(key, (LineDict, LineList)):
                    raise _Unusual("complex mapping key")
            else:
                raise _Unusual("complex mapping key")
            duplicate = key in data
            if duplicate and not discard:
                self.duplicate_keys.append(
                    (key_line, f"duplicate key '{key}' (first on line {key_lines[key]}); keep one")
                )
            event = get_event()
            if type(event) is ScalarEvent and event.anchor is None and event.ctag is None:
                value = event.value
                if event.implicit[0] and by_first.get(value[:1], any_first):
                    value = plain_value(value)  # a number, a boolean, null…; most text starts otherwise
            else:
                value, _value_line = node(event, discard or duplicate)
            if not duplicate:
                data[key] = value
                key_lines[key] = key_line

    def sequence(self, start: Any, discard: bool) -> tuple[LineList, int]:
        """A sequence and its items' lines."""
        data = LineList()
        data.line = line = start.start_mark.line + 1
        item_lines: list[int] = []
        data.item_lines = item_lines
        get_event, node = self.get_event, self.node
        by_first, any_first, plain_value = self.scalars.by_first, self.scalars.any_first, self.scalars.value
        while True:
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent and event.anchor is None and event.ctag is None:
                value = event.value
                if event.implicit[0] and by_first.get(value[:1], any_first):
                    value = plain_value(value)
                data.append(value)
                item_lines.append(event.start_mark.line + 1)
            elif kind is SequenceEndEvent:
                return data, line
            else:
                value, item_line = node(event, discard)
                data.append(value)
                item_lines.append(item_line)


@functools.cache
def _plain_scalars() -> _PlainScalars:
    return _PlainScalars()


def _yaml(pure: bool) -> YAML:
    yaml = YAML(typ="safe", pure=pure)
    yaml.Constructor = _LineConstructor
    return yaml


def read_yaml(path: Path, shown: str, errors: list[SeedError]) -> Any:
    """A YAML file as LineDict/LineList values; problems go to `errors` and give None."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        errors.append(SeedError(shown, None, "(file)", f"not UTF-8 text ({exc.reason}){FIX_FIRST}", unreadable=True))
        return None
    try:
        return _parse_yaml_events(text, shown, errors)
    except _Unusual:
        pass  # ruamel's composer reads it below, exactly as it always has
    except YAMLError:
        return _parse_yaml_pure(text, shown, errors)
    try:
        return _parse_yaml(text, shown, errors, pure=False)
    except YAMLError:
        # libyaml (the fast C parser) is YAML 1.1 and rejects some valid YAML 1.2,
        # such as `[actor:huawei]`; the pure parser is slower but exact, and its
        # error messages are the ones we report.
        return _parse_yaml_pure(text, shown, errors)


def _parse_yaml_events(text: str, shown: str, errors: list[SeedError]) -> Any:
    if CParser is None:  # pragma: no cover
        raise _Unusual("no libyaml")
    duplicate_keys: list[tuple[int, str]] = []
    data = _load_events(text, duplicate_keys)
    for line, message in duplicate_keys:
        errors.append(SeedError(shown, line, "(yaml)", message))
    return data


def _parse_yaml_pure(text: str, shown: str, errors: list[SeedError]) -> Any:
    try:
        return _parse_yaml(text, shown, errors, pure=True)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        errors.append(SeedError(shown, line, "(yaml)", (exc.problem or str(exc)).strip() + FIX_FIRST, unreadable=True))
        return None
    except (YAMLError, ValueError, RecursionError) as exc:
        message = f"cannot read this file: {str(exc).strip()}{FIX_FIRST}"
        errors.append(SeedError(shown, None, "(yaml)", message, unreadable=True))
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
                errors.append(SeedError(shown, number, "(json)", f"{exc}{FIX_FIRST}", unreadable=True))
                continue
            # A record stays a plain dict: all its fields are on its own line,
            # which is the line `RawRecord.line_of` falls back to.
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
        data = _read_ndjson(path, shown, errors) if path.suffix == ".ndjson" else read_yaml(path, shown, errors)
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
