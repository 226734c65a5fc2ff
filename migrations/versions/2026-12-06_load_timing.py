"""the dataset state keeps when the last load began and how long it took

Two nullable columns of `dataset_state`: `load_started_at` and
`load_seconds`, written by every successful load (app/seeding/run.py) and
read by /metrics at scrape time. Empty until the next load.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("load_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("load_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dataset_state", schema=None) as batch_op:
        batch_op.drop_column("load_seconds")
        batch_op.drop_column("load_started_at")
