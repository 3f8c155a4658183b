"""wallet: one-time sign-in codes and the notification outbox

Revision ID: 0007_wallet
Revises: 0006_settlement
Create Date: 2026-11-24 22:30:00

Each issue's module owns its migration: this one holds only the wallet and notify tables.
"""
from alembic import op
import sqlalchemy as sa

import voucher.db


# revision identifiers, used by Alembic.
revision = '0007_wallet'
down_revision = '0006_settlement'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wallet_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('salt', sa.LargeBinary(length=16), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', voucher.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', voucher.db.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', voucher.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_wallet_code_attempts_not_negative')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_wallet_code_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_code'))
    )
    with op.batch_alter_table('wallet_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_code_person_id'), ['person_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', voucher.db.UTCDateTime(), nullable=False),
    sa.Column('sent_at', voucher.db.UTCDateTime(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name=op.f('ck_notification_status_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_notification_attempts_not_negative')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_notification_person_id_person')),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_notification_voucher_id_voucher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('voucher_id', 'kind', name=op.f('uq_notification_voucher_id_kind'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_notification_status_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_status_id')
        batch_op.drop_index(batch_op.f('ix_notification_person_id'))

    op.drop_table('notification')
    with op.batch_alter_table('wallet_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_code_person_id'))

    op.drop_table('wallet_code')
