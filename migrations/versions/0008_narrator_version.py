"""Narrators get a version column: their edits are saved like testimonies and themes (core/saving.py)

Revision ID: 0008_narrator_version
Revises: 0007_public_copies
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_narrator_version'
down_revision = '0007_public_copies'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('narrators', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('narrators') as batch:
        batch.drop_column('version')
