"""a draft withdrawn before filing needs no reference

Revision ID: p002
Revises: p001
Create Date: 2026-11-29 00:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'p002'
down_revision = 'p001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dossiers_submitted_has_reference'), type_='check')
        batch_op.create_check_constraint(
            'submitted_has_reference', "state IN ('draft', 'withdrawn') OR reference IS NOT NULL")


def downgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dossiers_submitted_has_reference'), type_='check')
        batch_op.create_check_constraint('submitted_has_reference',
                                         "state = 'draft' OR reference IS NOT NULL")
