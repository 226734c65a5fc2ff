"""Field kinds carry their own behaviour: the numeric kind (a dependency's quantity) sorts and filters by range
through the same list engine as every other kind, and no caller branches on a field's kind."""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from app.core.config import Settings
from app.core.errors import BadParameter
from app.main import create_app
from app.records import storage
from app.records.list_parts import FilterContext, NumberSortKey, RangeFilter
from app.records.listing import filters_for, sort_keys_for
from app.records.registry import DEPENDENCY, RECORD_TYPE_LIST
from app.records.storage import EnumField, NumberField, stored_field_for
from app.seeding.run import load_dir
from tests.conftest import VALID
from tests.helpers import problem
from tests.records.test_lists import walk_ids

APP = Path(__file__).resolve().parents[2] / "app"
QUANTITIES = {"q-small": 8, "q-mid-a": 512, "q-mid-b": 512, "q-big": 100_000, "q-none": None}
"""Dependencies added to the fixture seed, which already has huawei-on-gpu (1000) and accel-on-node (none)."""


def _dependency(record_id: str, quantity: int | None) -> str:
    line = (
        f"- {{id: {record_id}, name: Dependency {record_id}, dependent: 'actor:huawei', depends_on: test-gpu, "
        f"purpose: inference, status: reported, sources: [src-press]"
    )
    return line + ("}\n" if quantity is None else f", quantity: {quantity}}}\n")


@pytest.fixture
def numbers_client(engine: sa.Engine, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """A client over the fixture seed plus dependencies with small, tied, large and missing quantities."""
    folder = tmp_path / "numbers"
    folder.mkdir()
    for path in VALID.iterdir():
        (folder / path.name).write_text(path.read_text("utf-8"), "utf-8")
    with (folder / "dependencies.yaml").open("a", encoding="utf-8") as handle:
        handle.writelines(_dependency(i, q) for i, q in QUANTITIES.items())
    load_dir(engine, folder)
    with TestClient(create_app(settings)) as client:
        yield client


def ids(client: TestClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


ASCENDING = ["q-small", "q-mid-a", "q-mid-b", "huawei-on-gpu", "q-big", "accel-on-node", "q-none"]
DESCENDING = ["q-big", "huawei-on-gpu", "q-mid-b", "q-mid-a", "q-small", "q-none", "accel-on-node"]


@pytest.mark.parametrize(("sort", "expected"), [("quantity", ASCENDING), ("-quantity", DESCENDING)])
def test_numbers_sort_with_missing_ones_last_both_ways(
    numbers_client: TestClient, sort: str, expected: list[str]
) -> None:
    assert ids(numbers_client, f"/v1/dependencies?sort={sort}") == expected
    for limit in (1, 2, 3):  # cursors carry numbers and nulls
        assert walk_ids(numbers_client, f"/v1/dependencies?sort={sort}&limit={limit}") == expected


def test_a_number_sorts_before_another_key(numbers_client: TestClient) -> None:
    assert ids(numbers_client, "/v1/dependencies?sort=-quantity,name&limit=3") == ["q-big", "huawei-on-gpu", "q-mid-a"]
    by_purpose = ids(numbers_client, "/v1/dependencies?sort=purpose,-quantity")
    assert by_purpose == ["q-big", "q-mid-b", "q-mid-a", "q-small", "q-none", "accel-on-node", "huawei-on-gpu"]
    assert walk_ids(numbers_client, "/v1/dependencies?sort=purpose,-quantity&limit=2") == by_purpose


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("quantity_min=512", ["huawei-on-gpu", "q-big", "q-mid-a", "q-mid-b"]),
        ("quantity_max=512", ["q-mid-a", "q-mid-b", "q-small"]),
        ("quantity_min=500&quantity_max=1000", ["huawei-on-gpu", "q-mid-a", "q-mid-b"]),
        ("quantity_min=0", ["huawei-on-gpu", "q-big", "q-mid-a", "q-mid-b", "q-small"]),
        ("quantity_min=1000000000000", []),
        ("quantity_min=513&quantity_max=999", []),
        ("quantity_min=100&purpose=training", ["huawei-on-gpu"]),
    ],
)
def test_numbers_filter_by_range_leaving_out_records_without_one(
    numbers_client: TestClient, query: str, expected: list[str]
) -> None:
    assert ids(numbers_client, f"/v1/dependencies?{query}&sort=id") == expected


def test_a_range_counts_and_streams_like_any_filter(numbers_client: TestClient) -> None:
    body = numbers_client.get("/v1/dependencies?quantity_min=512&count=true&limit=1&facets=purpose").json()
    assert body["total"] == 4
    assert body["facets"] == {"purpose": {"inference": 3, "training": 1}}
    text = numbers_client.get("/v1/dependencies?quantity_max=512&sort=-quantity&format=csv").text
    assert [(r["id"], r["quantity"]) for r in csv.DictReader(io.StringIO(text))] == [
        ("q-mid-b", "512"), ("q-mid-a", "512"), ("q-small", "8")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("quantity_min=many", "quantity_min: 'many' is not a whole number"),
        ("quantity_max=1.5", "quantity_max: '1.5' is not a whole number"),
        ("quantity_min=-1", "quantity_min: must be between 0 and 1000000000000"),
        ("quantity_max=99999999999999999999999", "quantity_max: must be between 0 and 1000000000000"),
        ("quantity_min=1&quantity_min=2", "quantity_min: give one number (a bound is not repeated)"),
        ("quantity_min=1,2", "quantity_min: give one number"),
        ("quantity_min=", "quantity_min: has no value"),
        ("quantity_mni=1", "unknown parameter 'quantity_mni' — did you mean 'quantity_min'?"),
        ("sort=quantiy", "cannot sort dependencies by 'quantiy' — did you mean 'quantity'?"),
        ("facets=quantity", "facets: cannot count dependencies by 'quantity'"),
    ],
)
def test_a_bad_number_is_a_400_naming_the_parameter(client: TestClient, query: str, message: str) -> None:
    body = problem(client.get(f"/v1/dependencies?{query}"), 400)
    assert message in body["detail"]
    assert body["errors"][0]["field"] == query.split("=")[0]


def test_ranges_are_documented_in_openapi_with_their_bounds(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/dependencies"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    for name in ("quantity_min", "quantity_max"):
        assert parameters[name]["schema"] == {"type": "integer", "minimum": 0, "maximum": 10**12, "examples": [2048]}
        assert "quantity" in parameters[name]["description"]
    assert "quantity" in parameters["sort"]["description"]


def test_the_kind_is_chosen_from_the_annotation_and_reads_the_models_bounds() -> None:
    quantity = DEPENDENCY.field("quantity")
    assert isinstance(quantity, NumberField)
    assert (quantity.numbers.whole, quantity.numbers.minimum, quantity.numbers.maximum) == (True, 0, 10**12)
    assert isinstance(DEPENDENCY.field("status"), EnumField)
    assert {"quantity_min", "quantity_max"} <= set(filters_for(DEPENDENCY))
    assert isinstance(sort_keys_for(DEPENDENCY)["quantity"], NumberSortKey)

    class Part(BaseModel):
        memory_gb: float | None = Field(default=None, ge=0)
        cores: int | None = None

    memory = stored_field_for("memory_gb", Part.model_fields["memory_gb"], {})
    cores = stored_field_for("cores", Part.model_fields["cores"], {})
    assert isinstance(memory, NumberField)
    assert isinstance(cores, NumberField)
    assert (memory.numbers.whole, memory.numbers.minimum) == (False, 0)
    assert (cores.numbers.minimum, cores.numbers.maximum) == (-(2**63), 2**63 - 1)  # what a BIGINT holds
    assert memory.table_field("")["type"] == "number"
    assert str(memory.columns("parts")[0].type) == "FLOAT"


def _range(field: NumberField, bound: str) -> RangeFilter:
    found = next(f for f in field.filters("memory_gb", FilterContext((), {})) if f.name.endswith(bound))
    assert isinstance(found, RangeFilter)
    return found


def test_a_decimal_range_takes_decimals_and_refuses_what_is_not_a_finite_number() -> None:
    class Part(BaseModel):
        memory_gb: float | None = Field(default=None, ge=0, le=4096)

    memory = stored_field_for("memory_gb", Part.model_fields["memory_gb"], {})
    assert isinstance(memory, NumberField)
    low = _range(memory, "_min")
    assert low.parse(["32.5"]) == [32.5]
    assert low.parse(["80"]) == [80.0]
    refused: dict[str, str] = {}
    for value in ("lots", "nan", "inf", "-0.5", "5000"):
        with pytest.raises(BadParameter) as caught:
            low.parse([value])
        refused[value] = caught.value.errors[0]["message"]
    assert refused == {
        "lots": "'lots' is not a number",
        "nan": "'nan' is not a finite number",
        "inf": "'inf' is not a finite number",
        "-0.5": "must be between 0 and 4096",
        "5000": "must be between 0 and 4096",
    }
    key = memory.sort_key(sa.table("parts", sa.column("memory_gb")))  # type: ignore[arg-type]
    assert isinstance(key, NumberSortKey)
    assert key.from_cursor(32.5) == 32.5
    with pytest.raises(ValueError, match="not a cursor value of memory_gb"):
        key.from_cursor("32.5")


def test_a_whole_number_cursor_value_must_be_a_whole_number() -> None:
    key = sort_keys_for(DEPENDENCY)["quantity"]
    assert key.from_cursor(512) == 512
    for wrong in ("512", 5.5, True):
        with pytest.raises(ValueError, match="not a cursor value of quantity"):
            key.from_cursor(wrong)


def _field_kinds() -> set[str]:
    return {name for name, value in vars(storage).items() if isinstance(value, type) and name.endswith("Field")}


def _branches_on_kinds(path: Path, kinds: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            named: Any = node.args[1]
            names = {n.id for n in ast.walk(named) if isinstance(n, ast.Name)}
            if names & kinds:
                found.append(f"{path.relative_to(APP.parent)}:{node.lineno}")
    return found


def test_no_caller_branches_on_a_field_kind() -> None:
    """What differs between kinds is a method of the kind (app/records/storage.py), not an isinstance chain."""
    kinds = _field_kinds()
    assert {"ScalarField", "EnumField", "NumberField", "DateField", "RefField", "ObjectListField"} <= kinds
    callers = [p for p in sorted(APP.rglob("*.py")) if p.name != "storage.py"]
    assert [hit for path in callers for hit in _branches_on_kinds(path, kinds)] == []


def test_a_field_stored_as_is_gives_exactly_that_column() -> None:
    """`row_values` sets a field's `as_is_column` straight from its value: only where `to_columns` gives that."""
    as_is = 0
    for record_type in RECORD_TYPE_LIST:
        for field in record_type.column_fields:
            column = field.as_is_column
            if column is None:
                continue
            as_is += 1
            for value in (None, "state-0", 3, ["a"], {"en": "x"}):
                assert field.to_columns(value) == {column: value}, (record_type.name, field.name)
    assert as_is > 10
    dates = [f for t in RECORD_TYPE_LIST for f in t.column_fields if type(f).__name__ == "DateField"]
    assert dates
    assert all(f.as_is_column is None for f in dates)  # two columns: the first day and the precision
