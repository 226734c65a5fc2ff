"""record documents: every record's rendered forms, stored beside it

`record_documents` keeps, per record, the bytes the API sends for it: its
list item and its detail's `referenced_by`; `record_csv_rows` its CSV line
(app/records/documents.py). Empty after the upgrade: the next load (or
write) renders every record, and until then the routes render live, as
before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_documents",
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=80), nullable=False),
        sa.Column("item", sa.LargeBinary(), nullable=False),
        sa.Column("referenced_by", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", name=op.f("pk_record_documents")),
    )
    op.create_table(
        "record_csv_rows",
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=80), nullable=False),
        sa.Column("csv_row", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", name=op.f("pk_record_csv_rows")),
    )


def downgrade() -> None:
    op.drop_table("record_csv_rows")
    op.drop_table("record_documents")
