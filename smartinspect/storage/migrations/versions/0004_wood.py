"""Tables for wood screenings (issue 4): wood_screenings, wood_screening_images.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a migration must not change when the models do.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wood_screenings",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("declaration_no", sa.String(64), nullable=False),
        sa.Column("declared_species", sa.String(200), nullable=False),
        sa.Column("n_images", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("recommendation", sa.String(16), nullable=True),
        sa.Column("abstained", sa.Boolean(), nullable=True),
        sa.Column("call_taxon", sa.String(128), nullable=True),
        sa.Column("cites_appendix", sa.String(4), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model_name", sa.String(128), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("analysed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_wood_screenings"),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_wood_screenings_api_key_id_api_keys", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("api_key_id", "idempotency_key", name="uq_wood_screenings_api_key_id_idempotency_key"),
        sa.CheckConstraint("status IN ('received', 'analysed', 'failed')", name="ck_wood_screenings_status"),
        sa.CheckConstraint(
            "recommendation IS NULL OR recommendation IN ('clear', 'lab_sample', 'expert_review')",
            name="ck_wood_screenings_recommendation",
        ),
    )
    op.create_index("ix_wood_screenings_declaration_no", "wood_screenings", ["declaration_no"])
    op.create_index("ix_wood_screenings_created_at", "wood_screenings", ["created_at"])

    op.create_table(
        "wood_screening_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("image_sha256", sa.String(64), nullable=False),
        sa.Column("image_format", sa.String(8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wood_screening_images"),
        sa.ForeignKeyConstraint(
            ["screening_id"], ["wood_screenings.id"], name="fk_wood_screening_images_screening_id_wood_screenings",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("screening_id", "position", name="uq_wood_screening_images_screening_id_position"),
    )
    op.create_index("ix_wood_screening_images_screening_id", "wood_screening_images", ["screening_id"])


def downgrade() -> None:
    op.drop_table("wood_screening_images")
    op.drop_table("wood_screenings")
