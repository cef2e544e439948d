"""Initial tables: api_keys, scans, clearance_findings.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a migration must not change when the models do.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_prefix", "api_keys", ["prefix"], unique=True)

    op.create_table(
        "scans",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scanner_id", sa.String(64), nullable=False),
        sa.Column("container_no", sa.String(16), nullable=False),
        sa.Column("declaration_no", sa.String(64), nullable=True),
        sa.Column("scanned_at", TIMESTAMP, nullable=False),
        sa.Column("pixel_pitch_mm", sa.Float(), nullable=False),
        sa.Column("declared_empty", sa.Boolean(), nullable=True),
        sa.Column("image_sha256", sa.String(64), nullable=False),
        sa.Column("image_low_sha256", sa.String(64), nullable=True),
        sa.Column("image_format", sa.String(8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bit_depth", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model_name", sa.String(128), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("analysed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_scans"),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_scans_api_key_id_api_keys", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("api_key_id", "idempotency_key", name="uq_scans_api_key_id_idempotency_key"),
        sa.CheckConstraint("status IN ('received', 'analysed', 'failed')", name="ck_scans_status"),
        sa.CheckConstraint("image_format IN ('png', 'tiff', 'jpeg')", name="ck_scans_image_format"),
    )
    op.create_index("ix_scans_container_no", "scans", ["container_no"])
    op.create_index("ix_scans_declaration_no", "scans", ["declaration_no"])
    op.create_index("ix_scans_created_at", "scans", ["created_at"])

    op.create_table(
        "clearance_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_no", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clearance_findings"),
        sa.UniqueConstraint("source", "source_id", name="uq_clearance_findings_source_source_id"),
        sa.CheckConstraint("source IN ('xray', 'document', 'wood')", name="ck_clearance_findings_source"),
    )
    op.create_index("ix_clearance_findings_declaration_no", "clearance_findings", ["declaration_no"])


def downgrade() -> None:
    op.drop_table("clearance_findings")
    op.drop_table("scans")
    op.drop_table("api_keys")
