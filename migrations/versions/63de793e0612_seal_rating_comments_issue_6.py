"""seal rating comments (issue 6)

A 好差评 comment is free text a family may fill with a phone or ID number: it moves from the
plaintext ``matter_ratings.comment`` to the AES-GCM sealed ``comment_sealed``, bound to its row
(``matter_ratings.comment.<id>``). Existing rows are converted in place with the app's configured
keys (run with the production keys set); the downgrade opens them back.

Revision ID: 63de793e0612
Revises: 30e1015d9053
Create Date: 2026-11-29 10:16:21.034094

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '63de793e0612'
down_revision = '30e1015d9053'
branch_labels = None
depends_on = None


def upgrade():
    from app.privacy.crypto import seal

    with op.batch_alter_table('matter_ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_sealed', sa.Text(), nullable=True))
    bind = op.get_bind()
    for id_, comment in bind.execute(sa.text("SELECT id, comment FROM matter_ratings WHERE comment IS NOT NULL")).all():
        bind.execute(sa.text("UPDATE matter_ratings SET comment_sealed=:c WHERE id=:id"),
                     {"c": seal(comment, aad=f"matter_ratings.comment.{id_}"), "id": id_})
    with op.batch_alter_table('matter_ratings', schema=None) as batch_op:
        batch_op.drop_column('comment')


def downgrade():
    from app.privacy.crypto import open_sealed

    with op.batch_alter_table('matter_ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.VARCHAR(length=200), nullable=True))
    bind = op.get_bind()
    for id_, sealed in bind.execute(sa.text("SELECT id, comment_sealed FROM matter_ratings "
                                            "WHERE comment_sealed IS NOT NULL")).all():
        bind.execute(sa.text("UPDATE matter_ratings SET comment=:c WHERE id=:id"),
                     {"c": open_sealed(sealed, aad=f"matter_ratings.comment.{id_}"), "id": id_})
    with op.batch_alter_table('matter_ratings', schema=None) as batch_op:
        batch_op.drop_column('comment_sealed')
