"""A failure as one line a person can act on: what failed, where, and what to do (the CLI's error line).

The database is named by its place (host, port and database, or the SQLite
file), never by its URL: the URL may hold a password.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pydantic
import sqlalchemy as sa

POSTGRES_DRIVERS = frozenset({"psycopg", "psycopg2", "psycopg_binary", "psycopg_c"})
LOST_CONNECTION_STATES = frozenset({"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"})
"""PostgreSQL SQLSTATEs of a connection that went away (terminated, server shut down, connection failures)."""
LOST_CONNECTION_TEXT = (
    "server closed the connection",
    "terminating connection",
    "connection is lost",
    "consuming input failed",
    "connection is closed",
    "the connection is closed",
    "ssl syscall error",
)


def database_place(url: str | sa.URL | None) -> str:
    """Where the database is, for a message: `PostgreSQL at host:port, database 'name'` or `SQLite file path`."""
    if url is None:
        return "the database"
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return "the database (DATABASE_URL is not a valid URL)"
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"SQLite file {parsed.database}" if parsed.database not in (None, "", ":memory:") else "SQLite memory"
    if backend == "postgresql":
        return f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}, database '{parsed.database}'"
    return f"{backend} at {parsed.host or 'localhost'}, database '{parsed.database}'"


def _reason(orig: BaseException) -> str:
    """The driver's message on one line, without the driver's preamble."""
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None)
    text = (str(primary or orig).strip().splitlines() or [""])[0]
    if text.startswith("connection failed:"):
        text = text.rsplit("failed: ", 1)[-1]
    text = re.sub(r"^(FATAL|ERROR):\s+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip() or type(orig).__name__


def lost_connection(exc: sa.exc.DBAPIError) -> bool:
    """True when the database went away under a command that was connected."""
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None)
    if state in LOST_CONNECTION_STATES and "connection failed" not in str(exc.orig):
        return True
    text = str(exc.orig).lower()
    return any(marker in text for marker in LOST_CONNECTION_TEXT)


def _connection_failed(exc: sa.exc.DBAPIError) -> bool:
    text = str(exc.orig)
    return text.startswith(("connection failed", "failed to resolve host")) or "could not connect" in text


def explain(exc: BaseException, url: str | sa.URL | None = None) -> str:
    """One line for `exc`: what failed, where, what to do."""
    place = database_place(url)
    message = _explain(exc, place)
    password = _password(url)
    return message.replace(password, "***") if password else message


def _password(url: str | sa.URL | None) -> str | None:
    if url is None:
        return None
    try:
        password = sa.make_url(url).password
        return str(password) if password else None
    except sa.exc.ArgumentError:
        return None


def _explain(exc: BaseException, place: str) -> str:
    if isinstance(exc, pydantic.ValidationError) and exc.title == "Settings":
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']).upper()} {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors(include_url=False)
        )
        return f"a setting is not usable: {problems}; nothing was done"
    if isinstance(exc, ImportError) and (exc.name or "").split(".")[0] in POSTGRES_DRIVERS:
        return f"the PostgreSQL driver ({exc.name}) is not installed: run pip install 'techsov[postgres]'"
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        reason = _reason(exc.orig)
        if _connection_failed(exc):
            return (
                f"cannot connect to {place}: {reason}; check that the server is running and that DATABASE_URL names it"
            )
        if lost_connection(exc):
            return (
                f"lost the connection to {place}: {reason}; nothing was committed: "
                "run the command again once the database is back"
            )
        if isinstance(exc.orig, sqlite3.OperationalError) and ("locked" in reason or "busy" in reason):
            return f"{place} is locked by another process ({reason}); nothing was written: try again when it is done"
        if isinstance(exc.orig, sqlite3.DatabaseError) and (
            "not a database" in reason or "unable to open" in reason or "malformed" in reason
        ):
            return f"cannot use {place}: {reason}; check the file (or restore it from a backup)"
        if isinstance(exc, sa.exc.IntegrityError):
            return f"{place} refused a write: {reason}; nothing was written: correct the data and run it again"
        if getattr(exc.orig, "sqlstate", None) == "57014":
            return f"{place} cancelled a statement that ran too long: {reason}; nothing was written"
        return f"{place} failed: {reason}; nothing was written: correct the cause and run it again"
    if isinstance(exc, sa.exc.ArgumentError):
        return f"DATABASE_URL is not usable: {_first_line(exc)}"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: Any) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
