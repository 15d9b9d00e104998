"""seal private fields, blind indexes, audit log (issue 6)

Private values (ID, bank, card and phone numbers, addresses, cause of death — all inside the
case form — plus outcomes, sandbox payloads and TOTP secrets) move from plaintext columns to
AES-GCM sealed ones bound to their row; lookups by ID number use HMAC blind indexes. Existing
rows are converted in place with the app's configured keys (run with the production keys set).

Revision ID: 30e1015d9053
Revises: f0d05efe1f76
Create Date: 2026-11-29 08:44:19.000000

"""
import json

from alembic import op
import sqlalchemy as sa

import app.clock


# revision identifiers, used by Alembic.
revision = '30e1015d9053'
down_revision = 'f0d05efe1f76'
branch_labels = None
depends_on = None

OPEN_WHERE = sa.text("status <> 'withdrawn'")


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def upgrade():
    from app.privacy.crypto import id_number_index, seal, seal_json

    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', app.clock.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applicant_id_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('deceased_id_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('household_division_code', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('form_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('purged_at', app.clock.UTCDateTime(), nullable=True))
    with op.batch_alter_table('family_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('id_number_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('phone_sealed', sa.Text(), nullable=True))
    with op.batch_alter_table('matters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_sealed', sa.Text(), nullable=True))
    with op.batch_alter_table('sandbox_login_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('phone_sealed', sa.Text(), nullable=True))
    with op.batch_alter_table('sandbox_scenarios', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deceased_id_index', sa.String(length=64), nullable=True))
    with op.batch_alter_table('sandbox_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload_sealed', sa.Text(), nullable=True))
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret_sealed', sa.Text(), nullable=True))

    bind = op.get_bind()
    for id_, form in bind.execute(sa.text("SELECT id, form FROM cases")).all():
        form = _json(form)
        bind.execute(sa.text("UPDATE cases SET form_sealed=:f, applicant_id_index=:a, deceased_id_index=:d, "
                             "household_division_code=:h WHERE id=:id"), {
            "f": seal_json(form, aad=f"cases.form.{id_}"),
            "a": id_number_index(form["applicant"]["id_number"]),
            "d": id_number_index(form["deceased"]["id_number"]),
            "h": form["deceased"]["household_registration"]["division_code"], "id": id_})
    for id_, number, phone in bind.execute(sa.text("SELECT id, id_number, phone FROM family_users")).all():
        bind.execute(sa.text("UPDATE family_users SET id_number_index=:i, id_number_sealed=:n, phone_sealed=:p "
                             "WHERE id=:id"), {"i": id_number_index(number), "id": id_,
                                               "n": seal(number, aad=f"family_users.id_number.{id_}"),
                                               "p": seal(phone, aad=f"family_users.phone.{id_}")})
    for id_, outcome in bind.execute(sa.text("SELECT id, outcome FROM matters")).all():
        bind.execute(sa.text("UPDATE matters SET outcome_sealed=:o WHERE id=:id"),
                     {"o": seal_json(_json(outcome) or {}, aad=f"matters.outcome.{id_}"), "id": id_})
    for key, number, phone in bind.execute(sa.text("SELECT code_hash, id_number, phone FROM sandbox_login_codes")).all():
        bind.execute(sa.text("UPDATE sandbox_login_codes SET id_number_sealed=:n, phone_sealed=:p WHERE code_hash=:k"),
                     {"n": seal(number, aad=f"sandbox_login_codes.id_number.{key}"),
                      "p": seal(phone, aad=f"sandbox_login_codes.phone.{key}"), "k": key})
    for key, payload in bind.execute(sa.text("SELECT idempotency_key, payload FROM sandbox_submissions")).all():
        bind.execute(sa.text("UPDATE sandbox_submissions SET payload_sealed=:p WHERE idempotency_key=:k"),
                     {"p": seal_json(_json(payload), aad=f"sandbox_submissions.payload.{key}"), "k": key})
    for id_, number in bind.execute(sa.text("SELECT id, deceased_id_number FROM sandbox_scenarios "
                                            "WHERE deceased_id_number IS NOT NULL")).all():
        bind.execute(sa.text("UPDATE sandbox_scenarios SET deceased_id_index=:i WHERE id=:id"),
                     {"i": id_number_index(number), "id": id_})
    for id_, secret in bind.execute(sa.text("SELECT id, totp_secret FROM staff_users WHERE totp_secret IS NOT NULL")).all():
        bind.execute(sa.text("UPDATE staff_users SET totp_secret_sealed=:s WHERE id=:id"),
                     {"s": seal(secret, aad=f"staff_users.totp_secret.{id_}"), "id": id_})

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_open_deceased', postgresql_where=OPEN_WHERE, sqlite_where=OPEN_WHERE)
        batch_op.drop_column('deceased_id_number')
        batch_op.drop_column('applicant_id_number')
        batch_op.drop_column('form')
        batch_op.alter_column('applicant_id_index', nullable=False)
        batch_op.alter_column('deceased_id_index', nullable=False)
        batch_op.alter_column('household_division_code', nullable=False)
        batch_op.create_index('uq_cases_open_deceased', ['deceased_id_index'], unique=True,
                              postgresql_where=OPEN_WHERE, sqlite_where=OPEN_WHERE)
        batch_op.create_index(batch_op.f('ix_cases_applicant_id_index'), ['applicant_id_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_household_division_code'), ['household_division_code'], unique=False)
    with op.batch_alter_table('family_users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_family_users_id_number', type_='unique')
        batch_op.drop_column('phone')
        batch_op.drop_column('id_number')
        batch_op.alter_column('id_number_index', nullable=False)
        batch_op.alter_column('id_number_sealed', nullable=False)
        batch_op.alter_column('phone_sealed', nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_family_users_id_number_index'), ['id_number_index'])
    with op.batch_alter_table('matters', schema=None) as batch_op:
        batch_op.drop_column('outcome')
    with op.batch_alter_table('sandbox_login_codes', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('id_number')
        batch_op.alter_column('id_number_sealed', nullable=False)
        batch_op.alter_column('phone_sealed', nullable=False)
    with op.batch_alter_table('sandbox_scenarios', schema=None) as batch_op:
        batch_op.drop_column('deceased_id_number')
    with op.batch_alter_table('sandbox_submissions', schema=None) as batch_op:
        batch_op.drop_column('payload')
        batch_op.alter_column('payload_sealed', nullable=False)
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('totp_secret')

    if bind.dialect.name == "postgresql":
        # Append-only: no update ever; delete only past the six-month retention (网络安全法 第21条).
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'UPDATE' OR OLD.at > (now() AT TIME ZONE 'utc') - interval '180 days' THEN
                RAISE EXCEPTION 'audit_log is append-only';
              END IF;
              RETURN OLD;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
              FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        """)


def downgrade():
    from app.privacy.crypto import open_json, open_sealed

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log; "
                   "DROP FUNCTION IF EXISTS audit_log_append_only();")
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.VARCHAR(length=64), nullable=True))
    with op.batch_alter_table('sandbox_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', json_type, nullable=True))
    with op.batch_alter_table('sandbox_scenarios', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deceased_id_number', sa.VARCHAR(length=18), nullable=True))
    with op.batch_alter_table('sandbox_login_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number', sa.VARCHAR(length=18), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.VARCHAR(length=11), nullable=True))
    with op.batch_alter_table('matters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', json_type, nullable=True))
    with op.batch_alter_table('family_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number', sa.VARCHAR(length=18), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.VARCHAR(length=11), nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form', json_type, nullable=True))
        batch_op.add_column(sa.Column('applicant_id_number', sa.VARCHAR(length=18), nullable=True))
        batch_op.add_column(sa.Column('deceased_id_number', sa.VARCHAR(length=18), nullable=True))

    dump = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    for id_, sealed in bind.execute(sa.text("SELECT id, form_sealed FROM cases")).all():
        form = open_json(sealed, aad=f"cases.form.{id_}")
        bind.execute(sa.text("UPDATE cases SET form=:f, applicant_id_number=:a, deceased_id_number=:d WHERE id=:id"),
                     {"f": dump(form), "a": form["applicant"]["id_number"], "d": form["deceased"]["id_number"], "id": id_})
    for id_, n, p in bind.execute(sa.text("SELECT id, id_number_sealed, phone_sealed FROM family_users")).all():
        bind.execute(sa.text("UPDATE family_users SET id_number=:n, phone=:p WHERE id=:id"), {
            "n": open_sealed(n, aad=f"family_users.id_number.{id_}"), "p": open_sealed(p, aad=f"family_users.phone.{id_}"),
            "id": id_})
    for id_, o in bind.execute(sa.text("SELECT id, outcome_sealed FROM matters")).all():
        bind.execute(sa.text("UPDATE matters SET outcome=:o WHERE id=:id"),
                     {"o": dump(open_json(o, aad=f"matters.outcome.{id_}") if o else {}), "id": id_})
    for k, n, p in bind.execute(sa.text("SELECT code_hash, id_number_sealed, phone_sealed FROM sandbox_login_codes")).all():
        bind.execute(sa.text("UPDATE sandbox_login_codes SET id_number=:n, phone=:p WHERE code_hash=:k"), {
            "n": open_sealed(n, aad=f"sandbox_login_codes.id_number.{k}"),
            "p": open_sealed(p, aad=f"sandbox_login_codes.phone.{k}"), "k": k})
    for k, p in bind.execute(sa.text("SELECT idempotency_key, payload_sealed FROM sandbox_submissions")).all():
        bind.execute(sa.text("UPDATE sandbox_submissions SET payload=:p WHERE idempotency_key=:k"),
                     {"p": dump(open_json(p, aad=f"sandbox_submissions.payload.{k}")), "k": k})
    for id_, s in bind.execute(sa.text("SELECT id, totp_secret_sealed FROM staff_users "
                                       "WHERE totp_secret_sealed IS NOT NULL")).all():
        bind.execute(sa.text("UPDATE staff_users SET totp_secret=:s WHERE id=:id"),
                     {"s": open_sealed(s, aad=f"staff_users.totp_secret.{id_}"), "id": id_})

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('totp_secret_sealed')
    with op.batch_alter_table('sandbox_submissions', schema=None) as batch_op:
        batch_op.drop_column('payload_sealed')
        batch_op.alter_column('payload', nullable=False)
    with op.batch_alter_table('sandbox_scenarios', schema=None) as batch_op:
        batch_op.drop_column('deceased_id_index')
    with op.batch_alter_table('sandbox_login_codes', schema=None) as batch_op:
        batch_op.drop_column('phone_sealed')
        batch_op.drop_column('id_number_sealed')
        batch_op.alter_column('id_number', nullable=False)
        batch_op.alter_column('phone', nullable=False)
    with op.batch_alter_table('matters', schema=None) as batch_op:
        batch_op.drop_column('outcome_sealed')
        batch_op.alter_column('outcome', nullable=False)
    with op.batch_alter_table('family_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_family_users_id_number_index'), type_='unique')
        batch_op.drop_column('phone_sealed')
        batch_op.drop_column('id_number_sealed')
        batch_op.drop_column('id_number_index')
        batch_op.alter_column('id_number', nullable=False)
        batch_op.alter_column('phone', nullable=False)
        batch_op.create_unique_constraint('uq_family_users_id_number', ['id_number'])
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_household_division_code'))
        batch_op.drop_index(batch_op.f('ix_cases_applicant_id_index'))
        batch_op.drop_index('uq_cases_open_deceased', postgresql_where=OPEN_WHERE, sqlite_where=OPEN_WHERE)
        batch_op.drop_column('purged_at')
        batch_op.drop_column('form_sealed')
        batch_op.drop_column('household_division_code')
        batch_op.drop_column('deceased_id_index')
        batch_op.drop_column('applicant_id_index')
        batch_op.alter_column('form', nullable=False)
        batch_op.alter_column('applicant_id_number', nullable=False)
        batch_op.alter_column('deceased_id_number', nullable=False)
        batch_op.create_index('uq_cases_open_deceased', ['deceased_id_number'], unique=True,
                              postgresql_where=OPEN_WHERE, sqlite_where=OPEN_WHERE)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_case_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
    op.drop_table('audit_log')
