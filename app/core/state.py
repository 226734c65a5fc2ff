"""The dataset's state, shared by every layer: the one MetaData, the version row and the change log.

Every table joins `metadata` (the record tables are declared on it in
app/records/registry.py). `dataset_state` holds the single row a load bumps;
`changes` is the log of what each load and write created, updated and deleted: who did it (a key's name, or
the loader) and what changed (each field's value before and after; a deletion keeps every field it had), from
which a record's history is told and any version of it rebuilt (app/records/history.py).
Reading the version lives here, below everything that caches or cites by it.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
LOADER = "loader"
"""Who the change log names for a change made by a load (no API key may take this name)."""

dataset_state = sa.Table(
    "dataset_state",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger(), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("quality", sa.JSON(), nullable=True),
    sa.Column("load_started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("load_seconds", sa.Float(), nullable=True),
    sa.CheckConstraint("id = 1", name="single_row"),
)

changes = sa.Table(
    "changes",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("version", sa.BigInteger(), nullable=False, index=True),
    sa.Column("record_type", sa.String(20), nullable=False),
    sa.Column("record_id", sa.String(80), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("editor", sa.String(80), nullable=False, server_default=LOADER),
    sa.Column("diff", sa.JSON(none_as_null=True), nullable=True),
    sa.CheckConstraint("action IN ('created', 'updated', 'deleted')", name="action_allowed"),
)
sa.Index("ix_changes_record", changes.c.record_type, changes.c.record_id)


def current_version(connection: sa.Connection) -> tuple[int, dt.datetime | None]:
    """The dataset version and when it last changed (0, None before the first load)."""
    row = connection.execute(sa.select(dataset_state.c.version, dataset_state.c.changed_at)).first()
    return (row.version, row.changed_at) if row else (0, None)


def dataset_version(connection: sa.Connection) -> int:
    """The dataset version alone (0 before the first load), for every request's ETag.

    Asked of the driver directly: about 2 µs, where the same question through SQLAlchemy's statement
    machinery costs 20-40 µs — on every request that reads.
    """
    row = connection.connection.driver_connection.execute(_VERSION_SQL).fetchone()  # type: ignore[union-attr]
    return int(row[0]) if row else 0


_VERSION_SQL = f"SELECT version FROM {dataset_state.name}"
