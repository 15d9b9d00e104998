"""What an upload is, read from its bytes; every bad kind refused with the field named."""
import pytest
from PIL import Image

from app.errors import PayloadTooLarge, RuleViolation, UnsupportedMediaType
from app.materials.inspect import inspect_upload
from tests.materials import files

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 50_000_000}


@pytest.mark.parametrize("data, content_type, extension", [
    (files.png(), "image/png", ".png"),
    (files.jpeg(), "image/jpeg", ".jpg"),
    (files.pdf(), "application/pdf", ".pdf"),
])
def test_jpeg_png_and_pdf_are_recognised_from_their_bytes(data, content_type, extension):
    found = inspect_upload(data, **LIMITS)
    assert (found.content_type, found.extension) == (content_type, extension)


def test_image_size_is_reported():
    found = inspect_upload(files.jpeg(64, 48), **LIMITS)
    assert (found.width, found.height) == (64, 48)


def test_a_zip_renamed_to_jpg_is_refused_as_unsupported_type():
    with pytest.raises(UnsupportedMediaType) as caught:
        inspect_upload(files.zip_archive(), **LIMITS)
    assert caught.value.status == 415 and "file" in caught.value.errors


def test_heic_photo_gets_a_hint_how_to_send_it():
    heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64
    with pytest.raises(UnsupportedMediaType) as caught:
        inspect_upload(heic, **LIMITS)
    assert "HEIC" in caught.value.errors["file"][0]


def test_empty_file_is_refused():
    with pytest.raises(RuleViolation) as caught:
        inspect_upload(b"", **LIMITS)
    assert caught.value.code == "empty_file"


def test_file_over_the_cap_is_refused_with_413():
    with pytest.raises(PayloadTooLarge) as caught:
        inspect_upload(files.png(), max_bytes=100, max_pixels=50_000_000)
    assert caught.value.status == 413


def test_tiny_file_declaring_60000_by_60000_pixels_is_refused_without_decoding(monkeypatch):
    bomb = files.png_declaring(60_000, 60_000)
    assert len(bomb) < 100
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size))
    with pytest.raises(RuleViolation) as caught:
        inspect_upload(bomb, **LIMITS)
    assert caught.value.code == "image_too_large"
    assert decoded == []


def test_our_pixel_cap_applies_below_pillows_own(monkeypatch):
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size))
    with pytest.raises(RuleViolation) as caught:
        inspect_upload(files.png_declaring(8_000, 8_000), **LIMITS)  # 64 MP > 50 MP
    assert caught.value.code == "image_too_large" and decoded == []


def test_truncated_image_is_refused_as_corrupt():
    with pytest.raises(RuleViolation) as caught:
        inspect_upload(files.png(400, 300)[:80], **LIMITS)
    assert caught.value.code == "corrupt_file"


def test_encrypted_pdf_is_refused():
    with pytest.raises(RuleViolation) as caught:
        inspect_upload(files.encrypted_pdf(), **LIMITS)
    assert caught.value.code == "encrypted_pdf"


def test_pdf_with_javascript_is_refused():
    data = files.pdf().replace(b"%%EOF", b"<< /S /JavaScript /JS (app.alert(1)) >>\n%%EOF")
    with pytest.raises(RuleViolation) as caught:
        inspect_upload(data, **LIMITS)
    assert caught.value.code == "pdf_active_content"


def test_pdf_without_end_marker_is_refused_as_corrupt():
    with pytest.raises(RuleViolation) as caught:
        inspect_upload(files.pdf()[:-20], **LIMITS)
    assert caught.value.code == "corrupt_file"
