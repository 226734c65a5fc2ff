"""`techsov keys create | list | revoke`: a key is shown once, stored as a prefix and an Argon2 hash."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from app.auth.keys import KEY_FORMAT, api_keys, split_key, verify
from app.cli import app
from app.core.config import Settings, get_settings
from tests.conftest import TEST_DATABASE_URL


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line on this test's (migrated, empty) database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    return CliRunner()


def make_key(cli: CliRunner, *args: str) -> str:
    """Run `techsov keys create …` and return the key it printed on its last line."""
    result = cli.invoke(app, ["keys", "create", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def test_create_prints_the_key_alone_on_the_last_line(cli: CliRunner, engine: sa.Engine) -> None:
    key = make_key(cli, "--name", "newsroom-bot", "--scope", "write", "--scope", "delete")
    assert KEY_FORMAT.match(key)
    prefix, _secret = split_key(key) or ("", "")
    with engine.connect() as connection:
        row = connection.execute(sa.select(api_keys)).mappings().one()
    assert row["prefix"] == prefix
    assert row["name"] == "newsroom-bot"
    assert row["scopes"] == ["write", "delete"]
    assert row["revoked_at"] is None
    assert row["key_hash"].startswith("$argon2id$")
    assert verify(row["key_hash"], key)
    assert not verify(row["key_hash"], key[:-1] + ("a" if key[-1] != "a" else "b"))


def test_scopes_may_be_a_comma_list_and_come_in_a_fixed_order(cli: CliRunner, engine: sa.Engine) -> None:
    make_key(cli, "--name", "editor", "--scope", "delete,write", "--scope", "admin")
    with engine.connect() as connection:
        assert connection.execute(sa.select(api_keys.c.scopes)).scalar_one() == ["write", "delete", "admin"]


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="reads the SQLite file's bytes")
def test_the_key_is_nowhere_in_the_database_file(cli: CliRunner, database_url: str) -> None:
    key = make_key(cli, "--name", "newsroom-bot", "--scope", "write")
    _prefix, secret = split_key(key) or ("", "")
    path = Path(sa.make_url(database_url).database or "")
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, its -wal and -shm
    assert secret.encode() not in stored
    assert key.encode() not in stored


def test_list_shows_every_key_but_never_the_key_itself(cli: CliRunner) -> None:
    first = make_key(cli, "--name", "newsroom-bot", "--scope", "write")
    second = make_key(cli, "--name", "archivist", "--scope", "admin")
    listed = cli.invoke(app, ["keys", "list"])
    assert listed.exit_code == 0, listed.output
    assert "newsroom-bot" in listed.stdout
    assert "archivist" in listed.stdout
    for key in (first, second):
        prefix, secret = split_key(key) or ("", "")
        assert prefix in listed.stdout
        assert secret not in listed.stdout
    assert listed.stdout.count("active") == 2


def test_revoke_by_name_or_prefix(cli: CliRunner, engine: sa.Engine) -> None:
    key = make_key(cli, "--name", "newsroom-bot", "--scope", "write")
    make_key(cli, "--name", "archivist", "--scope", "write")
    prefix, _ = split_key(key) or ("", "")
    assert cli.invoke(app, ["keys", "revoke", prefix]).exit_code == 0
    assert cli.invoke(app, ["keys", "revoke", "archivist"]).exit_code == 0
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).where(api_keys.c.revoked_at.is_(None))).scalar_one() == 0
    assert cli.invoke(app, ["keys", "list"]).stdout.count("revoked") == 2
    unknown = cli.invoke(app, ["keys", "revoke", "nobody"])
    assert unknown.exit_code == 1
    assert "no key named 'nobody'" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "bot", "--scope", "writes"], "unknown scope 'writes'"),
        (["--name", "Bot Name", "--scope", "write"], "is not a key name"),
        (["--name", "loader", "--scope", "write"], "names the seed loader"),
    ],
)
def test_a_bad_name_or_scope_is_refused(cli: CliRunner, engine: sa.Engine, args: list[str], message: str) -> None:
    result = cli.invoke(app, ["keys", "create", *args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "tsk_" not in result.output
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(api_keys)).scalar_one() == 0


def test_a_name_stays_taken_after_its_key_is_revoked(cli: CliRunner) -> None:
    make_key(cli, "--name", "newsroom-bot", "--scope", "write")
    assert cli.invoke(app, ["keys", "revoke", "newsroom-bot"]).exit_code == 0
    again = cli.invoke(app, ["keys", "create", "--name", "newsroom-bot", "--scope", "write"])
    assert again.exit_code == 1
    assert "names stay taken" in again.stderr


@pytest.mark.parametrize("name", ["TECHSOV_CURSOR_SECRET", "TECHSOV_METRICS_TOKEN"])
def test_a_short_secret_is_refused_at_start(name: str, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="at least 16"):
        Settings(**{name.lower(): "too-short"})  # type: ignore[arg-type]
    monkeypatch.setenv(name, "too-short")
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert f"{name} is 9 characters long; use at least 16" in result.stderr


def test_an_empty_metrics_token_means_open_metrics_not_a_short_secret() -> None:
    assert Settings(techsov_metrics_token="").techsov_metrics_token == ""
