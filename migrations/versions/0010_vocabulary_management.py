"""Curators manage the vocabularies: retired terms, a place's parent province, old slugs that redirect

Revision ID: 0010_vocabulary_management
Revises: 0009_fixity
Create Date: 2026-12-03 17:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_vocabulary_management'
down_revision = '0009_fixity'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('topics', 'places', 'categories'):
        op.add_column(table, sa.Column('retired', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('places') as batch:
        batch.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_places_parent_id_places'), 'places', ['parent_id'], ['id'])
    op.create_table(
        'vocabulary_redirects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vocabulary', sa.String(length=20), nullable=False),
        sa.Column('old_slug', sa.String(length=80), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("vocabulary IN ('topic', 'place', 'occupation', 'education', 'residence')",
                           name=op.f('ck_vocabulary_redirects_vocabulary')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vocabulary_redirects')),
        sa.UniqueConstraint('vocabulary', 'old_slug', name='uq_vocabulary_redirects_vocabulary_old_slug'),
    )


def downgrade():
    op.drop_table('vocabulary_redirects')
    with op.batch_alter_table('places') as batch:
        batch.drop_constraint(batch.f('fk_places_parent_id_places'), type_='foreignkey')
        batch.drop_column('parent_id')
    for table in ('topics', 'places', 'categories'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('retired')
