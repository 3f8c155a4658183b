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
    pass


def downgrade():
    pass
