"""Alembic environment: runs on the connection techsov passes, or on sqlalchemy.url."""

from __future__ import annotations

from alembic import context

from app.auth import keys  # noqa: F401  (declares the api_keys table on `metadata`)
from app.core.db import is_sqlite, make_engine
from app.core.state import metadata
from app.records import documents, registry  # noqa: F401  (declare the record tables on `metadata`)
from app.search.index import outside_search_tables

config = context.config


def run_migrations() -> None:
    """Migrate in one transaction; SQLite needs batch mode to alter tables."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as own_connection:
            _run(own_connection)
        return
    _run(connection)


def _run(connection: object) -> None:
    url = str(connection.engine.url)  # type: ignore[attr-defined]
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=is_sqlite(url),
        compare_type=True,
        include_name=outside_search_tables,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
