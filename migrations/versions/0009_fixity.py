"""Fixity checks of stored recordings and public copies (archive/preservation/fixity.py)

Revision ID: 0009_fixity
Revises: 0008_narrator_version
Create Date: 2026-12-03 17:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_fixity'
down_revision = '0008_narrator_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fixity_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('storage_path', sa.String(length=300), nullable=False),
    sa.Column('expected_sha256', sa.String(length=64), nullable=False),
    sa.Column('actual_sha256', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('result', sa.String(length=12), nullable=False),
    sa.Column('run', sa.String(length=32), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_fixity_checks_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_fixity_checks_testimony_id_testimonies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fixity_checks'))
    )
    with op.batch_alter_table('fixity_checks', schema=None) as batch_op:
        batch_op.create_index('ix_fixity_checks_file', ['recording_id', 'kind', 'checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_fixity_checks_result'), ['result'], unique=False)
        batch_op.create_index(batch_op.f('ix_fixity_checks_testimony_id'), ['testimony_id'], unique=False)


def downgrade():
    with op.batch_alter_table('fixity_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fixity_checks_testimony_id'))
        batch_op.drop_index(batch_op.f('ix_fixity_checks_result'))
        batch_op.drop_index('ix_fixity_checks_file')
    op.drop_table('fixity_checks')
