"""Write the database back to seed files that load to the same data."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import orjson
import sqlalchemy as sa
from ruamel.yaml import YAML

from app.records.registry import RECORD_TYPE_LIST
from app.records.repository import BATCH, iter_records

ExportFormat = Literal["yaml", "ndjson"]


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    return yaml


def export_dir(engine: sa.Engine, out_dir: Path, fmt: ExportFormat = "yaml") -> dict[str, int]:
    """Write one file per type into `out_dir`; return the count written per type."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        for record_type in RECORD_TYPE_LIST:
            path = out_dir / f"{record_type.plural}.{fmt}"
            count = 0
            records = iter_records(connection, record_type)
            with path.open("wb" if fmt == "ndjson" else "w", encoding=None if fmt == "ndjson" else "utf-8") as handle:
                if fmt == "ndjson":
                    for record in records:
                        handle.write(orjson.dumps(record) + b"\n")
                        count += 1
                else:
                    # Block sequences dumped one after another form one sequence,
                    # so the file is written in batches, in constant memory.
                    yaml, batch = _yaml(), []
                    for record in records:
                        batch.append(record)
                        count += 1
                        if len(batch) == BATCH:
                            yaml.dump(batch, handle)
                            batch = []
                    if batch or not count:
                        yaml.dump(batch, handle)
            counts[record_type.name] = count
    return counts
