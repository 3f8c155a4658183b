"""issuance: people's residence, target groups and exclusions, quotas, batches, OTP, notifications

Revision ID: 0004_issuance
Revises: 0003_units
Create Date: 2026-11-24 22:00:00

Each issue's module owns its migration: this one holds only the issuance tables and columns.
"""
from alembic import op
import sqlalchemy as sa

import voucher.db


# revision identifiers, used by Alembic.
revision = '0004_issuance'
down_revision = '0003_units'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('evidence_date', sa.Date(), nullable=True),
    sa.Column('graduation_year', sa.Integer(), nullable=True),
    sa.Column('release_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_group_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_group')),
    sa.UniqueConstraint('person_id', 'group', name=op.f('uq_person_group_person_id_group'))
    )
    op.create_table('quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('voucher_days', sa.Integer(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('created_at', voucher.db.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_quota_amount_positive')),
    sa.CheckConstraint('issued <= planned', name=op.f('ck_quota_issued_within_plan')),
    sa.CheckConstraint('issued >= 0', name=op.f('ck_quota_issued_not_negative')),
    sa.CheckConstraint('planned > 0', name=op.f('ck_quota_planned_positive')),
    sa.CheckConstraint('valid_until >= valid_from', name=op.f('ck_quota_window_ordered')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_quota_created_by_user_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['catalogue_entry.id'], name=op.f('fk_quota_entry_id_catalogue_entry')),
    sa.ForeignKeyConstraint(['unit_id'], ['training_unit.id'], name=op.f('fk_quota_unit_id_training_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota'))
    )
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quota_unit_id'), ['unit_id'], unique=False)

    op.create_table('issuance_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quota_id', sa.Integer(), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', voucher.db.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('finished_at', voucher.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_issuance_batch_created_by_user_account')),
    sa.ForeignKeyConstraint(['quota_id'], ['quota.id'], name=op.f('fk_issuance_batch_quota_id_quota')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuance_batch')),
    sa.UniqueConstraint('quota_id', 'file_hash', name=op.f('uq_issuance_batch_quota_id_file_hash'))
    )
    with op.batch_alter_table('issuance_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuance_batch_quota_id'), ['quota_id'], unique=False)

    op.create_table('issuance_batch_error',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['issuance_batch.id'], name=op.f('fk_issuance_batch_error_batch_id_issuance_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuance_batch_error'))
    )
    with op.batch_alter_table('issuance_batch_error', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuance_batch_error_batch_id'), ['batch_id'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('residence_basis', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('residence_source', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('residence_reference', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('residence_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('establishment_staff', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('full_time_student', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('pensioner', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('updated_at', voucher.db.UTCDateTime(), nullable=True))

    with op.batch_alter_table('voucher', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quota_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('level', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', voucher.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_voucher_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_quota_id'), ['quota_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_voucher_batch_id_issuance_batch'), 'issuance_batch', ['batch_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_voucher_quota_id_quota'), 'quota', ['quota_id'], ['id'])


def downgrade():
    with op.batch_alter_table('voucher', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_voucher_quota_id_quota'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_voucher_batch_id_issuance_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_voucher_quota_id'))
        batch_op.drop_index(batch_op.f('ix_voucher_batch_id'))
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('level')
        batch_op.drop_column('batch_id')
        batch_op.drop_column('quota_id')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('pensioner')
        batch_op.drop_column('full_time_student')
        batch_op.drop_column('establishment_staff')
        batch_op.drop_column('residence_date')
        batch_op.drop_column('residence_reference')
        batch_op.drop_column('residence_source')
        batch_op.drop_column('residence_basis')

    with op.batch_alter_table('issuance_batch_error', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuance_batch_error_batch_id'))

    op.drop_table('issuance_batch_error')
    with op.batch_alter_table('issuance_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuance_batch_quota_id'))

    op.drop_table('issuance_batch')
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quota_unit_id'))
        batch_op.drop_index(batch_op.f('ix_quota_entry_id'))

    op.drop_table('quota')
    op.drop_table('person_group')
