"""The transcript editor's drafts: one per testimony and curator

Revision ID: 0011_transcript_drafts
Revises: 0010_vocabulary_management
Create Date: 2026-12-04 17:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_transcript_drafts'
down_revision = '0010_vocabulary_management'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'transcript_drafts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('testimony_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('base_version', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'],
                                name=op.f('fk_transcript_drafts_testimony_id_testimonies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_transcript_drafts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_drafts')),
        sa.UniqueConstraint('testimony_id', 'user_id', name='uq_transcript_drafts_testimony_user'),
    )
    op.create_index(op.f('ix_transcript_drafts_testimony_id'), 'transcript_drafts', ['testimony_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_transcript_drafts_testimony_id'), table_name='transcript_drafts')
    op.drop_table('transcript_drafts')
