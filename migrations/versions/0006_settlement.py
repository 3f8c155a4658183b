"""settlement: results, certificates, claims, review, payments

Revision ID: 0006_settlement
Revises: 0005_redemption
Create Date: 2026-11-24 22:00:00

Each issue's module owns its migration: this one holds only the settlement tables and columns.
"""

from alembic import op
import sqlalchemy as sa

import voucher.db


# revision identifiers, used by Alembic.
revision = "0006_settlement"
down_revision = "0005_redemption"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "claim_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("bank_reference", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("recorded_at", voucher.db.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_claim_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_payment_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name=op.f("fk_claim_payment_recorded_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_payment")),
    )
    with op.batch_alter_table("claim_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_payment_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "assessment_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("redemption_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("certificate_type", sa.String(length=10), server_default="", nullable=False),
        sa.Column("level", sa.String(length=8), server_default="", nullable=False),
        sa.Column("certificate_no", sa.String(length=40), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("cert_year", sa.Integer(), nullable=True),
        sa.Column("assessment_body", sa.String(length=120), server_default="", nullable=False),
        sa.Column("recorded_at", voucher.db.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "certificate_type IN ('', 'training', 'skill', 'special')",
            name=op.f("ck_assessment_result_certificate_known"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalogue_entry.id"],
            name=op.f("fk_assessment_result_entry_id_catalogue_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name=op.f("fk_assessment_result_recorded_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["redemption.id"],
            name=op.f("fk_assessment_result_redemption_id_redemption"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["training_unit.id"],
            name=op.f("fk_assessment_result_unit_id_training_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_result")),
        sa.UniqueConstraint("certificate_no", name=op.f("uq_assessment_result_certificate_no")),
        sa.UniqueConstraint("redemption_id", name=op.f("uq_assessment_result_redemption_id")),
    )
    with op.batch_alter_table("assessment_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_result_unit_id"), ["unit_id"], unique=False)

    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_details", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("body_details", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("pledge_at", voucher.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("pledge_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", voucher.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("checked_at", voucher.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("checked_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", voucher.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_fen", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("paid_fen", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_claim_approved_by_user_account"), "user_account", ["approved_by"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_claim_pledge_by_user_account"), "user_account", ["pledge_by"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_claim_checked_by_user_account"), "user_account", ["checked_by"], ["id"]
        )

    with op.batch_alter_table("claim_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("entry_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("level", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("cert_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fee_fen", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("offset_fen", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("standard_fen", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("refund_fen", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("decision", sa.String(length=10), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("approved_fen", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_claim_line_person_id"), ["person_id"], unique=False)

    op.create_table(
        "attendance_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", voucher.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["claim_line.id"], name=op.f("fk_attendance_flag_line_id_claim_line")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_attendance_flag_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["training_unit.id"], name=op.f("fk_attendance_flag_unit_id_training_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_flag")),
        sa.UniqueConstraint("line_id", name=op.f("uq_attendance_flag_line_id")),
    )
    with op.batch_alter_table("attendance_flag", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_flag_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attendance_flag_unit_id"), ["unit_id"], unique=False)


def downgrade():
    with op.batch_alter_table("attendance_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_flag_unit_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_flag_person_id"))

    op.drop_table("attendance_flag")

    with op.batch_alter_table("claim_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_line_person_id"))
        batch_op.drop_column("reason")
        batch_op.drop_column("approved_fen")
        batch_op.drop_column("decision")
        batch_op.drop_column("refund_fen")
        batch_op.drop_column("standard_fen")
        batch_op.drop_column("offset_fen")
        batch_op.drop_column("fee_fen")
        batch_op.drop_column("cert_year")
        batch_op.drop_column("level")
        batch_op.drop_column("entry_id")
        batch_op.drop_column("person_id")
        batch_op.drop_column("result_id")

    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_claim_checked_by_user_account"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_claim_pledge_by_user_account"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_claim_approved_by_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("paid_fen")
        batch_op.drop_column("approved_fen")
        batch_op.drop_column("approved_by")
        batch_op.drop_column("approved_at")
        batch_op.drop_column("checked_by")
        batch_op.drop_column("checked_at")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("pledge_by")
        batch_op.drop_column("pledge_at")
        batch_op.drop_column("body_details")
        batch_op.drop_column("unit_details")

    with op.batch_alter_table("assessment_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_result_unit_id"))

    op.drop_table("assessment_result")

    with op.batch_alter_table("claim_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_payment_claim_id"))

    op.drop_table("claim_payment")
