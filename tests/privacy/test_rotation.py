"""Key rotation: after adding a key and running the re-encryption command, every value opens and
none remains under the old key (issue 6, "Done when")."""
import base64

from app.extensions import db
from app.privacy.cli import reseal_all, sealed_models
from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example

NEW_KEY = base64.b64encode(b"rotated-test-data-key-2-abcdefgh").decode()


def _sealed_values(app):
    values = []
    for cls, names in sealed_models():
        for row in db.session.execute(db.select(cls)).scalars():
            for name in names:
                column = type(row).__dict__[name].column
                if getattr(row, column) is not None:
                    values.append((row, name, getattr(row, column)))
    return values


def test_reseal_moves_every_value_to_the_new_key_and_all_still_open(embedded_stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "housing_fund_withdrawal"])
    clerk = Api(embedded_stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    clerk.wait_for_case(case["id"], all_final)
    embedded_stack.wait_idle()
    app = embedded_stack.app
    app.config["DATA_KEYS"] = {**app.config["DATA_KEYS"], "t2": base64.b64decode(NEW_KEY)}
    old_kid, app.config["DATA_KEY_ID"] = app.config["DATA_KEY_ID"], "t2"
    try:
        with app.app_context():
            assert any(sealed.split(".")[1] == old_kid for _, _, sealed in _sealed_values(app))
            moved = reseal_all()
            assert moved["cases"] >= 1 and moved["family_users"] >= 1
            db.session.remove()
            values = _sealed_values(app)
            assert values and all(sealed.split(".")[1] == "t2" for _, _, sealed in values)
            for row, name, _ in values:
                getattr(row, name)  # opens, or raises
            assert reseal_all() == {table: 0 for table in moved}
    finally:
        # Keep both keys: later tests read rows sealed under either.
        app.config["DATA_KEY_ID"] = old_kid
    assert clerk.get(f"/api/v1/cases/{case['id']}", expect=200).json()["deceased"]["name"] == "王建国"
