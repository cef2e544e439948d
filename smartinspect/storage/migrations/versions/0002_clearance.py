"""Tables for declarations, instructions, rule sets, audit events (issue 5).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a migration must not change when the models do.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
ACTOR = 200

_APPEND_ONLY_SQLITE = """
CREATE TRIGGER audit_events_append_only_{op} BEFORE {OP} ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
"""
_APPEND_ONLY_POSTGRES_FN = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$
"""
_APPEND_ONLY_POSTGRES = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""


def _declarations() -> None:
    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(18), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("customs_office", sa.String(4), nullable=False),
        sa.Column("port", sa.String(4), nullable=False),
        sa.Column("declarant_name", sa.String(200), nullable=False),
        sa.Column("declarant_code", sa.String(18), nullable=False),
        sa.Column("consignee_name", sa.String(200), nullable=False),
        sa.Column("consignee_code", sa.String(18), nullable=False),
        sa.Column("transport_mode", sa.String(16), nullable=False),
        sa.Column("bill_of_lading", sa.String(64), nullable=True),
        sa.Column("vessel", sa.String(100), nullable=True),
        sa.Column("voyage", sa.String(32), nullable=True),
        sa.Column("trade_country", sa.String(2), nullable=False),
        sa.Column("loading_port", sa.String(64), nullable=True),
        sa.Column("incoterm", sa.String(3), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("package_count", sa.Integer(), nullable=True),
        sa.Column("gross_kg", sa.Float(), nullable=False),
        sa.Column("net_kg", sa.Float(), nullable=False),
        sa.Column("total_value", sa.Float(), nullable=True),
        sa.Column("documents", JSON, nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("declared_at", TIMESTAMP, nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=True),
        sa.Column("post_clearance_audit", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(ACTOR), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("assessed_at", TIMESTAMP, nullable=True),
        sa.Column("released_at", TIMESTAMP, nullable=True),
        sa.Column("held_at", TIMESTAMP, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_declarations"),
        sa.UniqueConstraint("number", name="uq_declarations_number"),
        sa.CheckConstraint("direction IN ('import', 'export')", name="ck_declarations_direction"),
        sa.CheckConstraint("status IN ('assessed', 'released', 'held')", name="ck_declarations_status"),
        sa.CheckConstraint("channel IN ('green', 'blue', 'yellow', 'red')", name="ck_declarations_channel"),
        sa.CheckConstraint("transport_mode IN ('waterway', 'rail', 'road', 'air', 'post', 'other')",
                           name="ck_declarations_transport_mode"),
    )
    op.create_index("ix_declarations_customs_office", "declarations", ["customs_office"])
    op.create_index("ix_declarations_consignee_code", "declarations", ["consignee_code"])
    op.create_index("ix_declarations_created_at", "declarations", ["created_at"])
    op.create_index("ix_declarations_status_channel", "declarations", ["status", "channel"])

    op.create_table(
        "declaration_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("hs_code", sa.String(10), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("gross_kg", sa.Float(), nullable=False),
        sa.Column("net_kg", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("origin", sa.String(2), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_declaration_items"),
        sa.ForeignKeyConstraint(["declaration_id"], ["declarations.id"],
                                name="fk_declaration_items_declaration_id_declarations", ondelete="CASCADE"),
        sa.UniqueConstraint("declaration_id", "line_no", name="uq_declaration_items_declaration_id_line_no"),
    )
    op.create_index("ix_declaration_items_hs_code", "declaration_items", ["hs_code"])

    op.create_table(
        "declaration_containers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("container_no", sa.String(11), nullable=False),
        sa.Column("size_type", sa.String(4), nullable=True),
        sa.Column("tare_kg", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_declaration_containers"),
        sa.ForeignKeyConstraint(["declaration_id"], ["declarations.id"],
                                name="fk_declaration_containers_declaration_id_declarations", ondelete="CASCADE"),
        sa.UniqueConstraint("declaration_id", "container_no",
                            name="uq_declaration_containers_declaration_id_container_no"),
    )
    op.create_index("ix_declaration_containers_container_no", "declaration_containers", ["container_no"])


def _instructions() -> None:
    op.create_table(
        "instructions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("declaration_no", sa.String(18), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.String(16), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("focus", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("source", sa.String(16), nullable=True),
        sa.Column("source_id", sa.String(64), nullable=True),
        sa.Column("dedupe_key", sa.String(160), nullable=False),
        sa.Column("customs_office", sa.String(4), nullable=False),
        sa.Column("port", sa.String(4), nullable=False),
        sa.Column("post_release", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(ACTOR), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("assignee", sa.String(ACTOR), nullable=True),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("completed_by", sa.String(ACTOR), nullable=True),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instructions"),
        sa.ForeignKeyConstraint(["declaration_id"], ["declarations.id"],
                                name="fk_instructions_declaration_id_declarations", ondelete="CASCADE"),
        sa.UniqueConstraint("declaration_id", "dedupe_key", name="uq_instructions_declaration_id_dedupe_key"),
        sa.CheckConstraint(
            "kind IN ('image_review', 'physical_inspection', 'document_check', 'sampling', 'hold')",
            name="ck_instructions_kind"),
        sa.CheckConstraint("status IN ('issued', 'in_progress', 'completed', 'cancelled')",
                           name="ck_instructions_status"),
        sa.CheckConstraint("result IN ('no_discrepancy', 'discrepancy', 'seized')", name="ck_instructions_result"),
    )
    op.create_index("ix_instructions_declaration_no", "instructions", ["declaration_no"])
    op.create_index("ix_instructions_port", "instructions", ["port"])
    op.create_index("ix_instructions_created_at", "instructions", ["created_at"])
    op.create_index("ix_instructions_assignee", "instructions", ["assignee"])
    op.create_index("ix_instructions_status_kind", "instructions", ["status", "kind"])


def _rules_and_audit() -> None:
    op.create_table(
        "clearance_rule_sets",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(ACTOR), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_clearance_rule_sets"),
    )
    op.create_table(
        "clearance_rule_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("source_key", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clearance_rule_hits"),
        sa.ForeignKeyConstraint(["declaration_id"], ["declarations.id"],
                                name="fk_clearance_rule_hits_declaration_id_declarations", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instruction_id"], ["instructions.id"],
                                name="fk_clearance_rule_hits_instruction_id_instructions", ondelete="SET NULL"),
        sa.UniqueConstraint("declaration_id", "rule_id", "source_key", "kind",
                            name="uq_clearance_rule_hits_declaration_id_rule_id_source_key_kind"),
    )
    op.create_index("ix_clearance_rule_hits_rule_id", "clearance_rule_hits", ["rule_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(ACTOR), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_subject", "audit_events", ["subject"])
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain_head"),
        sa.CheckConstraint("id = 1", name="ck_audit_chain_head_single_row"),
    )
    op.execute(f"INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, '{'0' * 64}')")


def _append_only_triggers() -> None:
    # Defence in depth: the application never updates or deletes events; the hash chain catches whoever does.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY_POSTGRES_FN)
        op.execute(_APPEND_ONLY_POSTGRES)
    else:
        for kind in ("update", "delete"):
            op.execute(_APPEND_ONLY_SQLITE.format(op=kind, OP=kind.upper()))


def upgrade() -> None:
    _declarations()
    _instructions()
    _rules_and_audit()
    _append_only_triggers()


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_table("audit_events")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_table("clearance_rule_hits")
    op.drop_table("clearance_rule_sets")
    op.drop_table("instructions")
    op.drop_table("declaration_containers")
    op.drop_table("declaration_items")
    op.drop_table("declarations")
