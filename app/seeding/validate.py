"""Validate every seed record and every reference between them, collecting all problems."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from app.core.errors import format_loc
from app.core.suggest import did_you_mean
from app.records.registry import BY_NAME, RECORD_TYPE_LIST, RecordType
from app.records.storage import Reference, StoredField
from app.records.validation import explain
from app.seeding.reader import RawRecord, SeedError

# id -> actor kind (None for other types), per record type
KnownIds = Mapping[str, Mapping[str, str | None]]


@dataclass(slots=True)
class ValidRecord:
    """A record that passed its model: its canonical data and the hash of that data."""

    record_type: RecordType
    data: dict[str, Any]
    content_hash: str
    path: str
    line: int


@dataclass
class ValidatedSeed:
    """The outcome of validation: the records by type and every problem found."""

    records: dict[str, list[ValidRecord]] = field(default_factory=dict)
    errors: list[SeedError] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Number of valid records."""
        return sum(len(v) for v in self.records.values())


def canonical(instance: BaseModel) -> dict[str, Any]:
    """The record as seed files write it: by alias, without empty or missing fields."""
    data = instance.model_dump(mode="json", by_alias=True, exclude_none=True)
    # `v or …` first: most values are truthy, and the dump holds only JSON's types (no other empty container).
    return {k: v for k, v in data.items() if v or (v != [] and v != {})}


def content_hash(data: Mapping[str, Any]) -> str:
    """A stable hash of a record's content, to tell a real change from a re-load."""
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _check_models(
    raws: list[RawRecord], result: ValidatedSeed, invalid_ids: dict[str, set[str]]
) -> dict[str, dict[str, ValidRecord]]:
    """Validate each record against its model; ids of invalid records go to `invalid_ids`."""
    by_id: dict[str, dict[str, ValidRecord]] = {t.name: {} for t in RECORD_TYPE_LIST}
    for raw in raws:
        record_type = raw.record_type
        if not isinstance(raw.data, dict):
            result.errors.append(
                SeedError(raw.path, raw.line, "(record)", f"expected a {record_type.name} record (a mapping of fields)")
            )
            continue
        data = raw.data
        declared = data.get("type", record_type.name)
        if "type" in data:
            data = {k: v for k, v in data.items() if k != "type"}
        if declared != record_type.name:
            result.errors.append(
                SeedError(
                    raw.path,
                    raw.line_of(("type",)),
                    "type",
                    f"a {declared} record in a {record_type.plural} file; move it to the "
                    f"{BY_NAME.get(str(declared), record_type).plural} file",
                )
            )
            continue
        try:
            instance = record_type.model.model_validate(data)
        except ValidationError as exc:
            if isinstance(data.get("id"), str):
                invalid_ids[record_type.name].add(data["id"])
            for problem in explain(record_type.model, exc):
                result.errors.append(SeedError(raw.path, raw.line_of(problem.loc), problem.field, problem.message))
            continue
        canon = canonical(instance)
        record_id = canon["id"]
        earlier = by_id[record_type.name].get(record_id)
        if earlier is not None:
            result.errors.append(
                SeedError(
                    raw.path,
                    raw.line_of(("id",)),
                    "id",
                    f"duplicate {record_type.name} id '{record_id}' (also at {earlier.path}:{earlier.line})",
                )
            )
            continue
        valid = ValidRecord(record_type, canon, content_hash(canon), raw.path, raw.line)
        by_id[record_type.name][record_id] = valid
        if type(raw.data) is dict:
            # An NDJSON record's fields all sit on its own line: its lines need no more than its id,
            # and the canonical data replaces the raw fields (half the memory of a large load).
            raw.data = {"id": raw.data["id"]}
    return by_id


def _reference_fields(record_type: RecordType) -> list[StoredField]:
    """The fields of a type that can refer to other records (the others are skipped per type, not per record)."""
    return [f for f in record_type.fields if type(f).references is not StoredField.references]


def _check_references(
    raws_by_key: dict[tuple[str, str], RawRecord],
    by_id: dict[str, dict[str, ValidRecord]],
    known: KnownIds,
    invalid_ids: dict[str, set[str]],
    result: ValidatedSeed,
) -> None:
    kinds: dict[str, dict[str, str | None]] = {t.name: dict(known.get(t.name, {})) for t in RECORD_TYPE_LIST}
    for type_name, records in by_id.items():
        type_kinds = kinds[type_name]
        for record_id, valid in records.items():
            type_kinds[record_id] = valid.data.get("kind")
    for type_name, records in by_id.items():
        fields = _reference_fields(BY_NAME[type_name])
        for record_id, valid in records.items():
            data = valid.data
            for stored in fields:
                value = data.get(stored.alias)
                if value is None:
                    continue
                for ref in stored.references(value):
                    targets = kinds[ref.target_type]
                    if ref.target_id in targets:
                        kind = targets[ref.target_id]
                        if not ref.kinds or kind is None or kind in ref.kinds:
                            continue
                    _report_reference(raws_by_key[(type_name, record_id)], ref, targets, invalid_ids, result)


def _report_reference(
    raw: RawRecord,
    ref: Reference,
    targets: Mapping[str, str | None],
    invalid_ids: dict[str, set[str]],
    result: ValidatedSeed,
) -> None:
    """Report a reference to a missing record, or to an actor of a kind the field does not take."""
    where = raw.line_of(ref.loc)
    if ref.target_id not in targets:
        if ref.target_id in invalid_ids[ref.target_type]:
            return  # its own errors are reported; do not cascade
        hint = did_you_mean(ref.target_id, targets)
        result.errors.append(
            SeedError(raw.path, where, format_loc(ref.loc), f"unknown {ref.target_type} '{ref.target_id}'{hint}")
        )
        return
    allowed = " or ".join(ref.kinds)
    result.errors.append(
        SeedError(
            raw.path,
            where,
            format_loc(ref.loc),
            f"'{ref.target_id}' is a {targets[ref.target_id]}; this field takes a {allowed}",
        )
    )


def _check_cycles(
    raws_by_key: dict[tuple[str, str], RawRecord],
    by_id: dict[str, dict[str, ValidRecord]],
    result: ValidatedSeed,
) -> None:
    for record_type in RECORD_TYPE_LIST:
        for field_name in record_type.acyclic:
            links = {rid: v.data.get(field_name) for rid, v in by_id[record_type.name].items()}
            reported: set[str] = set()
            for start in links:
                path, node = [start], links[start]
                while node is not None and node in links and node not in path:
                    path.append(node)
                    node = links[node]
                if node is None or node not in path or node in reported:
                    continue
                loop = path[path.index(node) :]
                reported.update(loop)
                raw = raws_by_key[(record_type.name, loop[0])]
                result.errors.append(
                    SeedError(
                        raw.path,
                        raw.line_of((field_name,)),
                        field_name,
                        f"{field_name} chain loops: {' -> '.join([*loop, loop[0]])}",
                    )
                )


def validate_seed(raws: list[RawRecord], known: KnownIds | None = None) -> ValidatedSeed:
    """Validate records and their references; `known` adds ids already in the database."""
    result = ValidatedSeed()
    invalid_ids: dict[str, set[str]] = {t.name: set() for t in RECORD_TYPE_LIST}
    by_id = _check_models(raws, result, invalid_ids)
    raws_by_key: dict[tuple[str, str], RawRecord] = {}
    for raw in raws:
        if isinstance(raw.data, dict) and isinstance(raw.data.get("id"), str):
            raws_by_key.setdefault((raw.record_type.name, raw.data["id"]), raw)
    _check_references(raws_by_key, by_id, known or {}, invalid_ids, result)
    _check_cycles(raws_by_key, by_id, result)
    result.records = {name: list(records.values()) for name, records in by_id.items()}
    result.errors.sort(key=lambda e: (e.path, e.line or 0))
    return result
