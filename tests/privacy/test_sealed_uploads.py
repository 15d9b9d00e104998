"""Uploaded files are encrypted at rest: the disk holds ciphertext bound to the storage key, the
API serves the file back decrypted, and a file kept in plaintext before encryption is served only
while it matches the hash recorded at upload (issue 6)."""
from app.extensions import db
from app.materials.models import Upload
from app.materials.storage import LocalStorage
from app.privacy.crypto import key_id_of_bytes
from tests.helpers import fresh_worked_example
from tests.materials import files
from tests.materials.support import file_at_window, upload


def _stored(stack, upload_id: str) -> tuple[LocalStorage, str]:
    with stack.app.app_context():
        key = db.session.get(Upload, upload_id).storage_key
    return LocalStorage(stack.app.config["UPLOAD_DIR"]), key


def test_an_uploaded_scan_is_ciphertext_on_disk_and_the_same_bytes_through_the_api(embedded_stack):
    form = fresh_worked_example()
    clerk, case = file_at_window(embedded_stack, form)
    scan = files.pdf(f"{form['deceased']['id_number']} {form['applicant']['phone']}")
    assert form["deceased"]["id_number"].encode() in scan  # the plaintext would show it
    stored = upload(clerk, case["id"], "death_certificate", scan, filename="scan.pdf",
                    content_type="application/pdf").json()

    disk, key = _stored(embedded_stack, stored["id"])
    raw = disk.get(key)
    assert key_id_of_bytes(raw) == "t1"
    assert form["deceased"]["id_number"].encode() not in raw and form["applicant"]["phone"].encode() not in raw
    assert clerk.get(f"/api/v1/cases/{case['id']}/uploads/{stored['id']}", expect=200).content == scan


def test_a_plaintext_file_from_before_encryption_is_served_but_a_substituted_one_is_not(embedded_stack):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    original = files.png()
    stored = upload(clerk, case["id"], "applicant_id_card", original, filename="id.png",
                    content_type="image/png").json()
    disk, key = _stored(embedded_stack, stored["id"])
    path = f"/api/v1/cases/{case['id']}/uploads/{stored['id']}"

    disk.put(key, original)  # as the code before encryption wrote it
    assert clerk.get(path, expect=200).content == original

    substitute = files.png(41, 30)  # someone with disk access swaps the scan
    disk.put(key, substitute)
    try:
        refused = clerk.get(path, expect=500)
        assert refused.json()["code"] == "internal_error" and substitute not in refused.content
    finally:
        disk.put(key, original)  # the shared stack's later tests (key rotation) read every file
