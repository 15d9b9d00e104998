"""merge the issue 3-8 branches

Revision ID: f0d05efe1f76
Revises: 1b6796bbe6ca, 3e6defb6779e, 79ac64a34082, ea0e19ab2744
Create Date: 2026-11-29 08:21:25.259318

"""
from alembic import op
import sqlalchemy as sa

import app.clock


# revision identifiers, used by Alembic.
revision = 'f0d05efe1f76'
down_revision = ('1b6796bbe6ca', '3e6defb6779e', '79ac64a34082', 'ea0e19ab2744')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
