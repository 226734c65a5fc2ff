"""BulkInsert stores exactly what SQLAlchemy's own insert stores, for every column type, on both databases."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from app.core import dialect
from app.core.db import direct_copy
from app.core.dialect import BulkInsert

COLUMN_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "slug": sa.String(80),
    "short": sa.String(5),
    "text": sa.Text(),
    "json_map": sa.JSON(),
    "json_list": sa.JSON(),
    "day": sa.Date(),
    "stamp": sa.DateTime(timezone=True),
    "big": sa.BigInteger(),
    "small": sa.Integer(),
    "real": sa.Float(),
    "flag": sa.Boolean(),
}

NOW = dt.datetime(2026, 11, 28, 18, 30, 15, 123456, tzinfo=dt.UTC)
ROWS: list[dict[str, Any]] = [
    {
        "slug": "huawei",
        "short": "day",
        "text": "华为技术有限公司 — “quotes”, 'apostrophes', \\ back\\slashes, % percent, \n new line, \t tab",
        "json_map": {"zh-Hans": "华为", "en": "Huawei", "nested": {"list": [1, 2.5, None, True, "x"]}},
        "json_list": ["a", "华为", 'quote"d'],
        "day": dt.date(2019, 5, 16),
        "stamp": NOW,
        "big": 10**12,
        "small": -7,
        "real": 1.5,
        "flag": True,
    },
    {
        "slug": "empty-things",
        "short": "",
        "text": "",
        "json_map": {},
        "json_list": [],
        "day": dt.date(1, 1, 1),
        "stamp": NOW - dt.timedelta(days=365 * 30),
        "big": 0,
        "small": 0,
        "real": -0.0,
        "flag": False,
    },
    {
        "slug": "nothing-set",
        "short": None,
        "text": None,
        "json_map": None,
        "json_list": None,
        "day": None,
        "stamp": None,
        "big": None,
        "small": None,
        "real": None,
        "flag": None,
    },
    {
        "slug": "same-instant-elsewhere",
        "short": None,
        "text": None,
        "json_map": {"a": None},
        "json_list": [None],
        "day": dt.date(2019, 5, 16),
        "stamp": NOW.astimezone(dt.timezone(dt.timedelta(hours=8))),
        "big": None,
        "small": None,
        "real": None,
        "flag": None,
    },
    {
        "slug": "limits",
        "short": "month",
        "text": "x" * 20_000,
        "json_map": {"deep": {"deeper": {"deepest": ["end"]}}},
        "json_list": [{"a": 1}, [2, [3]]],
        "day": dt.date(9999, 12, 31),
        "stamp": dt.datetime(2000, 2, 29, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "big": -(2**63),
        "small": 2**31 - 1,
        "real": 1e300,
        "flag": True,
    },
]


def make_table(name: str) -> sa.Table:
    """A table with one column of each type (in its own metadata, not the records')."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        *(sa.Column(column, column_type, nullable=True) for column, column_type in COLUMN_TYPES.items()),
    )


@pytest.fixture
def connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection with two empty tables of every column type, dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    tables = [make_table(f"bulk_by_sqlalchemy_{suffix}"), make_table(f"bulk_by_bulkinsert_{suffix}")]
    with engine.connect() as connection:
        for table in tables:
            table.create(connection)
        connection.commit()
        connection.info["tables"] = tables
        try:
            yield connection
        finally:
            connection.rollback()
            for table in tables:
                table.drop(connection)
            connection.commit()


def as_text(connection: sa.Connection, table: sa.Table) -> list[tuple[Any, ...]]:
    """Each stored value as the database itself spells it."""
    columns = [sa.cast(table.c[name], sa.Text()) for name in ["id", *COLUMN_TYPES]]
    return [tuple(row) for row in connection.execute(sa.select(*columns).order_by(table.c.id))]


def as_values(connection: sa.Connection, table: sa.Table) -> list[tuple[Any, ...]]:
    """Each stored value as SQLAlchemy reads it back."""
    columns = [table.c[name] for name in ["id", *COLUMN_TYPES]]
    return [tuple(row) for row in connection.execute(sa.select(*columns).order_by(table.c.id))]


def numbered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": number, **row} for number, row in enumerate(rows)]


def test_every_column_type_is_stored_as_sqlalchemy_stores_it(connection: sa.Connection) -> None:
    by_sqlalchemy, by_bulk = connection.info["tables"]
    rows = numbered(ROWS)
    connection.execute(by_sqlalchemy.insert(), rows)
    names = ["id", *COLUMN_TYPES]
    written = BulkInsert(connection, by_bulk, names).write(tuple(row[n] for n in names) for row in rows)

    assert written == len(rows)
    assert as_text(connection, by_bulk) == as_text(connection, by_sqlalchemy)
    assert as_values(connection, by_bulk) == as_values(connection, by_sqlalchemy)
    first = as_values(connection, by_bulk)[0]
    assert first[1:4] == ("huawei", "day", ROWS[0]["text"])
    assert (first[4], first[6]) == (ROWS[0]["json_map"], ROWS[0]["day"])
    assert first[7] is not None
    assert first[7].astimezone(dt.UTC).replace(tzinfo=None) == NOW.replace(tzinfo=None)


def test_postgresql_rows_go_by_copy_unless_something_listens(
    connection: sa.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.dialect.name == "sqlite":
        pytest.skip("PostgreSQL's COPY")
    by_sqlalchemy, by_bulk = connection.info["tables"]
    rows = numbered(ROWS)
    connection.execute(by_sqlalchemy.insert(), rows)
    names = ["id", *COLUMN_TYPES]
    copied: list[bool] = []

    def copy(*args: Any) -> bool:
        copied.append(direct_copy(*args))
        return copied[-1]

    monkeypatch.setattr(dialect, "direct_copy", copy)
    BulkInsert(connection, by_bulk, names).write(tuple(row[n] for n in names) for row in rows[:2])
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(connection.engine, "before_cursor_execute", seen)
    try:
        BulkInsert(connection, by_bulk, names).write(tuple(row[n] for n in names) for row in rows[2:])
    finally:
        sa.event.remove(connection.engine, "before_cursor_execute", seen)
    assert copied == [True, False]
    assert any("unnest" in statement for statement in statements)
    assert as_text(connection, by_bulk) == as_text(connection, by_sqlalchemy)


def test_other_postgresql_drivers_get_sqlalchemys_insert(connection: sa.Connection) -> None:
    by_sqlalchemy, by_bulk = connection.info["tables"]
    rows = numbered(ROWS)
    connection.execute(by_sqlalchemy.insert(), rows)
    names = ["id", *COLUMN_TYPES]
    insert = BulkInsert(connection, by_bulk, names)
    insert.style = "generic"
    insert.write(tuple(row[n] for n in names) for row in rows)
    assert as_text(connection, by_bulk) == as_text(connection, by_sqlalchemy)


def test_rows_go_in_batches_and_a_single_row_works(connection: sa.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    _by_sqlalchemy, by_bulk = connection.info["tables"]
    monkeypatch.setattr(dialect, "BATCH", 3)
    insert = BulkInsert(connection, by_bulk, ["id", "slug", "day"])
    advanced: list[int] = []
    assert insert.write(((n, f"s-{n}", dt.date(2020, 1, n + 1)) for n in range(7)), advanced.append) == 7
    assert advanced == [3, 3, 1]
    assert insert.write([(7, "alone", None)]) == 1
    assert insert.write([]) == 0
    stored = connection.execute(sa.select(by_bulk.c.id, by_bulk.c.slug, by_bulk.c.day).order_by(by_bulk.c.id)).all()
    assert [tuple(row) for row in stored] == [
        *((n, f"s-{n}", dt.date(2020, 1, n + 1)) for n in range(7)),
        (7, "alone", None),
    ]


def test_a_value_too_long_for_its_column_is_refused_not_cut(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    _by_sqlalchemy, by_bulk = connection.info["tables"]
    with pytest.raises(sa.exc.DataError):
        BulkInsert(connection, by_bulk, ["id", "short"]).write([(1, "too long")])


def test_floats_that_are_not_numbers_round_trip(connection: sa.Connection) -> None:
    by_sqlalchemy, by_bulk = connection.info["tables"]
    values = [math.inf, -math.inf]
    connection.execute(by_sqlalchemy.insert(), [{"id": n, "real": v} for n, v in enumerate(values)])
    BulkInsert(connection, by_bulk, ["id", "real"]).write(enumerate(values))
    assert as_values(connection, by_bulk) == as_values(connection, by_sqlalchemy)
