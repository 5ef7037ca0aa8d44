"""OAI-PMH record tracking: what harvesters were shown, so withdrawals become deletions

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
    op.create_table('oai_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=200), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=True),
    sa.Column('datestamp', sa.DateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('sets', sa.String(length=2000), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_oai_records_testimony_id_testimonies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oai_records')),
    sa.UniqueConstraint('identifier', name=op.f('uq_oai_records_identifier')),
    sa.UniqueConstraint('testimony_id', name=op.f('uq_oai_records_testimony_id'))
    )
    with op.batch_alter_table('oai_records', schema=None) as batch_op:
        batch_op.create_index('ix_oai_records_datestamp_id', ['datestamp', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('oai_records', schema=None) as batch_op:
        batch_op.drop_index('ix_oai_records_datestamp_id')

    op.drop_table('oai_records')
