"""Tables for uploaded documents and their pages (issue 3).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a migration must not change when the models do.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("declaration_no", sa.String(64), nullable=True),
        sa.Column("doc_type_hint", sa.String(32), nullable=True),
        sa.Column("doc_type", sa.String(32), nullable=True),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=True),
        sa.Column("text", JSON, nullable=True),
        sa.Column("result", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_documents_api_key_id_api_keys", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("api_key_id", "idempotency_key", name="uq_documents_api_key_id_idempotency_key"),
        sa.CheckConstraint("status IN ('received', 'processed', 'failed')", name="ck_documents_status"),
    )
    op.create_index("ix_documents_declaration_no", "documents", ["declaration_no"])
    op.create_index("ix_documents_created_at", "documents", ["created_at"])

    op.create_table(
        "document_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(32), nullable=False),
        sa.Column("page_index", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("angle", sa.Float(), nullable=False),
        sa.Column("image_sha256", sa.String(64), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_document_pages"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_document_pages_document_id_documents", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("document_id", "page_index", name="uq_document_pages_document_id_page_index"),
        sa.CheckConstraint("source IN ('ocr', 'text_layer')", name="ck_document_pages_source"),
    )


def downgrade() -> None:
    op.drop_table("document_pages")
    op.drop_table("documents")
