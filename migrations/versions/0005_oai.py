"""OAI-PMH record tracking (filled in by the OAI-PMH work)

Revision ID: 0005_oai
Revises: 0004_themes
Create Date: 2026-11-24 20:20:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_oai'
down_revision = '0004_themes'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
