"""API keys: made once, shown once, stored as a public prefix and a slow hash; listed and revoked by the CLI.

A key reads `tsk_<prefix>_<secret>`: the prefix (10 lowercase letters and digits) finds the row, the
secret (40 letters and digits, about 238 random bits) proves it. The database keeps the prefix, the
key's name and scopes, and an Argon2id hash of the whole key (argon2-cffi's defaults: 64 MiB, 3 passes),
never the key: a copy of the database gives nobody a key.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from dataclasses import dataclass
from typing import Literal, get_args

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.state import LOADER, metadata

Scope = Literal["write", "delete", "admin"]
"""`write`: create and change records; `delete`: delete them; `admin`: manage keys."""
SCOPES: tuple[Scope, ...] = get_args(Scope)
KEY_NAME_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
KEY_NAME_MAX_LENGTH = 80
PREFIX_LENGTH = 10
SECRET_LENGTH = 40
KEY_FORMAT = re.compile(rf"^tsk_([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})$")
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("prefix", sa.String(PREFIX_LENGTH), primary_key=True),
    sa.Column("name", sa.String(KEY_NAME_MAX_LENGTH), nullable=False, unique=True),
    sa.Column("scopes", sa.JSON(), nullable=False),
    sa.Column("key_hash", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
"""One row per key ever made: a revoked key stays, so its name keeps meaning the same key in the history."""

_hasher = PasswordHasher()


class KeyProblem(Exception):
    """A key cannot be made or revoked as asked (a name taken or malformed, an unknown scope or key)."""


@dataclass(frozen=True)
class StoredKey:
    """A key as the database keeps it: everything but the key itself."""

    prefix: str
    name: str
    scopes: tuple[str, ...]
    key_hash: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def parse_scopes(values: list[str]) -> tuple[Scope, ...]:
    """Scopes from repeated and comma-separated values, in SCOPES order; an unknown one is a KeyProblem."""
    wanted = {part.strip() for value in values for part in value.split(",") if part.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise KeyProblem(f"unknown scope '{unknown[0]}': scopes are {', '.join(SCOPES)}")
    if not wanted:
        raise KeyProblem(f"give at least one scope: {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in wanted)


def check_name(name: str) -> str:
    """A key's name: a slug (it appears in the history as who made a change), never the loader's."""
    if not re.match(KEY_NAME_PATTERN, name) or len(name) > KEY_NAME_MAX_LENGTH:
        raise KeyProblem(
            f"'{name[:100]}' is not a key name: use lowercase letters, digits and single hyphens "
            f"(at most {KEY_NAME_MAX_LENGTH}), e.g. newsroom-bot"
        )
    if name == LOADER:
        raise KeyProblem(f"'{LOADER}' names the seed loader in the history; choose another name")
    return name


def split_key(presented: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key; None for anything else."""
    match = KEY_FORMAT.match(presented)
    return (match.group(1), match.group(2)) if match else None


def looks_like_key(text: str) -> bool:
    """True for text that holds what may be a key (used to refuse keys sent where they must not be)."""
    return "tsk_" in text


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def make_key(name: str, scopes: tuple[Scope, ...]) -> tuple[StoredKey, str]:
    """A new key and its row (prefix, name, scopes, hash); nothing stored yet."""
    key = f"tsk_{_random(_PREFIX_ALPHABET, PREFIX_LENGTH)}_{_random(_SECRET_ALPHABET, SECRET_LENGTH)}"
    prefix, _secret = split_key(key) or ("", "")
    return StoredKey(prefix, check_name(name), tuple(scopes), _hasher.hash(key), dt.datetime.now(dt.UTC), None), key


def store_key(connection: sa.Connection, stored: StoredKey) -> None:
    """Keep a key's row (never the key); a KeyProblem when its name is taken."""
    if connection.execute(sa.select(api_keys.c.prefix).where(api_keys.c.name == stored.name)).first() is not None:
        raise KeyProblem(
            f"a key named '{stored.name}' exists (names stay taken after a key is revoked); choose another"
        )
    connection.execute(
        api_keys.insert().values(
            prefix=stored.prefix,
            name=stored.name,
            scopes=list(stored.scopes),
            key_hash=stored.key_hash,
            created_at=stored.created_at,
            revoked_at=stored.revoked_at,
        )
    )


def create_key(connection: sa.Connection, name: str, scopes: tuple[Scope, ...]) -> tuple[StoredKey, str]:
    """Make a key, store its prefix and hash; return the stored row and the key (the only time it exists)."""
    check_name(name)
    while True:
        stored, key = make_key(name, scopes)
        if find_key(connection, stored.prefix) is None:  # 36^10 prefixes: a clash is all but impossible
            break
    store_key(connection, stored)
    return stored, key


def _stored(row: sa.RowMapping) -> StoredKey:
    return StoredKey(
        row["prefix"], row["name"], tuple(row["scopes"]), row["key_hash"], row["created_at"], row["revoked_at"]
    )


def find_key(connection: sa.Connection, prefix: str) -> StoredKey | None:
    """The key with this prefix, revoked or not."""
    row = connection.execute(sa.select(api_keys).where(api_keys.c.prefix == prefix)).mappings().first()
    return None if row is None else _stored(row)


def list_keys(connection: sa.Connection) -> list[StoredKey]:
    """Every key ever made, oldest first."""
    rows = connection.execute(sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.name)).mappings()
    return [_stored(row) for row in rows]


def revoke_key(connection: sa.Connection, name_or_prefix: str) -> StoredKey:
    """Revoke the key with this name or prefix (at once, in every worker); a KeyProblem if there is none."""
    query = sa.select(api_keys).where(sa.or_(api_keys.c.name == name_or_prefix, api_keys.c.prefix == name_or_prefix))
    row = connection.execute(query).mappings().first()
    if row is None:
        raise KeyProblem(f"no key named '{name_or_prefix[:100]}' or with that prefix: `techsov keys list` shows them")
    key = _stored(row)
    if key.revoked_at is not None:
        return key
    now = dt.datetime.now(dt.UTC)
    connection.execute(api_keys.update().where(api_keys.c.prefix == key.prefix).values(revoked_at=now))
    return StoredKey(key.prefix, key.name, key.scopes, key.key_hash, key.created_at, now)


def verify(key_hash: str, presented: str) -> bool:
    """True when `presented` is the key `key_hash` was made from (slow by design: about 50 ms)."""
    try:
        return _hasher.verify(key_hash, presented)
    except (VerificationError, InvalidHashError):
        return False
