"""deadline supervision: operator alerts, SLA scan marks, ratings and rectifications (issue 4)

Revision ID: 1b6796bbe6ca
Revises: dfa85d291c68
Create Date: 2026-11-29 07:39:45.422670

"""
from alembic import op
import sqlalchemy as sa

import app.clock

# revision identifiers, used by Alembic.
revision = '1b6796bbe6ca'
down_revision = 'dfa85d291c68'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('operator_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('opened_at', app.clock.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', app.clock.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', app.clock.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_alerts')),
    sa.UniqueConstraint('kind', 'subject', name=op.f('uq_operator_alerts_kind'))
    )
    op.create_table('matter_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('matter_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=200), nullable=True),
    sa.Column('created_at', app.clock.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_matter_ratings_case_id_cases')),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_matter_ratings_matter_id_matters')),
    sa.ForeignKeyConstraint(['user_id'], ['family_users.id'], name=op.f('fk_matter_ratings_user_id_family_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matter_ratings')),
    sa.UniqueConstraint('matter_id', 'user_id', name=op.f('uq_matter_ratings_matter_id'))
    )
    with op.batch_alter_table('matter_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matter_ratings_case_id'), ['case_id'], unique=False)

    op.create_table('supervision_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('matter_id', sa.String(length=32), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('due_at', app.clock.UTCDateTime(), nullable=False),
    sa.Column('created_at', app.clock.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_supervision_records_case_id_cases')),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_supervision_records_matter_id_matters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_records')),
    sa.UniqueConstraint('matter_id', 'kind', name=op.f('uq_supervision_records_matter_id'))
    )
    with op.batch_alter_table('supervision_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_records_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_records_department'), ['department'], unique=False)

    op.create_table('rectifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('matter_id', sa.String(length=32), nullable=False),
    sa.Column('matter_code', sa.String(length=48), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', app.clock.UTCDateTime(), nullable=False),
    sa.Column('due_state', sa.String(length=24), nullable=False),
    sa.Column('due_at', app.clock.UTCDateTime(), nullable=True),
    sa.Column('deadline_rule', sa.String(length=120), nullable=False),
    sa.Column('closed_at', app.clock.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_rectifications_case_id_cases')),
    sa.ForeignKeyConstraint(['matter_id'], ['matters.id'], name=op.f('fk_rectifications_matter_id_matters')),
    sa.ForeignKeyConstraint(['rating_id'], ['matter_ratings.id'], name=op.f('fk_rectifications_rating_id_matter_ratings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectifications')),
    sa.UniqueConstraint('rating_id', name=op.f('uq_rectifications_rating_id'))
    )
    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectifications_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectifications_department'), ['department'], unique=False)

    # Set once each by the SLA scan: the department reminded, the due time passed.
    with op.batch_alter_table('matters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', app.clock.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('overdue_at', app.clock.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('matters', schema=None) as batch_op:
        batch_op.drop_column('overdue_at')
        batch_op.drop_column('reminded_at')

    with op.batch_alter_table('rectifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectifications_department'))
        batch_op.drop_index(batch_op.f('ix_rectifications_case_id'))

    op.drop_table('rectifications')
    with op.batch_alter_table('supervision_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_records_department'))
        batch_op.drop_index(batch_op.f('ix_supervision_records_case_id'))

    op.drop_table('supervision_records')
    with op.batch_alter_table('matter_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matter_ratings_case_id'))

    op.drop_table('matter_ratings')
    op.drop_table('operator_alerts')
