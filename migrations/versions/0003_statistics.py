"""statistics tables edited by administrators

Revision ID: 0003
Revises: 0002_security
Create Date: 2026-11-24 16:40:00

The bundled CSV files under archive/data/statistics stay the default: a table only gets a row
here once an administrator saves new figures, so no data is copied by this migration.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002_security'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statistics_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('csv_text', sa.Text(), nullable=False),
    sa.Column('as_of', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_statistics_tables_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statistics_tables')),
    sa.UniqueConstraint('key', name=op.f('uq_statistics_tables_key'))
    )


def downgrade():
    op.drop_table('statistics_tables')
