"""the decision governs: proposed profile version on dossiers, evidence under several kinds

Revision ID: decision01
Revises: p002
Create Date: 2026-12-02 09:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'decision01'
down_revision = 'connect001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_version', sa.Integer(), server_default='1',
                                      nullable=False))
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra_kinds', sa.JSON(), server_default='[]',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('extra_kinds')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('profile_version')
