"""Access requests and grants: a researcher asks for one testimony, a curator grants it for a period

Revision ID: 0012_access_grants
Revises: 0011_transcript_drafts
Create Date: 2026-12-04 16:49:50
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_access_grants'
down_revision = '0011_transcript_drafts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('testimony_access_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'granted', 'refused')", name=op.f('ck_testimony_access_requests_state')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_testimony_access_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_testimony_access_requests_testimony_id_testimonies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_testimony_access_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_testimony_access_requests'))
    )
    with op.batch_alter_table('testimony_access_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_testimony_access_requests_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_testimony_access_requests_testimony_id'), ['testimony_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_testimony_access_requests_user_id'), ['user_id'], unique=False)

    op.create_table('access_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_access_grants_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['testimony_access_requests.id'], name=op.f('fk_access_grants_request_id_testimony_access_requests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_access_grants_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_access_grants_testimony_id_testimonies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grants'))
    )
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_grants_testimony_id'), ['testimony_id'], unique=False)
        batch_op.create_index('ix_access_grants_user_testimony', ['user_id', 'testimony_id'], unique=False)



def downgrade():
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_access_grants_user_testimony')
        batch_op.drop_index(batch_op.f('ix_access_grants_testimony_id'))

    op.drop_table('access_grants')
    with op.batch_alter_table('testimony_access_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_testimony_access_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_testimony_access_requests_testimony_id'))
        batch_op.drop_index(batch_op.f('ix_testimony_access_requests_state'))

    op.drop_table('testimony_access_requests')
