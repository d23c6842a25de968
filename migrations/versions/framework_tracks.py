"""framework tracks: review days per dossier kind, and the listing state at the compliance deadline

Revision ID: tracks01
Revises: decision01
Create Date: 2026-12-02 12:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'tracks01'
down_revision = 'decision01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('frameworks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracks', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('on_compliance_deadline', sa.String(length=20),
                                      server_default='suspended', nullable=False))


def downgrade():
    with op.batch_alter_table('frameworks', schema=None) as batch_op:
        batch_op.drop_column('on_compliance_deadline')
        batch_op.drop_column('tracks')
