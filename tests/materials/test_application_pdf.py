"""The printed application form (附件2): parses, embeds its CJK font, carries the Chinese
labels and only masked numbers; only those who may see the case get it."""
import io
import os
import re

import pytest

from tests.helpers import Api, fresh_worked_example
from tests.materials.support import bind_applicant, file_at_window

pypdf = pytest.importorskip("pypdf")
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
LABELS = ["湖南省公民身后“一件事一次办”申请表", "申请人姓名", "联系电话", "申请人身份证号码", "与死亡人员关系",
          "死亡人员姓名", "亡故时间", "亡故原因", "死亡人员身份证号码", "死亡人员银行Ⅰ类帐号", "死亡人员社保卡帐号",
          "死亡人员身故所在地", "死亡人员户籍所在地", "死亡人员医保参保类型", "申请办理事项", "申请人承诺",
          "特定关系人/近亲属签名", "申请时间"]


@pytest.fixture(scope="module")
def font_installed():
    if not os.path.isfile(FONT):
        if os.environ.get("CI"):
            pytest.fail(f"{FONT} missing: .ci/run installs fonts-wqy-zenhei")
        pytest.skip("fonts-wqy-zenhei is not installed on this machine (.ci/run installs it)")


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _fonts(pdf: bytes) -> list[dict]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            found.append({"name": str(font["/BaseFont"]),
                          "embedded": descriptor is not None and "/FontFile2" in descriptor.get_object()})
    return found


def test_clerk_prints_the_filled_form_with_embedded_font_labels_and_masked_numbers(embedded_stack, font_installed):
    form = fresh_worked_example()
    clerk, case = file_at_window(embedded_stack, form, paper_form_received=True)
    response = clerk.get(f"/api/v1/cases/{case['id']}/application.pdf", expect=200)
    assert response.headers["Content-Type"] == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    if os.environ.get("HSYJS_KEEP_PDF"):  # render with pdftoppm and look at it
        with open(os.environ["HSYJS_KEEP_PDF"], "wb") as fh:
            fh.write(pdf)

    cjk = [f for f in _fonts(pdf) if "WenQuanYi" in f["name"]]
    assert cjk and all(f["embedded"] for f in cjk)

    text = _text(pdf)
    for label in LABELS:
        assert label in text, label
    d, a = form["deceased"], form["applicant"]
    assert "王建国" in text and "王丽" in text and case["reference"] in text
    assert f"{d['id_number'][:4]}**********{d['id_number'][-4:]}" in text
    assert f"{a['id_number'][:4]}**********{a['id_number'][-4:]}" in text
    assert "138****0000" in text
    assert "6200****" in text and d["bank_account"]["account_number"][-4:] in text
    for private in (d["id_number"], a["id_number"], a["phone"], d["bank_account"]["account_number"],
                    d["social_security_card"]["account_number"]):
        assert private not in text
    assert "■老年人福利" in text and "□低保" in text
    assert "驾驶证注销" in text and "非正常死亡证明开具" not in text  # 仅显示申请的事项


def test_bound_applicant_may_print_it_and_another_family_may_not(embedded_stack, font_installed):
    form = fresh_worked_example()
    clerk, case = file_at_window(embedded_stack, form)
    daughter = bind_applicant(embedded_stack, clerk, case, form)
    assert daughter.get(f"/api/v1/cases/{case['id']}/application.pdf", expect=200).content.startswith(b"%PDF-")

    stranger_form = fresh_worked_example(applicant__name="李四", applicant__phone="13900000001",
                                         applicant__id_number="430102198001010011", commitment__signed_name="李四")
    stranger = Api(embedded_stack.base_url).as_applicant(stranger_form)
    refused = stranger.get(f"/api/v1/cases/{case['id']}/application.pdf", expect=404).json()
    assert refused["code"] == "not_found" and set(refused) == {"code", "message", "errors"}


def test_without_a_cjk_font_the_form_answers_503_in_the_one_error_shape(embedded_stack, monkeypatch):
    clerk, case = file_at_window(embedded_stack, fresh_worked_example())
    monkeypatch.setitem(embedded_stack.app.config, "PDF_FONT_PATH", "/nonexistent/font.ttf")
    body = clerk.get(f"/api/v1/cases/{case['id']}/application.pdf", expect=503).json()
    assert set(body) == {"code", "message", "errors"} and body["code"] == "print_font_missing"
