"""Public copies of recordings (redacted, voice-masked) and their job outbox

Revision ID: 0007_public_copies
Revises: 0006_disclosure
Create Date: 2026-12-02 22:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_public_copies'
down_revision = '0006_disclosure'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('public_copies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('storage_path', sa.String(length=300), nullable=True),
    sa.Column('shared_original', sa.Boolean(), nullable=False),
    sa.Column('mime_type', sa.String(length=60), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('masked', sa.Boolean(), nullable=False),
    sa.Column('silenced_json', sa.Text(), nullable=False),
    sa.Column('loudest_silenced_dbfs', sa.Float(), nullable=True),
    sa.Column('peaks_json', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('worker', sa.String(length=120), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('made_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_public_copies_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_public_copies_testimony_id_testimonies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_copies')),
    sa.UniqueConstraint('recording_id', name=op.f('uq_public_copies_recording_id'))
    )
    with op.batch_alter_table('public_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_copies_testimony_id'), ['testimony_id'], unique=False)
    op.create_table('public_copy_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_copy_outbox'))
    )
    with op.batch_alter_table('public_copy_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_copy_outbox_testimony_id'), ['testimony_id'], unique=False)


def downgrade():
    with op.batch_alter_table('public_copy_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_copy_outbox_testimony_id'))
    op.drop_table('public_copy_outbox')
    with op.batch_alter_table('public_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_copies_testimony_id'))
    op.drop_table('public_copies')
