"""redemption: classes, idempotency, voids

Revision ID: 0005_redemption
Revises: 0004_issuance
Create Date: 2026-11-24 22:00:00

Each issue's module owns its migration: this one holds only the redemption tables and columns.
"""
from alembic import op
import sqlalchemy as sa

import voucher.db


# revision identifiers, used by Alembic.
revision = '0005_redemption'
down_revision = '0004_issuance'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
