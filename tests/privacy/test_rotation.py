"""Key rotation: after adding a key and running the re-encryption command, every value and every
uploaded file opens and none remains under the old key — shown by opening everything with the old
key removed (issue 6, "Done when"). Files kept in plaintext from before encryption are sealed by
the same command."""
import hashlib

from app.extensions import db
from app.materials.models import Upload
from app.materials.storage import LocalStorage, storage_for
from app.privacy.cli import reseal_all, sealed_models
from app.privacy.crypto import key_id_of_bytes
from app.supervision.models import MatterRating
from tests.helpers import Api, all_final, fresh_worked_example, matter
from tests.materials import files
from tests.materials.support import upload

NEW_KEY = b"rotated-test-data-key-2-abcdefgh"  # 32 bytes


def _sealed_values():
    values = []
    for cls, names in sealed_models():
        for row in db.session.execute(db.select(cls)).scalars():
            for name in names:
                column = type(row).__dict__[name].column
                if getattr(row, column) is not None:
                    values.append((row, name, getattr(row, column)))
    return values


def _upload_keys(disk: LocalStorage) -> dict[str, str | None]:
    """Storage key → the key id its file is sealed under (``None``: plaintext), every upload."""
    keys = {}
    for key in db.session.execute(db.select(Upload.storage_key)).scalars():
        raw = disk.get(key)
        keys[key] = key_id_of_bytes(raw) if raw.startswith(b"HSYS1") else None
    return keys


def _everything_opens() -> int:
    """Open every sealed value and every uploaded file (checked against its hash). Out: how many."""
    values = _sealed_values()
    for row, name, _ in values:
        getattr(row, name)  # opens, or raises
    storage = storage_for()
    uploads = db.session.execute(db.select(Upload)).scalars().all()
    for item in uploads:
        assert hashlib.sha256(storage.get(item.storage_key)).hexdigest() == item.sha256
    return len(values) + len(uploads)


def test_reseal_moves_every_value_and_file_to_the_new_key_and_all_open_without_the_old_one(embedded_stack):
    form = fresh_worked_example(requested_matters=["death_certificate", "hukou_cancellation",
                                                   "housing_fund_withdrawal"])
    clerk = Api(embedded_stack.base_url).as_staff()
    # The hukou cancellation waits for the clipped scans, so the case stays open for the uploads.
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": ["originals_handed_in"]},
                      expect=201).json()
    scan = files.pdf(form["deceased"]["id_number"])
    sealed_scan = upload(clerk, case["id"], "deceased_id_card_clipped", scan, filename="id.pdf",
                         content_type="application/pdf").json()
    page = files.png()
    legacy_scan = upload(clerk, case["id"], "hukou_page_clipped", page, filename="hukou.png",
                         content_type="image/png").json()
    case = clerk.wait_for_case(case["id"], all_final, timeout=120)
    token = clerk.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["token"]
    family = Api(embedded_stack.base_url).as_applicant(form)
    family.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    comment = f"请回电{form['applicant']['phone']}"
    rating = family.post(f"/api/v1/cases/{case['id']}/matters/{matter(case, 'housing_fund_withdrawal')['id']}/rating",
                         json={"level": 4, "comment": comment}, expect=201).json()
    embedded_stack.wait_idle()

    app = embedded_stack.app
    disk = LocalStorage(app.config["UPLOAD_DIR"])
    old_kid, old_keys = app.config["DATA_KEY_ID"], dict(app.config["DATA_KEYS"])
    with app.app_context():
        legacy_key = db.session.get(Upload, legacy_scan["id"]).storage_key
        sealed_key = db.session.get(Upload, sealed_scan["id"]).storage_key
        disk.put(legacy_key, page)  # as the code before encryption stored it
    app.config["DATA_KEYS"] = {**old_keys, "t2": NEW_KEY}
    app.config["DATA_KEY_ID"] = "t2"
    try:
        with app.app_context():
            assert any(sealed.split(".")[1] == old_kid for _, _, sealed in _sealed_values())
            before = _upload_keys(disk)
            assert before[sealed_key] == old_kid and before[legacy_key] is None
            assert db.session.get(MatterRating, rating["id"]).comment_sealed.startswith(f"v1.{old_kid}.")

            moved = reseal_all()
            assert moved["cases"] >= 1 and moved["family_users"] >= 1 and moved["matter_ratings"] >= 1
            assert moved["uploads"] == sum(1 for kid in before.values() if kid != "t2") >= 2
            assert not {"uploads_missing", "uploads_failed"} & set(moved)
            db.session.remove()

            values = _sealed_values()
            assert values and all(sealed.split(".")[1] == "t2" for _, _, sealed in values)
            assert set(_upload_keys(disk).values()) == {"t2"}
            assert reseal_all() == {table: 0 for table in moved}
            db.session.remove()

        app.config["DATA_KEYS"] = {"t2": NEW_KEY}  # the old key gone: everything must still open
        with app.app_context():
            assert _everything_opens() >= len(values)
            assert db.session.get(MatterRating, rating["id"]).comment == comment
            db.session.remove()
        assert clerk.get(f"/api/v1/cases/{case['id']}/uploads/{sealed_scan['id']}", expect=200).content == scan
        assert clerk.get(f"/api/v1/cases/{case['id']}/uploads/{legacy_scan['id']}", expect=200).content == page
        assert clerk.get(f"/api/v1/cases/{case['id']}", expect=200).json()["deceased"]["name"] == "王建国"
    finally:
        # Keep both keys, sealing under the first again: later tests read rows sealed under either.
        app.config["DATA_KEYS"] = {**old_keys, "t2": NEW_KEY}
        app.config["DATA_KEY_ID"] = old_kid
