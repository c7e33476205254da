"""site settings, surge and auto-close

Sites get their edit window, the reasons moderators reject with, the surge
threshold and what a surge does, and how many days after publication a
story closes; stories get their own auto-close and what a surge changed (to
undo it when the rate falls). One index, on the comments' time and story,
counts each story's recent comments for the surge check.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rostra.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = '\'["Abuse or harassment", "Spam", "Off-topic", "Misinformation", "Personal details"]\''


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edit_window_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "rejection_reasons", sa.JSON(), server_default=sa.text(REASONS), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("surge_threshold", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "surge_action",
                sa.String(length=16),
                server_default=sa.text("'flag_only'"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "surge_slow_mode_seconds",
                sa.Integer(),
                server_default=sa.text("60"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("auto_close_days", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )

    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_close_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("surge_started_at", rostra.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("surge_rate", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("surge_undo", sa.JSON(), nullable=True))

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_created_story", ["created_at", "story_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_created_story")

    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_column("surge_undo")
        batch_op.drop_column("surge_rate")
        batch_op.drop_column("surge_started_at")
        batch_op.drop_column("auto_close_days")

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("auto_close_days")
        batch_op.drop_column("surge_slow_mode_seconds")
        batch_op.drop_column("surge_action")
        batch_op.drop_column("surge_threshold")
        batch_op.drop_column("rejection_reasons")
        batch_op.drop_column("edit_window_seconds")
