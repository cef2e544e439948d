"""Tables for expert review cases and decisions (issue 6).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a migration must not change when the models do.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("declaration_no", sa.String(18), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("corrections", JSON, nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("follow_up_instruction_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("label_task", sa.String(16), nullable=True),
        sa.Column("label_path", sa.String(500), nullable=True),
        sa.Column("label_sha256", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_decisions"),
        sa.ForeignKeyConstraint(
            ["instruction_id"], ["instructions.id"], name="fk_review_decisions_instruction_id_instructions",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_instruction_id"], ["instructions.id"],
            name="fk_review_decisions_follow_up_instruction_id_instructions", ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_review_decisions_api_key_id_api_keys", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("instruction_id", name="uq_review_decisions_instruction_id"),
        sa.CheckConstraint("decision IN ('confirm', 'clear', 'escalate')", name="ck_review_decisions_decision"),
        sa.CheckConstraint("source IN ('xray', 'document', 'wood')", name="ck_review_decisions_source"),
        sa.CheckConstraint(
            "label_task IN ('xray', 'wood', 'document')", name="ck_review_decisions_label_task"
        ),
    )
    op.create_index("ix_review_decisions_declaration_no", "review_decisions", ["declaration_no"])
    op.create_index("ix_review_decisions_created_at", "review_decisions", ["created_at"])


def downgrade() -> None:
    op.drop_table("review_decisions")
