"""redemption: classes, idempotency, voids

Revision ID: 0005_redemption
Revises: 0004_issuance
Create Date: 2026-11-24 22:00:00

Each issue's module owns its migration: this one holds only the redemption tables and columns.
The foundation's unique constraint on redemption.voucher_id becomes a partial unique index on
ACTIVE redemptions, so a voided redemption stays as history and the voucher can be redeemed again.
"""
from alembic import op
import sqlalchemy as sa

import voucher.db


# revision identifiers, used by Alembic.
revision = '0005_redemption'
down_revision = '0004_issuance'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade():
    op.create_table('idempotency_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', voucher.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_idempotency_record_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_idempotency_record_user_id_key'))
    )
    op.create_table('id_check_counter',
    sa.Column('voucher_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', voucher.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', voucher.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_id_check_counter_voucher_id_voucher')),
    sa.PrimaryKeyConstraint('voucher_id', name=op.f('pk_id_check_counter'))
    )
    op.create_table('training_class',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('occupation_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('teachers', sa.Text(), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=200), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('platform', sa.String(length=200), nullable=False),
    sa.Column('courses', sa.Text(), nullable=False),
    sa.Column('online_hours', sa.Integer(), nullable=True),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('filed_at', voucher.db.UTCDateTime(), nullable=False),
    sa.Column('filed_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("mode IN ('offline', 'online', 'mixed')", name=op.f('ck_training_class_mode_known')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_training_class_dates_ordered')),
    sa.CheckConstraint('fee_fen > 0', name=op.f('ck_training_class_fee_positive')),
    sa.ForeignKeyConstraint(['entry_id'], ['catalogue_entry.id'], name=op.f('fk_training_class_entry_id_catalogue_entry')),
    sa.ForeignKeyConstraint(['filed_by'], ['user_account.id'], name=op.f('fk_training_class_filed_by_user_account')),
    sa.ForeignKeyConstraint(['occupation_id'], ['accepted_occupation.id'], name=op.f('fk_training_class_occupation_id_accepted_occupation')),
    sa.ForeignKeyConstraint(['unit_id'], ['training_unit.id'], name=op.f('fk_training_class_unit_id_training_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_class'))
    )
    with op.batch_alter_table('training_class', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_class_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_class_occupation_id'), ['occupation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_class_unit_id'), ['unit_id'], unique=False)

    op.create_table('class_change_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('redemption_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', voucher.db.UTCDateTime(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', voucher.db.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['training_class.id'], name=op.f('fk_class_change_request_class_id_training_class')),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_class_change_request_decided_by_user_account')),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemption.id'], name=op.f('fk_class_change_request_redemption_id_redemption')),
    sa.ForeignKeyConstraint(['requested_by'], ['user_account.id'], name=op.f('fk_class_change_request_requested_by_user_account')),
    sa.ForeignKeyConstraint(['unit_id'], ['training_unit.id'], name=op.f('fk_class_change_request_unit_id_training_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_change_request'))
    )
    with op.batch_alter_table('class_change_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_change_request_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_class_change_request_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.add_column(sa.Column('class_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('voided_at', voucher.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('voided_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_redemption_voucher_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_redemption_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_voucher_id'), ['voucher_id'], unique=False)
        batch_op.create_index('uq_redemption_active_voucher', ['voucher_id'], unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.create_foreign_key(batch_op.f('fk_redemption_voided_by_user_account'), 'user_account', ['voided_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_redemption_class_id_training_class'), 'training_class', ['class_id'], ['id'])


def downgrade():
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_redemption_class_id_training_class'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_redemption_voided_by_user_account'), type_='foreignkey')
        batch_op.drop_index('uq_redemption_active_voucher', sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.drop_index(batch_op.f('ix_redemption_voucher_id'))
        batch_op.drop_index(batch_op.f('ix_redemption_class_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_redemption_voucher_id'), ['voucher_id'])
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('status')
        batch_op.drop_column('class_id')

    with op.batch_alter_table('class_change_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_change_request_unit_id'))
        batch_op.drop_index(batch_op.f('ix_class_change_request_class_id'))

    op.drop_table('class_change_request')
    with op.batch_alter_table('training_class', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_class_unit_id'))
        batch_op.drop_index(batch_op.f('ix_training_class_occupation_id'))
        batch_op.drop_index(batch_op.f('ix_training_class_entry_id'))

    op.drop_table('training_class')
    op.drop_table('id_check_counter')
    op.drop_table('idempotency_record')
