"""security tables: per-client login/registration throttling and researchers' access requests

Revision ID: 0002_security
Revises: 0001
Create Date: 2026-11-24 16:31:27.449379

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_security'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('client_throttle',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_client_throttle'))
    )
    with op.batch_alter_table('client_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_throttle_blocked_until'), ['blocked_until'], unique=False)

    op.create_table('access_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('affiliation', sa.String(length=300), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_requests')),
    sa.UniqueConstraint('user_id', name=op.f('uq_access_requests_user_id'))
    )


def downgrade():
    op.drop_table('access_requests')
    with op.batch_alter_table('client_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_throttle_blocked_until'))

    op.drop_table('client_throttle')
