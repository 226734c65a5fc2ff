"""The JSON Schemas in seed/schema/ are generated from the models and must not go stale."""

from __future__ import annotations

from app.core.config import PROJECT_ROOT
from app.seeding.schema import render, seed_schemas

SCHEMA_DIR = PROJECT_ROOT / "seed" / "schema"


def test_committed_schemas_match_the_models() -> None:
    expected = seed_schemas()
    on_disk = {p.name for p in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == set(expected), "run `make schema` and commit seed/schema/"
    for name, schema in expected.items():
        assert (SCHEMA_DIR / name).read_text("utf-8") == render(schema), f"{name} is stale: run `make schema`"


def test_schemas_describe_a_list_of_records_with_no_extra_fields() -> None:
    actors = seed_schemas()["actors.schema.json"]
    assert actors["type"] == "array"
    item = actors["items"]
    assert item["additionalProperties"] is False
    assert {"id", "name", "kind", "sources"} <= set(item["required"])
    assert "company" in item["properties"]["kind"]["enum"]
