"""information request answers carry evidence

Revision ID: p001
Revises: c001
Create Date: 2026-11-29 00:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'p001'
down_revision = 'c001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_evidence_ids', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.drop_column('answer_evidence_ids')
