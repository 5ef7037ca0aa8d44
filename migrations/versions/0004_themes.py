"""context theme pages

Revision ID: 0004_themes
Revises: 0003
Create Date: 2026-11-24 20:20:00

The six seed themes are written by `flask archive seed` (services/themes.py), which never
overwrites a curator's edits; the new topics they use come from archive/data/topics.csv.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_themes'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('title_ko', sa.String(length=200), nullable=False),
    sa.Column('summary_en', sa.Text(), nullable=False),
    sa.Column('summary_ko', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('body_ko', sa.Text(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('statistics_keys', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_themes_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_themes')),
    sa.UniqueConstraint('slug', name=op.f('uq_themes_slug'))
    )
    op.create_table('theme_topics',
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_topics_theme_id_themes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_theme_topics_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('theme_id', 'topic_id', name=op.f('pk_theme_topics'))
    )
    op.create_table('theme_places',
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_theme_places_place_id_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_places_theme_id_themes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('theme_id', 'place_id', name=op.f('pk_theme_places'))
    )


def downgrade():
    op.drop_table('theme_places')
    op.drop_table('theme_topics')
    op.drop_table('themes')
