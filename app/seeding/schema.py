"""JSON Schemas of the seed files, generated from the input models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.records.registry import RECORD_TYPE_LIST


def seed_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema of a seed file of that type (a list of records)."""
    schemas: dict[str, dict[str, Any]] = {}
    for record_type in RECORD_TYPE_LIST:
        item = record_type.model.model_json_schema(by_alias=True, mode="validation")
        definitions = item.pop("$defs", {})
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"techsov {record_type.plural} seed file",
            "description": f"A list of {record_type.name} records; see seed/README.md.",
            "type": "array",
            "items": item,
        }
        if definitions:
            schema["$defs"] = definitions
        schemas[f"{record_type.plural}.schema.json"] = schema
    return schemas


def render(schema: dict[str, Any]) -> str:
    """The schema as written to disk: stable, readable JSON."""
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(schema_dir: Path) -> list[Path]:
    """Write every schema into `schema_dir`."""
    schema_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in seed_schemas().items():
        path = schema_dir / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written
