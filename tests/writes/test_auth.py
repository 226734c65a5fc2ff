"""The auth matrix: a write with no key, a malformed, unknown, revoked or under-scoped one, or a key sent in the
URL or a cookie, is refused and writes nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.auth.keys import split_key
from tests.conftest import TEST_DATABASE_URL
from tests.seeding.test_load import snapshot
from tests.writes.conftest import STATEMENT, Keys, bearer, etag_of

Send = Callable[[TestClient, dict[str, str]], httpx.Response]


def _create(client: TestClient, headers: dict[str, str]) -> httpx.Response:
    answer: httpx.Response = client.post("/v1/statements", json=STATEMENT, headers=headers)
    return answer


def _patch(client: TestClient, headers: dict[str, str]) -> httpx.Response:
    answer: httpx.Response = client.patch(
        "/v1/actors/huawei", json={"summary": "Changed."}, headers={"If-Match": "*", **headers}
    )
    return answer


def _delete(client: TestClient, headers: dict[str, str]) -> httpx.Response:
    answer: httpx.Response = client.delete("/v1/statements/stmt-one", headers={"If-Match": "*", **headers})
    return answer


def _mangled(key: str) -> str:
    return key[:-1] + ("A" if key[-1] != "A" else "B")


def _unknown(key: str) -> str:
    prefix, secret = split_key(key) or ("", "")
    return f"tsk_{'z' * len(prefix)}_{secret}"


HEADERS: dict[str, Callable[[Keys], dict[str, str]]] = {
    "no key": lambda _keys: {},
    "empty bearer": lambda _keys: {"Authorization": "Bearer "},
    "basic scheme": lambda keys: {"Authorization": f"Basic {keys['editor']}"},
    "malformed": lambda _keys: bearer("tsk_not-a-key"),
    "unknown prefix": lambda keys: bearer(_unknown(keys["editor"])),
    "wrong secret": lambda keys: bearer(_mangled(keys["editor"])),
    "revoked": lambda keys: bearer(keys["revoked"]),
}


@pytest.mark.parametrize("send", [_create, _patch, _delete], ids=["POST", "PATCH", "DELETE"])
@pytest.mark.parametrize("case", list(HEADERS))
def test_a_write_without_a_good_key_is_401(
    client: TestClient, keys: Keys, loaded_engine: sa.Engine, case: str, send: Send
) -> None:
    before = snapshot(loaded_engine)
    answer = send(client, HEADERS[case](keys))
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith('Bearer realm="techsov"')
    if case != "no key":
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    assert snapshot(loaded_engine) == before


def test_the_messages_say_what_is_wrong_without_telling_unknown_from_wrong(client: TestClient, keys: Keys) -> None:
    assert "send `Authorization: Bearer <key>`" in _create(client, {}).json()["detail"]
    assert "malformed API key" in _create(client, bearer("tsk_abc")).json()["detail"]
    unknown = _create(client, bearer(_unknown(keys["editor"]))).json()["detail"]
    assert unknown == _create(client, bearer(_mangled(keys["editor"]))).json()["detail"]
    assert "was revoked" in _create(client, bearer(keys["revoked"])).json()["detail"]
    assert "was revoked" not in _create(client, bearer(_mangled(keys["revoked"]))).json()["detail"]


@pytest.mark.parametrize(
    ("key", "send", "scope"),
    [("editor", _delete, "delete"), ("admin", _create, "write"), ("admin", _patch, "write")],
)
def test_a_key_without_the_scope_is_403(
    client: TestClient, keys: Keys, loaded_engine: sa.Engine, key: str, send: Send, scope: str
) -> None:
    before = snapshot(loaded_engine)
    answer = send(client, bearer(keys[key]))
    assert answer.status_code == 403, answer.text
    assert f"needs the '{scope}' scope" in answer.json()["detail"]
    assert f'error="insufficient_scope", scope="{scope}"' in answer.headers["www-authenticate"]
    assert snapshot(loaded_engine) == before


@pytest.mark.parametrize("parameter", ["api_key", "access_token", "key"])
def test_a_key_in_the_query_string_is_refused(
    client: TestClient, keys: Keys, loaded_engine: sa.Engine, parameter: str
) -> None:
    before = snapshot(loaded_engine)
    for headers in ({}, bearer(keys["editor"])):  # even beside a good header
        answer = client.post(f"/v1/statements?{parameter}={keys['editor']}", json=STATEMENT, headers=headers)
        assert answer.status_code == 400, answer.text
        assert "API key in the URL is refused" in answer.json()["detail"]
        assert keys["editor"] not in answer.text
    assert snapshot(loaded_engine) == before


def test_a_key_in_a_cookie_is_refused(client: TestClient, keys: Keys, loaded_engine: sa.Engine) -> None:
    before = snapshot(loaded_engine)
    for headers in ({}, bearer(keys["editor"])):
        answer = client.post(
            "/v1/statements", json=STATEMENT, headers={**headers, "Cookie": f"techsov_key={keys['editor']}"}
        )
        assert answer.status_code == 400, answer.text
        assert "API key in a cookie is refused" in answer.json()["detail"]
    assert snapshot(loaded_engine) == before


def test_the_right_key_writes(client: TestClient, keys: Keys) -> None:
    assert _create(client, bearer(keys["editor"])).status_code == 201
    assert _patch(client, bearer(keys["editor"])).status_code == 200
    assert _delete(client, bearer(keys["deleter"])).status_code == 204


def test_a_revocation_counts_from_the_next_request(client: TestClient, keys: Keys, loaded_engine: sa.Engine) -> None:
    from app.auth.keys import revoke_key

    assert _patch(client, bearer(keys["editor"])).status_code == 200  # now remembered as verified
    with loaded_engine.begin() as connection:
        revoke_key(connection, "editor")
    assert _patch(client, bearer(keys["editor"])).status_code == 401


def test_reads_need_no_key(client: TestClient) -> None:
    assert client.get("/v1/actors/huawei").status_code == 200


def _everything_written(engine: sa.Engine, database_url: str) -> bytes:
    """Every value of every table, and on SQLite the database file's bytes (with its WAL)."""
    text = str(snapshot(engine)).encode()
    if TEST_DATABASE_URL is None:
        path = Path(sa.make_url(database_url).database or "")
        text += b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return text


def test_the_key_appears_nowhere_in_the_database_the_logs_or_the_answers(
    client: TestClient, keys: Keys, loaded_engine: sa.Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = keys["deleter"]
    _prefix, secret = split_key(key) or ("", "")
    answers: list[Any] = [
        _create(client, bearer(key)),
        _patch(client, bearer(key)),
        client.patch("/v1/statements/stmt-new", json={"text": "Corrected."}, headers=bearer(key, **{"If-Match": "*"})),
        client.get("/v1/changes"),
        client.get("/v1/statements/stmt-new/history"),
        client.get("/v1/statements/stmt-new?version=1"),
        client.post(f"/v1/statements?api_key={key}", json=STATEMENT),
        client.post("/v1/statements", json=STATEMENT, headers=bearer(key, Cookie=f"k={key}")),
        client.post("/v1/statements", json={**STATEMENT, "id": "x"}, headers=bearer(_mangled(key))),
        _delete(client, bearer(key)),
    ]
    seen = b"".join(a.content + str(a.headers).encode() for a in answers)
    logged = "\n".join(caplog.handler.format(r) for r in caplog.records if not r.name.startswith("httpx"))
    seen += logged.encode() + _everything_written(loaded_engine, database_url)
    assert secret.encode() not in seen
    assert etag_of(client, "/v1/statements/stmt-new")
