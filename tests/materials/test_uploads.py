"""Uploads: JPEG, PNG or PDF judged by their bytes, kept under our own names, served back only
to those who may see the case; every bad upload answers 4xx in the one error shape."""
import io

import pytest
import requests

from tests.helpers import Api, fresh_worked_example
from tests.materials import files
from tests.materials.support import bind_applicant, file_at_window, item, matter, upload

SHAPE = {"code", "message", "errors"}


def test_clipped_scans_uploaded_by_the_clerk_record_their_prerequisites_and_release_the_hukou(embedded_stack):
    form = fresh_worked_example()
    clerk, case = file_at_window(embedded_stack, form, materials_received=["originals_handed_in"])
    assert {w["code"] for w in matter(case, "hukou_cancellation")["waiting_for"]} >= {
        "deceased_id_card_clipped_scan", "hukou_page_clipped_scan"}

    first = upload(clerk, case["id"], "deceased_id_card_clipped", files.jpeg(), filename="王建国身份证.jpg").json()
    second = upload(clerk, case["id"], "hukou_page_clipped", files.png(), filename="hukou.png",
                    content_type="image/png").json()
    assert first["content_type"] == "image/jpeg" and second["content_type"] == "image/png"
    assert (first["width"], first["height"]) == (64, 48)

    materials = clerk.get(f"/api/v1/cases/{case['id']}/materials", expect=200).json()
    assert item(materials, "deceased_id_card_clipped_scan")["received"] is True
    assert item(materials, "deceased_id_card_clipped_scan")["upload_ids"] == [first["id"]]
    assert item(materials, "hukou_page_clipped_scan")["upload_ids"] == [second["id"]]
    hukou = matter(clerk.get(f"/api/v1/cases/{case['id']}", expect=200).json(), "hukou_cancellation")
    assert {w["code"] for w in hukou["waiting_for"]} <= {"death_certificate"}
    clerk.wait_for_case(case["id"], lambda c: matter(c, "hukou_cancellation")["status"] == "done", timeout=60)


def test_a_file_is_served_back_with_our_name_its_real_type_and_no_caching(embedded_stack):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    data = files.png()
    # A PNG sent as "id.pdf" / application/pdf is stored and served as the PNG it is.
    stored = upload(clerk, case["id"], "applicant_id_card", data, filename="id.pdf",
                    content_type="application/pdf").json()
    assert stored["content_type"] == "image/png"
    response = clerk.get(f"/api/v1/cases/{case['id']}/uploads/{stored['id']}", expect=200)
    assert response.content == data
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == f'attachment; filename="applicant_id_card-{stored["id"][:8]}.png"'
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    listed = clerk.get(f"/api/v1/cases/{case['id']}/uploads", expect=200).json()
    assert [u["id"] for u in listed] == [stored["id"]]
    assert "filename" not in str(listed) and "id.pdf" not in str(listed)


def test_bound_family_uploads_and_reads_but_strangers_and_other_windows_do_not(embedded_stack):
    form = fresh_worked_example()
    clerk, case = file_at_window(embedded_stack, form)
    daughter = bind_applicant(embedded_stack, clerk, case, form)
    stored = upload(daughter, case["id"], "social_security_card", files.jpeg()).json()
    assert clerk.get(f"/api/v1/cases/{case['id']}/uploads/{stored['id']}", expect=200).content.startswith(b"\xff\xd8")
    assert daughter.get(f"/api/v1/cases/{case['id']}/uploads/{stored['id']}", expect=200).status_code == 200

    stranger = Api(embedded_stack.base_url).as_family(name="赵六", id_number="430102198001010011", phone="13900000002")
    other_window = Api(embedded_stack.base_url).as_staff("clerk.yuelu")
    for outsider in (stranger, other_window):
        refused = outsider.get(f"/api/v1/cases/{case['id']}/uploads/{stored['id']}", expect=404).json()
        assert set(refused) == SHAPE
        assert set(upload(outsider, case["id"], "social_security_card", files.jpeg(), expect=404).json()) == SHAPE
    anonymous = requests.get(f"{embedded_stack.base_url}/api/v1/cases/{case['id']}/uploads/{stored['id']}", timeout=10)
    assert anonymous.status_code == 401 and set(anonymous.json()) == SHAPE


@pytest.mark.parametrize("name, data, filename, status, code", [
    ("zip renamed to .jpg", files.zip_archive(), "photo.jpg", 415, "unsupported_file_type"),
    ("decompression bomb", files.png_declaring(60_000, 60_000), "tiny.png", 422, "image_too_large"),
    ("empty file", b"", "empty.jpg", 422, "empty_file"),
    ("encrypted pdf", files.encrypted_pdf(), "scan.pdf", 422, "encrypted_pdf"),
    ("truncated jpeg", files.jpeg(400, 300)[:200], "cut.jpg", 422, "corrupt_file"),
])
def test_each_bad_upload_answers_4xx_in_the_one_error_shape(embedded_stack, name, data, filename, status, code):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    body = upload(clerk, case["id"], "applicant_id_card", data, filename=filename, expect=status).json()
    assert set(body) == SHAPE and body["code"] == code
    assert list(body["errors"]) == ["file"] and body["errors"]["file"][0]
    assert clerk.get(f"/api/v1/cases/{case['id']}/uploads", expect=200).json() == []


def test_over_the_size_cap_answers_413_in_the_one_error_shape(embedded_stack, monkeypatch):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    monkeypatch.setitem(embedded_stack.app.config, "UPLOAD_MAX_BYTES", 1000)
    body = upload(clerk, case["id"], "applicant_id_card", files.jpeg(400, 300), expect=413).json()
    assert set(body) == SHAPE and body["code"] == "too_large" and "file" in body["errors"]


def test_a_request_body_over_max_content_length_is_refused_before_it_is_read(embedded_stack, monkeypatch):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    monkeypatch.setitem(embedded_stack.app.config, "MAX_CONTENT_LENGTH", 20_000)
    client = embedded_stack.app.test_client()
    response = client.post(f"/api/v1/cases/{case['id']}/uploads", headers={"Authorization": f"Bearer {clerk.token}"},
                           data={"kind": "applicant_id_card", "file": (io.BytesIO(b"\xff" * 50_000), "a.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert set(response.get_json()) == SHAPE and response.get_json()["code"] == "too_large"


@pytest.mark.parametrize("form, status, field", [
    ({}, 422, "kind"),
    ({"kind": "passport"}, 422, "kind"),
])
def test_missing_or_unknown_kind_names_the_field(embedded_stack, form, status, field):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    response = clerk.post(f"/api/v1/cases/{case['id']}/uploads", data=form,
                          files={"file": ("a.jpg", files.jpeg(), "image/jpeg")}, expect=status).json()
    assert set(response) == SHAPE and field in response["errors"]


def test_missing_file_names_the_field(embedded_stack):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    response = clerk.post(f"/api/v1/cases/{case['id']}/uploads", data={"kind": "applicant_id_card"}, expect=422).json()
    assert set(response) == SHAPE and "file" in response["errors"]


def test_an_unknown_multipart_field_is_refused_like_an_unknown_json_field(embedded_stack):
    """Found by the fuzzer (tests/fuzz): the document says the upload form has only kind and
    file (additionalProperties: false), but a third field was silently dropped."""
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    response = clerk.post(f"/api/v1/cases/{case['id']}/uploads", data={"kind": "applicant_id_card", "note": "42"},
                          files={"file": ("a.jpg", files.jpeg(), "image/jpeg")}, expect=422).json()
    assert set(response) == SHAPE and "note" in response["errors"]
