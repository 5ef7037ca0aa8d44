"""context theme pages (filled in by the themes work)

Revision ID: 0004_themes
Revises: 0003
Create Date: 2026-11-24 20:20:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_themes'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
