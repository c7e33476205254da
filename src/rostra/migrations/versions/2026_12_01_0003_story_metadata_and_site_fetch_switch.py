"""story metadata and site fetch switch

Stories keep where their title came from (existing titles were sent by
clients: "client"), their canonical URL, publication time and the state of
the last metadata fetch; sites get the switch for fetching (on, as for new
sites).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 19:09:50.671949
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rostra.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fetch_metadata", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "title_source",
                sa.String(length=8),
                server_default=sa.text("'client'"),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("canonical_url", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("canonical_source", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("published_at", rostra.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "metadata_fetched_at", rostra.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("metadata_error", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_column("metadata_error")
        batch_op.drop_column("metadata_fetched_at")
        batch_op.drop_column("published_at")
        batch_op.drop_column("canonical_source")
        batch_op.drop_column("canonical_url")
        batch_op.drop_column("title_source")

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("fetch_metadata")
