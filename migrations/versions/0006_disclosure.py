"""Narrator protection: detailed-profile consent, exact fields, publication justification, sensitive terms

Revision ID: 0006_disclosure
Revises: 0005_oai
Create Date: 2026-12-02 21:45:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_disclosure'
down_revision = '0005_oai'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('narrators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_detailed_profile', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('exact_fields', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('testimonies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disclosure_justification', sa.Text(), nullable=False, server_default=''))
    # The defaults only fill existing rows; the models set their own.
    with op.batch_alter_table('narrators', schema=None) as batch_op:
        batch_op.alter_column('consent_detailed_profile', server_default=None)
        batch_op.alter_column('exact_fields', server_default=None)
    with op.batch_alter_table('testimonies', schema=None) as batch_op:
        batch_op.alter_column('disclosure_justification', server_default=None)
    op.create_table('sensitive_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('testimony_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id'], name=op.f('fk_sensitive_terms_testimony_id_testimonies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensitive_terms')),
    sa.UniqueConstraint('testimony_id', 'term', name='uq_sensitive_terms_testimony_term')
    )
    with op.batch_alter_table('sensitive_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sensitive_terms_testimony_id'), ['testimony_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sensitive_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sensitive_terms_testimony_id'))
    op.drop_table('sensitive_terms')
    with op.batch_alter_table('testimonies', schema=None) as batch_op:
        batch_op.drop_column('disclosure_justification')
    with op.batch_alter_table('narrators', schema=None) as batch_op:
        batch_op.drop_column('exact_fields')
        batch_op.drop_column('consent_detailed_profile')
