"""Fixtures for writes: the fixture seed loaded, an app over it, and API keys of each kind."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.auth.keys import StoredKey, make_key, revoke_key, store_key

Keys = dict[str, str]
"""Key by the name of what it may do: editor (write), deleter (write, delete), admin (admin), revoked (write)."""

STATEMENT = {
    "id": "stmt-new",
    "name": "A new remark",
    "speaker": "test-person",
    "said_on": "2024-01-02",
    "kind": "remark",
    "text": "Self-reliance in computing matters.",
    "tags": ["semiconductors", "self-reliance"],
    "sources": ["src-press"],
}
"""A valid statement that the fixture seed does not hold."""


@pytest.fixture(scope="session")
def _made_keys() -> list[tuple[StoredKey, str]]:
    """Keys made once per session as `techsov keys create` makes them (each Argon2 hash takes 0.1 s)."""
    kinds = {"editor": ("write",), "deleter": ("write", "delete"), "admin": ("admin",), "revoked": ("write",)}
    return [make_key(name, scopes) for name, scopes in kinds.items()]  # type: ignore[arg-type]


@pytest.fixture
def keys(loaded_engine: sa.Engine, _made_keys: list[tuple[StoredKey, str]]) -> Keys:
    """The keys stored in this test's database, `revoked` revoked."""
    with loaded_engine.begin() as connection:
        for stored, _key in _made_keys:
            store_key(connection, stored)
        revoke_key(connection, "revoked")
    return {stored.name: key for stored, key in _made_keys}


def bearer(key: str, **headers: str) -> dict[str, str]:
    """Request headers carrying `key` (and any others given)."""
    return {"Authorization": f"Bearer {key}", **headers}


@pytest.fixture
def writer(client: TestClient, keys: Keys) -> TestClient:
    """A client over the fixture seed whose requests carry a key that may write and delete."""
    client.headers["Authorization"] = f"Bearer {keys['deleter']}"
    return client


def etag_of(client: TestClient, path: str) -> str:
    """The ETag GET gives for a record."""
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return str(answer.headers["etag"])


def problem_fields(answer: Any) -> dict[str, str]:
    """field -> message of a problem's `errors`."""
    return {e["field"]: e["message"] for e in answer.json().get("errors", [])}
