"""writes: API keys, and who changed what in the change log

`api_keys`: one row per key ever made (app/auth/keys.py): its public prefix,
name, scopes and an Argon2 hash of the key, never the key itself.

`changes` gains `editor` (a key's name, or `loader`: every entry so far was a
load's) and `diff` (each changed field's value before and after; for a
deletion, every field the record had). Entries written before this migration
have no diff: the history says what they did, not what they changed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("prefix", sa.String(10), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
    )
    op.add_column("changes", sa.Column("editor", sa.String(80), nullable=False, server_default="loader"))
    op.add_column("changes", sa.Column("diff", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_column("diff")
        batch_op.drop_column("editor")
    op.drop_table("api_keys")
