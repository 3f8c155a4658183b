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
revision = '0006_settlement'
down_revision = '0005_redemption'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
