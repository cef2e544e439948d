"""Review UI sessions ended by logout (issue 23): a logged-out cookie is refused server-side.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_session_ends",
        sa.Column("session_sha256", sa.String(64), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("session_sha256", name="pk_review_session_ends"),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_review_session_ends_api_key_id_api_keys", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_review_session_ends_ended_at", "review_session_ends", ["ended_at"])


def downgrade() -> None:
    op.drop_table("review_session_ends")
