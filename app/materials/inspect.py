"""Checking an uploaded file before it is kept: type from the bytes, size, pixels, sanity.

Only JPEG, PNG and PDF are taken (湘民发〔2022〕57号 二(二): scans and photos of the materials).
The type is read from the file's first bytes (magic numbers); the client's name and declared
type are ignored, so a renamed file is refused. Images are opened with Pillow, which reads
only the header; width × height is checked against the pixel cap *before* anything is decoded,
so a small file that declares 60,000 × 60,000 pixels is refused without allocating its pixels.
A PDF must start with ``%PDF-``, end with ``%%EOF``, and carry no encryption and no active
content (JavaScript, launch actions, embedded files).
"""
from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from app.errors import PayloadTooLarge, RuleViolation, UnsupportedMediaType

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia)(?![A-Za-z0-9])")


@dataclass(frozen=True)
class Inspected:
    """What the bytes turned out to be: ``content_type`` (``image/jpeg`` | ``image/png`` |
    ``application/pdf``), the file extension we store it under, and pixel size for images."""

    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> str | None:
    """The content type from the magic number, or ``None`` for anything we do not take."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def inspect_upload(data: bytes, *, max_bytes: int, max_pixels: int) -> Inspected:
    """Check ``data`` and say what it is.

    Raises :class:`RuleViolation` (422) for an empty, corrupt, too-many-pixels, encrypted or
    active-content file, :class:`PayloadTooLarge` (413) over ``max_bytes``, and
    :class:`UnsupportedMediaType` (415) for any type other than JPEG, PNG or PDF. Every error
    names the field ``file``.
    """
    if not data:
        raise RuleViolation("上传的文件是空的", errors={"file": ["文件是空的，请重新选择"]}, code="empty_file")
    if len(data) > max_bytes:
        raise PayloadTooLarge("上传的文件太大",
                              errors={"file": [f"文件不能超过 {max_bytes / 1024 / 1024:.0f} MB，请压缩后重新上传"]})
    content_type = sniff(data)
    if content_type is None:
        raise UnsupportedMediaType("只接受 JPEG、PNG 图片或 PDF 文件", errors={"file": [_type_hint(data)]},
                                   code="unsupported_file_type")
    if content_type == PDF:
        _check_pdf(data)
        return Inspected(PDF, EXTENSIONS[PDF])
    width, height = _check_image(data, content_type, max_pixels)
    return Inspected(content_type, EXTENSIONS[content_type], width, height)


def _type_hint(data: bytes) -> str:
    if data[4:12] in {b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"}:
        return "这是 HEIC 格式照片，暂不支持：请在手机相机设置中选择“兼容性最佳”，或截图后上传"
    return "只接受 JPEG、PNG 图片或 PDF 文件（按文件内容判断，修改扩展名无效）"


def _check_image(data: bytes, content_type: str, max_pixels: int) -> tuple[int, int]:
    corrupt = RuleViolation("图片已损坏或不完整", errors={"file": ["图片已损坏或不完整，无法打开，请重新拍摄或扫描"]},
                            code="corrupt_file")
    too_many = RuleViolation(
        "图片像素过多", code="image_too_large",
        errors={"file": [f"图片像素过多，请缩小到 {max_pixels // 10_000} 万像素以内后重新上传"]},
    )
    with warnings.catch_warnings():
        # Pillow's own bomb guard (MAX_IMAGE_PIXELS) warns, then errors; both mean "too many".
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]])  # header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise corrupt from None
        with image:
            width, height = image.size
            if width <= 0 or height <= 0:
                raise corrupt
            if width * height > max_pixels:
                raise too_many
            try:
                if content_type == JPEG:
                    # Decoding at 1/8 scale still walks the whole entropy-coded stream.
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise too_many from None
            except (OSError, SyntaxError, ValueError):
                raise corrupt from None
    return width, height


def _check_pdf(data: bytes) -> None:
    if not _PDF_HEADER.match(data) or b"%%EOF" not in data[-1024:]:
        raise RuleViolation("PDF 文件已损坏或不完整", errors={"file": ["PDF 文件已损坏或不完整，请重新导出后上传"]},
                            code="corrupt_file")
    if b"/Encrypt" in data:
        raise RuleViolation("PDF 文件已加密", errors={"file": ["PDF 文件设置了密码或加密，请取消加密后重新上传"]},
                            code="encrypted_pdf")
    if _PDF_ACTIVE.search(data):
        raise RuleViolation("PDF 文件含有脚本或附件", code="pdf_active_content",
                            errors={"file": ["PDF 文件含有脚本、附件或自动执行的内容，请用扫描件或“打印为 PDF”重新生成"]})
