"""Sealed fields: bound to their row, refused when tampered, never queryable in plaintext."""
import pytest

from app.cases.models import Case
from app.extensions import db
from app.identity.models import FamilyUser
from app.privacy.crypto import SealedValueError, open_sealed, seal
from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example


def test_a_sealed_value_moved_to_another_row_or_tampered_does_not_open(embedded_stack):
    with embedded_stack.app.app_context():
        sealed = seal("430104194803120013", aad="cases.form.row-a")
        assert open_sealed(sealed, aad="cases.form.row-a") == "430104194803120013"
        with pytest.raises(SealedValueError):
            open_sealed(sealed, aad="cases.form.row-b")
        tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
        with pytest.raises(SealedValueError):
            open_sealed(tampered, aad="cases.form.row-a")


def test_querying_a_sealed_attribute_is_refused_not_silently_empty(embedded_stack):
    with embedded_stack.app.app_context():
        with pytest.raises(TypeError):
            db.select(FamilyUser).filter_by(id_number="430104194803120013")


def test_the_database_row_holds_only_ciphertext_and_hashes(embedded_stack):
    form = fresh_worked_example(requested_matters=["death_certificate"])
    clerk = Api(embedded_stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    with embedded_stack.app.app_context():
        row = db.session.execute(db.text("SELECT * FROM cases WHERE id = :id"), {"id": case["id"]}).mappings().one()
        text = repr(dict(row))
        assert form["deceased"]["id_number"] not in text and form["applicant"]["phone"] not in text
        assert row["form_sealed"].startswith("v1.t1.")
        assert db.session.get(Case, case["id"]).form["deceased"]["id_number"] == form["deceased"]["id_number"]
