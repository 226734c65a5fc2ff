"""Page queries of a common shape, compiled once and bound through the driver, find the rows SQLAlchemy finds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.records import listing
from app.records.listing import ListSpec, cursor_values, decode_values, filters_for, page_query, page_rows, parse_sort
from app.records.registry import BY_NAME, RECORD_TYPE_LIST, RecordType
from app.seeding.run import load_dir
from tests.records.conftest import write_tied_seed


@pytest.fixture
def tied_engine(engine: sa.Engine, tmp_path: Path) -> sa.Engine:
    """The fixture seed plus many statements that tie on their sort keys."""
    write_tied_seed(tmp_path / "tied")
    load_dir(engine, tmp_path / "tied")
    return engine


def _walk(connection: sa.Connection, record_type: RecordType, spec: ListSpec, prepared: bool) -> list[dict[str, Any]]:
    """Every page's key rows along the keyset, through `page_rows` or through SQLAlchemy."""
    spec = ListSpec(**spec.__dict__)
    found: list[dict[str, Any]] = []
    while True:
        if prepared:
            rows = [dict(row) for row in page_rows(connection, record_type, spec, keys_only=True)]
        else:
            rows = [dict(row) for row in connection.execute(page_query(record_type, spec, True)).mappings()]
        found.extend(rows[: spec.limit])
        if len(rows) <= spec.limit:
            return found
        spec.after = decode_values(spec, cursor_values(spec, rows[spec.limit - 1]))


def _specs(record_type: RecordType) -> list[ListSpec]:
    specs = [
        ListSpec(sort=parse_sort(record_type, f"{direction}{key}"), limit=4)
        for key in listing.sort_keys_for(record_type)
        for direction in ("", "-")
    ]
    for name, flt in filters_for(record_type).items():
        values = flt.parse([str(flt.example)])
        specs.append(ListSpec(filters={name: values}, sort=parse_sort(record_type, record_type.default_sort), limit=2))
    if record_type.main_date:
        dates = {"date_from": dt.date(2019, 1, 1), "date_to": dt.date(2023, 12, 31)}
        specs.append(ListSpec(sort=parse_sort(record_type, record_type.default_sort), limit=3, **dates))  # type: ignore[arg-type]
    return specs


@pytest.mark.parametrize("type_name", [t.name for t in RECORD_TYPE_LIST])
def test_every_sort_and_filter_walks_the_same_rows(tied_engine: sa.Engine, type_name: str) -> None:
    record_type = BY_NAME[type_name]
    with tied_engine.connect() as connection:
        for spec in _specs(record_type):
            assert _walk(connection, record_type, spec, True) == _walk(connection, record_type, spec, False), spec


def test_a_speakers_page_is_compiled_once_and_a_typed_value_is_not(tied_engine: sa.Engine) -> None:
    statement = BY_NAME["statement"]
    sort = parse_sort(statement, "-said_on")
    by_speaker = ListSpec(filters={"speaker": ["test-person", "huawei"]}, sort=sort, after=[dt.date(2020, 1, 1), "x"])
    typed = ListSpec(filters={"mentions": ["actor:huawei"]}, sort=sort)
    dialect = tied_engine.dialect
    assert listing._prepare(statement, by_speaker, listing._request_values(by_speaker), dialect) is not None
    assert listing._prepare(statement, typed, listing._request_values(typed), dialect) is None
    with tied_engine.connect() as connection:
        for spec in (typed, ListSpec(filters={"mentions": ["huawei"]}, sort=sort)):
            assert _walk(connection, statement, spec, True) == _walk(connection, statement, spec, False)
